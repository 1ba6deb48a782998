/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The base layer: the small helpers that the library and the program both
 * need, written once.  Compiled into libsnpcert (hidden) and linked into
 * the program, which cannot see the library's hidden copies.  Names start
 * with "sc_"; nothing here prints, exits or knows of tables.
 */
#ifndef SNPCERT_BASE_H
#define SNPCERT_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* ---- time ---------------------------------------------------------------- */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sc_now_ns(void);
/* Seconds since a sc_now_ns() value. */
double sc_since_s(uint64_t start_ns);

/*
 * One deadline for every wait of an operation.  Made from a timeout in
 * seconds; a timeout of 0 (or less) means "try once": sc_deadline_ms() is
 * 0 from the start, so a lock wait makes a single attempt.
 */
struct sc_deadline {
	uint64_t end_ns; /* CLOCK_MONOTONIC */
	double seconds;  /* the timeout it was made from, for messages */
	bool once;
};
void sc_deadline_init(struct sc_deadline *d, double seconds);
/* Milliseconds left, rounded up, saturating at UINT_MAX; 0 once passed or for "try once". */
unsigned int sc_deadline_ms(const struct sc_deadline *d);
/* Seconds left (0 once passed). */
double sc_deadline_left_s(const struct sc_deadline *d);
bool sc_deadline_passed(const struct sc_deadline *d);

/* Sleep s seconds (fractions allowed; nothing for s <= 0), whatever signals come. */
void sc_sleep_s(double s);
/* A uniform random number in [0, 1) from getrandom(2). */
double sc_random01(void);

/*
 * Sleep before the next attempt: min(*step_us, time to deadline_ns), then
 * double *step_us up to cap_us.  -ETIMEDOUT (without sleeping) once the
 * deadline has passed.
 */
int sc_backoff(uint64_t deadline_ns, unsigned int *step_us, unsigned int cap_us);
/* The same, but -EINTR when a signal handler cut the sleep short (the writers' waits). */
int sc_backoff_intr(uint64_t deadline_ns, unsigned int *step_us, unsigned int cap_us);

/* ---- whole-buffer I/O and durability -------------------------------------- */

/* write/pwrite/pread the whole buffer, retrying short transfers and EINTR: 0 or -errno. */
int sc_write_all(int fd, const void *buf, size_t len);
int sc_pwrite_all(int fd, const void *buf, size_t len, off_t off);
int sc_pread_all(int fd, void *buf, size_t len, off_t off, size_t *got);
/* close(fd) if fd >= 0, keeping errno. */
void sc_close(int fd);
/* The directory part of path, malloc'd ("." when there is none, "/" for "/x"), or NULL. */
char *sc_dir_of(const char *path);
/* fsync the directory dir / the directory holding path: 0 or -errno. */
int sc_fsync_dir(const char *dir);
int sc_fsync_dir_of(const char *path);
/*
 * open(path, oflags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600) without
 * blocking on a FIFO (O_NONBLOCK, cleared again), then fstat into *st:
 * the descriptor or -errno.
 */
int sc_open_file(const char *path, int oflags, struct stat *st);

/* ---- trust ---------------------------------------------------------------- */

/*
 * The one ownership rule, for tables, journals, hooks, the configuration
 * and the files it names: a file or directory is trusted when it is owned
 * by root, or (when not running as root) by root or the running user, and
 * not writable by group or others.  0, or -EPERM with *why set to a phrase
 * ("not owned by root", "writable by group or others", "owned by uid 1000,
 * neither root nor the running user (uid 1001)") in buf (len bytes).
 */
int sc_trust_check(const struct stat *st, char *buf, size_t len);
/*
 * The rule for a directory holding what is trusted: sc_trust_check, except
 * that a sticky directory (/tmp) may be writable by group or others, who
 * cannot move, replace or remove entries they do not own.
 */
int sc_trust_check_dir(const struct stat *st, char *buf, size_t len);

#endif
