/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who holds or waits for a lock on a file.  /proc/locks shows OFD locks
 * with pid -1, so holders are found through the "lock:" lines of
 * /proc/PID/fdinfo/FD; waiters only appear in /proc/locks ("->" lines),
 * with a pid for POSIX locks and -1 for OFD ones.
 */
#ifndef SNP_CERTCTL_HOLDERS_H
#define SNP_CERTCTL_HOLDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct lock_holder {
	pid_t pid;          /* -1 when the kernel does not say (OFD waiter) */
	char comm[64];
	int fd;             /* -1 for waiters */
	bool write;         /* WRITE, else READ */
	bool waiting;
	bool ofd;           /* OFD lock, else POSIX (or FLOCK) */
	char kind[16];      /* "OFDLCK", "POSIX", "FLOCK" */
	unsigned long long start, end; /* end ULLONG_MAX for EOF */
};

/* Every lock on (dev, ino).  *out is malloc'd.  0 or -errno. */
int lock_holders(dev_t dev, ino_t ino, struct lock_holder **out, size_t *n);
/*
 * "1234 (qemu-system-x86) READ, 99 (snp-certctl) WRITE" into buf: the
 * holders (not the waiters), each pid and mode once, this process left out;
 * "no process found" when none is left.
 */
void lock_holders_describe(const struct lock_holder *h, size_t n, char *buf, size_t len);
/*
 * The same for the locks on any of the n files named (a table and its
 * journal); names that do not exist are skipped, "unknown processes" if
 * /proc cannot be read.
 */
void lock_holders_describe_paths(const char *const *paths, size_t n, char *buf, size_t len);
/* The same for n files by device and inode (st_dev, st_ino), named or not. */
void lock_holders_describe_files(const struct stat *files, size_t n, char *buf, size_t len);
/* A lock on the writer-intent byte (SNPCERT_INTENT_OFFSET). */
bool lock_holder_is_intent(const struct lock_holder *h);

#endif
