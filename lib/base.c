// SPDX-License-Identifier: LGPL-2.1-or-later
/* The base layer: see base.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

uint64_t sc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double sc_since_s(uint64_t start_ns)
{
	return (double)(sc_now_ns() - start_ns) / 1e9;
}

void sc_deadline_init(struct sc_deadline *d, double seconds)
{
	d->once = !(seconds > 0);
	if (d->once)
		seconds = 0;
	d->seconds = seconds;
	/* Beyond ~292 years: as good as never. */
	if (seconds > 9e9)
		seconds = 9e9;
	d->end_ns = sc_now_ns() + (uint64_t)(seconds * 1e9);
}

static uint64_t left_ns(const struct sc_deadline *d)
{
	uint64_t now = sc_now_ns();

	return d->once || now >= d->end_ns ? 0 : d->end_ns - now;
}

unsigned int sc_deadline_ms(const struct sc_deadline *d)
{
	uint64_t ms = (left_ns(d) + 999999u) / 1000000u;

	return ms > UINT_MAX ? UINT_MAX : (unsigned int)ms;
}

double sc_deadline_left_s(const struct sc_deadline *d)
{
	return (double)left_ns(d) / 1e9;
}

bool sc_deadline_passed(const struct sc_deadline *d)
{
	return left_ns(d) == 0;
}

void sc_sleep_s(double s)
{
	struct timespec ts;

	if (!(s > 0))
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

double sc_random01(void)
{
	uint64_t r = 0;

	/* Without entropy (early boot), the clock still spreads a fleet. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = sc_now_ns() ^ ((uint64_t)getpid() << 32);
	return (double)(r >> 11) / 9007199254740992.0; /* 53 bits: [0, 1) */
}

int sc_backoff(uint64_t deadline_ns, unsigned int *step_us, unsigned int cap_us)
{
	int ret = sc_backoff_intr(deadline_ns, step_us, cap_us);

	/* An interrupted sleep only makes the next attempt come early. */
	return ret == -EINTR ? 0 : ret;
}

int sc_backoff_intr(uint64_t deadline_ns, unsigned int *step_us, unsigned int cap_us)
{
	uint64_t now = sc_now_ns(), sleep_ns;
	struct timespec ts;
	int ret = 0;

	if (now >= deadline_ns)
		return -ETIMEDOUT;
	sleep_ns = (uint64_t)*step_us * 1000u;
	if (sleep_ns > deadline_ns - now)
		sleep_ns = deadline_ns - now;
	ts.tv_sec = (time_t)(sleep_ns / 1000000000u);
	ts.tv_nsec = (long)(sleep_ns % 1000000000u);
	if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
		ret = -EINTR;
	*step_us = *step_us >= cap_us / 2 ? cap_us : *step_us * 2;
	return ret;
}

/* The whole buffer, by write (off < 0) or pwrite at off. */
static int write_whole(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		const char *p = (const char *)buf + done;
		ssize_t n = off < 0 ? write(fd, p, len - done) :
				      pwrite(fd, p, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int sc_write_all(int fd, const void *buf, size_t len)
{
	return write_whole(fd, buf, len, -1);
}

int sc_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	return off < 0 ? -EINVAL : write_whole(fd, buf, len, off);
}

int sc_pread_all(int fd, void *buf, size_t len, off_t off, size_t *got)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

void sc_close(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

char *sc_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int sc_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	sc_close(fd);
	return ret;
}

int sc_fsync_dir_of(const char *path)
{
	char *dir = sc_dir_of(path);
	int ret;

	if (!dir)
		return -ENOMEM;
	ret = sc_fsync_dir(dir);
	free(dir);
	return ret;
}

int sc_open_file(const char *path, int oflags, struct stat *st)
{
	int fd = -1, ret;

	/* O_NONBLOCK: opening a FIFO must not hang; cleared again below. */
	fd = open(path, oflags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (fstat(fd, st) < 0) {
		ret = -errno;
		goto out;
	}
	ret = fcntl(fd, F_GETFL);
	if (ret < 0 || fcntl(fd, F_SETFL, ret & ~O_NONBLOCK) < 0) {
		ret = -errno;
		goto out;
	}
	ret = fd;
	fd = -1;
out:
	sc_close(fd);
	return ret;
}

int sc_trust_check(const struct stat *st, char *buf, size_t len)
{
	uid_t euid = geteuid();

	if (st->st_uid != 0 && (euid == 0 || st->st_uid != euid)) {
		if (euid == 0)
			snprintf(buf, len, "not owned by root");
		else
			snprintf(buf, len, "owned by uid %u, neither root nor the running user "
				 "(uid %u)", (unsigned int)st->st_uid, (unsigned int)euid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(buf, len, "writable by group or others");
		return -EPERM;
	}
	return 0;
}

int sc_trust_check_dir(const struct stat *st, char *buf, size_t len)
{
	struct stat s = *st;

	if (s.st_mode & S_ISVTX)
		s.st_mode &= ~(mode_t)(S_IWGRP | S_IWOTH);
	return sc_trust_check(&s, buf, len);
}
