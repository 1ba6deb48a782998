/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small streaming JSON writer for --json output: one document, indented
 * two spaces.  Keys are given for members of objects and NULL for array
 * elements and the top level.
 */
#ifndef SNP_CERTCTL_JSON_H
#define SNP_CERTCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "amdtcb.h"

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool has_items[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value); /* NULL: null */
void json_int(struct json *j, const char *key, long long value);
void json_uint(struct json *j, const char *key, unsigned long long value);
void json_bool(struct json *j, const char *key, bool value);
/* Ends the document with a newline. */
void json_finish(struct json *j);

/*
 * A TCB of product p as the object key: {"bl", "tee", "snp", "ucode",
 * "fmc" (Turin only), "raw": "0x..." (raw, 16 hex digits)}; without tcb
 * (not decoded) only "raw".
 */
void json_tcb(struct json *j, const char *key, enum amd_product p, const struct amd_tcb *tcb,
	      uint64_t raw);
/* The same from a raw TCB_VERSION (decoded in p's layout; only "raw" for an unknown p). */
void json_tcb_raw(struct json *j, const char *key, enum amd_product p, uint64_t raw);
/* The same from a TCB SPEC in p's layout (amd_tcb_format); null for "" or NULL. */
void json_tcb_spec(struct json *j, const char *key, enum amd_product p, const char *spec);

/*
 * A table, named the one way every command names it: the members "file"
 * (as given on the command line, or as found in the store) and "path"
 * (absolute: the real path, or for a file that does not exist its
 * directory's, the name appended).
 */
void json_table(struct json *j, const char *file);

/*
 * The failure member "error": {"message": the first error the program
 * reported (error_noted(), errors.h), "exit": status}: in a workflow's
 * report when it failed part way, and alone in the error document.
 */
void json_error(struct json *j, int status);
/* Has a document been finished on stdout? */
bool json_document_written(void);
/*
 * Unless a document was written on stdout already, the error document
 * {"error": {...}} there.  main() calls it for every failure under --json.
 */
void json_error_document(int status);

#endif
