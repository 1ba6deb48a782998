/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small streaming JSON writer for --json output: one document, indented
 * two spaces.  Keys are given for members of objects and NULL for array
 * elements and the top level.  Its names are jout_*: json_* are jansson's,
 * which the program links (a json_string of the program's own would be
 * the one jansson's callers in the program get).
 */
#ifndef SNP_CERTCTL_JSON_H
#define SNP_CERTCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "amdtcb.h"

#define JOUT_MAX_DEPTH 16

struct jout {
	FILE *f;
	int depth;
	bool has_items[JOUT_MAX_DEPTH];
};

void jout_init(struct jout *j, FILE *f);
void jout_object_begin(struct jout *j, const char *key);
void jout_object_end(struct jout *j);
void jout_array_begin(struct jout *j, const char *key);
void jout_array_end(struct jout *j);
void jout_string(struct jout *j, const char *key, const char *value); /* NULL: null */
void jout_int(struct jout *j, const char *key, long long value);
void jout_uint(struct jout *j, const char *key, unsigned long long value);
void jout_bool(struct jout *j, const char *key, bool value);
/* Ends the document with a newline. */
void jout_finish(struct jout *j);

/*
 * A TCB of product p as the object key: {"bl", "tee", "snp", "ucode",
 * "fmc" (Turin only), "raw": "0x..." (raw, 16 hex digits)}; without tcb
 * (not decoded) only "raw".
 */
void jout_tcb(struct jout *j, const char *key, enum amd_product p, const struct amd_tcb *tcb,
	      uint64_t raw);
/* The same from a raw TCB_VERSION (decoded in p's layout; only "raw" for an unknown p). */
void jout_tcb_raw(struct jout *j, const char *key, enum amd_product p, uint64_t raw);
/* The same from a TCB SPEC in p's layout (amd_tcb_format); null for "" or NULL. */
void jout_tcb_spec(struct jout *j, const char *key, enum amd_product p, const char *spec);

/*
 * A table, named the one way every command names it: the members "file"
 * (as given on the command line, or as found in the store) and "path"
 * (absolute: the real path, or for a file that does not exist its
 * directory's, the name appended).
 */
void jout_table(struct jout *j, const char *file);

/*
 * The failure member "error": {"message": the first error the program
 * reported (error_noted(), errors.h), "exit": status}: in a workflow's
 * report when it failed part way, and alone in the error document.
 */
void jout_error(struct jout *j, int status);
/* Has a document been finished on stdout? */
bool jout_document_written(void);
/*
 * Unless a document was written on stdout already, the error document
 * {"error": {...}} there.  main() calls it for every failure under --json.
 */
void jout_error_document(int status);

#endif
