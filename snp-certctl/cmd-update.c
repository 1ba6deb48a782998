// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * update: replace, add or remove entries of an existing table, in place
 * and crash-safe under the lock protocol (lock-protocol.md).
 *
 * Everything that can happen before the exclusive lock happens before it:
 * the inputs are read (and the trust roots loaded) before the writer is
 * opened; then, holding only the writers' journal lock, the current table is
 * read, edited, encoded, verified and written to the journal.  Under the
 * exclusive lock only the in-place write happens.  Entries not named keep
 * their bytes and their place; new ones are appended in the build order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs.h"
#include "cmd.h"
#include "install.h"
#include "json.h"
#include "snpcert.h"
#include "table.h"
#include "util.h"

#define MAX_REMOVE 64

struct update_args {
	const char *path;
	struct table_inputs in;
	struct {
		uint8_t guid[GHCB_GUID_LEN];
		const char *arg; /* as given, for messages */
	} remove[MAX_REMOVE];
	size_t n_remove;
	char *trust_roots[16];
	size_t n_trust;
	double timeout_s;
	bool timeout_given, no_verify;
};

enum { OPT_VCEK = OPT_COMMON_LAST, OPT_VLEK, OPT_ASK, OPT_ASVK, OPT_ARK, OPT_CRL,
       OPT_ENTRY, OPT_REMOVE, OPT_TIMEOUT, OPT_NO_VERIFY, OPT_TRUST_ROOT };

static const char usage[] =
	"Usage: snp-certctl update FILE [--vcek FILE | --vlek FILE] [--ask FILE | --asvk FILE]\n"
	"                          [--ark FILE] [--crl FILE] [--entry GUID=FILE]...\n"
	"                          [--remove GUID|KIND]... [--timeout SEC] [--no-verify]\n"
	"                          [--trust-root PEM]... [--json]\n"
	"\n"
	"Replace, add or remove entries of the table FILE, in place (same inode) and\n"
	"crash-safe: the new table is journaled first, then written under the exclusive\n"
	"lock.  Entries not named keep their bytes and their place; new entries are\n"
	"appended in the build order (VCEK or VLEK, ASK or ASVK, ARK, CRL, extra entries).\n"
	"An interrupted earlier update is completed (or rolled back) first.  If the\n"
	"result equals the table, nothing is written and no lock is taken.\n"
	"\n"
	"      --vcek FILE       put this VCEK into the table\n"
	"      --vlek FILE       put this VLEK into the table\n"
	"      --ask FILE        put this ASK into the ASK/ASVK slot\n"
	"      --asvk FILE       put this ASVK into the ASK/ASVK slot\n"
	"      --ark FILE        put this ARK into the table\n"
	"      --crl FILE        put this CRL (DER or PEM) into the table\n"
	"      --entry GUID=FILE put this opaque entry into the table, byte for byte\n"
	"      --remove GUID|KIND\n"
	"                        remove an entry: a GUID or one of vcek, vlek, ask, asvk\n"
	"                        (the same slot), ark, crl (repeatable); a missing one\n"
	"                        is an error\n"
	"      --timeout SEC     wait at most SEC seconds for the locks (fractions allowed;\n"
	"                        0: try once; default: lock_timeout, 10)\n"
	"      --no-verify       do not verify the resulting chain (test keys)\n"
	"      --trust-root PEM  also trust this AMD root (repeatable)\n"
	"      --json            print the result as JSON\n"
	"\n"
	"Exit status: 0 updated or unchanged, 1 failure (nothing changed), 2 usage,\n"
	"3 the lock was not had in time (nothing changed), 4 the result does not verify\n"
	"or the table is malformed (nothing changed).\n";

static int parse_remove(const struct ctx *ctx, struct update_args *a, const char *arg)
{
	static const struct {
		const char *name;
		enum ghcb_kind kind;
	} kinds[] = {
		{ "vcek", GHCB_KIND_VCEK }, { "vlek", GHCB_KIND_VLEK }, { "ask", GHCB_KIND_ASK },
		{ "asvk", GHCB_KIND_ASK },  { "ark", GHCB_KIND_ARK },   { "crl", GHCB_KIND_CRL },
	};
	uint8_t guid[GHCB_GUID_LEN];
	bool found = false;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !found; i++) {
		if (strcasecmp(arg, kinds[i].name) == 0) {
			memcpy(guid, ghcb_kind_guid(kinds[i].kind), GHCB_GUID_LEN);
			found = true;
		}
	}
	if (!found && ghcb_guid_parse(arg, guid) < 0)
		return usage_error(ctx, "--remove wants a GUID or one of vcek, vlek, ask, asvk, "
				   "ark, crl, not '%s'", arg);
	for (size_t i = 0; i < a->n_remove; i++)
		if (memcmp(a->remove[i].guid, guid, GHCB_GUID_LEN) == 0)
			return usage_error(ctx, "--remove %s given twice", arg);
	if (a->n_remove == MAX_REMOVE)
		return usage_error(ctx, "more than %d --remove options", MAX_REMOVE);
	memcpy(a->remove[a->n_remove].guid, guid, GHCB_GUID_LEN);
	a->remove[a->n_remove].arg = arg;
	a->n_remove++;
	return 0;
}

/* A removed entry must not also be set: say which option sets it. */
static int check_conflicts(const struct ctx *ctx, const struct update_args *a)
{
	static const struct {
		enum certdir_kind file;
		enum ghcb_kind slot;
		const char *opt;
	} sets[] = {
		{ CERTDIR_VCEK, GHCB_KIND_VCEK, "--vcek" }, { CERTDIR_VLEK, GHCB_KIND_VLEK, "--vlek" },
		{ CERTDIR_ASK, GHCB_KIND_ASK, "--ask" },    { CERTDIR_ASVK, GHCB_KIND_ASK, "--asvk" },
		{ CERTDIR_ARK, GHCB_KIND_ARK, "--ark" },    { CERTDIR_CRL, GHCB_KIND_CRL, "--crl" },
	};

	for (size_t r = 0; r < a->n_remove; r++) {
		const uint8_t *g = a->remove[r].guid;

		for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
			if (a->in.file[sets[i].file] &&
			    memcmp(ghcb_kind_guid(sets[i].slot), g, GHCB_GUID_LEN) == 0)
				return usage_error(ctx, "--remove %s conflicts with %s",
						   a->remove[r].arg, sets[i].opt);
		for (size_t i = 0; i < a->in.n_extra; i++)
			if (memcmp(a->in.extra[i].guid, g, GHCB_GUID_LEN) == 0)
				return usage_error(ctx, "--remove %s conflicts with --entry",
						   a->remove[r].arg);
	}
	return 0;
}

static void report(const struct ctx *ctx, const char *path, const char *action, size_t n,
		   size_t size)
{
	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "file", path);
		json_string(&j, "action", action);
		json_uint(&j, "entries", n);
		json_uint(&j, "size", size);
		json_object_end(&j);
		json_finish(&j);
	} else if (ctx->verbosity >= 0) {
		printf("%s %s: %zu entries, %zu bytes\n", action, path, n, size);
	}
}

static int cmd_update_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "vcek", required_argument, NULL, OPT_VCEK },
		{ "vlek", required_argument, NULL, OPT_VLEK },
		{ "ask", required_argument, NULL, OPT_ASK },
		{ "asvk", required_argument, NULL, OPT_ASVK },
		{ "ark", required_argument, NULL, OPT_ARK },
		{ "crl", required_argument, NULL, OPT_CRL },
		{ "entry", required_argument, NULL, OPT_ENTRY },
		{ "remove", required_argument, NULL, OPT_REMOVE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ "trust-root", required_argument, NULL, OPT_TRUST_ROOT },
		{ NULL, 0, NULL, 0 },
	};
	static const enum certdir_kind by_opt[] = {
		[OPT_VCEK - OPT_VCEK] = CERTDIR_VCEK, [OPT_VLEK - OPT_VCEK] = CERTDIR_VLEK,
		[OPT_ASK - OPT_VCEK] = CERTDIR_ASK,   [OPT_ASVK - OPT_VCEK] = CERTDIR_ASVK,
		[OPT_ARK - OPT_VCEK] = CERTDIR_ARK,   [OPT_CRL - OPT_VCEK] = CERTDIR_CRL,
	};
	struct update_args a = { 0 };
	struct amd_trust *trust = NULL;
	struct snpcert_writer *w = NULL;
	struct table add = { 0 }, t = { 0 };
	struct lock_deadline d;
	struct ghcb_diag diag;
	uint8_t *cur = NULL, *blob = NULL;
	size_t cur_len = 0, size = 0;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_VCEK: case OPT_VLEK: case OPT_ASK: case OPT_ASVK: case OPT_ARK:
		case OPT_CRL:
			if (a.in.file[by_opt[c - OPT_VCEK]]) {
				ret = usage_error(ctx, "--%s given twice",
						  certdir_stem(by_opt[c - OPT_VCEK]));
				goto out;
			}
			a.in.file[by_opt[c - OPT_VCEK]] = optarg;
			break;
		case OPT_ENTRY:
			ret = table_inputs_parse_entry(ctx, &a.in, optarg);
			if (ret)
				goto out;
			break;
		case OPT_REMOVE:
			ret = parse_remove(ctx, &a, optarg);
			if (ret)
				goto out;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, &a.timeout_s) < 0) {
				ret = usage_error(ctx, "invalid --timeout '%s': want seconds, "
						  "e.g. 10 or 0.5", optarg);
				goto out;
			}
			a.timeout_given = true;
			break;
		case OPT_NO_VERIFY:
			a.no_verify = true;
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
	if (optind >= argc) {
		ret = usage_error(ctx, "no table given");
		goto out;
	}
	a.path = argv[optind++];
	if (optind < argc) {
		ret = usage_error(ctx, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!table_inputs_any(&a.in) && a.n_remove == 0) {
		ret = usage_error(ctx, "nothing to do: give entries to put (--vcek, --entry, ...) "
				  "or to --remove");
		goto out;
	}
	if (a.in.file[CERTDIR_VCEK] && a.in.file[CERTDIR_VLEK]) {
		ret = usage_error(ctx, "give one of --vcek and --vlek");
		goto out;
	}
	if (a.in.file[CERTDIR_ASK] && a.in.file[CERTDIR_ASVK]) {
		ret = usage_error(ctx, "--ask and --asvk share one slot: give one of them");
		goto out;
	}
	ret = check_conflicts(ctx, &a);
	if (ret)
		goto out;
	ret = ctx_load(ctx);
	if (ret)
		goto out;
	if (!a.timeout_given)
		a.timeout_s = ctx->lock_timeout;

	/* Read every input before taking any lock. */
	ret = table_inputs_apply(&a.in, false, &add);
	if (ret == 0 && !a.no_verify)
		ret = trust_load(ctx, a.trust_roots, a.n_trust, &trust);
	if (ret)
		goto out;

	lock_deadline_init(&d, a.timeout_s);
	ret = writer_open_report(a.path, &d, &w);
	if (ret)
		goto out;
	ret = snpcert_writer_read(w, &cur, &cur_len);
	if (ret < 0) {
		ret = writer_error(a.path, ret, &d);
		goto out;
	}
	ret = table_from_blob(cur, cur_len, GHCB_ALLOW_LARGE, &t, &diag);
	if (ret < 0) {
		if (ret == -ENOMEM)
			err("out of memory");
		else
			err("'%s' is malformed at byte %zu: %s", a.path, diag.offset,
			    ghcb_strerror(diag.code));
		ret = ret == -ENOMEM ? EXIT_FAIL : EXIT_VERIFY;
		goto out;
	}
	for (size_t i = 0; i < a.n_remove; i++) {
		if (table_remove(&t, a.remove[i].guid) < 0) {
			err("cannot remove %s from '%s': the table has no such entry",
			    a.remove[i].arg, a.path);
			ret = EXIT_FAIL;
			goto out;
		}
	}
	for (size_t i = 0; i < add.n; i++) {
		if (table_set(&t, add.items[i].guid, add.items[i].data, add.items[i].len) < 0) {
			err("out of memory");
			ret = EXIT_FAIL;
			goto out;
		}
	}
	ret = table_encode_report(&t, &blob, &size);
	if (ret)
		goto out;
	if (!a.no_verify) {
		ret = table_verify_report(&t, trust, a.path);
		if (ret)
			goto out;
	}
	if (size == cur_len && memcmp(blob, cur, size) == 0) {
		report(ctx, a.path, "unchanged", t.n, size);
		ret = 0;
		goto out;
	}
	ret = writer_install(w, a.path, blob, size, &d);
	if (ret)
		goto out;
	report(ctx, a.path, "updated", t.n, size);
out:
	snpcert_writer_close(w);
	free(blob);
	free(cur);
	table_free(&t);
	table_free(&add);
	amd_trust_free(trust);
	table_inputs_free(&a.in);
	return ret;
}

const struct cmd cmd_update = { "update", cmd_update_main, "replace entries of a table in place",
				usage };
