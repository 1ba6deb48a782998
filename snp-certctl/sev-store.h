/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stored SEV (pre-SNP) platform chain: the directory <store>/sev/ (or
 * one named with -d), written by sev-export and read by sev-verify, status,
 * check and the broker.  It holds six files, each one certificate in AMD's
 * own format (formats/sevcert.h):
 *
 *   pek.cert oca.cert cek.cert pdh.cert   SEV certificates, 2084 bytes
 *   ask.cert ark.cert                     AMD CA certificates
 *
 * The set changes as one: sev-export writes every file in place (the
 * inode kept) under the exclusive OFD lock of every file, taken in the
 * order above, after a journal for each and a commit mark for the set
 * (.snp-certctl-set); readers take the shared locks in the same order, so
 * a reader never gets a PEK from one export and a PDH or OCA from another.
 * After a crash, the set is rolled forward when the commit mark was
 * written (every journal complete), else every journal is dropped (no
 * file was touched yet).
 */
#ifndef SNP_CERTCTL_SEV_STORE_H
#define SNP_CERTCTL_SEV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "errors.h"
#include "sevcert.h"

#define SEV_STORE_SUBDIR "sev"

/* The files, in the lock order. */
enum sev_file {
	SEV_FILE_PEK = 0,
	SEV_FILE_OCA,
	SEV_FILE_CEK,
	SEV_FILE_PDH,
	SEV_FILE_ASK,
	SEV_FILE_ARK,
	SEV_FILE_COUNT,
};

/* "pek.cert", ... */
const char *sev_file_name(enum sev_file f);

/* The stored chain as read. */
struct sev_stored {
	uint8_t cert[SEV_FILE_PDH + 1][SEV_CERT_LEN]; /* PEK, OCA, CEK, PDH */
	uint8_t ask[SEV_CA_MAX_LEN], ark[SEV_CA_MAX_LEN];
	size_t ask_len, ark_len;
	bool present[SEV_FILE_COUNT];
};

/*
 * The chain's directory: dir when given (-d), else <store>/sev; malloc'd,
 * or NULL (out of memory).
 */
char *sev_store_dir(const struct ctx *ctx, const char *dir);

/*
 * Read the chain in dir under the shared lock of every file present (in
 * the lock order, one deadline of timeout_ms): regular files only, no
 * symbolic links, each of its format's size.  PEK, OCA and CEK are
 * required; PDH, ASK and ARK are read when present.  Nothing is verified
 * beyond sizes: the caller verifies (sev_chain_verify, sev_report_verify).
 * 0, or with why: -ENOENT (a required file is missing: "no SEV chain in
 * 'DIR': run snp-certctl sev-export"), -ERR_LOCK (timeout), -ERR_VERIFY (a
 * file of the wrong size or type, or an interrupted export), -errno.
 */
int sev_store_read(const char *dir, unsigned int timeout_ms, struct sev_stored *out,
		   struct why *why);

/*
 * The private SEV root: --trust-root FILE (ctx->trust_roots, at most one
 * for the sev commands) or the setting sev_trust_root: *buf (malloc'd) and
 * *len, or *buf NULL when none is set.  The file is read as a trusted file
 * (trustpath.h) and must parse as an AMD CA ARK.  0, or -ERR_USAGE /
 * -ERR_VERIFY / -errno with why.
 */
int sev_trust_root_load(const struct ctx *ctx, uint8_t **buf, size_t *len, struct why *why);

#endif
