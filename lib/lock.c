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

uint64_t sc_deadline(unsigned int timeout_ms)
{
	return sc_now_ns() + (uint64_t)timeout_ms * 1000000u;
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

int sc_check_owner(const struct stat *st)
{
	char why[96];

	return sc_trust_check(st, why, sizeof(why));
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
		/* A signal handler ran: the caller decides (F_OFD_SETLKW would say EINTR too). */
		ret = sc_backoff_intr(deadline, &step, SC_WRITER_SLEEP_CAP_US);
		if (ret < 0)
			return ret;
	}
}
