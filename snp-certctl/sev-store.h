/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SEV (pre-SNP) platform chain on the host: the directory <store>/sev/
 * (or one named), which sev-verify checks.  It holds one certificate per
 * file, in AMD's own formats (formats/sevcert.h):
 *
 *   pek.cert oca.cert cek.cert pdh.cert   SEV certificates, 2084 bytes
 *   ask.cert ark.cert                     AMD CA certificates (or AMD's
 *                                         combined ask_ark.cert)
 */
#ifndef SNP_CERTCTL_SEV_STORE_H
#define SNP_CERTCTL_SEV_STORE_H

#include <stddef.h>
#include <stdint.h>

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
 * for the SEV commands) or the setting sev_trust_root: *buf (malloc'd) and
 * *len, or *buf NULL when none is set.  The file decides what is trusted,
 * so it is read as a trusted file (read_trusted_file) and must be an ARK
 * in the AMD CA format.  0, or an exit status (EXIT_USAGE, EXIT_VERIFY,
 * EXIT_FAIL) after the one-line message.
 */
int sev_trust_root_load(const struct ctx *ctx, uint8_t **buf, size_t *len);

/*
 * The same for a lone CEK (fetch cek), which has no ASK of its own: the
 * file may also be ASK then ARK (as AMD's ask_ark_<gen>.cert files are),
 * and only then can a CEK under a private root verify.  *buf (malloc'd)
 * holds it; o->trust_ark and o->trust_ask (NULL without an ASK) point
 * into it.  0, or an exit status after the one-line message.
 */
int sev_trust_chain_load(const struct ctx *ctx, uint8_t **buf, struct sev_verify_opts *o);

#endif
