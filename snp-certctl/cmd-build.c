// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * build: make a GHCB certificate table from certificate files.  The chain
 * is verified and the table checked before anything is written; a new table
 * appears whole (temporary file, fsync, rename), an existing one is only
 * replaced with --force, in place under the lock.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certdir.h"
#include "certs.h"
#include "cmd.h"
#include "install.h"
#include "json.h"
#include "table.h"
#include "util.h"

#define MAX_EXTRA 64

struct build_args {
	const char *out;
	const char *file[CERTDIR_KIND_COUNT]; /* by certdir kind; EXTRA unused */
	const char *from_dir;
	struct {
		uint8_t guid[GHCB_GUID_LEN];
		const char *path;
		char *owned; /* path allocated by --from-dir */
	} extra[MAX_EXTRA];
	size_t n_extra;
	char *owned[CERTDIR_KIND_COUNT];
	char *trust_roots[16];
	size_t n_trust;
	bool no_verify, force;
};

enum { OPT_VCEK = OPT_COMMON_LAST, OPT_VLEK, OPT_ASK, OPT_ASVK, OPT_ARK, OPT_CRL,
       OPT_ENTRY, OPT_NO_VERIFY, OPT_FORCE, OPT_FROM_DIR, OPT_TRUST_ROOT };

static const char usage[] =
	"Usage: snp-certctl build -o OUT (--vcek FILE | --vlek FILE) [--ask FILE | --asvk FILE]\n"
	"                         [--ark FILE] [--crl FILE] [--entry GUID=FILE]...\n"
	"                         [--no-verify] [--force] [--trust-root PEM]...\n"
	"       snp-certctl build -o OUT --from-dir DIR [--no-verify] [--force]\n"
	"\n"
	"Build a GHCB certificate table.  Inputs are PEM or DER; the table holds DER.\n"
	"Omitted ARK, ASK or ASVK come from the built-in AMD roots for the key's product.\n"
	"Entry order: VCEK or VLEK, ASK or ASVK, ARK, CRL, extra entries as given.\n"
	"\n"
	"  -o, --output OUT      the table to write (refused if it exists, unless --force)\n"
	"      --vcek FILE       the VCEK (chip endorsement key certificate)\n"
	"      --vlek FILE       the VLEK (loaded endorsement key certificate)\n"
	"      --ask FILE        the ASK that signed the VCEK\n"
	"      --asvk FILE       the ASVK that signed the VLEK\n"
	"      --ark FILE        the AMD root key\n"
	"      --crl FILE        the CRL (DER or PEM), signed by the ARK\n"
	"      --entry GUID=FILE an opaque extra entry, kept byte for byte\n"
	"      --from-dir DIR    take the files from a certificate directory: ark.pem|der,\n"
	"                        ask.*, asvk.*, vcek.*, vlek.*, crl.der or *.crl, <guid>.bin\n"
	"      --no-verify       do not verify the chain (test keys)\n"
	"      --force           replace an existing OUT, in place under the lock\n"
	"      --trust-root PEM  also trust this AMD root (repeatable)\n"
	"      --json            print the result as JSON\n";

static void args_free(struct build_args *a)
{
	for (size_t i = 0; i < a->n_extra; i++)
		free(a->extra[i].owned);
	for (int k = 0; k < CERTDIR_KIND_COUNT; k++)
		free(a->owned[k]);
}

static int add_extra(const struct ctx *ctx, struct build_args *a, const uint8_t guid[],
		     const char *path, char *owned)
{
	char text[37];

	ghcb_guid_format(guid, text);
	if (ghcb_guid_kind(guid) != GHCB_KIND_OTHER) {
		free(owned);
		return usage_error(ctx, "GUID %s is the %s entry: use --%s", text,
				   ghcb_kind_name(ghcb_guid_kind(guid)),
				   ghcb_kind_name(ghcb_guid_kind(guid)));
	}
	for (size_t i = 0; i < a->n_extra; i++) {
		if (memcmp(a->extra[i].guid, guid, GHCB_GUID_LEN) == 0) {
			free(owned);
			return usage_error(ctx, "entry %s given twice", text);
		}
	}
	if (a->n_extra == MAX_EXTRA) {
		free(owned);
		return usage_error(ctx, "more than %d extra entries", MAX_EXTRA);
	}
	memcpy(a->extra[a->n_extra].guid, guid, GHCB_GUID_LEN);
	a->extra[a->n_extra].path = path;
	a->extra[a->n_extra].owned = owned;
	a->n_extra++;
	return 0;
}

static int parse_entry_arg(const struct ctx *ctx, struct build_args *a, const char *arg)
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
	return add_extra(ctx, a, guid, eq + 1, NULL);
}

/* Fill the file names from a certificate directory. */
static int scan_dir(const struct ctx *ctx, struct build_args *a)
{
	struct dirent **names = NULL;
	int n, ret = 0;

	n = scandir(a->from_dir, &names, NULL, alphasort);
	if (n < 0) {
		err("cannot read directory '%s': %s", a->from_dir, strerror(errno));
		return EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		uint8_t guid[GHCB_GUID_LEN];
		enum certdir_kind k = certdir_classify(names[i]->d_name, guid);
		char *path = NULL;

		if (ret || k == CERTDIR_NONE) {
			if (!ret && names[i]->d_name[0] != '.')
				debug("ignoring '%s/%s'", a->from_dir, names[i]->d_name);
			continue;
		}
		if (asprintf(&path, "%s/%s", a->from_dir, names[i]->d_name) < 0) {
			err("out of memory");
			ret = EXIT_FAIL;
			continue;
		}
		if (k == CERTDIR_EXTRA) {
			ret = add_extra(ctx, a, guid, path, path);
		} else if (a->file[k]) {
			err("'%s' holds two %s files: '%s' and '%s'", a->from_dir, certdir_stem(k),
			    a->file[k], path);
			free(path);
			ret = EXIT_USAGE;
		} else {
			a->file[k] = a->owned[k] = path;
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!ret && !a->file[CERTDIR_VCEK] && !a->file[CERTDIR_VLEK]) {
		err("'%s' holds no vcek.* or vlek.* file", a->from_dir);
		ret = EXIT_USAGE;
	}
	if (!ret && a->file[CERTDIR_VCEK] && a->file[CERTDIR_VLEK]) {
		err("'%s' holds both a VCEK and a VLEK; build one table per key", a->from_dir);
		ret = EXIT_USAGE;
	}
	return ret;
}

/* A CRL file, PEM or DER, as DER. */
static int load_crl(const char *path, uint8_t **der, size_t *der_len)
{
	uint8_t *buf = NULL;
	unsigned char *out = NULL;
	X509_CRL *crl = NULL;
	size_t len = 0;
	int ret, n;

	ret = read_file(path, CERT_FILE_MAX * 16, &buf, &len);
	if (ret < 0) {
		err("cannot read CRL '%s': %s", path, strerror(-ret));
		return EXIT_FAIL;
	}
	if (len > 0 && buf[0] == 0x30) {
		const unsigned char *p = buf;

		crl = d2i_X509_CRL(NULL, &p, (long)len);
		if (crl && p != buf + len) {
			X509_CRL_free(crl);
			crl = NULL;
		}
	} else {
		BIO *bio = BIO_new_mem_buf(buf, (int)len);

		crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	n = crl ? i2d_X509_CRL(crl, &out) : -1;
	if (n <= 0) {
		err("CRL '%s' is not a PEM or DER certificate revocation list", path);
		ret = EXIT_VERIFY;
		goto out;
	}
	*der = malloc((size_t)n);
	if (!*der) {
		err("out of memory");
		ret = EXIT_FAIL;
		goto out;
	}
	memcpy(*der, out, (size_t)n);
	*der_len = (size_t)n;
	ret = 0;
out:
	OPENSSL_free(out);
	X509_CRL_free(crl);
	free(buf);
	return ret;
}

/* Load the certificates and lay out the table in the documented order. */
static int assemble(const struct build_args *a, struct table *t)
{
	struct cert_input c[CERTDIR_KIND_COUNT] = { 0 };
	bool vlek = a->file[CERTDIR_VLEK] != NULL;
	enum certdir_kind leaf = vlek ? CERTDIR_VLEK : CERTDIR_VCEK;
	enum certdir_kind mid = a->file[CERTDIR_ASVK] || (vlek && !a->file[CERTDIR_ASK]) ?
					CERTDIR_ASVK : CERTDIR_ASK;
	static const enum ghcb_kind slot[CERTDIR_KIND_COUNT] = {
		[CERTDIR_ARK] = GHCB_KIND_ARK, [CERTDIR_ASK] = GHCB_KIND_ASK,
		[CERTDIR_ASVK] = GHCB_KIND_ASK, [CERTDIR_VCEK] = GHCB_KIND_VCEK,
		[CERTDIR_VLEK] = GHCB_KIND_VLEK,
	};
	const enum certdir_kind order[] = { leaf, mid, CERTDIR_ARK };
	uint8_t *crl = NULL, *data = NULL;
	size_t crl_len = 0, len = 0;
	int ret;

	ret = cert_input_load(a->file[leaf], vlek ? "VLEK" : "VCEK", &c[leaf]);
	for (size_t i = 1; ret == 0 && i < 3; i++) {
		enum certdir_kind k = order[i];
		enum amd_cert_kind want = k == CERTDIR_ARK ? AMD_CERT_ARK :
					  k == CERTDIR_ASK ? AMD_CERT_ASK : AMD_CERT_ASVK;

		if (a->file[k]) {
			ret = cert_input_load(a->file[k], amd_cert_kind_name(want), &c[k]);
			continue;
		}
		if (c[leaf].info.product == AMD_PRODUCT_UNKNOWN) {
			err("cannot tell the product of %s '%s' (no productName): give --%s",
			    vlek ? "VLEK" : "VCEK", a->file[leaf], certdir_stem(k));
			ret = EXIT_VERIFY;
			continue;
		}
		ret = cert_input_builtin(c[leaf].info.product, want, &c[k]);
		if (ret == 0)
			debug("using the built-in %s", c[k].info.common_name);
	}
	for (size_t i = 0; ret == 0 && i < 3; i++)
		ret = table_set(t, ghcb_kind_guid(slot[order[i]]), c[order[i]].der,
				c[order[i]].der_len) < 0 ? EXIT_FAIL : 0;
	if (ret == 0 && a->file[CERTDIR_CRL]) {
		ret = load_crl(a->file[CERTDIR_CRL], &crl, &crl_len);
		if (ret == 0 && table_set(t, ghcb_kind_guid(GHCB_KIND_CRL), crl, crl_len) < 0)
			ret = EXIT_FAIL;
	}
	for (size_t i = 0; ret == 0 && i < a->n_extra; i++) {
		int r = read_file(a->extra[i].path, GHCB_MAX_SIZE, &data, &len);

		if (r < 0) {
			err("cannot read entry '%s': %s", a->extra[i].path,
			    r == -EFBIG ? "larger than 16 KiB" : strerror(-r));
			ret = EXIT_FAIL;
		} else if (len == 0) {
			err("entry '%s' is empty; the table format has no empty entries",
			    a->extra[i].path);
			ret = EXIT_VERIFY;
		} else if (table_set(t, a->extra[i].guid, data, len) < 0) {
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

static int report(const struct ctx *ctx, const char *path, size_t n, size_t size,
		  const char *how)
{
	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "file", path);
		json_uint(&j, "size", size);
		json_uint(&j, "entries", n);
		json_string(&j, "action", how);
		json_object_end(&j);
		json_finish(&j);
	} else if (ctx->verbosity >= 0) {
		printf("%s %s: %zu entries, %zu bytes\n", how, path, n, size);
	}
	return 0;
}

static int cmd_build_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "vcek", required_argument, NULL, OPT_VCEK },
		{ "vlek", required_argument, NULL, OPT_VLEK },
		{ "ask", required_argument, NULL, OPT_ASK },
		{ "asvk", required_argument, NULL, OPT_ASVK },
		{ "ark", required_argument, NULL, OPT_ARK },
		{ "crl", required_argument, NULL, OPT_CRL },
		{ "entry", required_argument, NULL, OPT_ENTRY },
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "from-dir", required_argument, NULL, OPT_FROM_DIR },
		{ "trust-root", required_argument, NULL, OPT_TRUST_ROOT },
		{ NULL, 0, NULL, 0 },
	};
	static const enum certdir_kind by_opt[] = {
		[OPT_VCEK - OPT_VCEK] = CERTDIR_VCEK, [OPT_VLEK - OPT_VCEK] = CERTDIR_VLEK,
		[OPT_ASK - OPT_VCEK] = CERTDIR_ASK,   [OPT_ASVK - OPT_VCEK] = CERTDIR_ASVK,
		[OPT_ARK - OPT_VCEK] = CERTDIR_ARK,   [OPT_CRL - OPT_VCEK] = CERTDIR_CRL,
	};
	struct build_args a = { 0 };
	struct amd_check_list checks = { 0 };
	struct amd_trust *trust = NULL;
	struct table t = { 0 };
	struct ghcb_diag diag;
	uint8_t *blob = NULL;
	size_t size = 0;
	bool given = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":o:" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case 'o':
			a.out = optarg;
			break;
		case OPT_VCEK: case OPT_VLEK: case OPT_ASK: case OPT_ASVK: case OPT_ARK:
		case OPT_CRL:
			if (a.file[by_opt[c - OPT_VCEK]]) {
				ret = usage_error(ctx, "--%s given twice",
						  certdir_stem(by_opt[c - OPT_VCEK]));
				goto out;
			}
			a.file[by_opt[c - OPT_VCEK]] = optarg;
			given = true;
			break;
		case OPT_ENTRY:
			ret = parse_entry_arg(ctx, &a, optarg);
			if (ret)
				goto out;
			given = true;
			break;
		case OPT_NO_VERIFY:
			a.no_verify = true;
			break;
		case OPT_FORCE:
			a.force = true;
			break;
		case OPT_FROM_DIR:
			a.from_dir = optarg;
			break;
		case OPT_TRUST_ROOT:
			if (a.n_trust == sizeof(a.trust_roots) / sizeof(a.trust_roots[0])) {
				ret = usage_error(ctx, "too many --trust-root options");
				goto out;
			}
			a.trust_roots[a.n_trust++] = optarg;
			break;
		}
	}
	if (optind < argc) {
		ret = usage_error(ctx, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!a.out) {
		ret = usage_error(ctx, "no output: give -o OUT");
		goto out;
	}
	if (a.from_dir && given) {
		ret = usage_error(ctx, "--from-dir takes every file from the directory; "
				       "it does not mix with --vcek, --ask, --entry, ...");
		goto out;
	}
	if (!a.from_dir && !a.file[CERTDIR_VCEK] == !a.file[CERTDIR_VLEK]) {
		ret = usage_error(ctx, "give exactly one of --vcek and --vlek (or --from-dir)");
		goto out;
	}
	if (a.file[CERTDIR_ASK] && a.file[CERTDIR_ASVK]) {
		ret = usage_error(ctx, "--ask and --asvk share one slot: give one of them");
		goto out;
	}
	ret = ctx_load(ctx);
	if (ret)
		goto out;
	if (a.from_dir) {
		ret = scan_dir(ctx, &a);
		if (ret)
			goto out;
	}

	ret = assemble(&a, &t);
	if (ret)
		goto out;
	if (table_encode(&t, &blob, &size, &diag) < 0) {
		size_t total = 24 * (t.n + 1);

		for (size_t i = 0; i < t.n; i++)
			total += t.items[i].len;
		if (diag.code == GHCB_ERR_TOO_LARGE)
			err("the table would be %zu bytes, over the 16 KiB Linux guests accept",
			    total);
		else
			err("cannot lay out the table: %s", ghcb_strerror(diag.code));
		ret = diag.code == GHCB_ERR_NOMEM ? EXIT_FAIL : EXIT_VERIFY;
		goto out;
	}
	if (!a.no_verify) {
		struct verify_opts vo = { .at = time(NULL) };

		ret = trust_load(ctx, a.trust_roots, a.n_trust, &trust);
		if (ret)
			goto out;
		vo.trust = trust;
		if (table_verify(&t, &vo, &checks) < 0) {
			for (size_t i = 0; i < checks.n; i++)
				if (!checks.v[i].ok)
					err("%s: %s", checks.v[i].name, checks.v[i].detail);
			err("not writing '%s': the chain does not verify (--no-verify skips this)",
			    a.out);
			ret = EXIT_VERIFY;
			goto out;
		}
	}

	if (a.force) {
		ret = table_install_path(ctx, a.out, blob, size, true);
		if (ret == 0)
			ret = report(ctx, a.out, t.n, size, "built");
		goto out;
	}
	ret = write_file_atomic(a.out, blob, size, 0644, false);
	if (ret == -EEXIST) {
		err("'%s' exists: use --force to replace it in place", a.out);
		ret = EXIT_FAIL;
	} else if (ret < 0) {
		err("cannot write '%s': %s", a.out, strerror(-ret));
		ret = EXIT_FAIL;
	} else {
		ret = report(ctx, a.out, t.n, size, "built");
	}
out:
	free(blob);
	table_free(&t);
	amd_check_list_free(&checks);
	amd_trust_free(trust);
	args_free(&a);
	return ret;
}

const struct cmd cmd_build = { "build", cmd_build_main, "build a certificate table", usage };
