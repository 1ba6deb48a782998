// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "holders.h"
#include "install.h"
#include "snpcert.h"
#include "util.h"

/* After this long, a waiting command says who holds the lock. */
#define WAIT_REPORT_S 1.0

/* Who holds the locks of a table and of its journal (this process left out). */
static void describe_holders(const char *path, char *buf, size_t len)
{
	const char *paths[2] = { path, NULL };
	char *jpath = NULL;
	size_t n = 1;

	if (snpcert_journal_path(path, &jpath) == 0)
		paths[n++] = jpath;
	lock_holders_describe_paths(paths, n, buf, len);
	free(jpath);
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
		describe_holders(s->path, who, sizeof(who));
		pthread_mutex_lock(&s->mu);
		if (!s->done)
			info("waiting for the lock on '%s', held by %s", s->path, who);
		pthread_mutex_unlock(&s->mu);
	}
	wait_shared_put(s);
	return NULL;
}

void lock_deadline_init(struct lock_deadline *d, double timeout_s)
{
	unsigned int ms = seconds_to_ms(timeout_s);

	d->timeout_s = timeout_s;
	clock_gettime(CLOCK_MONOTONIC, &d->end);
	d->end.tv_sec += (time_t)(ms / 1000);
	d->end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (d->end.tv_nsec >= 1000000000L) {
		d->end.tv_sec++;
		d->end.tv_nsec -= 1000000000L;
	}
}

unsigned int lock_deadline_ms(const struct lock_deadline *d)
{
	struct timespec now;
	double left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (double)(d->end.tv_sec - now.tv_sec) * 1e3 +
	       (double)(d->end.tv_nsec - now.tv_nsec) / 1e6;
	return left <= 0 ? 0 : seconds_to_ms(left / 1e3);
}

static void wait_report_start(struct wait_report *r, const char *path,
			      const struct lock_deadline *d)
{
	struct wait_shared *s = NULL;
	pthread_condattr_t ca;
	pthread_attr_t ta;
	sigset_t all, saved;
	pthread_t thread;
	int rc = -1;

	r->s = NULL;
	if (lock_deadline_ms(d) <= (unsigned int)(WAIT_REPORT_S * 1000) || log_verbosity < 0)
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

int writer_error(const char *path, int ret, const struct lock_deadline *d)
{
	char who[512];

	switch (ret) {
	case -ETIMEDOUT:
	case -EAGAIN:
		describe_holders(path, who, sizeof(who));
		if (d->timeout_s > 0)
			err("cannot lock '%s' within %gs: held by %s", path, d->timeout_s, who);
		else
			err("cannot lock '%s': busy, held by %s", path, who);
		return EXIT_LOCK;
	case -ELOOP:
		err("refusing '%s': it is a symbolic link", path);
		break;
	case -EINVAL:
	case -EISDIR:
		err("refusing '%s': not a regular file", path);
		break;
	case -EPERM:
		err("refusing '%s' (or its journal): writable by group or others, or owned by "
		    "another user", path);
		break;
	case -ESTALE:
		err("cannot update '%s': the file was replaced while waiting for its lock", path);
		break;
	case -EBADMSG:
		err("'%s' is not a well-formed certificate table", path);
		return EXIT_VERIFY;
	default:
		err("cannot update '%s': %s", path, snpcert_strerror(ret));
	}
	return EXIT_FAIL;
}

static unsigned int owner_flags(void)
{
	return geteuid() == 0 ? SNPCERT_WRITER_STRICT_OWNER : 0;
}

int writer_open_report(const char *path, const struct lock_deadline *d,
		       struct snpcert_writer **out)
{
	struct wait_report r;
	int ret;

	wait_report_start(&r, path, d);
	ret = snpcert_writer_open(path, owner_flags(), lock_deadline_ms(d), out);
	wait_report_stop(&r);
	return ret < 0 ? writer_error(path, ret, d) : 0;
}

int writer_lock_report(struct snpcert_writer *w, const char *path, const struct lock_deadline *d)
{
	struct wait_report r;
	int ret;

	/* Uncontended (the usual case): no reporting thread, nothing in the way. */
	ret = snpcert_writer_lock(w, 0);
	if (ret == -EAGAIN && d->timeout_s > 0) {
		wait_report_start(&r, path, d);
		ret = snpcert_writer_lock(w, lock_deadline_ms(d));
		wait_report_stop(&r);
	}
	return ret < 0 ? writer_error(path, ret, d) : 0;
}

int reader_lock_report(struct snpcert_file *f, const char *path, const struct lock_deadline *d)
{
	struct wait_report r;
	int ret;

	ret = snpcert_lock_shared(f, 0);
	if (ret == -EAGAIN && d->timeout_s > 0) {
		wait_report_start(&r, path, d);
		ret = snpcert_lock_shared(f, lock_deadline_ms(d));
		wait_report_stop(&r);
	}
	return ret < 0 ? writer_error(path, ret, d) : 0;
}

int recover_report(const char *path, const struct lock_deadline *d, int *outcome)
{
	struct wait_report r;
	int ret;

	wait_report_start(&r, path, d);
	ret = snpcert_recover(path, owner_flags(), lock_deadline_ms(d), outcome);
	wait_report_stop(&r);
	return ret < 0 ? writer_error(path, ret, d) : 0;
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

int writer_install(struct snpcert_writer *w, const char *path, const uint8_t *buf, size_t len,
		   const struct lock_deadline *d)
{
	struct timespec asked, locked, released;
	int ret;

	/* Everything up to the journal happens before the exclusive lock. */
	ret = snpcert_writer_prepare(w, buf, len);
	if (ret < 0)
		return writer_error(path, ret, d);
	clock_gettime(CLOCK_MONOTONIC, &asked);
	ret = writer_lock_report(w, path, d);
	if (ret)
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &locked);
	ret = snpcert_writer_commit(w);
	if (ret == 0)
		ret = snpcert_writer_unlock(w);
	clock_gettime(CLOCK_MONOTONIC, &released);
	if (ret == 0)
		ret = snpcert_writer_finish(w);
	if (ret < 0)
		return writer_error(path, ret, d);
	debug("'%s': exclusive lock held %.3f ms (waited %.3f ms for it)", path,
	      elapsed_ms(&locked, &released), elapsed_ms(&asked, &locked));
	return 0;
}

int table_install_path(struct ctx *ctx, const char *path, const uint8_t *buf, size_t len,
		       bool create)
{
	struct snpcert_writer *w = NULL;
	struct lock_deadline d;
	struct stat st;
	int ret;

	if (create && lstat(path, &st) < 0 && errno == ENOENT) {
		ret = write_file_atomic(path, buf, len, 0644, false);
		if (ret != -EEXIST) {
			if (ret < 0)
				err("cannot write '%s': %s", path, strerror(-ret));
			return ret < 0 ? EXIT_FAIL : 0;
		}
	}
	lock_deadline_init(&d, ctx->lock_timeout);
	ret = writer_open_report(path, &d, &w);
	if (ret)
		goto out;
	ret = writer_install(w, path, buf, len, &d);
out:
	snpcert_writer_close(w);
	return ret;
}
