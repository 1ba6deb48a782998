/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SEV (pre-SNP) platform chain on the host: the directory <store>/sev/
 * (or one named), which sev-verify checks.  It holds one certificate per
 * file, in AMD's own formats (formats/sevcert.h):
 *
 *   pek.cert oca.cert cek.cert pdh.cert   SEV certificates, 2084 bytes
 *   ask.cert ark.cert                     AMD CA certificates (or AMD's
 *                                         combined ask_ark.cert)
 *
 * sev-export keeps the six as one set, updated in place with the lock
 * protocol of the tables (lib/writer.c in its opaque mode: one journal
 * each) and a commit point for the set, the mark ".sev-chain.set":
 *
 *   0  the directory and its parent checked, before anything is made in
 *      it: a directory, not a symbolic link, that no one but root and the
 *      running user may write, nor its parent (sticky ones excepted, as
 *      for the tables);
 *   1  the mark's writers' lock (F_WRLCK, byte 0): set writers are serialised;
 *      an interrupted export is completed first (mark not empty: every
 *      member's good journal replayed) or dropped (mark empty: journals
 *      discarded; no member was touched before the mark was written);
 *   2  each changed member's new contents in its journal, durable;
 *   3  the mark's commit lock taken (F_WRLCK, byte 1), the mark written and
 *      made durable: the commit point;
 *   4  the changed members' exclusive locks, in the order pek, oca, cek,
 *      pdh, ask, ark; all committed in place; all unlocked;
 *   5  the members made durable, their journals cleared; the mark emptied,
 *      then its commit lock released.
 *
 * A reader (sev_store_read) takes the members' shared locks in the same
 * order and holds them all while it reads, so it sees the set either
 * before or after an export, never half; a mark that is not empty while
 * no writer holds its commit lock means an export died between 3 and 5,
 * and the set is refused until recovery completes it (also while the next
 * writer, which holds the writers' lock only, is completing it).
 */
#ifndef SNP_CERTCTL_SEV_STORE_H
#define SNP_CERTCTL_SEV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "cmd.h"
#include "errors.h"
#include "sevcert.h"

#define SEV_STORE_SUBDIR "sev"

enum sev_file {
	SEV_FILE_PEK = 0,
	SEV_FILE_OCA,
	SEV_FILE_CEK,
	SEV_FILE_PDH,
	SEV_FILE_ASK,
	SEV_FILE_ARK,
	SEV_FILE_ASK_ARK,
	SEV_FILE_COUNT,
};

/* "pek.cert", ..., "ask_ark.cert"; NULL out of range. */
const char *sev_file_name(enum sev_file f);

/* The chain's directory: dir when given, else <store>/sev; malloc'd, or NULL (no memory). */
char *sev_store_dir(const struct ctx *ctx, const char *dir);

/*
 * Read the file path of at most max bytes (read_file: regular files only,
 * never blocking), what naming it in messages ("PEK"): 0, or an exit
 * status (EXIT_FAIL, EXIT_VERIFY when too large) after the message.
 */
int sev_file_read(const char *what, const char *path, size_t max, uint8_t **buf, size_t *len);

/*
 * The private SEV root: --trust-root FILE (ctx->trust_roots; at most one
 * for the SEV commands) or the setting sev_trust_root.  The file decides
 * what is trusted, so it is read as a trusted file (read_trusted_file) and
 * must be an ARK in the AMD CA format, or AMD's ASK-then-ARK file (as
 * ask_ark_<gen>.cert): then the ASK is the one the root certified, used for
 * chains that carry none (the CEK from KDS is signed by it).
 */
struct sev_root {
	uint8_t *buf; /* the file, malloc'd; NULL when no root is set */
	size_t len;
	const uint8_t *ark, *ask; /* into buf; ask NULL when the file is the ARK alone */
	size_t ark_len, ask_len;
};
/* 0 (r->buf NULL when none is set), or an exit status (EXIT_USAGE, EXIT_VERIFY, EXIT_FAIL) after the message. */
int sev_trust_root_load(const struct ctx *ctx, struct sev_root *r);
/* The same for the file path (NULL or "": none), whatever the command line says. */
int sev_trust_root_read(const char *path, struct sev_root *r);
/* Trust r in o (the fields trust_ark and trust_ask). */
void sev_root_opts(const struct sev_root *r, struct sev_verify_opts *o);
void sev_root_free(struct sev_root *r);

/* ---- the stored set ---- */

#define SEV_SET_MARK ".sev-chain.set"
/* The set's members are SEV_FILE_PEK .. SEV_FILE_ARK, in lock order. */
#define SEV_SET_MEMBERS (SEV_FILE_ARK + 1)

/* A member's new contents (data NULL: leave the member as it is). */
struct sev_set_file {
	const uint8_t *data;
	size_t len;
};

struct sev_set_result {
	bool changed[SEV_SET_MEMBERS]; /* written by this export */
	bool created[SEV_SET_MEMBERS]; /* did not exist before */
	int recovered;                 /* SNPCERT_RECOVER_* of an interrupted export found first */
	double hold_s;                 /* how long readers were held off */
};

/*
 * Write the set in dir (created 0755 if missing; its parent must exist):
 * the members whose contents differ, as the header says, by the deadline.
 * Members are 0644 (guests' chains are public).  0, or a code with why:
 * -ERR_LOCK (by the deadline, naming the holders), -ERR_REFUSED (a
 * symbolic link, not a regular file, unsafe owner or mode, a hard link),
 * -ENOSPC and other -errno; nothing changed unless the message says the
 * export was interrupted after its commit point (then recovery completes it).
 */
/*
 * locked, when not NULL, runs once every changed member's lock is held and
 * before any is written (the hooks' locked event): when it fails (a code
 * with why) nothing is written and sev_set_write returns its code.
 */
typedef int sev_set_locked_fn(void *arg, const struct sev_set_result *res, struct why *why);
int sev_set_write(const char *dir, const struct sev_set_file files[SEV_SET_MEMBERS],
		  const struct sc_deadline *d, sev_set_locked_fn *locked, void *arg,
		  struct sev_set_result *res, struct why *why);

/*
 * Complete or drop an interrupted export of the set in dir, as step 1:
 * *outcome is SNPCERT_RECOVER_CLEAN, _REPLAYED or _DISCARDED.  A directory
 * without the mark is clean.  Codes as sev_set_write().
 */
int sev_set_recover(const char *dir, const struct sc_deadline *d, int *outcome, struct why *why);

/* The set as a reader sees it. */
struct sev_stored {
	uint8_t pek[SEV_CERT_LEN], oca[SEV_CERT_LEN], cek[SEV_CERT_LEN];
	bool has_pdh, has_ask, has_ark;
	uint8_t pdh[SEV_CERT_LEN];
	uint8_t *ask, *ark; /* malloc'd, or NULL */
	size_t ask_len, ark_len;
};

/*
 * Read the set in dir under the members' shared locks, had within
 * timeout_ms: pek, oca and cek are required (each exactly SEV_CERT_LEN
 * bytes), pdh, ask and ark are read when present (an empty member, left by
 * an export that died before its commit point, is absent).  The contents
 * are not verified here.  0, or with why: -ENOENT (no chain stored), -ERR_LOCK,
 * -ERR_REFUSED, -ERR_VERIFY (a member of the wrong size; an interrupted
 * export: run recover), -errno.
 */
int sev_store_read(const char *dir, unsigned int timeout_ms, struct sev_stored *out,
		   struct why *why);
void sev_stored_clear(struct sev_stored *s);

#endif
