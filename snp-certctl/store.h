/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store: the directory of managed tables (setting "store").  Its tables
 * are the regular files whose names do not start with '.' (journals and
 * temporary files do), in a fixed (sorted) order.
 */
#ifndef SNP_CERTCTL_STORE_H
#define SNP_CERTCTL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base.h"
#include "cmd.h"

/*
 * Told by store_list() of an entry it passes over (error 0: not a regular
 * file) or cannot examine (error: the errno; store_list() then fails with
 * -error).  arg is store_list()'s.
 */
typedef void store_note_fn(void *arg, const char *dir, const char *name, int error);

/*
 * The names of the tables in the directory dir, sorted (strcmp), in a
 * malloc'd array of malloc'd strings (free with store_free()); the SEV
 * chain's directory (sev/, sev-store.h) is not a table and no stray.  Prints
 * nothing; note (may be NULL) hears of the entries left out.  0 or -errno
 * (-ENOENT: dir does not exist).
 */
int store_list(const char *dir, char ***names, size_t *n, store_note_fn *note, void *arg);

/*
 * The full paths of the tables in the store, sorted (strcmp), in a
 * malloc'd array of malloc'd strings (free with store_free()).  A missing
 * store directory is an empty list.  Entries that are not regular files
 * are warned about (store_warn_unmanaged()) and counted in *unmanaged (may
 * be NULL).  0, or -errno with why ("cannot read
 * the store '/var/lib/snp-certctl': Permission denied", "cannot stat
 * '/var/lib/snp-certctl/a.certs': ...", "out of memory").
 */
int store_tables(const struct ctx *ctx, char ***paths, size_t *n, size_t *unmanaged,
		 struct why *why);

/*
 * Say (a warning at normal verbosity: a table that is never refreshed is
 * a silent outage) that the store holds name, which is not a regular file
 * and so is not managed.
 */
void store_warn_unmanaged(const char *dir, const char *name);
void store_free(char **paths, size_t n);

/*
 * Whoever can write the store, or a directory above it, can swap its
 * tables or remove their journals: the rule of trust_path_walk for the
 * whole path.  0 (also for a store that does not exist), or -ERR_REFUSED
 * with why.
 */
int store_trusted(const char *store, struct why *why);

/* One table in the lock order. */
struct lock_ref {
	const char *path; /* as given (borrowed) */
	char *real;       /* realpath(path), malloc'd */
	/* lock_order()'s: the file (stat of real), and how it was named. */
	dev_t dev;
	ino_t ino;
	bool link;        /* path itself is a symbolic link */
	size_t index;     /* in paths[] */
};

/*
 * The lock order: the one order in which every command takes the locks of
 * several tables (workflows, `lock`), so that no two commands can deadlock.
 * paths[0..n) resolved, sorted by real path, a table named twice kept once,
 * in a malloc'd *out of *kept entries (free with lock_order_free()).
 * Named twice: the same real path (a symbolic link and its target: the
 * name that is not a link is kept, as writers refuse links) or the same
 * file (hard links: the first in the order is kept; locking one file
 * through two open file descriptions would wait for itself).
 * 0, -ENOMEM, or -errno of the first path that cannot be resolved, with
 * *bad its index.
 */
int lock_order(char *const *paths, size_t n, struct lock_ref **out, size_t *kept, size_t *bad);
void lock_order_free(struct lock_ref *v, size_t n);

/*
 * The store lock, <store>/.snp-certctl.lock: an exclusive OFD lock that
 * the workflows changing tables (refresh, fw-update, vlek-load, update,
 * build --force) hold from their first read to their last write, so two of
 * them never interleave (a refresh cannot install, after a fw-update, the
 * VCEK it fetched for the TCB before it).  Created mode 0600 where
 * missing; it must be a regular file that passes sc_trust_check().
 */
#define STORE_LOCK_NAME ".snp-certctl.lock"
/* Its path (malloc'd), or NULL. */
char *store_lock_path(const struct ctx *ctx);
/*
 * Take it by the deadline: 0 with *fd (-1 when the store does not exist:
 * nothing to serialise), -ERR_LOCK naming the holders, -ERR_REFUSED, or
 * -errno, with why.  Release with sc_close(*fd).
 */
int store_lock(const struct ctx *ctx, const struct sc_deadline *d, int *fd, struct why *why);

#endif
