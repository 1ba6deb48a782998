/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The write path: put new contents into a table crash-safely, in place
 * under the exclusive lock (lock-protocol.md), saying who holds the lock
 * while waiting.  Every wait here prints "waiting for the lock on FILE,
 * held by PID (COMMAND) MODE" on stderr once it has lasted a second, and a
 * timeout names the holders and returns EXIT_LOCK.
 */
#ifndef SNP_CERTCTL_INSTALL_H
#define SNP_CERTCTL_INSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cmd.h"

struct snpcert_file;
struct snpcert_writer;

/*
 * One overall deadline for the waits of a command (journal lock, recovery,
 * exclusive lock, several files).  timeout_s 0 means try once.
 */
struct lock_deadline {
	double timeout_s;
	struct timespec end; /* CLOCK_MONOTONIC */
};

void lock_deadline_init(struct lock_deadline *d, double timeout_s);
/* Milliseconds left (0 once passed; 0 for timeout 0: try once). */
unsigned int lock_deadline_ms(const struct lock_deadline *d);

/*
 * Replace the table at path with buf (a valid table).  An existing table is
 * updated in place through libsnpcert's journaled writer within the lock
 * timeout; with create true a missing one is created whole (temporary file
 * and rename).  Returns 0 or an exit status after printing why.
 */
int table_install_path(struct ctx *ctx, const char *path, const uint8_t *buf, size_t len,
		       bool create);

/*
 * Open a writer on path (journal lock; recovering an interrupted update
 * first) by the deadline.  Returns 0 or an exit status after printing why.
 */
int writer_open_report(const char *path, const struct lock_deadline *d,
		       struct snpcert_writer **out);
/* Take the exclusive lock by the deadline.  0 or an exit status after printing why. */
int writer_lock_report(struct snpcert_writer *w, const char *path, const struct lock_deadline *d);
/*
 * On an open writer: prepare (journal, before the lock), take the exclusive
 * lock by the deadline, commit, unlock, finish.  Only the in-place write
 * happens under the lock; how long it was held is reported with -v.
 * 0 or an exit status after printing why.
 */
int writer_install(struct snpcert_writer *w, const char *path, const uint8_t *buf, size_t len,
		   const struct lock_deadline *d);
/* The shared lock of a reader handle by the deadline.  0 or an exit status. */
int reader_lock_report(struct snpcert_file *f, const char *path, const struct lock_deadline *d);
/*
 * snpcert_recover() by the deadline; *outcome is SNPCERT_RECOVER_*.
 * 0 or an exit status after printing why.
 */
int recover_report(const char *path, const struct lock_deadline *d, int *outcome);

/*
 * The message and exit status for a libsnpcert error ret on path (refusals,
 * malformed table; EXIT_LOCK for a lock not had by the deadline, naming the
 * holders).
 */
int writer_error(const char *path, int ret, const struct lock_deadline *d);

#endif
