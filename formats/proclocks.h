/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's lock lines, as /proc/locks prints them and /proc/PID/fdinfo/FD
 * after "lock:\t":
 *
 *   1: OFDLCK  ADVISORY  READ  -1 08:02:1234 0 EOF
 *   2: -> POSIX  ADVISORY  WRITE 4711 fd:00:99 0 1023      (a waiter)
 *
 * id, "->" for a blocked waiter, kind, ADVISORY/MANDATORY, READ/WRITE, pid
 * (-1 for OFD locks), device major:minor (hex) and inode, first and last
 * byte (EOF for "to the end").
 */
#ifndef SNPCERT_FORMATS_PROCLOCKS_H
#define SNPCERT_FORMATS_PROCLOCKS_H

#include <stdbool.h>

struct proclock {
	char kind[16];                 /* "OFDLCK", "POSIX", "FLOCK", ... */
	bool waiting;                  /* "->": blocked, not held */
	bool write;                    /* WRITE, else READ */
	int pid;                       /* -1 when the kernel does not say */
	unsigned int dev_major, dev_minor;
	unsigned long long ino;
	unsigned long long start, end; /* end: ULLONG_MAX for EOF */
};

/* Parse one line (leading blanks allowed).  0 or -EINVAL. */
int proclock_parse(const char *line, struct proclock *out);

#endif
