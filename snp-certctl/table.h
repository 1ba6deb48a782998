/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A certificate table as the program edits it: entries in order, each
 * owning its bytes, plus the checks that judge one.
 */
#ifndef SNP_CERTCTL_TABLE_H
#define SNP_CERTCTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "amdcert.h"
#include "certdir.h"
#include "cmd.h"
#include "ghcb.h"
#include "tablecheck.h"

struct table {
	struct ghcb_item *items; /* items[i].data is owned (malloc'd) */
	size_t n;
};

/* Parse and copy a blob.  0, -EBADMSG (*diag says why) or -ENOMEM. */
int table_from_blob(const uint8_t *buf, size_t len, unsigned int flags, struct table *t,
		    struct ghcb_diag *diag);
/* Replace the entry with this GUID in place, or append it.  Copies data. */
int table_set(struct table *t, const uint8_t guid[GHCB_GUID_LEN], const uint8_t *data,
	      size_t len);
/* Remove the entry with this GUID: 0 or -ENOENT. */
int table_remove(struct table *t, const uint8_t guid[GHCB_GUID_LEN]);
/* The first entry of a well-known kind, or NULL. */
const struct ghcb_item *table_find(const struct table *t, enum ghcb_kind kind);
/* Encode for writing (16 KiB limit applies).  0, -EBADMSG, -ENOMEM. */
int table_encode(const struct table *t, uint8_t **out, size_t *len, struct ghcb_diag *diag);
void table_free(struct table *t);

/*
 * What to check beyond the chain: the fields of struct amd_table_opts
 * (formats/tablecheck.h), under the name the commands and workflows use.
 */
struct verify_opts {
	const struct amd_trust *trust;
	time_t at;
	const char *tcb_spec;  /* as given, to parse in the key's product layout */
	const uint8_t *hwid;   /* chip id to match, or NULL */
	size_t hwid_len;
	bool skip_chain;       /* --no-verify: structure only */
	enum amd_product platform_product; /* the key must be for it (not UNKNOWN) */
};

/* amd_table_verify() (formats/tablecheck.h) of t's entries. */
int table_verify(const struct table *t, const struct verify_opts *o, struct amd_check_list *out);

/*
 * Read and parse a table file (inspection: over 16 KiB warns).  Prints why
 * on failure; returns 0 or an exit status.  *blob and *e are malloc'd.
 */
int table_file_load(const char *path, uint8_t **blob, size_t *size, struct ghcb_entry **e,
		    size_t *n);

/* The endorsement key entry (VCEK, else VLEK) decoded, for status/refresh. */
int table_endorsement_key(const struct table *t, struct amd_cert_info *info);

/* ---- entries named on the command line (build, update) ---------------- */

#define TABLE_MAX_EXTRA 64

/* Files by certdir kind (EXTRA unused), plus opaque entries in the order given. */
struct table_inputs {
	const char *file[CERTDIR_KIND_COUNT];
	char *owned[CERTDIR_KIND_COUNT];  /* file[] allocated by the caller, freed here */
	struct {
		uint8_t guid[GHCB_GUID_LEN];
		const char *path;
		char *owned;              /* path allocated by the caller, freed here */
	} extra[TABLE_MAX_EXTRA];
	size_t n_extra;
};

/*
 * The options naming them: --vcek, --vlek, --ask, --asvk, --ark, --crl FILE
 * (each once) and --entry GUID=FILE (repeatable).  A command offering them
 * puts TABLE_INPUTS_LONGOPTS into its longopts[] and numbers its own
 * options from OPT_TABLE_LAST.
 */
enum {
	OPT_TABLE_VCEK = OPT_COMMON_LAST,
	OPT_TABLE_VLEK,
	OPT_TABLE_ASK,
	OPT_TABLE_ASVK,
	OPT_TABLE_ARK,
	OPT_TABLE_CRL,
	OPT_TABLE_ENTRY,
	OPT_TABLE_LAST,
};
#define TABLE_INPUTS_LONGOPTS                                                                \
	{ "vcek", required_argument, NULL, OPT_TABLE_VCEK },                                 \
	{ "vlek", required_argument, NULL, OPT_TABLE_VLEK },                                 \
	{ "ask", required_argument, NULL, OPT_TABLE_ASK },                                   \
	{ "asvk", required_argument, NULL, OPT_TABLE_ASVK },                                 \
	{ "ark", required_argument, NULL, OPT_TABLE_ARK },                                   \
	{ "crl", required_argument, NULL, OPT_TABLE_CRL },                                   \
	{ "entry", required_argument, NULL, OPT_TABLE_ENTRY }

/*
 * Handle one of those options (c as getopt_long() returned it, arg its
 * argument) into in; any other c is left alone.  0, or an exit status after
 * printing why (a file given twice, a bad --entry).
 */
int table_inputs_option(const struct ctx *ctx, struct table_inputs *in, int c, const char *arg);
/*
 * Add an opaque entry; owned (may be NULL) is freed here or later by
 * table_inputs_free().  Well-known GUIDs and duplicates are usage errors.
 * 0 or an exit status after printing why.
 */
int table_inputs_add_extra(const struct ctx *ctx, struct table_inputs *in,
			   const uint8_t guid[GHCB_GUID_LEN], const char *path, char *owned);
/* true if any file or entry is named. */
bool table_inputs_any(const struct table_inputs *in);
void table_inputs_free(struct table_inputs *in);

/*
 * Read every named input and set it into t in the build order: VCEK or
 * VLEK, ASK or ASVK, ARK, CRL, extra entries as given (table_set: an entry
 * already in t is replaced in its place, a new one appended).  With
 * builtin_roots, an omitted ARK/ASK/ASVK comes from the built-in roots for
 * the endorsement key's product (which must then be given).  0 or an exit
 * status after printing why.
 */
int table_inputs_apply(const struct table_inputs *in, bool builtin_roots, struct table *t);

/*
 * table_encode(), saying why it failed (over 16 KiB, ...).  0 or an exit
 * status after printing why.
 */
int table_encode_report(const struct table *t, uint8_t **out, size_t *len);

/*
 * Verify the chain of a table about to be written to path against trust
 * (trust_load()), now.  Prints each failed check and returns EXIT_VERIFY,
 * or 0, or another exit status.
 */
int table_verify_report(const struct table *t, const struct amd_trust *trust, const char *path);

/*
 * Say what happened to a table: "ACTION PATH: N entries, M bytes" on stdout
 * (unless quiet), or with --json {"file", "action", "entries", "size"}.
 */
void table_report(const struct ctx *ctx, const char *path, const char *action, size_t n,
		  size_t size);

#endif
