/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The write path: put new contents into a table crash-safely, in place
 * under the exclusive lock (lock-protocol.md), saying who holds the lock
 * while waiting.
 */
#ifndef SNP_CERTCTL_INSTALL_H
#define SNP_CERTCTL_INSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"

/*
 * Replace the table at path with buf (a valid table).  An existing table is
 * updated in place through libsnpcert's journaled writer within the lock
 * timeout; with create true a missing one is created whole (temporary file
 * and rename).  Returns 0 or an exit status after printing why.
 */
int table_install_path(struct ctx *ctx, const char *path, const uint8_t *buf, size_t len,
		       bool create);



struct snpcert_writer;

/*
 * Open a writer on path (recovering an interrupted update first) within the
 * lock timeout.  Returns 0 or an exit status after printing why.
 */
int writer_open_report(struct ctx *ctx, const char *path, struct snpcert_writer **out);
/*
 * Take the exclusive lock within timeout_s; after a second of waiting, say
 * on stderr who holds it.  0 or EXIT_LOCK/EXIT_FAIL after printing why.
 */
int writer_lock_report(struct ctx *ctx, struct snpcert_writer *w, const char *path,
		       double timeout_s);
#endif
