/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages, checked number parsing and whole-file I/O for the program. */
#ifndef SNP_CERTCTL_UTIL_H
#define SNP_CERTCTL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct why;

/* -1 quiet, 0 normal, 1 verbose; set once by the command line. */
extern int log_verbosity;

/* "snp-certctl: <message>\n" on stderr, always. */
void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "snp-certctl: warning: <message>\n" on stderr, unless quiet. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress for people on stderr: normal and verbose only. */
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * One line of text on stdout (printf, ending in a newline), with control
 * characters escaped as \xHH, as in every message above: foreign strings
 * (process and file names, certificate subjects) never reach a terminal raw.
 */
void tprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Detail on stderr: verbose only. */
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checked parsers: the whole string, decimal only, in range.  0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t *out);
/* Seconds: DIGITS[.DIGITS] ("10", "0.5"), at most a year; no 0x, exponents or signs. */
int parse_seconds(const char *s, double *out);
/* RFC 3339 ("2025-01-01T00:00:00Z"), a date ("2025-01-01") or "@EPOCH". */
int parse_time(const char *s, time_t *out);
/* Lowercase hex of any length into a malloc'd buffer.  0 or -EINVAL. */
int parse_hex(const char *s, uint8_t **out, size_t *len);
void format_hex(const uint8_t *buf, size_t len, char *out); /* out: 2*len+1 */
/* "2023-04-03T19:23:43Z" into out (>= 21 bytes). */
void format_time(time_t t, char *out, size_t len);

/*
 * Read a whole file of at most max bytes into a malloc'd buffer.  The
 * open never blocks and anything but a regular file (after links) is
 * refused before it is read: 0, -EFBIG, -ERR_REFUSED (not a regular
 * file: "refusing '%s': not a regular file"), or -errno.
 */
int read_file(const char *path, size_t max, uint8_t **buf, size_t *len);
/*
 * dir/name, written cleanly: runs of slashes in dir as one, no trailing
 * slash, "." left out ("x", not "./x").  A new string, or NULL (no memory).
 */
char *path_join(const char *dir, const char *name);
/* "a FIFO", "a character device", "a symbolic link", ... for messages. */
const char *file_type_name(mode_t mode);

/* write_file_atomic() flags. */
#define WRITE_REPLACE 1u /* replace an existing regular file (or a link, itself) */
#define WRITE_DEVICE 2u  /* the user named path (-o): write into a character device */
/*
 * read_file for a file that decides what is trusted (the configuration, a
 * trust root): every directory above it (trust_path_walk) and the
 * descriptor read must also pass sc_trust_check.  0, -EPERM with the
 * phrase in bad (badlen bytes), -ERR_REFUSED (not a regular file), -EFBIG,
 * or -errno.
 */
int read_trusted_file(const char *path, size_t max, uint8_t **buf, size_t *len, char *bad,
		      size_t badlen);
/*
 * Create path with buf, crash-safe: a temporary file created exclusively
 * in the same directory, fsync, then renamed into place (rename replaces
 * a symbolic link itself, never writes through it); fsync the directory.
 * Without WRITE_REPLACE an existing path is never clobbered (-EEXIST).
 * Anything but a regular file or a link at path is refused (-ERR_REFUSED,
 * "refusing to write '...': it is a FIFO"), except a character device
 * (/dev/stdout, /dev/null, or a link to one) with WRITE_DEVICE, which is
 * written into, never replaced.  0 or a code with why.
 */
int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode,
		      unsigned int flags, struct why *why);
/* The temporary names write_file_atomic() creates (and a sweep may remove). */
#define TEMP_PREFIX ".snp-certctl."
/*
 * write_file_atomic() of name (one component) in the directory dirfd,
 * shown in messages as shown: the temporary file, the rename and the fsync
 * all relative to dirfd, so nothing reaches outside that directory (no
 * WRITE_DEVICE).  0 or a code with why.
 */
int write_file_atomic_at(int dirfd, const char *name, const char *shown, const void *buf,
			 size_t len, mode_t mode, unsigned int flags, struct why *why);
/*
 * read_file() of path relative to dirfd, with extra open flags (O_NOFOLLOW)
 * and the fstat of what was read in *st.
 */
int read_file_at(int dirfd, const char *path, int flags, size_t max, uint8_t **buf, size_t *len,
		 struct stat *st);
/*
 * What write_file_atomic() would make of path now, for a caller that
 * writes several files and would rather refuse before the first: 0 (a new
 * file, or one replaced by rename), 1 (written into the named device,
 * WRITE_DEVICE), or a code with why.
 */
int write_target(const char *path, unsigned int flags, struct why *why);

/*
 * Open files.  nofile_raise(), once at program start: the soft
 * RLIMIT_NOFILE up to the hard limit.  nofile_reserve(n): make room for n
 * descriptors, raising the hard limit too where we may (root: up to
 * fs.nr_open); 0 or -EMFILE.  nofile_restore(), in a child before exec:
 * the soft limit we started with (a program using select() breaks on
 * descriptors past 1024).
 */
void nofile_raise(void);
int nofile_reserve(size_t n);
void nofile_restore(void);

/* fflush/ferror/fclose stdout: 0, or an exit status after printing why. */
int close_stdout(void);

#endif
