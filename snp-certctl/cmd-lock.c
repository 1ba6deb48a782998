// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lock: hold the lock on tables while a command runs, like flock(1).
 *
 * Exclusive (default): a writer on each table (the writers' journal lock,
 * recovering an interrupted update first), then the writer-intent byte and
 * the whole-file write lock, exactly as update takes them, so readers of
 * both kinds and other writers wait.  Shared: the reader's lock, as a VMM
 * takes it; readers go on, writers wait.  The tables are locked in one fixed
 * order (sorted by their real paths, the order fw-update uses) within one
 * overall deadline.  Every descriptor is close-on-exec: the command does not
 * inherit the locks; they are released when it has ended.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "lockwait.h"
#include "run.h"
#include "snpcert.h"
#include "store.h"
#include "util.h"

static const char usage[] =
	"Usage: snp-certctl lock [--exclusive | --shared] [--timeout SEC] FILE...\n"
	"                        -- COMMAND [ARG]...\n"
	"\n"
	"Hold the lock on every table FILE while COMMAND runs, then release it.\n"
	"The tables are locked in a fixed order (sorted by real path) within one\n"
	"overall timeout.  Options go before the files; '--' ends the files.\n"
	"\n"
	"  -x, --exclusive       the exclusive (writer's) lock: readers and writers wait\n"
	"                        (the default)\n"
	"  -s, --shared          the shared (reader's) lock: readers go on, writers wait\n"
	"  -w, --timeout SEC     wait at most SEC seconds for all the locks (fractions\n"
	"                        allowed; 0: try once; default: lock_timeout, 10)\n"
	"\n"
	"COMMAND does not inherit the locks.  SIGTERM, SIGINT and SIGHUP sent to\n"
	"snp-certctl are passed on to COMMAND.\n"
	"\n"
	"Exit status: COMMAND's (128+N if it was killed by signal N), 126 if it cannot\n"
	"be run, 127 if it is not found, 3 if the locks were not had in time (COMMAND\n"
	"not run), 1 or 2 for other failures before COMMAND ran.\n";

struct held {
	const char *path;  /* as given */
	struct snpcert_writer *w;
	struct snpcert_file *f;
};

static int cmd_lock_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "shared", no_argument, NULL, 's' },
		{ "exclusive", no_argument, NULL, 'x' },
		LONGOPT_TIMEOUT,
		{ NULL, 0, NULL, 0 },
	};
	struct lock_ref *refs = NULL;
	struct held *h = NULL;
	struct sc_deadline d;
	struct why why;
	bool shared = false;
	size_t n = 0, bad = 0;
	int c, dd = -1, wstatus = 0, ret;

	while ((c = getopt_long(argc, argv, "+:sxw:" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		/* -w is --timeout, as in flock(1). */
		if (common_option(ctx, c == 'w' ? OPT_TIMEOUT : c, optarg, argv))
			continue;
		switch (c) {
		case 's':
			shared = true;
			break;
		case 'x':
			shared = false;
			break;
		}
	}
	/* getopt ate a "--" that came right after the options: no files. */
	if (optind > 0 && strcmp(argv[optind - 1], "--") == 0) {
		ret = usage_error(ctx, "no table given before '--'");
		goto out;
	}
	dd = run_split(argc, argv, optind);
	if (dd < 0) {
		ret = usage_error(ctx, "no command: give FILE... -- COMMAND [ARG]...");
		goto out;
	}
	if (dd == optind) {
		ret = usage_error(ctx, "no table given before '--'");
		goto out;
	}
	if (dd + 1 >= argc) {
		ret = usage_error(ctx, "no command after '--'");
		goto out;
	}
	for (int i = optind; i < dd; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			ret = usage_error(ctx, "option '%s' after a file: options go before the "
					  "files", argv[i]);
			goto out;
		}
	}
	ret = ctx_load(ctx);
	if (ret)
		goto out;

	/* One order for everybody, so two lockers of the same tables cannot deadlock. */
	ret = lock_order(argv + optind, (size_t)(dd - optind), &refs, &n, &bad);
	if (ret) {
		if (ret == -ENOMEM) {
			ret = cmd_oom();
		} else {
			err("cannot lock '%s': %s", argv[optind + (int)bad], strerror(-ret));
			ret = EXIT_FAIL;
		}
		goto out;
	}
	h = calloc(n ? n : 1, sizeof(*h));
	if (!h) {
		ret = cmd_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		h[i].path = refs[i].path;

	sc_deadline_init(&d, ctx->lock_timeout);
	for (size_t i = 0; i < n; i++) {
		if (shared) {
			ret = snpcert_open(h[i].path, &h[i].f);
			if (ret < 0)
				ret = lockwait_why(h[i].path, ret, &d, &why);
			else
				ret = lockwait_reader_lock(h[i].f, h[i].path, &d, &why);
		} else {
			ret = lockwait_writer_open(h[i].path, &d, &h[i].w, &why);
			if (ret == 0)
				ret = lockwait_writer_lock(h[i].w, h[i].path, &d, &why);
		}
		if (ret) {
			ret = cmd_error(ret, &why);
			goto out;
		}
		debug("locked '%s' (%s)", h[i].path, shared ? "shared" : "exclusive");
	}
	ret = run_command(argv + dd + 1, 0, &wstatus, &why);
	if (ret)
		err("%s", why.msg);
	/* Not executed: 127 or 126, as a shell says; not started: 1. */
	ret = wstatus ? run_exit_code(wstatus) : exit_status(ret);
out:
	/* Released in reverse order. */
	for (size_t i = n; h && i-- > 0;) {
		snpcert_writer_close(h[i].w);
		snpcert_close(h[i].f);
	}
	free(h);
	lock_order_free(refs, n);
	return ret;
}

const struct cmd cmd_lock = { "lock", cmd_lock_main, "hold the lock on tables while a command runs",
			      usage, .json = false };
