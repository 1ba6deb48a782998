// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * build: make a GHCB certificate table from certificate files.  The chain
 * is verified and the table checked before anything is written; a new table
 * appears whole (temporary file, fsync, rename), an existing one is only
 * replaced with --force, in place under the lock.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certdir.h"
#include "certs.h"
#include "cmd.h"
#include "workflow.h"
#include "json.h"
#include "table.h"
#include "util.h"

struct build_args {
	const char *out;
	struct table_inputs in; /* what goes into the table */
	const char *from_dir;
	bool no_verify, force;
};

enum { OPT_NO_VERIFY = OPT_TABLE_LAST, OPT_FORCE, OPT_FROM_DIR };

static const char usage[] =
	"Usage: snp-certctl build -o OUT (--vcek FILE | --vlek FILE)\n"
	"                         [--ask FILE | --asvk FILE] [--ark FILE] [--crl FILE]\n"
	"                         [--entry GUID=FILE]...\n"
	"                         [--no-verify] [--force] [--trust-root PEM]... [--json]\n"
	"       snp-certctl build -o OUT --from-dir DIR [--no-verify] [--force]\n"
	"                         [--trust-root PEM]... [--json]\n"
	"\n"
	"Build a GHCB certificate table.  Inputs are PEM or DER; the table holds DER.\n"
	"Omitted ARK, ASK or ASVK come from the built-in AMD roots for the key's\n"
	"product.\n"
	"Entry order: VCEK or VLEK, ASK or ASVK, ARK, CRL, extra entries as given.\n"
	"\n"
	"  -o, --output OUT      the table to write (refused if it exists, unless\n"
	"                        --force)\n"
	"      --vcek FILE       the VCEK (chip endorsement key certificate)\n"
	"      --vlek FILE       the VLEK (loaded endorsement key certificate)\n"
	"      --ask FILE        the ASK that signed the VCEK\n"
	"      --asvk FILE       the ASVK that signed the VLEK\n"
	"      --ark FILE        the AMD root key\n"
	"      --crl FILE        the CRL (DER or PEM), signed by the ARK\n"
	"      --entry GUID=FILE an opaque extra entry, kept byte for byte\n"
	"      --from-dir DIR    take the files from a certificate directory:\n"
	"                        ark.pem|der, ask.*, asvk.*, vcek.*, vlek.*, crl.der\n"
	"                        or *.crl, <guid>.bin\n"
	"      --no-verify       do not verify the chain (test keys)\n"
	"      --force           replace an existing OUT, in place under the lock\n"
	HELP_TRUST_ROOT
	"      --json            print the result as JSON\n";

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
			ret = cmd_oom();
			continue;
		}
		if (k == CERTDIR_EXTRA) {
			ret = table_inputs_add_extra(ctx, &a->in, guid, path, path);
		} else if (a->in.file[k]) {
			err("'%s' holds two %s files: '%s' and '%s'", a->from_dir, certdir_stem(k),
			    a->in.file[k], path);
			free(path);
			ret = EXIT_USAGE;
		} else {
			a->in.file[k] = a->in.owned[k] = path;
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!ret && !a->in.file[CERTDIR_VCEK] && !a->in.file[CERTDIR_VLEK]) {
		err("'%s' holds no vcek.* or vlek.* file", a->from_dir);
		ret = EXIT_USAGE;
	}
	if (!ret && a->in.file[CERTDIR_VCEK] && a->in.file[CERTDIR_VLEK]) {
		err("'%s' holds both a VCEK and a VLEK; build one table per key", a->from_dir);
		ret = EXIT_USAGE;
	}
	return ret;
}

/* An absolute form of path (cwd-relative made absolute), in buf, no trailing '/'. */
static void absolute(const char *path, char *buf, size_t size)
{
	char cwd[PATH_MAX];
	size_t n;

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		n = (size_t)snprintf(buf, size, "%s/%s", cwd, path);
	else
		n = (size_t)snprintf(buf, size, "%s", path);
	if (n >= size)
		n = size - 1;
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

/*
 * OUT could not be written for lack of its directory: say how to make it,
 * the store as the store wants it (root's, 0755; see store.c).
 */
static void say_missing_dir(const struct ctx *ctx, const char *out, struct why *why)
{
	char dir[PATH_MAX], abs_dir[PATH_MAX], abs_store[PATH_MAX];
	const char *slash = strrchr(out, '/');
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - out) : 1, slash ? out : ".");
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	if (stat(dir, &st) == 0 || errno != ENOENT)
		return;
	absolute(dir, abs_dir, sizeof(abs_dir));
	absolute(ctx_get(ctx, SET_STORE), abs_store, sizeof(abs_store));
	if (strcmp(abs_dir, abs_store) == 0)
		why_set(why, -ENOENT,
			"cannot write '%s': the store '%s' does not exist: create it with "
			"'install -d -m 0755 -o root -g root %s'", out, dir, dir);
	else
		why_set(why, -ENOENT,
			"cannot write '%s': the directory '%s' does not exist: create it first "
			"(mkdir -p %s)", out, dir, dir);
}

/* build --force on an existing table: its new contents, written in place. */
struct replace {
	const uint8_t *blob;
	size_t len, entries;
};

static int replace_stage(struct workflow *wf, void *arg, struct why *why)
{
	const struct replace *r = arg;
	struct wf_table *t = workflow_table(wf, 0);

	why->msg[0] = '\0';
	return t->member ? wf_stage_blob(t, r->blob, r->len) : 0;
}

static void replace_print(struct workflow *wf, void *arg)
{
	const struct replace *r = arg;
	const struct wf_table *t = workflow_table(wf, 0);

	if (t->action == WF_UPDATED || t->action == WF_UNCHANGED)
		table_report(workflow_ctx(wf), t->path, "built", r->entries, r->len);
}

static const struct workflow_ops replace_ops = {
	.command = "build",
	.flags = WF_NO_HOOKS,
	.stage = replace_stage,
	.print = replace_print,
};

static int cmd_build_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "output", required_argument, NULL, 'o' },
		TABLE_INPUTS_LONGOPTS,
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "from-dir", required_argument, NULL, OPT_FROM_DIR },
		LONGOPT_TRUST_ROOT,
		{ NULL, 0, NULL, 0 },
	};
	struct build_args a = { 0 };
	struct amd_trust *trust = NULL;
	struct table t = { 0 };
	uint8_t *blob = NULL;
	size_t size = 0;
	struct why why;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":o:" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case 'o':
			a.out = optarg;
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
		default:
			ret = table_inputs_option(ctx, &a.in, c, optarg);
			if (ret)
				goto out;
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
	if (a.from_dir && table_inputs_any(&a.in)) {
		ret = usage_error(ctx, "--from-dir takes every file from the directory; "
				       "it does not mix with --vcek, --ask, --entry, ...");
		goto out;
	}
	if (!a.from_dir && !a.in.file[CERTDIR_VCEK] == !a.in.file[CERTDIR_VLEK]) {
		ret = usage_error(ctx, "give exactly one of --vcek and --vlek (or --from-dir)");
		goto out;
	}
	if (a.in.file[CERTDIR_ASK] && a.in.file[CERTDIR_ASVK]) {
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

	ret = table_inputs_apply(&a.in, true, &t);
	if (ret)
		goto out;
	ret = table_encode_report(&t, &blob, &size);
	if (ret)
		goto out;
	if (!a.no_verify) {
		ret = trust_load(ctx, &trust);
		if (ret == 0)
			ret = table_verify_report(&t, trust, a.out);
		if (ret)
			goto out;
	}

	ret = write_file_atomic(a.out, blob, size, 0644, WRITE_DEVICE, &why);
	if (ret == -EEXIST && a.force) {
		/* An existing table keeps its inode: replaced in place, under the lock. */
		struct replace r = { .blob = blob, .len = size, .entries = t.n };

		ret = workflow_run(ctx, &replace_ops, &r, (char *const *)&a.out, 1);
	} else if (ret == -EEXIST) {
		err("'%s' exists: use --force to replace it in place", a.out);
		ret = EXIT_FAIL;
	} else if (ret < 0) {
		if (ret == -ENOENT)
			say_missing_dir(ctx, a.out, &why);
		err("%s", why.msg);
		ret = EXIT_FAIL;
	} else {
		table_report(ctx, a.out, "built", t.n, size);
	}
out:
	free(blob);
	table_free(&t);
	amd_trust_free(trust);
	table_inputs_free(&a.in);
	return ret;
}

const struct cmd cmd_build = { "build", cmd_build_main, "build a certificate table", usage, .json = true };
