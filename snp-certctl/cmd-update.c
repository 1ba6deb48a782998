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
#include "json.h"
#include "snpcert.h"
#include "table.h"
#include "util.h"
#include "workflow.h"

#define MAX_REMOVE 64

struct update_args {
	const char *path;
	struct table_inputs in;
	struct {
		uint8_t guid[GHCB_GUID_LEN];
		const char *arg; /* as given, for messages */
	} remove[MAX_REMOVE];
	size_t n_remove;
	bool no_verify;
};

enum { OPT_REMOVE = OPT_TABLE_LAST, OPT_NO_VERIFY };

static const char usage[] =
	"Usage: snp-certctl update FILE [--vcek FILE | --vlek FILE]\n"
	"                          [--ask FILE | --asvk FILE] [--ark FILE] [--crl FILE]\n"
	"                          [--entry GUID=FILE]...\n"
	"                          [--remove GUID|KIND]... [--timeout SEC] [--no-verify]\n"
	"                          [--trust-root PEM]... [--json]\n"
	"\n"
	"Replace, add or remove entries of the table FILE, in place (same inode) and\n"
	"crash-safe: the new table is journaled first, then written under the exclusive\n"
	"lock.  Entries not named keep their bytes and their place; new entries are\n"
	"appended in the build order (VCEK or VLEK, ASK or ASVK, ARK, CRL, extra\n"
	"entries).\n"
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
	HELP_TIMEOUT
	"      --no-verify       do not verify the resulting chain (test keys)\n"
	HELP_TRUST_ROOT
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

/* One run of update, for the driver's steps. */
struct upd {
	struct update_args a;
	struct table add;
	struct amd_trust *trust;
	size_t entries, size; /* of the result */
};

/* The table as the writer read it, with the edits; verified unless --no-verify. */
static int stage(struct workflow *wf, void *arg, struct why *why)
{
	struct upd *u = arg;
	struct wf_table *t = workflow_table(wf, 0);
	int rc;

	why->msg[0] = '\0';
	if (!t->member)
		return 0; /* it could not be read: said */
	/* Removing what is not there changes nothing: playbooks run twice. */
	for (size_t i = 0; i < u->a.n_remove; i++)
		if (table_remove(&t->t, u->a.remove[i].guid) < 0)
			info("'%s' has no %s entry: nothing to remove", t->path,
			     u->a.remove[i].arg);
	for (size_t i = 0; i < u->add.n; i++) {
		if (table_set(&t->t, u->add.items[i].guid, u->add.items[i].data,
			      u->add.items[i].len) < 0) {
			wf_set(t, WF_FAILED, -ENOMEM, "out of memory");
			return why_set(why, -ENOMEM, "out of memory");
		}
	}
	if (!u->a.no_verify) {
		rc = table_verify_report(&t->t, u->trust, t->path);
		if (rc) {
			wf_set(t, WF_FAILED, rc, "the new table does not verify");
			return rc;
		}
	}
	rc = wf_stage(t, &t->t, NULL);
	u->entries = t->t.n;
	u->size = t->action == WF_UPDATE ? t->next_len : t->cur_len;
	return rc;
}

static void print(struct workflow *wf, void *arg)
{
	const struct upd *u = arg;
	const struct wf_table *t = workflow_table(wf, 0);

	if (t->action == WF_UPDATED || t->action == WF_UNCHANGED)
		table_report(workflow_ctx(wf), t->path, wf_action_name(t->action), u->entries,
			     u->size);
}

static const struct workflow_ops update_ops = {
	.command = "update",
	.flags = WF_NO_HOOKS,
	.stage = stage,
	.print = print,
};

static int cmd_update_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		TABLE_INPUTS_LONGOPTS,
		{ "remove", required_argument, NULL, OPT_REMOVE },
		LONGOPT_TIMEOUT,
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		LONGOPT_TRUST_ROOT,
		{ NULL, 0, NULL, 0 },
	};
	struct upd u = { 0 };
	struct update_args *a = &u.a;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_REMOVE:
			ret = parse_remove(ctx, a, optarg);
			if (ret)
				goto out;
			break;
		case OPT_NO_VERIFY:
			a->no_verify = true;
			break;
		default:
			ret = table_inputs_option(ctx, &a->in, c, optarg);
			if (ret)
				goto out;
			break;
		}
	}
	if (optind >= argc) {
		ret = usage_error(ctx, "no table given");
		goto out;
	}
	a->path = argv[optind++];
	if (optind < argc) {
		ret = usage_error(ctx, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!table_inputs_any(&a->in) && a->n_remove == 0) {
		ret = usage_error(ctx, "nothing to do: give entries to put (--vcek, --entry, ...) "
				  "or to --remove");
		goto out;
	}
	if (a->in.file[CERTDIR_VCEK] && a->in.file[CERTDIR_VLEK]) {
		ret = usage_error(ctx, "give one of --vcek and --vlek");
		goto out;
	}
	if (a->in.file[CERTDIR_ASK] && a->in.file[CERTDIR_ASVK]) {
		ret = usage_error(ctx, "--ask and --asvk share one slot: give one of them");
		goto out;
	}
	ret = check_conflicts(ctx, a);
	if (ret)
		goto out;
	ret = ctx_load(ctx);
	if (ret)
		goto out;

	/* Read every input before taking any lock. */
	ret = table_inputs_apply(&a->in, false, &u.add);
	if (ret == 0 && !a->no_verify)
		ret = trust_load(ctx, &u.trust);
	if (ret)
		goto out;
	ret = workflow_run(ctx, &update_ops, &u, (char *const *)&a->path, 1);
out:
	table_free(&u.add);
	amd_trust_free(u.trust);
	table_inputs_free(&a->in);
	return ret;
}

const struct cmd cmd_update = { "update", cmd_update_main, "replace entries of a table in place",
				usage, .json = true };
