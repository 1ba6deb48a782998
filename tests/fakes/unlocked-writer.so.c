/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An unlocked writer (tests/tools/unlocked-writer) at the worst instant,
 * from the system edge, for LD_PRELOAD into a reader:
 *
 *   LD_PRELOAD=.../tests/fakes/unlocked-writer.so UNLOCKED_WRITER_FILE=t.certs \
 *   UNLOCKED_WRITER_A=a.certs UNLOCKED_WRITER_B=b.certs compat-reader ...
 *
 * Every UNLOCKED_WRITER_EVERY-th (default 2nd) pread(2) of FILE from offset
 * 0 of more than 4096 bytes is cut in two, as a reader preempted there
 * would see it: the first 4096 bytes are read, then the file is rewritten
 * without a lock the way the tool does (truncated, B written), caught at
 * the instant its size is again the size the reader asked for (ftruncate to
 * it), the rest is read, and the rewrite goes on to its end: truncated, A
 * written (so that the next read finds A whole).  The reader gets the start
 * of A and the rest of B at A's size: a table that can validate (A's
 * entries cover it) but is neither, while fstat(2) before and after shows
 * the same size.  Other calls pass through.  The reader's own pread of
 * FILE is recognised by st_dev and st_ino.  With UNLOCKED_WRITER_COUNT, the
 * number of preads cut so far is written to that file after each one.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define PAGE 4096u

typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);

static unsigned long calls, cuts;

static pread_fn real_pread(void)
{
	static pread_fn fn;

	if (!fn)
		fn = (pread_fn)dlsym(RTLD_NEXT, "pread");
	return fn;
}

static int is_target(int fd, const char *path)
{
	struct stat a, b;

	return path && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* The whole of src into dst's file, emptied first: no lock, same inode. */
static int rewrite(const char *dst, const char *src)
{
	static unsigned char buf[1 << 20];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, ret = -1;
	ssize_t n;

	if (in < 0)
		return -1;
	n = real_pread()(in, buf, sizeof(buf), 0);
	out = open(dst, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (n >= 0 && out >= 0 && write(out, buf, (size_t)n) == n)
		ret = 0;
	close(in);
	if (out >= 0)
		close(out);
	return ret;
}

static void count_cut(void)
{
	const char *count = getenv("UNLOCKED_WRITER_COUNT");
	int fd;

	cuts++;
	if (!count)
		return;
	fd = open(count, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dprintf(fd, "%lu\n", cuts) < 0)
		abort();
	close(fd);
}

static ssize_t torn_pread(int fd, unsigned char *buf, size_t len, const char *path)
{
	ssize_t first, rest;
	int out;

	first = real_pread()(fd, buf, PAGE, 0);
	if (first != (ssize_t)PAGE)
		return first;
	if (rewrite(path, getenv("UNLOCKED_WRITER_B")) < 0)
		abort();
	out = open(path, O_WRONLY | O_CLOEXEC);
	if (out < 0 || ftruncate(out, (off_t)len) < 0)
		abort();
	close(out);
	rest = real_pread()(fd, buf + PAGE, len - PAGE, PAGE);
	if (rewrite(path, getenv("UNLOCKED_WRITER_A")) < 0)
		abort();
	count_cut();
	return rest < 0 ? rest : first + rest;
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	const char *path = getenv("UNLOCKED_WRITER_FILE");
	const char *every = getenv("UNLOCKED_WRITER_EVERY");
	unsigned long n = every ? strtoul(every, NULL, 10) : 2;

	if (off == 0 && len > PAGE && is_target(fd, path) && n && ++calls % n == 0)
		return torn_pread(fd, buf, len, path);
	return real_pread()(fd, buf, len, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off);
}
