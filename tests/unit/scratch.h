/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scratch files of a unit test: paths under its mkdtemp'd directory,
 * and reading back what a call wrote there.
 */
#ifndef SNPCERT_TESTS_SCRATCH_H
#define SNPCERT_TESTS_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void die(const char *what)
{
	perror(what);
	exit(99);
}

/* dir/name, in one of eight rotating buffers (so a call can take several). */
static inline char *scratch_path(const char *dir, const char *name)
{
	static char bufs[8][512];
	static int i;
	char *p = bufs[i++ % 8];

	snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
	return p;
}

/* The file's contents (at most len - 1 bytes) into buf; "" if it cannot be read. */
static inline void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n = 0;

	buf[0] = '\0';
	if (!f)
		return;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Its first line, without the newline. */
static inline void slurp_line(const char *path, char *buf, size_t len)
{
	slurp(path, buf, len);
	buf[strcspn(buf, "\n")] = '\0';
}

#endif
