// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * locks: who holds or waits for a lock on each table (and on its journal,
 * where writers queue), from /proc/PID/fdinfo and /proc/locks.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "holders.h"
#include "json.h"
#include "snpcert.h"
#include "store.h"
#include "util.h"

static const char usage[] =
	"Usage: snp-certctl locks [FILE...] [--json]\n"
	"\n"
	"Show who holds or waits for a lock on each table FILE (default: the store\n"
	"lock, held by the workflow running on the store, then every table in the\n"
	"store) and on its journal:\n"
	"process id and command name, READ or WRITE, held or waiting, the lock kind\n"
	"(OFD, POSIX or FLOCK), the descriptor, and what the lock covers: the whole\n"
	"file, the writer-intent byte a writer takes before the whole file, a range,\n"
	"or the journal (taken by a writer for the whole update).  A table whose\n"
	"update was interrupted, and that no writer is completing, is marked\n"
	"\"awaiting recovery\".\n"
	"\n"
	"      --json            print the result as JSON:\n"
	"                        {\"files\":[{\"file\",\"path\",\"awaiting_recovery\",\n"
	"                        \"locks\":[{\"pid\",\"command\",\"mode\",\"state\",\"kind\",\n"
	"                        \"fd\",\"intent\",\"journal\",\"start\",\"end\"}]}]}\n"
	"\n"
	"Exit status: 0, or 1 if a file does not exist or /proc cannot be read.\n";

struct file_locks {
	const char *path;
	struct lock_holder *h;
	bool *journal; /* per lock: on the journal, not the table */
	size_t n;
	bool recovery; /* an interrupted update that no writer is completing */
};

static const char *kind_name(const struct lock_holder *h)
{
	return h->ofd ? "OFD" : strcmp(h->kind, "FLOCK") == 0 ? "FLOCK" : "POSIX";
}

static void range_text(const struct lock_holder *h, bool journal, char *buf, size_t len)
{
	if (journal)
		snprintf(buf, len, "journal");
	else if (lock_holder_is_intent(h))
		snprintf(buf, len, "intent byte");
	else if (h->start == 0 && (h->end == ULLONG_MAX ||
				   h->end == (unsigned long long)SNPCERT_INTENT_OFFSET - 1))
		snprintf(buf, len, "whole file"); /* libsnpcert's readers: all below the intent byte */
	else if (h->end == ULLONG_MAX)
		snprintf(buf, len, "%llu-EOF", h->start);
	else
		snprintf(buf, len, "%llu-%llu", h->start, h->end);
}

/* Does a writer hold the journal's lock (and so is completing its update)? */
static bool journal_held(const struct file_locks *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		if (fl->journal[i] && !fl->h[i].waiting)
			return true;
	return false;
}

/* The locks on path and on its journal.  0 or an exit status after printing why. */
static int collect(const char *path, struct file_locks *fl)
{
	const char *paths[2] = { path, NULL };
	char *jpath = NULL;
	struct stat st;
	int ret = 0;

	fl->path = path;
	if (stat(path, &st) < 0) {
		err("cannot read the locks of '%s': %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	if (snpcert_journal_path(path, &jpath) == 0)
		paths[1] = jpath;
	for (size_t p = 0; p < 2 && ret == 0; p++) {
		struct lock_holder *h = NULL, *nh;
		bool *nj;
		size_t n = 0;

		if (!paths[p] || stat(paths[p], &st) < 0)
			continue;
		ret = lock_holders(st.st_dev, st.st_ino, &h, &n);
		if (ret < 0) {
			err("cannot read the locks of '%s': %s", paths[p], strerror(-ret));
			ret = EXIT_FAIL;
			break;
		}
		nh = realloc(fl->h, (fl->n + n + 1) * sizeof(*nh));
		if (nh)
			fl->h = nh;
		nj = realloc(fl->journal, (fl->n + n + 1) * sizeof(*nj));
		if (nj)
			fl->journal = nj;
		if (!nh || !nj) {
			free(h);
			err("out of memory");
			ret = EXIT_FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			fl->h[fl->n] = h[i];
			fl->journal[fl->n++] = p == 1;
		}
		free(h);
	}
	free(jpath);
	fl->recovery = ret == 0 && cmd_interrupted(path) && !journal_held(fl);
	return ret;
}

static void print_text(const struct file_locks *fl)
{
	char range[64];

	if (fl->n == 0)
		tprintf("%s: no locks\n", fl->path);
	else
		tprintf("%s: %zu lock%s\n", fl->path, fl->n, fl->n == 1 ? "" : "s");
	if (fl->recovery)
		tprintf("  awaiting recovery: an update was interrupted; 'snp-certctl recover %s' "
			"(or the next update) completes it\n", fl->path);
	if (fl->n == 0)
		return;
	tprintf("  %-8s %-16s %-5s %-7s %-5s %-4s %s\n", "PID", "COMMAND", "MODE", "STATE", "KIND",
	       "FD", "RANGE");
	for (size_t i = 0; i < fl->n; i++) {
		const struct lock_holder *h = &fl->h[i];
		char pid[16], fd[16];

		if (h->pid > 0)
			snprintf(pid, sizeof(pid), "%d", (int)h->pid);
		else
			snprintf(pid, sizeof(pid), "?");
		if (h->fd >= 0)
			snprintf(fd, sizeof(fd), "%d", h->fd);
		else
			snprintf(fd, sizeof(fd), "-");
		range_text(h, fl->journal[i], range, sizeof(range));
		tprintf("  %-8s %-16s %-5s %-7s %-5s %-4s %s\n", pid, h->comm,
		       h->write ? "WRITE" : "READ", h->waiting ? "waiting" : "held", kind_name(h),
		       fd, range);
	}
}

static void print_json(struct jout *j, const struct file_locks *fl)
{
	jout_object_begin(j, NULL);
	jout_table(j, fl->path);
	jout_bool(j, "awaiting_recovery", fl->recovery);
	jout_array_begin(j, "locks");
	for (size_t i = 0; i < fl->n; i++) {
		const struct lock_holder *h = &fl->h[i];

		jout_object_begin(j, NULL);
		if (h->pid > 0)
			jout_int(j, "pid", h->pid);
		else
			jout_string(j, "pid", NULL);
		jout_string(j, "command", h->pid > 0 ? h->comm : NULL);
		jout_string(j, "mode", h->write ? "WRITE" : "READ");
		jout_string(j, "state", h->waiting ? "waiting" : "held");
		jout_string(j, "kind", kind_name(h));
		if (h->fd >= 0)
			jout_int(j, "fd", h->fd);
		else
			jout_string(j, "fd", NULL);
		jout_bool(j, "intent", !fl->journal[i] && lock_holder_is_intent(h));
		jout_bool(j, "journal", fl->journal[i]);
		jout_uint(j, "start", h->start);
		if (h->end == ULLONG_MAX)
			jout_string(j, "end", NULL);
		else
			jout_uint(j, "end", h->end);
		jout_object_end(j);
	}
	jout_array_end(j);
	jout_object_end(j);
}

static int cmd_locks_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct file_locks *fl = NULL;
	char **names = NULL, **store = NULL;
	char *const *tables = NULL;
	size_t n = 0, n_store = 0;
	struct jout j;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1)
		common_option(ctx, c, optarg, argv);
	ret = ctx_load(ctx);
	if (ret)
		goto out;
	ret = cmd_tables(ctx, argc, argv, &store, &tables, &n_store);
	if (ret)
		goto out;
	if (optind < argc) {
		names = (char **)tables;
		n = n_store;
		n_store = 0;
	} else {
		/* The store: its lock (who runs a workflow), then every table. */
		names = calloc(n_store + 1, sizeof(*names));
		if (!names || !(names[0] = store_lock_path(ctx))) {
			ret = cmd_oom();
			goto out;
		}
		memcpy(names + 1, store, n_store * sizeof(*names));
		n = n_store + 1;
	}
	fl = calloc(n, sizeof(*fl));
	if (!fl) {
		ret = cmd_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int r;

		/* A store lock not made yet: no workflow has run, none runs. */
		if (i == 0 && optind >= argc && access(names[0], F_OK) < 0) {
			fl[i].path = names[0];
			continue;
		}
		r = collect(names[i], &fl[i]);

		if (r) {
			fl[i].path = NULL; /* left out of the output */
			ret = r;
		}
	}
	if (ctx->json) {
		jout_init(&j, stdout);
		jout_object_begin(&j, NULL);
		jout_array_begin(&j, "files");
	}
	for (size_t i = 0; i < n; i++) {
		if (!fl[i].path)
			continue;
		if (ctx->json)
			print_json(&j, &fl[i]);
		else
			print_text(&fl[i]);
	}
	if (ctx->json) {
		jout_array_end(&j);
		if (ret)
			jout_error(&j, ret);
		jout_object_end(&j);
		jout_finish(&j);
	}
out:
	for (size_t i = 0; fl && i < n; i++) {
		free(fl[i].h);
		free(fl[i].journal);
	}
	free(fl);
	if (optind >= argc && names) {
		free(names[0]);
		free(names);
	}
	store_free(store, n_store);
	return ret;
}

const struct cmd cmd_locks = { "locks", cmd_locks_main, "show who holds or waits for the locks",
			       usage, .json = true };
