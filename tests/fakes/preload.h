/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the LD_PRELOAD fakes share: the real function behind the one they
 * replace, their log lines and errno names.  FAKE (defined before
 * including) names the fake in messages ("fake-sev").
 */
#ifndef SNPCERT_TESTS_PRELOAD_H
#define SNPCERT_TESTS_PRELOAD_H

#include <dlfcn.h>
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

#endif
