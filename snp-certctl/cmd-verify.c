// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * verify: the structure of a table, then its chain to the trusted roots with
 * the exact PSS parameters, validity at a time, and on request that the
 * endorsement key matches a TCB, a chip id or the running platform.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certs.h"
#include "cmd.h"
#include "hashstick.h"
#include "json.h"
#include "platform.h"
#include "table.h"
#include "util.h"

enum { OPT_TCB = OPT_COMMON_LAST, OPT_HWID, OPT_AT, OPT_PLATFORM, OPT_HASHSTICK };

static const char usage[] =
	"Usage: snp-certctl verify FILE [--trust-root PEM]... [--tcb SPEC] [--hwid HEX]\n"
	"                          [--platform [--product P]] [--at TIME] [--json]\n"
	"       snp-certctl verify --hashstick FILE [--json]\n"
	"\n"
	"Check a certificate table: its structure, the chain ARK -> ASK -> VCEK or\n"
	"ARK -> ASVK -> VLEK to the built-in AMD roots (RSASSA-PSS, SHA-384, salt 48),\n"
	"validity at TIME, the CRL, and, when asked, the endorsement key's TCB and chip.\n"
	"One line per check; exit 0 when all pass, 4 otherwise.\n"
	"With --hashstick, check a wrapped VLEK before vlek-load instead: its size (432\n"
	"bytes) and that it is the binary key, not hex text, a certificate or filler\n"
	"(it is encrypted for the chip: only the firmware can check more).\n"
	"\n"
	HELP_TRUST_ROOT
	"      --tcb SPEC        the key must be for this TCB:\n"
	"                        bl=N,tee=N,snp=N,ucode=N[,fmc=N] or 0x... (raw)\n"
	"      --hwid HEX        the key must be for this chip id (128 hex digits;\n"
	"                        16 on Turin)\n"
	"      --platform        the key must be for this platform's reported TCB and\n"
	"                        chip id (read from the SEV device; exit 5 without one)\n"
	"      --product P       the product when CPUID cannot tell (Milan, Genoa,\n"
	"                        Turin)\n"
	"      --at TIME         check validity at TIME (2025-01-01T00:00:00Z,\n"
	"                        2025-01-01, @EPOCH) instead of now\n"
	"      --hashstick FILE  check this hashstick instead of a table\n"
	"      --json            one JSON document on stdout\n";

/* The one line a table that does not verify gets (on stderr without --json). */
static void failed_verification(const char *path, bool json)
{
	char msg[WHY_MAX];

	snprintf(msg, sizeof(msg), "'%s' failed verification", path);
	if (json)
		error_note(msg);
	else
		err("%s", msg);
}

/* The report; one that did not verify carries "error" (exit 4) too. */
static void print_json(const char *path, bool ok, const struct amd_check_list *l)
{
	struct jout j;

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_table(&j, path);
	jout_bool(&j, "ok", ok);
	checks_json(&j, l);
	if (!ok) {
		failed_verification(path, true);
		jout_error(&j, EXIT_VERIFY);
	}
	jout_object_end(&j);
	jout_finish(&j);
}

/* verify --hashstick FILE: the checks vlek-load makes of it.  0, or an exit status. */
static int verify_hashstick(const struct ctx *ctx, const char *path)
{
	struct amd_check_list checks = { 0 };
	uint8_t *b = NULL;
	size_t n = 0;
	int ret, r;

	ret = hashstick_read(path, &b, &n);
	if (ret)
		return ret;
	r = hashstick_checks(b, n, &checks);
	free(b);
	if (r == -ENOMEM) {
		amd_check_list_free(&checks);
		return cmd_oom();
	}
	if (ctx->json)
		print_json(path, r == 0, &checks);
	else
		checks_print(&checks, ctx->verbosity);
	if (r < 0) {
		if (!ctx->json)
			err("hashstick '%s' failed verification", path);
		ret = EXIT_VERIFY;
	}
	amd_check_list_free(&checks);
	return ret;
}

static int cmd_verify_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_TRUST_ROOT,
		{ "tcb", required_argument, NULL, OPT_TCB },
		{ "hwid", required_argument, NULL, OPT_HWID },
		{ "at", required_argument, NULL, OPT_AT },
		{ "platform", no_argument, NULL, OPT_PLATFORM },
		LONGOPT_PRODUCT,
		{ "hashstick", required_argument, NULL, OPT_HASHSTICK },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_opts vo = { .at = time(NULL) };
	struct platform_id pid;
	struct amd_check_list checks = { 0 };
	struct amd_trust *trust = NULL;
	struct table t = { 0 };
	struct ghcb_entry *e = NULL;
	uint8_t *blob = NULL, *hwid = NULL;
	size_t size = 0, n = 0;
	const char *path, *hwid_arg = NULL, *hashstick = NULL;
	bool platform = false;
	char platform_tcb[24];
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_TCB:
			/* Checked here for form; read in the key's product layout later. */
			if (amd_tcb_spec_check(optarg) < 0)
				return usage_error(ctx, "invalid TCB '%s': want "
						   "bl=N,tee=N,snp=N,ucode=N[,fmc=N] or 0x...", optarg);
			vo.tcb_spec = optarg;
			break;
		case OPT_HWID:
			hwid_arg = optarg;
			break;
		case OPT_PLATFORM:
			platform = true;
			break;
		case OPT_HASHSTICK:
			hashstick = optarg;
			break;
		case OPT_AT:
			if (parse_time(optarg, &vo.at) < 0)
				return usage_error(ctx, "invalid time '%s': want 2025-01-01T00:00:00Z, "
						   "2025-01-01 or @EPOCH", optarg);
			break;
		}
	}
	if (hashstick) {
		if (optind < argc || vo.tcb_spec || hwid_arg || platform || ctx->n_trust_roots)
			return usage_error(ctx, "--hashstick checks a hashstick alone: no table, "
					   "--tcb, --hwid, --platform or --trust-root");
		ret = ctx_load(ctx);
		return ret ? ret : verify_hashstick(ctx, hashstick);
	}
	if (hwid_arg) {
		if (parse_hex(hwid_arg, &hwid, &vo.hwid_len) < 0 ||
		    !amd_chip_id_len_valid(AMD_PRODUCT_UNKNOWN, vo.hwid_len)) {
			ret = usage_error(ctx, "invalid chip id '%s': want 128 hex digits "
					  "(16 on Turin)", hwid_arg);
			goto out;
		}
		vo.hwid = hwid;
	}
	if (platform && (vo.tcb_spec || vo.hwid)) {
		ret = usage_error(ctx, "--platform reads the TCB and chip id from the firmware; "
				  "it does not mix with --tcb or --hwid");
		goto out;
	}
	if (optind != argc - 1) {
		ret = usage_error(ctx, optind == argc ? "no table given" : "give one table");
		goto out;
	}
	path = argv[optind];
	ret = ctx_load(ctx);
	if (ret)
		goto out;
	if (platform) {
		ret = cmd_platform(ctx, &pid);
		if (ret)
			goto out;
		snprintf(platform_tcb, sizeof(platform_tcb), "0x%016llx",
			 (unsigned long long)pid.st.reported_tcb);
		vo.tcb_spec = platform_tcb;
		vo.platform_product = pid.product;
		if (pid.chip_id_known) {
			vo.hwid = pid.chip_id;
			vo.hwid_len = sizeof(pid.chip_id);
		}
	}
	ret = trust_load(ctx, &trust);
	if (ret)
		goto out;
	vo.trust = trust;

	ret = table_file_load(path, ctx->lock_timeout, &blob, &size, &e, &n);
	if (ret == EXIT_VERIFY) {
		/* Malformed: say so as a check, too, for --json users. */
		amd_check_add(&checks, "table", false,
			      "'%s' is not a well-formed certificate table", path);
		if (ctx->json)
			print_json(path, false, &checks);
		goto out;
	}
	if (ret)
		goto out;
	ret = table_from_blob(blob, size, GHCB_ALLOW_LARGE, &t, NULL);
	if (ret == 0 && size <= GHCB_MAX_SIZE)
		ret = amd_check_add(&checks, "table", true, "%zu %s, %zu bytes, well-formed", n,
				    n == 1 ? "entry" : "entries", size);
	else if (ret == 0)
		ret = amd_check_add(&checks, "table", false,
				    "%zu %s, %zu bytes: over the %u KiB Linux guests accept", n,
				    n == 1 ? "entry" : "entries", size, GHCB_MAX_SIZE / 1024);
	if (ret < 0) {
		ret = cmd_oom();
		goto out;
	}
	ret = table_verify(&t, &vo, &checks);
	if (ret == -ENOMEM) {
		ret = cmd_oom();
		goto out;
	}
	if (ctx->json)
		print_json(path, amd_check_list_ok(&checks), &checks);
	else
		checks_print(&checks, ctx->verbosity);
	if (!amd_check_list_ok(&checks)) {
		if (!ctx->json)
			failed_verification(path, false);
		ret = EXIT_VERIFY;
	}
out:
	free(hwid);
	free(e);
	free(blob);
	table_free(&t);
	amd_check_list_free(&checks);
	amd_trust_free(trust);
	return ret;
}

const struct cmd cmd_verify = { "verify", cmd_verify_main,
				"check a table's structure, chain and key", usage, .json = true };
