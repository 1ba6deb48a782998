// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * recover: finish or roll back updates that were interrupted (a crash, a
 * power loss, SIGKILL): a good journal is replayed, a torn one discarded
 * (the table was not touched before its journal was durable).  Every writer
 * does this first anyway; recover does it at boot, or for inspection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "lockwait.h"
#include "json.h"
#include "sev-store.h"
#include "snpcert.h"
#include "store.h"
#include "table.h"
#include "util.h"

static const char usage[] =
	"Usage: snp-certctl recover [FILE...] [--timeout SEC] [--json]\n"
	"\n"
	"Complete or roll back an interrupted update of each table FILE (default:\n"
	"every table in the store, in name order; names starting with '.' are not\n"
	"tables).  Says per table: clean (nothing to do), replayed (the update was\n"
	"completed from its journal) or discarded (a torn journal was dropped; the\n"
	"table had not been touched); then that the table is well formed.  Without\n"
	"FILE, the store's SEV chain (sev/, written by sev-export) too: an export\n"
	"that reached its commit point is completed, one that did not is dropped.\n"
	"\n"
	"      --timeout SEC     wait at most SEC seconds for each table's locks\n"
	"                        (fractions allowed; 0: try once; default: lock_timeout)\n"
	"      --json            print the result as JSON:\n"
	"                        {\"tables\":[{\"file\",\"path\",\"result\"}],\n"
	"                        \"sev\":{\"path\",\"result\"}}, result one of clean,\n"
	"                        replayed, discarded, malformed, busy, error; \"sev\"\n"
	"                        when the store has a SEV chain\n"
	"\n"
	"Exit status: 0, 1 if a table could not be recovered, 4 if one is no table (it\n"
	"was zeroed or cut short outside the protocol: rebuild it), 3 if a lock was not\n"
	"had in time (and nothing else failed).\n";

static const char *outcome_name(int outcome)
{
	switch (outcome) {
	case SNPCERT_RECOVER_REPLAYED:
		return "replayed";
	case SNPCERT_RECOVER_DISCARDED:
		return "discarded";
	default:
		return "clean";
	}
}

static const char *outcome_text(int outcome)
{
	switch (outcome) {
	case SNPCERT_RECOVER_REPLAYED:
		return "replayed: the interrupted update was completed";
	case SNPCERT_RECOVER_DISCARDED:
		return "discarded: a torn journal was dropped, the table was not touched";
	default:
		return "clean";
	}
}

/*
 * After recovery, is path a table at all?  One zeroed or cut short outside
 * the protocol has no journal to recover it from: 0, or -ERR_VERIFY (or
 * another code) with why.
 */
static int well_formed(const char *path, const struct sc_deadline *d, struct why *why)
{
	struct table t = { 0 };
	struct ghcb_diag diag;
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	r = lockwait_read_table(path, d, GHCB_PARSE_LIMIT, &blob, &len, why);
	if (r == 0) {
		r = table_from_blob(blob, len, GHCB_ALLOW_LARGE, &t, &diag);
		if (r == -ENOMEM)
			r = why_set(why, r, "out of memory");
		else if (r < 0)
			r = why_set(why, -ERR_VERIFY, "'%s': no interrupted update to complete, but "
				    "it is not a well-formed certificate table (at byte %zu: %s); "
				    "rebuild it with 'snp-certctl build --force -o %s ...'", path,
				    diag.offset, ghcb_strerror(diag.code), path);
	}
	table_free(&t);
	free(blob);
	return r;
}

/* The store's SEV chain, when there is one: 0 or an exit status after the message. */
static int recover_sev(const struct ctx *ctx, struct jout *j)
{
	char *dir = sev_store_dir(ctx, NULL);
	struct sc_deadline d;
	struct why why = { 0 };
	struct stat st;
	int outcome = SNPCERT_RECOVER_CLEAN, r;

	if (!dir)
		return cmd_oom();
	if (lstat(dir, &st) < 0 && errno == ENOENT) {
		free(dir);
		return 0;
	}
	sc_deadline_init(&d, ctx->lock_timeout);
	r = sev_set_recover(dir, &d, &outcome, &why);
	if (r)
		r = cmd_error(r, &why);
	if (j) {
		jout_object_begin(j, "sev");
		jout_string(j, "path", dir);
		jout_string(j, "result", r == EXIT_LOCK ? "busy" : r ? "error" : outcome_name(outcome));
		jout_object_end(j);
	} else if (r == 0 && (ctx->verbosity >= 0 || outcome != SNPCERT_RECOVER_CLEAN)) {
		tprintf("%s: %s\n", dir, outcome == SNPCERT_RECOVER_REPLAYED ?
			"replayed: the interrupted SEV chain export was completed" :
			outcome == SNPCERT_RECOVER_DISCARDED ?
			"discarded: an export that had not reached its commit point was dropped, "
			"the chain was not touched" : "clean");
	}
	free(dir);
	return r;
}

static int cmd_recover_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_TIMEOUT,
		{ NULL, 0, NULL, 0 },
	};
	char **store = NULL;
	char *const *paths;
	struct why why;
	size_t n = 0;
	bool busy = false, failed = false, malformed = false;
	struct jout j;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1)
		common_option(ctx, c, optarg, argv);
	ret = ctx_load(ctx);
	if (ret)
		goto out;
	ret = cmd_tables(ctx, argc, argv, &store, &paths, &n);
	if (ret)
		goto out;
	if (optind >= argc && n == 0)
		info("no tables in the store '%s'", ctx_get(ctx, SET_STORE));

	if (ctx->json) {
		jout_init(&j, stdout);
		jout_object_begin(&j, NULL);
		jout_array_begin(&j, "tables");
	}
	for (size_t i = 0; i < n; i++) {
		struct sc_deadline d;
		int outcome = SNPCERT_RECOVER_CLEAN;
		int r;

		sc_deadline_init(&d, ctx->lock_timeout);
		r = lockwait_recover(paths[i], &d, &outcome, &why);
		if (r == 0)
			r = well_formed(paths[i], &d, &why);
		if (r)
			r = cmd_error(r, &why);
		if (r == EXIT_LOCK)
			busy = true;
		else if (r == EXIT_VERIFY)
			malformed = true;
		else if (r)
			failed = true;
		if (ctx->json) {
			jout_object_begin(&j, NULL);
			jout_table(&j, paths[i]);
			jout_string(&j, "result", r == EXIT_LOCK ? "busy" : r == EXIT_VERIFY ?
					"malformed" : r ? "error" : outcome_name(outcome));
			jout_object_end(&j);
		} else if (r == 0 && (ctx->verbosity >= 0 || outcome != SNPCERT_RECOVER_CLEAN)) {
			tprintf("%s: %s\n", paths[i], outcome_text(outcome));
		}
	}
	if (ctx->json)
		jout_array_end(&j);
	if (optind >= argc) {
		int r = recover_sev(ctx, ctx->json ? &j : NULL);

		busy |= r == EXIT_LOCK;
		failed |= r && r != EXIT_LOCK;
	}
	ret = failed ? EXIT_FAIL : malformed ? EXIT_VERIFY : busy ? EXIT_LOCK : 0;
	if (ctx->json) {
		if (ret)
			jout_error(&j, ret);
		jout_object_end(&j);
		jout_finish(&j);
	}
out:
	store_free(store, n);
	return ret;
}

const struct cmd cmd_recover = { "recover", cmd_recover_main,
				 "finish or roll back interrupted updates", usage, .json = true };
