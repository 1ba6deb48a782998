/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Waiting for a table's locks within one deadline, saying who is in the
 * way: every wait here prints "waiting for the lock on FILE, held by PID
 * (COMMAND) MODE" on stderr once it has lasted a second (progress, not an
 * error), and a wait that runs out returns -ERR_LOCK with a why naming the
 * holders.  Everything else follows errors.h: 0 or a negative code with
 * the message in why.
 */
#ifndef SNP_CERTCTL_LOCKWAIT_H
#define SNP_CERTCTL_LOCKWAIT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "errors.h"

struct snpcert_file;
struct snpcert_writer;

/*
 * The signal that asked us to stop (SIGTERM, SIGINT, SIGHUP), or 0: set by
 * the workflow driver's handler.  A writer's wait that a signal cut short
 * (libsnpcert: -EINTR) goes on unless this is set; then it returns -EINTR
 * ("interrupted by SIGTERM").
 */
extern volatile sig_atomic_t lockwait_signal;

/*
 * The code and message for a libsnpcert error ret on path: -ERR_LOCK (a
 * lock not had by the deadline, naming the holders), -ERR_REFUSED (a
 * symbolic link, not a regular file, unsafe owner or mode), -ERR_VERIFY
 * (not a well-formed table), else ret itself ("cannot lock '...': ...").
 */
int lockwait_why(const char *path, int ret, const struct sc_deadline *d, struct why *why);

/* Become path's writer (journal lock; recovering an interrupted update first) by the deadline. */
int lockwait_writer_open(const char *path, const struct sc_deadline *d,
			 struct snpcert_writer **out, struct why *why);
/* The same with more writer flags (SNPCERT_WRITER_OPAQUE, SNPCERT_WRITER_DISCARD). */
int lockwait_writer_open_flags(const char *path, unsigned int flags, const struct sc_deadline *d,
			       struct snpcert_writer **out, struct why *why);
/* The writer's exclusive lock by the deadline. */
int lockwait_writer_lock(struct snpcert_writer *w, const char *path, const struct sc_deadline *d,
			 struct why *why);
/* A reader handle's shared lock by the deadline. */
int lockwait_reader_lock(struct snpcert_file *f, const char *path, const struct sc_deadline *d,
			 struct why *why);
/* snpcert_recover() by the deadline; *outcome is SNPCERT_RECOVER_*. */
int lockwait_recover(const char *path, const struct sc_deadline *d, int *outcome,
		     struct why *why);
int lockwait_recover_flags(const char *path, unsigned int flags, const struct sc_deadline *d,
			   int *outcome, struct why *why);

/*
 * The bytes of the table at path as a VMM takes them: opened through
 * libsnpcert (no symbolic links, regular files only, no blocking on a
 * FIFO), under the shared lock had by the deadline, read whole, unlocked.
 * The contents are not judged here (show and verify say what is wrong with
 * them), only their size: over max bytes is -EFBIG.  *buf is malloc'd.  0 or
 * a code with why: -EFBIG, -ERR_LOCK (busy: a writer holds it), -ERR_REFUSED,
 * -errno ("cannot read '...': ...").
 */
int lockwait_read_table(const char *path, const struct sc_deadline *d, size_t max, uint8_t **buf,
			size_t *len, struct why *why);

#endif
