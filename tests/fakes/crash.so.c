/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Crash a writer at a named step of libsnpcert's in-place update, from the
 * system edge, for LD_PRELOAD:
 *
 *   LD_PRELOAD=.../tests/fakes/crash.so SNPCERT_CRASH_AT=zeroed snp-certctl update ...
 *
 * The fake interposes the libc calls the writer makes on a table and its
 * journal (pwrite, ftruncate, fsync, fcntl) and ends the process with
 * _exit(99) at the step named, as a SIGKILL or a power cut would leave
 * things there (no atexit handler, no further write).  The steps, in the
 * order of an update (lib/writer.c, lib/journal.c):
 *
 *   journal-partial  the pwrite of the journal record writes half of it
 *   journal-written  after the fsync of the journal that follows its record
 *   intent           after the F_WRLCK on the table's intent byte
 *   locked           after the F_WRLCK on the whole table
 *   zeroed           after the pwrite of 24 zero bytes at 0 (under the lock)
 *   body-written     at the ftruncate of the table, before it: the bytes
 *                    after the first entry are written
 *   truncated        after the ftruncate of the table (under the lock)
 *   committed        after the pwrite at 0 that follows the ftruncate
 *   unlocked         after the F_UNLCK of the whole table, once locked
 *   synced           after an fsync of the table while it is not locked
 *   cleared          after the fsync of the emptied journal, once the
 *                    table was synced
 *
 * The journal is a descriptor whose file (readlink /proc/self/fd/N) is
 * named ".NAME.snpcert-journal"; the table is a descriptor whose file's
 * journal this process has locked or written.  A step that is reached
 * again (a later update in the same process) crashes the first time only,
 * since the process ends there.  Without SNPCERT_CRASH_AT the fake passes
 * every call through untouched; an unknown step name ends the process with
 * exit status 2 and the list of steps on stderr.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "snpcert.h"

#define CRASH_STATUS 99
#define JOURNAL_SUFFIX ".snpcert-journal"
#define MAX_FILES 32

enum step {
	JOURNAL_PARTIAL,
	JOURNAL_WRITTEN,
	INTENT,
	LOCKED,
	ZEROED,
	BODY_WRITTEN,
	TRUNCATED,
	COMMITTED,
	UNLOCKED,
	SYNCED,
	CLEARED,
	N_STEPS,
	NO_STEP = -1,
};

static const char *const step_names[N_STEPS] = {
	"journal-partial", "journal-written", "intent", "locked", "zeroed", "body-written",
	"truncated", "committed", "unlocked", "synced", "cleared",
};

/* What the process did to one file. */
struct file {
	char path[PATH_MAX];
	bool journal;
	bool written;	/* journal: a record was written since it was emptied */
	bool locked;	/* table: the whole-file F_WRLCK is held */
	bool truncated;	/* table: ftruncate since the lock was taken */
};

static enum step crash_step = NO_STEP;
static struct file files[MAX_FILES];
static size_t n_files;
static bool table_synced;

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*fsync_fn)(int);
typedef int (*fcntl_fn)(int, int, ...);

/* The next definition of a function (libc's, or a sanitizer's interceptor). */
static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f) {
		dprintf(2, "crash.so: no %s in the next library\n", name);
		_exit(CRASH_STATUS + 1);
	}
	return f;
}

__attribute__((constructor)) static void crash_init(void)
{
	const char *s = getenv("SNPCERT_CRASH_AT");

	if (!s || !*s)
		return;
	for (int i = 0; i < N_STEPS; i++)
		if (strcmp(s, step_names[i]) == 0)
			crash_step = (enum step)i;
	if (crash_step != NO_STEP)
		return;
	dprintf(2, "crash.so: unknown step '%s' in SNPCERT_CRASH_AT; the steps:", s);
	for (int i = 0; i < N_STEPS; i++)
		dprintf(2, " %s", step_names[i]);
	dprintf(2, "\n");
	_exit(2);
}

static void crash_if(enum step s)
{
	if (s == crash_step)
		_exit(CRASH_STATUS);
}

static bool is_journal_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n, sn = strlen(JOURNAL_SUFFIX);

	base = base ? base + 1 : path;
	n = strlen(base);
	return base[0] == '.' && n > sn + 1 && strcmp(base + n - sn, JOURNAL_SUFFIX) == 0;
}

static struct file *find(const char *path)
{
	for (size_t i = 0; i < n_files; i++)
		if (strcmp(files[i].path, path) == 0)
			return &files[i];
	return NULL;
}

/* The journal or table at fd, NULL for any other descriptor. */
static struct file *file_of(int fd)
{
	char link[64], path[PATH_MAX], jpath[PATH_MAX];
	struct file *f;
	const char *base;
	ssize_t n;

	if (crash_step == NO_STEP)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0 || path[0] != '/')
		return NULL;
	path[n] = '\0';
	f = find(path);
	if (f)
		return f;
	if (is_journal_path(path)) {
		if (n_files == MAX_FILES)
			return NULL;
		f = &files[n_files++];
		snprintf(f->path, sizeof(f->path), "%s", path);
		f->journal = true;
		return f;
	}
	/* A table: its journal is one this process uses. */
	base = strrchr(path, '/') + 1;
	if (snprintf(jpath, sizeof(jpath), "%.*s.%s%s", (int)(base - path), path, base,
		     JOURNAL_SUFFIX) >= (int)sizeof(jpath) ||
	    !find(jpath) || n_files == MAX_FILES)
		return NULL;
	f = &files[n_files++];
	snprintf(f->path, sizeof(f->path), "%s", path);
	return f;
}

static ssize_t do_pwrite(const char *name, int fd, const void *buf, size_t count, off_t off)
{
	pwrite_fn next = (pwrite_fn)real(name);
	struct file *f = file_of(fd);
	ssize_t ret;

	if (f && f->journal && count > 0 && crash_step == JOURNAL_PARTIAL) {
		next(fd, buf, count / 2, off);
		_exit(CRASH_STATUS);
	}
	ret = next(fd, buf, count, off);
	if (!f || ret < 0 || count == 0)
		return ret;
	if (f->journal) {
		f->written = true;
	} else if (f->locked && off == 0) {
		crash_if(f->truncated ? COMMITTED : ZEROED);
	}
	return ret;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	return do_pwrite("pwrite", fd, buf, count, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
{
	return do_pwrite("pwrite64", fd, buf, count, off);
}

static int do_ftruncate(const char *name, int fd, off_t len)
{
	ftruncate_fn next = (ftruncate_fn)real(name);
	struct file *f = file_of(fd);
	int ret;

	if (f && !f->journal && f->locked)
		crash_if(BODY_WRITTEN);
	ret = next(fd, len);
	if (!f || ret < 0)
		return ret;
	if (f->journal) {
		if (len == 0)
			f->written = false;
	} else if (f->locked) {
		f->truncated = true;
		crash_if(TRUNCATED);
	}
	return ret;
}

int ftruncate(int fd, off_t len)
{
	return do_ftruncate("ftruncate", fd, len);
}

int ftruncate64(int fd, off_t len)
{
	return do_ftruncate("ftruncate64", fd, len);
}

int fsync(int fd)
{
	static fsync_fn next;
	struct file *f;
	int ret;

	if (!next)
		next = (fsync_fn)real("fsync");
	f = file_of(fd);
	ret = next(fd);
	if (!f || ret < 0)
		return ret;
	if (f->journal) {
		if (f->written)
			crash_if(JOURNAL_WRITTEN);
		else if (table_synced)
			crash_if(CLEARED);
	} else if (!f->locked) {
		table_synced = true;
		crash_if(SYNCED);
	}
	return ret;
}

static int do_fcntl(const char *name, int fd, int cmd, void *arg)
{
	fcntl_fn next = (fcntl_fn)real(name);
	const struct flock *fl = arg;
	struct file *f;
	int ret;

	ret = next(fd, cmd, arg);
	if (ret < 0 || (cmd != F_OFD_SETLK && cmd != F_OFD_SETLKW))
		return ret;
	f = file_of(fd);
	if (!f || f->journal)
		return ret;
	if (fl->l_type == F_WRLCK && fl->l_start == SNPCERT_INTENT_OFFSET && fl->l_len == 1) {
		crash_if(INTENT);
	} else if (fl->l_type == F_WRLCK && fl->l_start == 0 && fl->l_len == 0) {
		f->locked = true;
		f->truncated = false;
		crash_if(LOCKED);
	} else if (fl->l_type == F_UNLCK && fl->l_start == 0 && fl->l_len == 0 && f->locked) {
		f->locked = false;
		crash_if(UNLOCKED);
	}
	return ret;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl("fcntl", fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl("fcntl64", fd, cmd, arg);
}
