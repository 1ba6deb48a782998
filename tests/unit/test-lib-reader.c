/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libsnpcert, read side: open, lock, read, unlock, refusals, replaced files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snpcert.h"
#include "snpcert-internal.h"
#include "tap.h"
#include "../torture/seqtable.h"

static char dir[64], path[128];

static int put_file(const char *p, const void *buf, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = len ? write(fd, buf, len) : 0;
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static double now_ms(void)
{
	return (double)sc_now_ns() / 1e6;
}

/* An OFD lock from a second open file description of path. */
static int other_lock(const char *p, short type, off_t start, off_t len)
{
	int fd = open(p, (type == F_WRLCK ? O_RDWR : O_RDONLY) | O_CLOEXEC);

	if (fd < 0 || sc_ofd(fd, F_OFD_SETLK, type, start, len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void test_basics(void)
{
	uint8_t buf[32] = { 1 };

	CHECK_EQ(snpcert_npages(0), 0, "npages(0)");
	CHECK_EQ(snpcert_npages(1), 1, "npages(1)");
	CHECK_EQ(snpcert_npages(4096), 1, "npages(4096)");
	CHECK_EQ(snpcert_npages(4097), 2, "npages(4097)");
	CHECK(snpcert_npages(SIZE_MAX) == SIZE_MAX / 4096 + 1, "npages(SIZE_MAX) does not overflow");
	CHECK_STR(snpcert_strerror(-EAGAIN), "lock busy", "strerror(-EAGAIN)");
	CHECK_STR(snpcert_strerror(-EBADMSG), "malformed or half-written certificate table",
		  "strerror(-EBADMSG)");
	CHECK(snpcert_strerror(-ENOENT) && strlen(snpcert_strerror(-ENOENT)) > 0, "strerror(-ENOENT)");
	CHECK(snpcert_strerror(-99999) != NULL, "strerror(unknown) not NULL");
	CHECK_STR(snpcert_strerror(INT_MIN), "unknown error", "strerror(INT_MIN): no overflow");
	CHECK(snpcert_strerror(EAGAIN) == snpcert_strerror(-EAGAIN), "strerror takes either sign");
	memset(buf, 0, 24);
	CHECK_EQ(snpcert_table_check(buf, 24), 0, "table_check: empty table");
	CHECK_EQ(snpcert_table_check(buf, 23), -EBADMSG, "table_check: too short");
	buf[30] = 1;
	CHECK_EQ(snpcert_table_check(buf, 32), -EBADMSG, "table_check: stray data");
	CHECK_EQ(snpcert_table_check(NULL, 4), -EINVAL, "table_check: NULL");
	CHECK_EQ(snpcert_fd(NULL), -EBADF, "fd(NULL)");
	snpcert_close(NULL);
}

static void test_refusals(void)
{
	struct snpcert_file *f = NULL;
	char p[160];

	CHECK_EQ(snpcert_open(NULL, &f), -EINVAL, "open(NULL)");
	CHECK_EQ(snpcert_open(path, NULL), -EINVAL, "open(path, NULL)");
	snprintf(p, sizeof(p), "%s/missing", dir);
	CHECK_EQ(snpcert_open(p, &f), -ENOENT, "open: missing file");
	snprintf(p, sizeof(p), "%s/link", dir);
	CHECK(symlink(path, p) == 0, "symlink made");
	CHECK_EQ(snpcert_open(p, &f), -ELOOP, "open: symlink refused");
	snprintf(p, sizeof(p), "%s/sub", dir);
	CHECK(mkdir(p, 0755) == 0, "directory made");
	CHECK_EQ(snpcert_open(p, &f), -EISDIR, "open: directory refused");
	snprintf(p, sizeof(p), "%s/fifo", dir);
	CHECK(mkfifo(p, 0644) == 0, "fifo made");
	CHECK_EQ(snpcert_open(p, &f), -EINVAL, "open: fifo refused without blocking");
	CHECK(f == NULL, "no handle on failure");
}

static void test_read(void)
{
	struct snpcert_file *f = NULL;
	uint8_t *t1 = NULL, *t2 = NULL, buf[16384], sentinel[16384];
	size_t l1, l2, size = 0;
	uint64_t seq = 0;
	int fd;

	CHECK(seq_table(1, &t1, &l1) == 0 && seq_table(2, &t2, &l2) == 0, "test tables built");
	CHECK(put_file(path, t1, l1) == 0, "table written");
	CHECK_EQ(snpcert_open(path, &f), 0, "open");
	CHECK(snpcert_fd(f) >= 0, "fd");
	fd = snpcert_fd(f);
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "fd is close-on-exec");
	CHECK_EQ(snpcert_read(f, buf, sizeof(buf), &size), -ENOLCK, "read without lock");
	CHECK_EQ(snpcert_unlock(f), 0, "unlock without lock is 0");
	CHECK_EQ(snpcert_lock_shared(f, 0), 0, "lock_shared(0) on a free file");
	CHECK_EQ(snpcert_lock_shared(f, 0), -EALREADY, "lock twice");
	CHECK_EQ(snpcert_read(f, buf, sizeof(buf), &size), 0, "read");
	CHECK_EQ(size, l1, "read size");
	CHECK(memcmp(buf, t1, l1) == 0 && seq_table_match(buf, size, &seq) == 0 && seq == 1,
	      "read contents");
	memset(buf, 0xa5, sizeof(buf));
	memcpy(sentinel, buf, sizeof(buf));
	size = 0;
	CHECK_EQ(snpcert_read(f, buf, l1 - 1, &size), -ENOSPC, "short buffer: -ENOSPC");
	CHECK_EQ(size, l1, "-ENOSPC sets the size needed");
	CHECK(memcmp(buf, sentinel, sizeof(buf)) == 0, "-ENOSPC copies nothing");
	CHECK_EQ(snpcert_read(f, NULL, 0, &size), -ENOSPC, "NULL, 0: -ENOSPC (size query)");
	CHECK_EQ(snpcert_read(f, buf, l1, &size), 0, "exact buffer");
	CHECK_EQ(snpcert_read(f, buf, sizeof(buf), NULL), -EINVAL, "NULL size");
	CHECK_EQ(snpcert_unlock(f), 0, "unlock");
	CHECK_EQ(snpcert_unlock(f), 0, "unlock again");

	/* A bigger table through the same handle (scratch grows). */
	CHECK(put_file(path, t2, l2) == 0, "second table written in place");
	CHECK_EQ(snpcert_lock_shared(f, 100), 0, "lock");
	CHECK_EQ(snpcert_read(f, buf, sizeof(buf), &size), 0, "read second");
	CHECK(size == l2 && memcmp(buf, t2, l2) == 0, "second contents");
	snpcert_close(f); /* closes while locked */
	f = NULL;
	fd = other_lock(path, F_WRLCK, 0, 0);
	CHECK(fd >= 0, "close dropped the shared lock");
	if (fd >= 0)
		close(fd);
	free(t1);
	free(t2);
}

static void test_busy(void)
{
	struct snpcert_file *f = NULL;
	double t0, el;
	int other, ret;

	CHECK_EQ(snpcert_open(path, &f), 0, "open");
	other = other_lock(path, F_WRLCK, 0, 0);
	CHECK(other >= 0, "second description holds a whole-file write lock");
	CHECK_EQ(snpcert_lock_shared(f, 0), -EAGAIN, "timeout 0: -EAGAIN while write-locked");
	t0 = now_ms();
	ret = snpcert_lock_shared(f, 50);
	el = now_ms() - t0;
	CHECK_EQ(ret, -ETIMEDOUT, "timeout 50: -ETIMEDOUT");
	CHECK(el >= 49.0 && el < 500.0, "waited about the timeout");
	if (el < 49.0 || el >= 500.0)
		printf("# waited %.1f ms\n", el);
	close(other);
	CHECK_EQ(snpcert_lock_shared(f, 0), 0, "free again");
	snpcert_unlock(f);

	/* The intent byte: readers back off although their range is free. */
	other = other_lock(path, F_WRLCK, SNPCERT_INTENT_OFFSET, 1);
	CHECK(other >= 0, "intent byte taken by a 'writer'");
	CHECK_EQ(snpcert_lock_shared(f, 0), -EAGAIN, "reader backs off while a writer announced");
	CHECK_EQ(snpcert_lock_shared(f, 20), -ETIMEDOUT, "... until its timeout");
	close(other);
	CHECK_EQ(snpcert_lock_shared(f, 0), 0, "intent released: lock");
	other = other_lock(path, F_WRLCK, SNPCERT_INTENT_OFFSET, 1);
	CHECK(other >= 0, "a writer can announce while libsnpcert readers hold");
	if (other >= 0)
		close(other);
	other = other_lock(path, F_WRLCK, 0, 0);
	CHECK(other < 0, "but not take the whole file");
	if (other >= 0)
		close(other);
	other = other_lock(path, F_RDLCK, 0, 0);
	CHECK(other >= 0, "a stock reader shares with a libsnpcert reader");
	if (other >= 0)
		close(other);
	snpcert_unlock(f);
	other = other_lock(path, F_RDLCK, 0, 0);
	CHECK_EQ(snpcert_lock_shared(f, 0), 0, "libsnpcert reader shares with a stock reader");
	snpcert_unlock(f);
	if (other >= 0)
		close(other);
	snpcert_close(f);
}

static void check_bad(struct snpcert_file *f, const void *data, size_t len, const char *name)
{
	uint8_t buf[32768], sentinel[32768];
	size_t size = 12345;
	char msg[128];

	put_file(path, data, len);
	memset(buf, 0x5a, sizeof(buf));
	memcpy(sentinel, buf, sizeof(buf));
	snpcert_lock_shared(f, 100);
	snprintf(msg, sizeof(msg), "%s: -EBADMSG", name);
	CHECK_EQ(snpcert_read(f, buf, sizeof(buf), &size), -EBADMSG, msg);
	snprintf(msg, sizeof(msg), "%s: nothing copied, size untouched", name);
	CHECK(memcmp(buf, sentinel, sizeof(buf)) == 0 && size == 12345, msg);
	snpcert_unlock(f);
}

static void test_malformed(void)
{
	struct snpcert_file *f = NULL;
	uint8_t *old = NULL, *nw = NULL, *st = NULL;
	size_t lo, ln, size;
	uint8_t junk[100];

	CHECK(seq_table(4, &old, &lo) == 0 && seq_table(5, &nw, &ln) == 0, "tables");
	CHECK(lo != ln, "tables of different sizes");
	CHECK_EQ(snpcert_open(path, &f), 0, "open");
	memset(junk, 0x41, sizeof(junk));
	check_bad(f, junk, sizeof(junk), "garbage");
	check_bad(f, junk, 0, "zero-length file");
	check_bad(f, old, lo - 1, "truncated table");

	/* The in-place update's intermediate states, both size directions. */
	st = calloc(1, lo + ln);
	for (int dirn = 0; dirn < 2; dirn++) {
		const uint8_t *a = dirn ? nw : old, *b = dirn ? old : nw;
		size_t la = dirn ? ln : lo, lb = dirn ? lo : ln, l2 = la > lb ? la : lb;
		char name[64];

		memcpy(st, a, la);
		memset(st, 0, GHCB_ENTRY_SIZE);
		snprintf(name, sizeof(name), "state zeroed (%s)", dirn ? "grow" : "shrink");
		check_bad(f, st, la, name);
		memcpy(st + GHCB_ENTRY_SIZE, b + GHCB_ENTRY_SIZE, lb - GHCB_ENTRY_SIZE);
		snprintf(name, sizeof(name), "state body-written (%s)", dirn ? "grow" : "shrink");
		check_bad(f, st, l2, name);
		snprintf(name, sizeof(name), "state truncated (%s)", dirn ? "grow" : "shrink");
		check_bad(f, st, lb, name);
		/* A stock reader sees these as an empty table. */
	}

	memset(junk, 0, sizeof(junk));
	put_file(path, junk, 24);
	snpcert_lock_shared(f, 100);
	CHECK_EQ(snpcert_read(f, junk + 24, 24, &size), 0, "empty table reads");
	CHECK_EQ(size, 24, "empty table is 24 bytes");
	snpcert_unlock(f);

	CHECK(truncate(path, 2 * 1024 * 1024) == 0, "2 MiB file");
	snpcert_lock_shared(f, 100);
	CHECK_EQ(snpcert_read(f, junk, sizeof(junk), &size), -EFBIG, "over 1 MiB: -EFBIG");
	snpcert_unlock(f);
	snpcert_close(f);
	free(st);
	free(old);
	free(nw);
}

static void test_replaced(void)
{
	struct snpcert_file *f = NULL;
	uint8_t *a = NULL, *b = NULL, buf[16384];
	size_t la, lb, size;
	char tmp[160];
	struct stat s1, s2;

	seq_table(10, &a, &la);
	seq_table(11, &b, &lb);
	put_file(path, a, la);
	CHECK_EQ(snpcert_open(path, &f), 0, "open");
	fstat(snpcert_fd(f), &s1);
	snprintf(tmp, sizeof(tmp), "%s/new", dir);
	put_file(tmp, b, lb);
	CHECK(rename(tmp, path) == 0, "path replaced by rename");
	CHECK_EQ(snpcert_lock_shared(f, 100), 0, "lock after the replacement");
	fstat(snpcert_fd(f), &s2);
	CHECK(s1.st_ino != s2.st_ino, "handle reopened the new file");
	CHECK(snpcert_read(f, buf, sizeof(buf), &size) == 0 && size == lb &&
	      memcmp(buf, b, lb) == 0, "reads the new file");
	snpcert_unlock(f);

	CHECK(unlink(path) == 0, "path removed");
	CHECK_EQ(snpcert_lock_shared(f, 100), -ENOENT, "lock: -ENOENT when the path is gone");
	CHECK_EQ(snpcert_fd(f), -EBADF, "no descriptor then");
	put_file(path, a, la);
	CHECK_EQ(snpcert_lock_shared(f, 100), 0, "lock after the path is back");
	CHECK(snpcert_read(f, buf, sizeof(buf), &size) == 0 && size == la, "reads it");
	snpcert_close(f);
	free(a);
	free(b);
}

int main(void)
{
	const char *tmpdir = getenv("TMPDIR");
	char cmd[128];

	snprintf(dir, sizeof(dir), "%s/test-lib-reader.XXXXXX", tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/table.certs", dir);
	test_basics();
	{
		uint8_t *t = NULL;
		size_t l;

		seq_table(0, &t, &l);
		put_file(path, t, l);
		free(t);
	}
	test_refusals();
	test_read();
	test_busy();
	test_malformed();
	test_replaced();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
