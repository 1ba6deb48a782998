/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store: the directory of managed tables (setting "store").  Its tables
 * are the regular files whose names do not start with '.' (journals and
 * temporary files do), in a fixed (sorted) order.
 */
#ifndef SNP_CERTCTL_STORE_H
#define SNP_CERTCTL_STORE_H

#include <stddef.h>

#include "cmd.h"

/*
 * The full paths of the tables in the store, sorted (strcmp), in a
 * malloc'd array of malloc'd strings (free with store_free()).  A missing
 * store directory is an empty list.  0 or an exit status after printing why.
 */
int store_tables(const struct ctx *ctx, char ***paths, size_t *n);
void store_free(char **paths, size_t n);

#endif
