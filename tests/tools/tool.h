/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the test tools share: a number from the command line, sleeping,
 * and a whole file read in.  PROG (defined before including) names the
 * tool in messages.
 */
#ifndef SNPCERT_TESTS_TOOL_H
#define SNPCERT_TESTS_TOOL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A decimal number, or exit 2 saying which argument is not one. */
static inline unsigned long tool_num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s) {
		fprintf(stderr, PROG ": invalid number '%s'\n", s);
		exit(2);
	}
	return v;
}

static inline void tool_sleep_us(unsigned long us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* path's bytes into a malloc'd *p (*len of them): 0, or -1 after saying why. */
static inline int tool_slurp(const char *path, unsigned char **p, size_t *len)
{
	struct stat st;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*p = NULL;
	if (fd >= 0 && fstat(fd, &st) == 0 && (*p = malloc((size_t)st.st_size + 1)))
		n = pread(fd, *p, (size_t)st.st_size, 0);
	if (fd >= 0)
		close(fd);
	if (n < 0 || n != st.st_size) {
		fprintf(stderr, PROG ": cannot read '%s'\n", path);
		free(*p);
		*p = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

#endif
