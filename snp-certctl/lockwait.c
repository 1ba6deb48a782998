// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "holders.h"
#include "lockwait.h"
#include "sev-store.h"
#include "snpcert.h"
#include "util.h"

/* After this long, a waiting command says who holds the lock. */
#define WAIT_REPORT_S 1.0

/* Who holds the locks of a table and of its journal (this process left out). */
volatile sig_atomic_t lockwait_signal;

/* A writer's wait returned ret: -EINTR for a signal that asks us to stop, else retry (1). */
static int interrupted(int ret, const char *path, struct why *why)
{
	if (ret != -EINTR)
		return 0;
	if (!lockwait_signal)
		return 1;
	return why_set(why, -EINTR, "not waiting any longer for the lock on '%s': %s", path,
		       strsignal(lockwait_signal));
}

/*
 * The files a wait is on: the one open as fd (the path's file when fd is
 * -1) and the table's journal.  Returns how many of files[2] were found.
 */
static size_t waited_files(const char *path, int fd, struct stat files[2])
{
	char *jpath = NULL;
	size_t n = 0;

	if ((fd >= 0 ? fstat(fd, &files[n]) : stat(path, &files[n])) == 0)
		n++;
	if (snpcert_journal_path(path, &jpath) == 0 && stat(jpath, &files[n]) == 0)
		n++;
	free(jpath);
	return n;
}

static void describe_holders(const char *path, char *buf, size_t len)
{
	struct stat files[2];

	lock_holders_describe_files(files, waited_files(path, -1, files), buf, len);
}

/*
 * A thread that, if the wait is not over after WAIT_REPORT_S, says who is
 * in the way.  The lock calls of libsnpcert poll without returning in
 * between; retrying them in slices instead would drop the writer-intent
 * byte between slices and let new stock readers in.
 *
 * Looking for the holders scans /proc and may take a while.  It runs
 * without the mutex and the thread is detached, so a command that gets its
 * lock meanwhile neither waits for the scan (it holds the exclusive lock
 * by then) nor sees a "waiting" message printed after the lock was had.
 * The state is shared by the two threads; the last one out frees it.
 */
struct wait_shared {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned int refs;
	bool done;
	char *path;
	/* The files waited on, found when the wait started. */
	struct stat files[2];
	size_t nfiles;
};

struct wait_report {
	struct wait_shared *s;
};

static void wait_shared_put(struct wait_shared *s)
{
	bool last;

	pthread_mutex_lock(&s->mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (!last)
		return;
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s);
}

static void *wait_report_main(void *arg)
{
	struct wait_shared *s = arg;
	struct timespec at;
	char who[512];
	bool fire;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += (time_t)WAIT_REPORT_S;
	pthread_mutex_lock(&s->mu);
	while (!s->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&s->cv, &s->mu, &at);
	fire = !s->done;
	pthread_mutex_unlock(&s->mu);
	if (fire) {
		lock_holders_describe_files(s->files, s->nfiles, who, sizeof(who));
		pthread_mutex_lock(&s->mu);
		if (!s->done)
			info("waiting for the lock on '%s', held by %s", s->path, who);
		pthread_mutex_unlock(&s->mu);
	}
	wait_shared_put(s);
	return NULL;
}

/*
 * fd: the file being waited on, when it is open already (so the holders
 * named are its own even if path is renamed over meanwhile), or -1.
 */
static void wait_report_start(struct wait_report *r, const char *path, int fd,
			      const struct sc_deadline *d)
{
	struct wait_shared *s = NULL;
	pthread_condattr_t ca;
	pthread_attr_t ta;
	sigset_t all, saved;
	pthread_t thread;
	int rc = -1;

	r->s = NULL;
	if (sc_deadline_ms(d) <= (unsigned int)(WAIT_REPORT_S * 1000) || log_verbosity < 0)
		return;
	/* Without the thread, the wait is only quieter. */
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return;
	}
	s->nfiles = waited_files(path, fd, s->files);
	s->refs = 2;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* Signals are the main thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	if (pthread_attr_init(&ta) == 0) {
		pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&thread, &ta, wait_report_main, s);
		pthread_attr_destroy(&ta);
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s->path);
		free(s);
		return;
	}
	r->s = s;
}

static void wait_report_stop(struct wait_report *r)
{
	struct wait_shared *s = r->s;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->done = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	wait_shared_put(s);
	r->s = NULL;
}

/*
 * Why libsnpcert refused path or its journal (-ELOOP, -EINVAL, -EPERM: it
 * does not say which), found by looking at both again.  Returns 1 with why
 * set, or 0 when neither looks wrong (any more).
 */
static int refusal(const char *path, struct why *why)
{
	char *jpath = NULL, *dir = sc_dir_of(path), reason[128];
	struct stat st;
	int found = 0;

	/* The directory: the rule, but for sticky ones (as libsnpcert's writers apply it). */
	if (dir && stat(dir, &st) == 0) {
		if (sc_trust_check_dir(&st, reason, sizeof(reason)) < 0)
			found = why_set(why, 1, "refusing '%s': its directory '%s' is %s (anyone who "
					"can write it can replace the table)", path, dir, reason);
	}
	free(dir);
	if (!found && lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			found = why_set(why, 1, "refusing '%s': it is a symbolic link", path);
		else if (!S_ISREG(st.st_mode))
			found = why_set(why, 1, "refusing '%s': not a regular file", path);
		else if (sc_trust_check(&st, reason, sizeof(reason)) < 0)
			found = why_set(why, 1, "refusing '%s': %s", path, reason);
		else if (st.st_nlink > 1)
			found = why_set(why, 1, "refusing '%s': it has %lu names (hard links), and a "
					"table must have one", path, (unsigned long)st.st_nlink);
	}
	if (!found && snpcert_journal_path(path, &jpath) == 0 && lstat(jpath, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			found = why_set(why, 1, "refusing the journal '%s': it is a symbolic link "
					"owned by uid %u", jpath, (unsigned int)st.st_uid);
		else if (!S_ISREG(st.st_mode))
			found = why_set(why, 1, "refusing the journal '%s': not a regular file",
					jpath);
		else if (sc_trust_check(&st, reason, sizeof(reason)) < 0)
			found = why_set(why, 1, "refusing the journal '%s': %s", jpath, reason);
		else if (st.st_nlink > 1)
			found = why_set(why, 1, "refusing the journal '%s': it has %lu names (hard "
					"links), so it is another file too", jpath,
					(unsigned long)st.st_nlink);
	}
	free(jpath);
	return found;
}

int lockwait_why(const char *path, int ret, const struct sc_deadline *d, struct why *why)
{
	char who[512];

	switch (ret) {
	case -ETIMEDOUT:
	case -EAGAIN:
		describe_holders(path, who, sizeof(who));
		if (!d->once)
			return why_set(why, -ERR_LOCK, "cannot lock '%s' within %gs: held by %s", path,
				       d->seconds, who);
		return why_set(why, -ERR_LOCK, "cannot lock '%s': busy, held by %s", path, who);
	case -ELOOP:
	case -EINVAL:
	case -EISDIR:
	case -EPERM:
	case -EMLINK:
		if (refusal(path, why))
			return -ERR_REFUSED;
		/* Changed back meanwhile: say what libsnpcert saw. */
		if (ret == -EPERM)
			return why_set(why, -ERR_REFUSED, "refusing '%s' (or its journal): writable "
				       "by group or others, or owned by another user", path);
		return why_set(why, -ERR_REFUSED, "refusing '%s' (or its journal): a symbolic "
			       "link or not a regular file", path);
	case -ESTALE:
		return why_set(why, -ERR_LOCK, "cannot lock '%s': the file was replaced while "
			       "waiting for its lock; run the command again", path);
	case -EBADMSG:
		return why_set(why, -ERR_VERIFY, "'%s' is not a well-formed certificate table",
			       path);
	default:
		return why_set(why, ret, "cannot lock '%s': %s", path, snpcert_strerror(ret));
	}
}

/*
 * The files of a SEV chain set (sev-store.h: a directory holding the set's
 * mark) are kept by its protocol, members and mark together: taken for a
 * table, a member's pending journal (not a table) would be dropped, and a
 * lock on the mark would pass for an export at its commit point.  -ERR_REFUSED
 * with why, or 0.
 */
static int not_sev_set(const char *path, struct why *why)
{
	const char *base = strrchr(path, '/');
	char *dir = sc_dir_of(path), *mark = dir ? path_join(dir, SEV_SET_MARK) : NULL;
	struct stat st;
	int ret = 0;

	if (!mark)
		ret = why_set(why, -ENOMEM, "out of memory");
	else if (strcmp(base ? base + 1 : path, SEV_SET_MARK) == 0 || lstat(mark, &st) == 0)
		ret = why_set(why, -ERR_REFUSED, "'%s' belongs to the SEV chain that sev-export "
			      "keeps as one set (%s): not a table; sev-export, recover and "
			      "sev-verify take it", path, mark);
	free(mark);
	free(dir);
	return ret;
}

int lockwait_writer_open(const char *path, const struct sc_deadline *d,
			 struct snpcert_writer **out, struct why *why)
{
	int ret = not_sev_set(path, why);

	return ret ? ret : lockwait_writer_open_flags(path, 0, d, out, why);
}

int lockwait_writer_open_flags(const char *path, unsigned int flags, const struct sc_deadline *d,
			       struct snpcert_writer **out, struct why *why)
{
	struct wait_report r;
	int ret;

	wait_report_start(&r, path, -1, d);
	do
		ret = snpcert_writer_open(path, SNPCERT_WRITER_STRICT_OWNER | flags,
					  sc_deadline_ms(d), out);
	while (interrupted(ret, path, why) == 1);
	wait_report_stop(&r);
	if (ret == -EINTR)
		return ret;
	return ret < 0 ? lockwait_why(path, ret, d, why) : 0;
}

/*
 * A writer's wait for the exclusive lock ran out on the file it opened:
 * if path names another file now (renamed over, or removed), the holders
 * of the path are not the ones in the way.  Returns 1 with why set, or 0.
 */
static int replaced_why(const char *path, int fd, const struct sc_deadline *d, struct why *why)
{
	struct stat old, now;
	char who[512], within[32];
	bool gone;

	if (fstat(fd, &old) < 0)
		return 0;
	gone = stat(path, &now) < 0;
	if (!gone && now.st_dev == old.st_dev && now.st_ino == old.st_ino)
		return 0;
	lock_holders_describe_files(&old, 1, who, sizeof(who));
	snprintf(within, sizeof(within), d->once ? "" : " within %gs", d->seconds);
	return why_set(why, -ERR_LOCK, "cannot lock '%s'%s: the file was %s while waiting "
		       "for its lock, and the old file is held by %s; run the command again",
		       path, within, gone ? "removed" : "replaced", who);
}

int lockwait_writer_lock(struct snpcert_writer *w, const char *path, const struct sc_deadline *d,
			 struct why *why)
{
	struct wait_report r;
	int ret;

	/* Uncontended (the usual case): no reporting thread, nothing in the way. */
	ret = snpcert_writer_lock(w, 0);
	if (ret == -EAGAIN && !d->once) {
		wait_report_start(&r, path, snpcert_writer_fd(w), d);
		do
			ret = snpcert_writer_lock(w, sc_deadline_ms(d));
		while (interrupted(ret, path, why) == 1);
		wait_report_stop(&r);
	}
	if (ret == -EINTR)
		return ret;
	if ((ret == -ETIMEDOUT || ret == -EAGAIN) && replaced_why(path, snpcert_writer_fd(w), d, why))
		return -ERR_LOCK;
	return ret < 0 ? lockwait_why(path, ret, d, why) : 0;
}

int lockwait_reader_lock(struct snpcert_file *f, const char *path, const struct sc_deadline *d,
			 struct why *why)
{
	struct wait_report r;
	int ret;

	ret = snpcert_lock_shared(f, 0);
	if (ret == -EAGAIN && !d->once) {
		wait_report_start(&r, path, snpcert_fd(f), d);
		ret = snpcert_lock_shared(f, sc_deadline_ms(d));
		wait_report_stop(&r);
	}
	return ret < 0 ? lockwait_why(path, ret, d, why) : 0;
}

int lockwait_recover(const char *path, const struct sc_deadline *d, int *outcome,
		     struct why *why)
{
	int ret = not_sev_set(path, why);

	return ret ? ret : lockwait_recover_flags(path, 0, d, outcome, why);
}

int lockwait_recover_flags(const char *path, unsigned int flags, const struct sc_deadline *d,
			   int *outcome, struct why *why)
{
	struct wait_report r;
	int ret;

	wait_report_start(&r, path, -1, d);
	do
		ret = snpcert_recover(path, SNPCERT_WRITER_STRICT_OWNER | flags, sc_deadline_ms(d),
				      outcome);
	while (interrupted(ret, path, why) == 1);
	wait_report_stop(&r);
	if (ret == -EINTR)
		return ret;
	return ret < 0 ? lockwait_why(path, ret, d, why) : 0;
}

int lockwait_read_table(const char *path, const struct sc_deadline *d, size_t max, uint8_t **buf,
			size_t *len, struct why *why)
{
	struct snpcert_file *f = NULL;
	uint8_t *p = NULL;
	size_t got = 0;
	struct stat st;
	int ret;

	*buf = NULL;
	*len = 0;
	ret = snpcert_open(path, &f);
	if (ret == -ENOENT || ret == -EACCES || ret == -ENOTDIR) {
		ret = why_set(why, ret, "cannot read '%s': %s", path, strerror(-ret));
		goto out;
	}
	if (ret < 0) {
		ret = lockwait_why(path, ret, d, why);
		goto out;
	}
	ret = lockwait_reader_lock(f, path, d, why);
	if (ret)
		goto out;
	if (fstat(snpcert_fd(f), &st) < 0) {
		ret = why_set(why, -errno, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = why_set(why, -EFBIG, "'%s' is not a certificate table: larger than %zu KiB",
			      path, max / 1024);
		goto out;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		ret = why_set(why, -ENOMEM, "out of memory");
		goto out;
	}
	ret = sc_pread_all(snpcert_fd(f), p, (size_t)st.st_size, 0, &got);
	if (ret < 0) {
		ret = why_set(why, ret, "cannot read '%s': %s", path, strerror(-ret));
		goto out;
	}
	*buf = p;
	*len = got;
	p = NULL;
out:
	snpcert_close(f);
	free(p);
	return ret;
}
