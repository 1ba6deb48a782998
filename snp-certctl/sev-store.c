// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SEV platform chain's directory and the private SEV root.  See
 * sev-store.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "sev-store.h"
#include "util.h"

static const char *const file_names[SEV_FILE_COUNT] = {
	[SEV_FILE_PEK] = "pek.cert", [SEV_FILE_OCA] = "oca.cert", [SEV_FILE_CEK] = "cek.cert",
	[SEV_FILE_PDH] = "pdh.cert", [SEV_FILE_ASK] = "ask.cert", [SEV_FILE_ARK] = "ark.cert",
	[SEV_FILE_ASK_ARK] = "ask_ark.cert",
};

const char *sev_file_name(enum sev_file f)
{
	return f >= 0 && f < SEV_FILE_COUNT ? file_names[f] : NULL;
}

char *sev_store_dir(const struct ctx *ctx, const char *dir)
{
	return dir ? strdup(dir) : path_join(ctx_get(ctx, SET_STORE), SEV_STORE_SUBDIR);
}

int sev_file_read(const char *what, const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int r = read_file(path, max, buf, len);

	if (r == -ERR_REFUSED) {
		err("refusing '%s': not a regular file", path);
		return EXIT_FAIL;
	}
	if (r == -EFBIG) {
		err("cannot read %s '%s': larger than %zu bytes", what, path, max);
		return EXIT_VERIFY;
	}
	if (r < 0) {
		err("cannot read %s '%s': %s", what, path, strerror(-r));
		return EXIT_FAIL;
	}
	return 0;
}

int sev_trust_root_load(const struct ctx *ctx, uint8_t **buf, size_t *len)
{
	const char *path = ctx->n_trust_roots ? ctx->trust_roots[0] : ctx_get(ctx, SET_SEV_TRUST_ROOT);
	struct sev_ca_cert ark = { 0 };
	struct sev_diag d;
	char bad[512] = "", text[96];
	uint8_t *b = NULL;
	size_t n = 0;
	int r;

	*buf = NULL;
	*len = 0;
	if (ctx->n_trust_roots > 1)
		return usage_error(ctx, "give one --trust-root: a SEV chain has one ARK");
	if (!path || !*path)
		return 0;
	/* Whoever can write a trust root makes any chain under it verify. */
	r = read_trusted_file(path, SEV_CA_MAX_LEN, &b, &n, bad, sizeof(bad));
	if (r == -ERR_REFUSED) {
		err("refusing '%s': not a regular file", path);
		return EXIT_FAIL;
	}
	if (r == -EPERM && *bad) {
		err("refusing trust root '%s': %s", path, bad);
		return EXIT_FAIL;
	}
	if (r < 0) {
		err("cannot read trust root '%s': %s", path,
		    r == -EFBIG ? "larger than an AMD CA certificate" : strerror(-r));
		return EXIT_FAIL;
	}
	if (sev_ca_parse(b, n, true, &ark, NULL, &d) < 0) {
		sev_diag_text(&d, text, sizeof(text));
		err("trust root '%s' is not an AMD CA certificate: %s", path, text);
		free(b);
		return EXIT_VERIFY;
	}
	if (ark.usage != SEV_USAGE_ARK) {
		err("trust root '%s' is not an ARK: it holds an %s", path, sev_usage_name(ark.usage));
		free(b);
		return EXIT_VERIFY;
	}
	*buf = b;
	*len = n;
	return 0;
}

int sev_trust_chain_load(const struct ctx *ctx, uint8_t **buf, struct sev_verify_opts *o)
{
	const char *path = ctx->n_trust_roots ? ctx->trust_roots[0] : ctx_get(ctx, SET_SEV_TRUST_ROOT);
	struct sev_ca_cert ark = { 0 }, ask = { 0 };
	struct sev_diag d;
	char bad[512] = "", text[96];
	uint8_t *b = NULL;
	size_t n = 0;
	int r;

	*buf = NULL;
	if (ctx->n_trust_roots > 1)
		return usage_error(ctx, "give one --trust-root: a SEV chain has one ARK");
	if (!path || !*path)
		return 0;
	r = read_trusted_file(path, 2 * SEV_CA_MAX_LEN, &b, &n, bad, sizeof(bad));
	if (r == -ERR_REFUSED) {
		err("refusing '%s': not a regular file", path);
		return EXIT_FAIL;
	}
	if (r == -EPERM && *bad) {
		err("refusing trust root '%s': %s", path, bad);
		return EXIT_FAIL;
	}
	if (r < 0) {
		err("cannot read trust root '%s': %s", path,
		    r == -EFBIG ? "larger than an ASK and an ARK" : strerror(-r));
		return EXIT_FAIL;
	}
	if (sev_ca_parse(b, n, true, &ark, NULL, NULL) == 0 && ark.usage == SEV_USAGE_ARK) {
		o->trust_ark = b;
		o->trust_ark_len = n;
	} else if (sev_ca_split(b, n, &ask, &ark, &d) == 0 && ask.usage == SEV_USAGE_ASK &&
		   ark.usage == SEV_USAGE_ARK) {
		o->trust_ask = ask.raw;
		o->trust_ask_len = ask.len;
		o->trust_ark = ark.raw;
		o->trust_ark_len = ark.len;
	} else {
		if (sev_ca_parse(b, n, false, &ark, NULL, &d) < 0)
			sev_diag_text(&d, text, sizeof(text));
		else
			snprintf(text, sizeof(text), "it is not an ARK, nor an ASK then its ARK");
		err("trust root '%s' is not an AMD CA certificate: %s", path, text);
		free(b);
		return EXIT_VERIFY;
	}
	*buf = b;
	return 0;
}
