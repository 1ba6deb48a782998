/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The read side: what a VMM links.  Open once; per guest request take the
 * shared lock, read, hand the bytes to the firmware, unlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ghcb.h"
#include "snpcert-internal.h"

struct snpcert_file {
	char *path;
	int fd;		/* -1 after the path was found gone or replaced */
	bool locked;
	uint8_t *scratch; /* the table is validated here before it is copied out */
	size_t scratch_len;
};

static int reader_reopen(struct snpcert_file *f)
{
	struct stat st;
	int fd = -1, ret;

	fd = sc_open_file(f->path, O_RDONLY, &st);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	ret = sc_check_regular(&st);
	if (ret < 0)
		goto out;
	sc_close(f->fd);
	f->fd = fd;
	fd = -1;
	ret = 0;
out:
	sc_close(fd);
	return ret;
}

SNPCERT_EXPORT int snpcert_open(const char *path, struct snpcert_file **out)
{
	struct snpcert_file *f = NULL;
	int ret;

	if (!path || !out || !*path) {
		ret = -EINVAL;
		goto out;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		ret = -ENOMEM;
		goto out;
	}
	f->fd = -1;
	f->path = strdup(path);
	if (!f->path) {
		ret = -ENOMEM;
		goto out;
	}
	ret = reader_reopen(f);
	if (ret < 0)
		goto out;
	*out = f;
	f = NULL;
	ret = 0;
out:
	snpcert_close(f);
	return ret;
}

/*
 * One attempt: 1 locked, 0 busy (a writer announced itself or holds the
 * file), or -errno.
 */
static int reader_try_lock(int fd)
{
	int ret;

	ret = sc_intent_announced(fd);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	ret = sc_ofd(fd, F_OFD_SETLK, F_RDLCK, 0, SNPCERT_INTENT_OFFSET);
	if (ret == -EAGAIN || ret == -EACCES)
		return 0;
	return ret < 0 ? ret : 1;
}

SNPCERT_EXPORT int snpcert_lock_shared(struct snpcert_file *f, unsigned int timeout_ms)
{
	unsigned int step = SC_READER_SLEEP_START_US;
	uint64_t deadline = sc_deadline(timeout_ms);
	unsigned int reopens = 0;
	int ret;

	if (!f) {
		ret = -EINVAL;
		goto out;
	}
	if (f->locked) {
		ret = -EALREADY;
		goto out;
	}
	for (;;) {
		if (f->fd < 0) {
			ret = reader_reopen(f);
			if (ret < 0)
				goto out;
		}
		ret = reader_try_lock(f->fd);
		if (ret < 0)
			goto out;
		if (ret == 0) {
			if (timeout_ms == 0) {
				ret = -EAGAIN;
				goto out;
			}
			ret = sc_backoff(deadline, &step, SC_READER_SLEEP_CAP_US);
			if (ret < 0)
				goto out;
			continue;
		}
		/* Locked: is it still the file the path names (libvirt's loop)? */
		ret = sc_same_file(f->path, f->fd);
		if (ret == 1)
			break;
		sc_ofd(f->fd, F_OFD_SETLK, F_UNLCK, 0, 0);
		if (ret < 0)
			goto out;
		sc_close(f->fd);
		f->fd = -1;
		/* Replaced: reopen at once, still within the deadline. */
		if (timeout_ms ? sc_now_ns() >= deadline : ++reopens > 8) {
			ret = timeout_ms ? -ETIMEDOUT : -EAGAIN;
			goto out;
		}
	}
	f->locked = true;
	ret = 0;
out:
	return ret;
}

/* Everything an unlocked rewrite of the file changes: size, mtime, ctime. */
static bool same_version(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int scratch_reserve(struct snpcert_file *f, size_t len)
{
	uint8_t *p;

	if (f->scratch_len >= len)
		return 0;
	p = realloc(f->scratch, len);
	if (!p)
		return -ENOMEM;
	f->scratch = p;
	f->scratch_len = len;
	return 0;
}

/*
 * The whole table into f->scratch, *len bytes.  Under the shared lock no
 * protocol writer runs, but a tool outside the protocol (truncate, then
 * write, no lock: snphost import) may: a read it overlaps can join the
 * start of one table to the rest of another, and that can validate.  Such
 * a read is seen by the file's size, mtime or ctime changing across it
 * (a stat(2) makes the next write's timestamps fine-grained, since Linux
 * 6.13 on ext4, xfs, btrfs and tmpfs) and is tried again, SC_READER_TRIES
 * times in all; a file still changing then is -EBADMSG.
 */
static int reader_load(struct snpcert_file *f, size_t *len)
{
	struct stat before, after;
	size_t got;
	int ret;

	for (unsigned int i = 0; i < SC_READER_TRIES; i++) {
		if (fstat(f->fd, &before) < 0)
			return -errno;
		if (before.st_size > (off_t)GHCB_PARSE_LIMIT)
			return -EFBIG;
		*len = (size_t)before.st_size;
		ret = scratch_reserve(f, *len);
		if (ret == 0)
			ret = sc_pread_all(f->fd, f->scratch, *len, 0, &got);
		if (ret < 0)
			return ret;
		if (fstat(f->fd, &after) < 0)
			return -errno;
		/* Shorter than fstat said: someone not following the protocol. */
		if (got == *len && same_version(&before, &after))
			return 0;
	}
	return -EBADMSG;
}

SNPCERT_EXPORT int snpcert_read(struct snpcert_file *f, void *buf, size_t buf_len, size_t *size)
{
	size_t len;
	int ret;

	if (!f || !size || (!buf && buf_len)) {
		ret = -EINVAL;
		goto out;
	}
	if (!f->locked) {
		ret = -ENOLCK;
		goto out;
	}
	ret = reader_load(f, &len);
	if (ret < 0)
		goto out;
	if (ghcb_validate(f->scratch, len, GHCB_ALLOW_LARGE, NULL) < 0) {
		ret = -EBADMSG;
		goto out;
	}
	if (buf_len < len) {
		*size = len;
		ret = -ENOSPC;
		goto out;
	}
	memcpy(buf, f->scratch, len);
	*size = len;
	ret = 0;
out:
	return ret;
}

SNPCERT_EXPORT int snpcert_unlock(struct snpcert_file *f)
{
	int ret;

	if (!f)
		return -EINVAL;
	if (!f->locked)
		return 0;
	ret = sc_ofd(f->fd, F_OFD_SETLK, F_UNLCK, 0, 0);
	if (ret < 0)
		return ret;
	f->locked = false;
	return 0;
}

SNPCERT_EXPORT void snpcert_close(struct snpcert_file *f)
{
	if (!f)
		return;
	/* Closing the only descriptor of the open file description drops its locks. */
	sc_close(f->fd);
	free(f->scratch);
	free(f->path);
	free(f);
}

SNPCERT_EXPORT int snpcert_fd(const struct snpcert_file *f)
{
	return f && f->fd >= 0 ? f->fd : -EBADF;
}

SNPCERT_EXPORT size_t snpcert_npages(size_t size)
{
	return size / 4096 + (size % 4096 != 0);
}

SNPCERT_EXPORT int snpcert_table_check(const void *buf, size_t len)
{
	int ret;

	if (!buf && len)
		return -EINVAL;
	if (!buf)
		return -EBADMSG;
	ret = ghcb_validate(buf, len, GHCB_ALLOW_LARGE, NULL);
	return ret < 0 ? ret : 0;
}
