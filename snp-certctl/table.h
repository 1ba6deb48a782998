/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A certificate table as the program edits it: entries in order, each
 * owning its bytes; its check (formats/tablecheck.h), encoding and report.
 * What goes into one from files and options is table-inputs.h.
 */
#ifndef SNP_CERTCTL_TABLE_H
#define SNP_CERTCTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "amdcert.h"
#include "cmd.h"
#include "ghcb.h"
#include "table-inputs.h"
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
/* Encode for writing (GHCB_MAX_SIZE applies).  0, -EBADMSG, -ENOMEM. */
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

/* The endorsement key entry (VCEK, else VLEK) decoded, for status/refresh. */
int table_endorsement_key(const struct table *t, struct amd_cert_info *info);

/*
 * table_encode(), saying why it failed (over GHCB_MAX_SIZE, ...).  0 or an exit
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
