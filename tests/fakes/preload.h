/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the LD_PRELOAD fakes share: the real function behind the one they
 * replace, their log lines and errno names.  FAKE (defined before
 * including) names the fake in messages ("fake-sev").
 */
#ifndef SNPCERT_TESTS_PRELOAD_H
#define SNPCERT_TESTS_PRELOAD_H

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The next definition of name (the real one), or abort: a fake that cannot pass calls on is no fake. */
static inline void *fake_next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, FAKE ": cannot find the real %s: %s\n", name, dlerror());
		abort();
	}
	return p;
}

/*
 * One line "<realtime seconds.ns> <pid> <prefix> <what>" appended to the
 * file the environment variable env names (none: no log), written at once,
 * so that the lines of processes sharing the log never interleave.
 */
static inline void fake_vlog(const char *env, const char *prefix, const char *fmt, va_list ap)
{
	const char *path = getenv(env);
	char what[1024];
	struct timespec ts;
	FILE *f;

	if (!path || !*path)
		return;
	vsnprintf(what, sizeof(what), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	f = fopen(path, "ae");
	if (!f)
		return;
	fprintf(f, "%lld.%09ld %d %s %s\n", (long long)ts.tv_sec, ts.tv_nsec, (int)getpid(), prefix,
		what);
	fclose(f);
}

static inline const char *fake_errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "?";
}

/*
 * The open entry points, plain, 64-bit and fortified (-D_FORTIFY_SOURCE),
 * each asking the fake's own
 *     static int fake_claim(int dirfd, const char *path, int flags);
 * first (dirfd AT_FDCWD for open()): a descriptor of the fake's, -1 with
 * errno (the fake's open failed), or FAKE_NOT_OURS to pass the call on.
 * FAKE_WRAP_OPENS() defines them all.
 */
#define FAKE_NOT_OURS (-2)

typedef int (*fake_open_fn)(const char *, int, ...);
typedef int (*fake_openat_fn)(int, const char *, int, ...);
typedef int (*fake_open2_fn)(const char *, int);
typedef int (*fake_openat2_fn)(int, const char *, int);

static inline mode_t fake_mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

#define FAKE_WRAP_OPEN(name)                                                                \
	__attribute__((visibility("default"))) int name(const char *path, int flags, ...)   \
	{                                                                                   \
		int fd = fake_claim(AT_FDCWD, path, flags);                                 \
		va_list ap;                                                                 \
		mode_t mode;                                                                \
		if (fd != FAKE_NOT_OURS)                                                    \
			return fd;                                                          \
		va_start(ap, flags);                                                        \
		mode = fake_mode_arg(flags, ap);                                            \
		va_end(ap);                                                                 \
		return ((fake_open_fn)fake_next(#name))(path, flags, mode);                 \
	}
#define FAKE_WRAP_OPENAT(name)                                                              \
	__attribute__((visibility("default"))) int name(int dirfd, const char *path, int flags, \
							...)                                \
	{                                                                                   \
		int fd = fake_claim(dirfd, path, flags);                                    \
		va_list ap;                                                                 \
		mode_t mode;                                                                \
		if (fd != FAKE_NOT_OURS)                                                    \
			return fd;                                                          \
		va_start(ap, flags);                                                        \
		mode = fake_mode_arg(flags, ap);                                            \
		va_end(ap);                                                                 \
		return ((fake_openat_fn)fake_next(#name))(dirfd, path, flags, mode);        \
	}
#define FAKE_WRAP_OPEN2(name)                                                               \
	int name(const char *path, int flags);                                              \
	__attribute__((visibility("default"))) int name(const char *path, int flags)        \
	{                                                                                   \
		int fd = fake_claim(AT_FDCWD, path, flags);                                 \
		if (fd != FAKE_NOT_OURS)                                                    \
			return fd;                                                          \
		return ((fake_open2_fn)fake_next(#name))(path, flags);                      \
	}
#define FAKE_WRAP_OPENAT2(name)                                                             \
	int name(int dirfd, const char *path, int flags);                                   \
	__attribute__((visibility("default"))) int name(int dirfd, const char *path, int flags) \
	{                                                                                   \
		int fd = fake_claim(dirfd, path, flags);                                    \
		if (fd != FAKE_NOT_OURS)                                                    \
			return fd;                                                          \
		return ((fake_openat2_fn)fake_next(#name))(dirfd, path, flags);             \
	}
#define FAKE_WRAP_OPENS()                                                                   \
	FAKE_WRAP_OPEN(open)                                                                \
	FAKE_WRAP_OPEN(open64)                                                              \
	FAKE_WRAP_OPENAT(openat)                                                            \
	FAKE_WRAP_OPENAT(openat64)                                                          \
	FAKE_WRAP_OPEN2(__open_2)                                                           \
	FAKE_WRAP_OPEN2(__open64_2)                                                         \
	FAKE_WRAP_OPENAT2(__openat_2)                                                       \
	FAKE_WRAP_OPENAT2(__openat64_2)

#endif
