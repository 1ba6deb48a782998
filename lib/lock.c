/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OFD lock primitives, deadlines and the file checks shared by the reader
 * and the writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snpcert-internal.h"

uint64_t sc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t sc_deadline(unsigned int timeout_ms)
{
	return sc_now_ns() + (uint64_t)timeout_ms * 1000000u;
}

int sc_backoff(uint64_t deadline, unsigned int *step_us, unsigned int cap_us)
{
	uint64_t now = sc_now_ns(), sleep_ns;
	struct timespec ts;

	if (now >= deadline)
		return -ETIMEDOUT;
	sleep_ns = (uint64_t)*step_us * 1000u;
	if (sleep_ns > deadline - now)
		sleep_ns = deadline - now;
	ts.tv_sec = (time_t)(sleep_ns / 1000000000u);
	ts.tv_nsec = (long)(sleep_ns % 1000000000u);
	/* An interrupted sleep only makes the next attempt come early. */
	nanosleep(&ts, NULL);
	*step_us = *step_us >= cap_us / 2 ? cap_us : *step_us * 2;
	return 0;
}

int sc_ofd(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	if (fcntl(fd, cmd, &fl) < 0)
		return -errno;
	if (cmd == F_OFD_GETLK)
		return fl.l_type == F_UNLCK ? 0 : 1;
	return 0;
}

int sc_intent_announced(int fd)
{
	/* A read lock there conflicts with the writer's intent lock only. */
	return sc_ofd(fd, F_OFD_GETLK, F_RDLCK, SNPCERT_INTENT_OFFSET, 1);
}

int sc_same_file(const char *path, int fd)
{
	struct stat a, b;

	if (fstat(fd, &b) < 0)
		return -errno;
	if (stat(path, &a) < 0)
		return errno == ENOENT ? 0 : -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int sc_check_regular(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	return 0;
}

int sc_check_owner(const struct stat *st, unsigned int flags)
{
	uid_t euid = geteuid();

	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return -EPERM;
	/* root trusts only its own files: anyone else could change them. */
	if (euid == 0 && st->st_uid != 0)
		return -EPERM;
	if ((flags & SNPCERT_WRITER_STRICT_OWNER) && st->st_uid != 0 && st->st_uid != euid)
		return -EPERM;
	return 0;
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

void sc_close(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

int sc_fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int fd = -1, ret;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir) {
		ret = -ENOMEM;
		goto out;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		ret = -errno;
		goto out;
	}
	ret = 0;
out:
	sc_close(fd);
	free(dir);
	return ret;
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

int sc_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);

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

int sc_ofd_wait(int fd, short type, off_t start, off_t len, uint64_t deadline, bool once)
{
	unsigned int step = SC_WRITER_SLEEP_START_US;
	int ret;

	for (;;) {
		ret = sc_ofd(fd, F_OFD_SETLK, type, start, len);
		if (ret != -EAGAIN && ret != -EACCES)
			return ret;
		if (once)
			return -EAGAIN;
		ret = sc_backoff(deadline, &step, SC_WRITER_SLEEP_CAP_US);
		if (ret < 0)
			return ret;
	}
}
