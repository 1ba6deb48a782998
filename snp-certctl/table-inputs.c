// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What goes into a table from outside: a table file read for inspection,
 * and the entries named on the command line (or found in a certificate
 * directory), read and set into a table in the build order.
 * See table-inputs.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amdcert.h"
#include "certs.h"
#include "lockwait.h"
#include "table.h"
#include "util.h"

/* ---- a table file ----------------------------------------------------- */

/*
 * Say what a file given as a table is when it does not parse as one: a
 * certificate or a CRL (and how to make a table of it), else a table
 * malformed where d says.
 */
static void say_not_a_table(const char *path, const uint8_t *buf, size_t len,
			    const struct ghcb_diag *d)
{
	struct amd_cert_info info;
	uint8_t *der = NULL;
	size_t der_len = 0;
	const char *opt;
	X509 *x = NULL;

	if (amd_cert_load(buf, len, &x) == 0) {
		opt = amd_cert_info(x, &info) == 0 && info.kind != AMD_CERT_UNKNOWN ?
			      amd_cert_kind_name(info.kind) : "vcek";
		X509_free(x);
		err("'%s' is a certificate, not a certificate table: make a table of it with "
		    "'snp-certctl build -o TABLE --%s %s ...'", path, opt, path);
	} else if (amd_crl_load(buf, len, &der, &der_len) == 0) {
		free(der);
		err("'%s' is a CRL, not a certificate table: add it to a table with "
		    "'snp-certctl update TABLE --crl %s'", path, path);
	} else if (d->entry >= 0) {
		err("'%s' is malformed at byte %zu (entry %d): %s", path, d->offset, d->entry,
		    ghcb_strerror(d->code));
	} else {
		err("'%s' is malformed at byte %zu: %s", path, d->offset, ghcb_strerror(d->code));
	}
}

int table_file_load(const char *path, double timeout_s, uint8_t **blob, size_t *size,
		    struct ghcb_entry **e, size_t *n)
{
	struct sc_deadline dl;
	struct ghcb_diag d;
	struct why why;
	int ret;

	sc_deadline_init(&dl, timeout_s);
	ret = lockwait_read_table(path, &dl, GHCB_PARSE_LIMIT, blob, size, &why);
	if (ret == -EFBIG) {
		err("'%s' is not a certificate table: larger than %u MiB", path,
		    GHCB_PARSE_LIMIT / (1024 * 1024));
		return EXIT_VERIFY;
	}
	if (ret)
		return cmd_error(ret, &why);
	ret = ghcb_parse(*blob, *size, GHCB_ALLOW_LARGE, e, n, &d);
	if (ret == -ENOMEM) {
		err("out of memory");
		ret = EXIT_FAIL;
	} else if (ret < 0) {
		say_not_a_table(path, *blob, *size, &d);
		ret = EXIT_VERIFY;
	} else if (*size > GHCB_MAX_SIZE) {
		warn("'%s' is %zu bytes, over the %u KiB Linux guests accept", path, *size,
		     GHCB_MAX_SIZE / 1024);
	}
	if (ret) {
		free(*blob);
		*blob = NULL;
	}
	return ret;
}

/* ---- entries named on the command line -------------------------------- */

int table_inputs_add_extra(const struct ctx *ctx, struct table_inputs *in,
			   const uint8_t guid[GHCB_GUID_LEN], const char *path, char *owned)
{
	enum ghcb_kind kind = ghcb_guid_kind(guid);
	char text[37];
	int ret;

	ghcb_guid_format(guid, text);
	if (kind != GHCB_KIND_OTHER) {
		ret = usage_error(ctx, "GUID %s is the %s entry: use --%s", text,
				  ghcb_kind_name(kind), ghcb_kind_name(kind));
		goto out;
	}
	for (size_t i = 0; i < in->n_extra; i++) {
		if (memcmp(in->extra[i].guid, guid, GHCB_GUID_LEN) == 0) {
			ret = usage_error(ctx, "entry %s given twice", text);
			goto out;
		}
	}
	if (in->n_extra == TABLE_MAX_EXTRA) {
		ret = usage_error(ctx, "more than %d extra entries", TABLE_MAX_EXTRA);
		goto out;
	}
	memcpy(in->extra[in->n_extra].guid, guid, GHCB_GUID_LEN);
	in->extra[in->n_extra].path = path;
	in->extra[in->n_extra].owned = owned;
	in->n_extra++;
	owned = NULL;
	ret = 0;
out:
	free(owned);
	return ret;
}

/* --entry GUID=FILE.  0 or an exit status after printing why. */
static int parse_entry(const struct ctx *ctx, struct table_inputs *in, const char *arg)
{
	const char *eq = strchr(arg, '=');
	uint8_t guid[GHCB_GUID_LEN];
	char text[37];

	if (!eq || eq - arg != 36 || !eq[1])
		return usage_error(ctx, "--entry wants GUID=FILE, not '%s'", arg);
	memcpy(text, arg, 36);
	text[36] = '\0';
	if (ghcb_guid_parse(text, guid) < 0)
		return usage_error(ctx, "invalid GUID '%s'", text);
	return table_inputs_add_extra(ctx, in, guid, eq + 1, NULL);
}

int table_inputs_option(const struct ctx *ctx, struct table_inputs *in, int c, const char *arg)
{
	static const enum certdir_kind by_opt[] = {
		[OPT_TABLE_VCEK - OPT_TABLE_VCEK] = CERTDIR_VCEK,
		[OPT_TABLE_VLEK - OPT_TABLE_VCEK] = CERTDIR_VLEK,
		[OPT_TABLE_ASK - OPT_TABLE_VCEK] = CERTDIR_ASK,
		[OPT_TABLE_ASVK - OPT_TABLE_VCEK] = CERTDIR_ASVK,
		[OPT_TABLE_ARK - OPT_TABLE_VCEK] = CERTDIR_ARK,
		[OPT_TABLE_CRL - OPT_TABLE_VCEK] = CERTDIR_CRL,
	};
	enum certdir_kind k;

	if (c == OPT_TABLE_ENTRY)
		return parse_entry(ctx, in, arg);
	if (c < OPT_TABLE_VCEK || c > OPT_TABLE_CRL)
		return 0;
	k = by_opt[c - OPT_TABLE_VCEK];
	if (in->file[k])
		return usage_error(ctx, "--%s given twice", certdir_stem(k));
	in->file[k] = arg;
	return 0;
}

bool table_inputs_any(const struct table_inputs *in)
{
	for (int k = 0; k < CERTDIR_KIND_COUNT; k++)
		if (in->file[k])
			return true;
	return in->n_extra > 0;
}

void table_inputs_free(struct table_inputs *in)
{
	for (size_t i = 0; i < in->n_extra; i++)
		free(in->extra[i].owned);
	for (int k = 0; k < CERTDIR_KIND_COUNT; k++)
		free(in->owned[k]);
	*in = (struct table_inputs){ 0 };
}

/* A CRL file, PEM or DER, as DER.  0 or an exit status after printing why. */
static int load_crl(const char *path, uint8_t **der, size_t *der_len)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	ret = read_file(path, CERT_FILE_MAX * 16, &buf, &len);
	if (ret == -ERR_REFUSED) {
		err("refusing '%s': not a regular file", path);
		return EXIT_FAIL;
	}
	if (ret < 0) {
		err("cannot read CRL '%s': %s", path, strerror(-ret));
		return EXIT_FAIL;
	}
	ret = amd_crl_load(buf, len, der, der_len);
	if (ret == -ENOMEM) {
		err("out of memory");
		ret = EXIT_FAIL;
	} else if (ret < 0) {
		err("CRL '%s' is not a PEM or DER certificate revocation list", path);
		ret = EXIT_VERIFY;
	}
	free(buf);
	return ret;
}

int table_inputs_apply(const struct table_inputs *in, bool builtin_roots, struct table *t)
{
	struct cert_input c[CERTDIR_KIND_COUNT] = { 0 };
	bool vlek = in->file[CERTDIR_VLEK] != NULL;
	enum certdir_kind leaf = vlek ? CERTDIR_VLEK : CERTDIR_VCEK;
	enum certdir_kind mid = in->file[CERTDIR_ASVK] || (vlek && !in->file[CERTDIR_ASK]) ?
					CERTDIR_ASVK : CERTDIR_ASK;
	static const enum ghcb_kind slot[CERTDIR_KIND_COUNT] = {
		[CERTDIR_ARK] = GHCB_KIND_ARK, [CERTDIR_ASK] = GHCB_KIND_ASK,
		[CERTDIR_ASVK] = GHCB_KIND_ASK, [CERTDIR_VCEK] = GHCB_KIND_VCEK,
		[CERTDIR_VLEK] = GHCB_KIND_VLEK,
	};
	const enum certdir_kind order[] = { leaf, mid, CERTDIR_ARK };
	bool have[CERTDIR_KIND_COUNT] = { false };
	uint8_t *crl = NULL, *data = NULL;
	size_t crl_len = 0, len = 0;
	int ret = 0;

	if (in->file[leaf]) {
		ret = cert_input_load(in->file[leaf], vlek ? "VLEK" : "VCEK", &c[leaf]);
		have[leaf] = ret == 0;
	}
	for (size_t i = 1; ret == 0 && i < 3; i++) {
		enum certdir_kind k = order[i];
		enum amd_cert_kind want = k == CERTDIR_ARK ? AMD_CERT_ARK :
					  k == CERTDIR_ASK ? AMD_CERT_ASK : AMD_CERT_ASVK;

		if (in->file[k]) {
			ret = cert_input_load(in->file[k], amd_cert_kind_name(want), &c[k]);
			have[k] = ret == 0;
			continue;
		}
		if (!builtin_roots || !have[leaf])
			continue;
		if (c[leaf].info.product == AMD_PRODUCT_UNKNOWN) {
			err("cannot tell the product of %s '%s' (no productName): give --%s",
			    vlek ? "VLEK" : "VCEK", in->file[leaf], certdir_stem(k));
			ret = EXIT_VERIFY;
			continue;
		}
		ret = cert_input_builtin(c[leaf].info.product, want, &c[k]);
		have[k] = ret == 0;
		if (ret == 0)
			debug("using the built-in %s", c[k].info.common_name);
	}
	for (size_t i = 0; ret == 0 && i < 3; i++) {
		if (have[order[i]] && table_set(t, ghcb_kind_guid(slot[order[i]]), c[order[i]].der,
						c[order[i]].der_len) < 0) {
			err("out of memory");
			ret = EXIT_FAIL;
		}
	}
	if (ret == 0 && in->file[CERTDIR_CRL]) {
		ret = load_crl(in->file[CERTDIR_CRL], &crl, &crl_len);
		if (ret == 0 && table_set(t, ghcb_kind_guid(GHCB_KIND_CRL), crl, crl_len) < 0) {
			err("out of memory");
			ret = EXIT_FAIL;
		}
	}
	for (size_t i = 0; ret == 0 && i < in->n_extra; i++) {
		int r = read_file(in->extra[i].path, GHCB_MAX_SIZE, &data, &len);

		if (r == -ERR_REFUSED) {
			err("refusing '%s': not a regular file", in->extra[i].path);
			ret = EXIT_FAIL;
		} else if (r == -EFBIG) {
			err("cannot read entry '%s': larger than %u KiB", in->extra[i].path,
			    GHCB_MAX_SIZE / 1024);
			ret = EXIT_FAIL;
		} else if (r < 0) {
			err("cannot read entry '%s': %s", in->extra[i].path, strerror(-r));
			ret = EXIT_FAIL;
		} else if (len == 0) {
			err("entry '%s' is empty; the table format has no empty entries",
			    in->extra[i].path);
			ret = EXIT_VERIFY;
		} else if (table_set(t, in->extra[i].guid, data, len) < 0) {
			err("out of memory");
			ret = EXIT_FAIL;
		}
		free(data);
		data = NULL;
	}
	for (int k = 0; k < CERTDIR_KIND_COUNT; k++)
		cert_input_clear(&c[k]);
	free(crl);
	return ret;
}
