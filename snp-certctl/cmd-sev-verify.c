// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sev-verify: the SEV (pre-SNP) platform chain in a directory, ARK -> ASK
 * -> CEK, OCA -> PEK <- CEK, PEK -> PDH, and an attestation report against
 * the PEK (formats/sevcert.h does the checking).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certs.h"
#include "cmd.h"
#include "json.h"
#include "sev-store.h"
#include "util.h"

enum { OPT_REPORT = OPT_COMMON_LAST, OPT_MNONCE, OPT_SEV_PRODUCT };

static const char usage[] =
	"Usage: snp-certctl sev-verify [DIR] [--report FILE [--mnonce HEX]]\n"
	"                              [--product P] [--trust-root FILE] [--timeout SEC]\n"
	"                              [--json]\n"
	"\n"
	"Check a SEV or SEV-ES platform chain, AMD's own certificate formats, in DIR\n"
	"(default: the store's sev/): cek.cert (the CEK as AMD KDS signs it), oca.cert\n"
	"and pek.cert, pdh.cert when present; ask.cert and ark.cert (or AMD's\n"
	"ask_ark.cert) when present, else AMD's pinned roots of the generation, found\n"
	"by trying each unless --product names it.  A directory sev-export keeps is\n"
	"read under its locks.  One line per check; exit 0 when all pass, 4 otherwise.\n"
	"\n"
	"      --report FILE     also check this 208-byte attestation report against\n"
	"                        the PEK\n"
	"      --mnonce HEX      the report must carry this mnonce (32 hex digits)\n"
	"      --product P       the generation: naples, rome, milan, genoa, turin\n"
	"      --trust-root FILE trust this ARK (AMD CA format) too, for private test\n"
	"                        chains (setting sev_trust_root)\n"
	HELP_TIMEOUT
	"      --json            one JSON document on stdout\n";

/* The files of a chain, as read. */
struct files {
	uint8_t *buf[SEV_FILE_COUNT];
	size_t len[SEV_FILE_COUNT];
	uint8_t *report;
	size_t report_len;
};

static void files_free(struct files *f)
{
	for (int i = 0; i < SEV_FILE_COUNT; i++)
		free(f->buf[i]);
	free(f->report);
}

/* The largest file each name may hold (one byte more is reported as too large). */
static size_t file_max(enum sev_file i)
{
	if (i == SEV_FILE_ASK_ARK)
		return 2 * SEV_CA_MAX_LEN;
	return i == SEV_FILE_ASK || i == SEV_FILE_ARK ? SEV_CA_MAX_LEN : SEV_CERT_LEN;
}

/* The members of a set sev-export keeps, read under their shared locks (sev-store.h). */
static int read_set(const char *dir, unsigned int timeout_ms, struct files *f)
{
	struct sev_stored s;
	struct why why = { 0 };
	int r = sev_store_read(dir, timeout_ms, &s, &why);

	if (r == -ENOENT || r == -ERR_VERIFY) {
		err("%s", why.msg);
		return EXIT_VERIFY;
	}
	if (r)
		return cmd_error(r, &why);
	for (int i = SEV_FILE_PEK; i <= SEV_FILE_PDH; i++) {
		const uint8_t *src = i == SEV_FILE_PEK ? s.pek : i == SEV_FILE_OCA ? s.oca :
				     i == SEV_FILE_CEK ? s.cek : s.has_pdh ? s.pdh : NULL;

		if (!src)
			continue;
		f->buf[i] = malloc(SEV_CERT_LEN);
		if (!f->buf[i]) {
			sev_stored_clear(&s);
			return cmd_oom();
		}
		memcpy(f->buf[i], src, SEV_CERT_LEN);
		f->len[i] = SEV_CERT_LEN;
	}
	f->buf[SEV_FILE_ASK] = s.ask;
	f->len[SEV_FILE_ASK] = s.ask_len;
	f->buf[SEV_FILE_ARK] = s.ark;
	f->len[SEV_FILE_ARK] = s.ark_len;
	s.ask = s.ark = NULL;
	sev_stored_clear(&s);
	return 0;
}

/*
 * Read the files of dir; a missing optional file stays NULL (a name that is
 * there but not a regular file, a dangling link included, is refused).  A
 * directory sev-export keeps (it has the set's mark) is read under the
 * members' shared locks, so an export running meanwhile is seen whole or
 * not at all.  0 or an exit status.
 */
static int read_chain(const char *dir, unsigned int timeout_ms, struct files *f)
{
	static const char *const what[SEV_FILE_COUNT] = { "PEK", "OCA", "CEK", "PDH", "ASK", "ARK",
							   "ASK and ARK" };
	char *mark = path_join(dir, SEV_SET_MARK);
	struct stat mst;
	int ret = 0;
	bool set;

	if (!mark)
		return cmd_oom();
	set = lstat(mark, &mst) == 0;
	free(mark);
	if (set)
		return read_set(dir, timeout_ms, f);

	for (int i = 0; ret == 0 && i < SEV_FILE_COUNT; i++) {
		char *path = path_join(dir, sev_file_name(i));
		struct stat st;

		if (!path)
			return cmd_oom();
		if (lstat(path, &st) < 0 && errno == ENOENT) {
			if (i <= SEV_FILE_CEK) {
				err("no %s in '%s': a SEV chain needs cek.cert, oca.cert and pek.cert",
				    what[i], dir);
				ret = EXIT_VERIFY;
			}
			free(path);
			continue;
		}
		ret = sev_file_read(what[i], path, file_max(i), &f->buf[i], &f->len[i]);
		if (ret == 0 && i <= SEV_FILE_PDH && f->len[i] != SEV_CERT_LEN) {
			err("'%s' is not a SEV certificate: %zu bytes, not %u", path, f->len[i],
			    SEV_CERT_LEN);
			ret = EXIT_VERIFY;
		}
		free(path);
	}
	return ret;
}

/* ask_ark.cert, when ask.cert and ark.cert are absent: AMD's combined file. */
static int split_ask_ark(const char *dir, struct files *f, struct sev_chain *c)
{
	struct sev_ca_cert ask, ark;
	struct sev_diag d;
	char text[96];

	if (!f->buf[SEV_FILE_ASK_ARK] || f->buf[SEV_FILE_ASK] || f->buf[SEV_FILE_ARK])
		return 0;
	if (sev_ca_split(f->buf[SEV_FILE_ASK_ARK], f->len[SEV_FILE_ASK_ARK], &ask, &ark, &d) < 0) {
		sev_diag_text(&d, text, sizeof(text));
		err("'%s/ask_ark.cert' is not AMD's ASK and ARK: %s", dir, text);
		return EXIT_VERIFY;
	}
	c->ask = ask.raw;
	c->ask_len = ask.len;
	c->ark = ark.raw;
	c->ark_len = ark.len;
	return 0;
}

static void print_json(const char *dir, bool ok, enum sev_gen gen, const struct amd_check_list *l)
{
	struct jout j;

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_string(&j, "dir", dir);
	jout_string(&j, "generation", sev_gen_name(gen));
	jout_bool(&j, "ok", ok);
	checks_json(&j, l);
	if (!ok)
		jout_error(&j, EXIT_VERIFY);
	jout_object_end(&j);
	jout_finish(&j);
}

static int cmd_sev_verify_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_TRUST_ROOT,
		LONGOPT_TIMEOUT,
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "mnonce", required_argument, NULL, OPT_MNONCE },
		{ "product", required_argument, NULL, OPT_SEV_PRODUCT },
		{ NULL, 0, NULL, 0 },
	};
	struct sev_verify_opts o = { .gen = SEV_GEN_UNKNOWN };
	struct amd_check_list checks = { 0 };
	struct files f = { 0 };
	struct sev_chain c;
	const char *report = NULL, *mnonce_arg = NULL;
	uint8_t *mnonce = NULL;
	size_t mnonce_len = 0;
	struct sev_root root = { 0 };
	enum sev_gen gen = SEV_GEN_UNKNOWN;
	char *dir = NULL, msg[WHY_MAX];
	int opt, ret, r;

	while ((opt = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, opt, optarg, argv))
			continue;
		switch (opt) {
		case OPT_REPORT:
			report = optarg;
			break;
		case OPT_MNONCE:
			mnonce_arg = optarg;
			break;
		case OPT_SEV_PRODUCT:
			o.gen = sev_gen_parse(optarg);
			if (o.gen == SEV_GEN_UNKNOWN)
				return usage_error(ctx, "invalid product '%s': want naples, rome, "
						   "milan, genoa or turin", optarg);
			break;
		}
	}
	if (argc - optind > 1)
		return usage_error(ctx, "give one directory");
	if (mnonce_arg && !report)
		return usage_error(ctx, "--mnonce is checked in a report: give --report");
	if (mnonce_arg && (parse_hex(mnonce_arg, &mnonce, &mnonce_len) < 0 ||
			   mnonce_len != SEV_MNONCE_LEN)) {
		ret = usage_error(ctx, "invalid mnonce '%s': want 32 hex digits", mnonce_arg);
		goto out;
	}
	ret = ctx_load(ctx);
	if (ret)
		goto out;
	ret = sev_trust_root_load(ctx, &root);
	if (ret)
		goto out;
	sev_root_opts(&root, &o);
	dir = sev_store_dir(ctx, optind < argc ? argv[optind] : NULL);
	if (!dir) {
		ret = cmd_oom();
		goto out;
	}
	ret = read_chain(dir, seconds_to_ms(ctx->lock_timeout), &f);
	if (ret == 0 && report) {
		ret = sev_file_read("report", report, SEV_REPORT_LEN, &f.report, &f.report_len);
		if (ret == 0 && f.report_len != SEV_REPORT_LEN) {
			err("'%s' is not an attestation report: %zu bytes, not %u", report,
			    f.report_len, SEV_REPORT_LEN);
			ret = EXIT_VERIFY;
		}
	}
	if (ret)
		goto out;
	c = (struct sev_chain){
		.ark = f.buf[SEV_FILE_ARK], .ark_len = f.len[SEV_FILE_ARK],
		.ask = f.buf[SEV_FILE_ASK], .ask_len = f.len[SEV_FILE_ASK],
		.cek = f.buf[SEV_FILE_CEK], .oca = f.buf[SEV_FILE_OCA], .pek = f.buf[SEV_FILE_PEK],
		.pdh = f.buf[SEV_FILE_PDH], .report = f.report, .mnonce = mnonce,
	};
	ret = split_ask_ark(dir, &f, &c);
	if (ret)
		goto out;
	r = sev_chain_verify(&c, &o, &checks, &gen);
	if (r == -ENOMEM) {
		ret = cmd_oom();
		goto out;
	}
	if (r < 0) {
		snprintf(msg, sizeof(msg), "the SEV chain in '%s' failed verification", dir);
		ret = EXIT_VERIFY;
	}
	if (ctx->json) {
		if (r < 0)
			error_note(msg);
		print_json(dir, r == 0, gen, &checks);
	} else {
		checks_print(&checks, ctx->verbosity);
		if (r < 0)
			err("%s", msg);
		else if (ctx->verbosity >= 0)
			printf("the SEV chain in '%s' verifies (%s)\n", dir,
			       gen == SEV_GEN_UNKNOWN ? "private root" : sev_gen_title(gen));
	}
out:
	amd_check_list_free(&checks);
	files_free(&f);
	free(mnonce);
	sev_root_free(&root);
	free(dir);
	return ret;
}

const struct cmd cmd_sev_verify = { "sev-verify", cmd_sev_verify_main,
				    "check a SEV (pre-SNP) platform chain and report", usage,
				    .json = true };
