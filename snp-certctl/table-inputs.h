/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What goes into a table from outside: a table file read for inspection,
 * and the entries named on the command line (build, update), read from
 * their files and set into a struct table (table.h, which includes this).
 */
#ifndef SNP_CERTCTL_TABLE_INPUTS_H
#define SNP_CERTCTL_TABLE_INPUTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certdir.h"
#include "cmd.h"
#include "ghcb.h"

struct table;

/*
 * Read and parse a table file for inspection (show, verify, extract), the
 * way a VMM reads it: through libsnpcert under the shared lock, within
 * timeout_s (so an update in progress is waited for, never seen half-done).
 * Over GHCB_MAX_SIZE warns.  Prints why on failure; returns 0 or an exit
 * status.  *blob and *e are malloc'd.
 */
int table_file_load(const char *path, double timeout_s, uint8_t **blob, size_t *size,
		    struct ghcb_entry **e,
		    size_t *n);

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

#endif
