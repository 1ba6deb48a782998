// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs.h"
#include "json.h"
#include "util.h"

void cert_input_clear(struct cert_input *c)
{
	X509_free(c->x509);
	free(c->der);
	*c = (struct cert_input){ 0 };
}

static int cert_input_from(const void *buf, size_t len, const char *path, const char *what,
			   struct cert_input *c)
{
	*c = (struct cert_input){ .path = path };
	if (amd_cert_load(buf, len, &c->x509) < 0) {
		err("%s '%s' is not a PEM or DER certificate", what, path);
		return EXIT_VERIFY;
	}
	if (amd_cert_info(c->x509, &c->info) < 0) {
		err("%s '%s' has a malformed AMD extension", what, path);
		cert_input_clear(c);
		return EXIT_VERIFY;
	}
	if (amd_cert_der(c->x509, &c->der, &c->der_len) < 0) {
		err("%s '%s': cannot encode as DER: %s", what, path, amd_openssl_error());
		cert_input_clear(c);
		return EXIT_FAIL;
	}
	c->path = path;
	return 0;
}

int cert_input_load(const char *path, const char *what, struct cert_input *c)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	ret = read_file(path, CERT_FILE_MAX, &buf, &len);
	if (ret < 0) {
		if (ret == -ERR_REFUSED)
			err("refusing '%s': not a regular file", path);
		else if (ret == -EFBIG)
			err("cannot read %s '%s': larger than %d KiB", what, path,
			    CERT_FILE_MAX / 1024);
		else
			err("cannot read %s '%s': %s", what, path, strerror(-ret));
		*c = (struct cert_input){ 0 };
		return EXIT_FAIL;
	}
	ret = cert_input_from(buf, len, path, what, c);
	free(buf);
	return ret;
}

int cert_input_builtin(enum amd_product p, enum amd_cert_kind k, struct cert_input *c)
{
	size_t len = 0;
	const uint8_t *der = amd_builtin_cert(p, k, &len);

	if (!der) {
		err("no built-in %s for product %s", amd_cert_kind_name(k),
		    amd_product_name(p) ?: "unknown");
		*c = (struct cert_input){ 0 };
		return EXIT_VERIFY;
	}
	return cert_input_from(der, len, "built-in", amd_cert_kind_name(k), c);
}

static int trust_add_file(struct amd_trust *t, const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char bad[512] = "";
	int ret;

	/* Whoever can write a trust root makes any chain under it verify. */
	ret = read_trusted_file(path, 1024 * 1024, &buf, &len, bad, sizeof(bad));
	if (ret == -ERR_REFUSED) {
		err("refusing '%s': not a regular file", path);
		return EXIT_FAIL;
	}
	if (ret == -EPERM && *bad) {
		err("refusing trust root '%s': %s", path, bad);
		return EXIT_FAIL;
	}
	if (ret < 0) {
		err("cannot read trust root '%s': %s", path, strerror(-ret));
		return EXIT_FAIL;
	}
	ret = amd_trust_add_pem(t, buf, len);
	free(buf);
	if (ret < 0) {
		err("trust root '%s' holds no self-signed AMD root key (ARK) in PEM", path);
		return EXIT_VERIFY;
	}
	return 0;
}

int trust_load(const struct ctx *ctx, struct amd_trust **out)
{
	struct amd_trust *t = NULL;
	const char *configured = ctx_get(ctx, SET_TRUST_ROOT);
	int ret;

	if (amd_trust_new(&t) < 0) {
		err("cannot load the built-in AMD roots: %s", amd_openssl_error());
		return EXIT_FAIL;
	}
	ret = configured ? trust_add_file(t, configured) : 0;
	for (size_t i = 0; ret == 0 && i < ctx->n_trust_roots; i++)
		ret = trust_add_file(t, ctx->trust_roots[i]);
	if (ret) {
		amd_trust_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void checks_print(const struct amd_check_list *l, int verbosity)
{
	for (size_t i = 0; i < l->n; i++) {
		if (verbosity < 0 && l->v[i].ok)
			continue;
		tprintf("%s %s: %s\n", l->v[i].ok ? "PASS" : "FAIL", l->v[i].name, l->v[i].detail);
	}
}

void checks_json(struct jout *j, const struct amd_check_list *l)
{
	jout_array_begin(j, "checks");
	for (size_t i = 0; i < l->n; i++) {
		jout_object_begin(j, NULL);
		jout_string(j, "name", l->v[i].name);
		jout_bool(j, "ok", l->v[i].ok);
		jout_string(j, "detail", l->v[i].detail);
		jout_object_end(j);
	}
	jout_array_end(j);
}
