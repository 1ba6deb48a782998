/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsnpcert internals: never installed.  Names here start with "sc_";
 * only the snpcert_* functions marked SNPCERT_EXPORT leave the library.
 */
#ifndef SNPCERT_INTERNAL_H
#define SNPCERT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base.h"
#include "snpcert.h"

#define SNPCERT_EXPORT __attribute__((visibility("default")))

/* SNPCERT_INTENT_OFFSET (snpcert.h) must fit an off_t lock range. */

_Static_assert(sizeof(off_t) >= 8, "libsnpcert needs a 64-bit off_t");

/* Reader polling: sleeps grow from START to CAP microseconds. */
#define SC_READER_SLEEP_START_US 20u
#define SC_READER_SLEEP_CAP_US 1000u
/* Reads of a table a tool outside the protocol was changing meanwhile. */
#define SC_READER_TRIES 3u
/* Writer polling (intent byte, whole file, journal lock). */
#define SC_WRITER_SLEEP_START_US 50u
#define SC_WRITER_SLEEP_CAP_US 2000u

/* The journal: a fixed header, then the new table. */
#define SC_JOURNAL_MAGIC "SNPCJRN1"
#define SC_JOURNAL_VERSION 1u
#define SC_JOURNAL_HEADER_SIZE 64u

/* ---- lock.c ---- */
/* Now plus timeout_ms, in sc_now_ns() terms. */
uint64_t sc_deadline(unsigned int timeout_ms);
/* fcntl(fd, cmd, {type, SEEK_SET, start, len}): 0 or -errno. */
int sc_ofd(int fd, int cmd, short type, off_t start, off_t len);
/*
 * A writer's wait for an OFD lock on [start, start+len) (len 0: to the end):
 * poll F_OFD_SETLK with growing sleeps until it is had (0) or the deadline
 * passes (-ETIMEDOUT); once: a single try (-EAGAIN when busy); -EINTR when
 * a signal handler cut a sleep short.
 */
int sc_ofd_wait(int fd, short type, off_t start, off_t len, uint64_t deadline, bool once);
/* 1 if a writer holds the intent byte, 0 if not, or -errno. */
int sc_intent_announced(int fd);
/* 1 if path names the file open at fd (st_dev and st_ino), 0 if not or gone, or -errno. */
int sc_same_file(const char *path, int fd);
/* Refusals shared by readers and writers: regular files only (-EINVAL). */
int sc_check_regular(const struct stat *st);
/* Writers: the one ownership rule of base.h (sc_trust_check): 0 or -EPERM. */
int sc_check_owner(const struct stat *st);

/* ---- crc32.c ---- */
uint32_t sc_crc32(uint32_t crc, const void *buf, size_t len);

/* ---- journal.c ---- */
struct sc_journal_id {
	uint64_t dev;
	uint64_t ino;
	int64_t btime_sec; /* 0 when the file system does not report it */
	uint32_t btime_nsec;
};

/* The identity of the file open at fd, as the journal records it. */
int sc_journal_id_of(int fd, struct sc_journal_id *id);
/* 1 if the two identities name the same file, 0 if not. */
bool sc_journal_id_match(const struct sc_journal_id *a, const struct sc_journal_id *b);
/*
 * Replace the journal's contents with a record of (id, table): truncate,
 * one pwrite, fsync.
 */
int sc_journal_write(int jfd, const struct sc_journal_id *id, const void *table, size_t len);
/*
 * Read and check the journal: 0 with *table (malloc'd), *len and *id when
 * good, -EBADMSG when it is torn or corrupt, -ENODATA when it is empty.
 */
int sc_journal_read(int jfd, struct sc_journal_id *id, uint8_t **table, size_t *len);
/* Empty the journal durably (ftruncate 0, fsync). */
int sc_journal_clear(int jfd);

#endif
