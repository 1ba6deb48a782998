/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fleet's hosts, as `snp-certctl mirror --hosts FILE` reads them: what
 * VCEK each host needs (product, chip id, reported TCB).  FILE is either
 *
 *  - `snp-certctl status --json` documents, one or several concatenated
 *    (white space between them allowed), from which "product",
 *    "sev"."chip_id" (hex) and "sev"."reported_tcb"."raw" ("0x..." hex)
 *    are taken; or
 *  - text lines "PRODUCT CHIP_ID TCB" (white space between the three;
 *    blank lines and lines whose first non-blank character is '#'
 *    ignored): PRODUCT Milan, Genoa or Turin, CHIP_ID hex (128 digits, or
 *    16 on Turin), TCB a TCB SPEC (bl=N,tee=N,snp=N,ucode=N[,fmc=N]) or a
 *    raw TCB_VERSION (0x...).
 *
 * The first non-blank byte decides: '{' is JSON, anything else text.  No
 * I/O; keys are not deduplicated here.
 */
#ifndef SNPCERT_FORMATS_HOSTLIST_H
#define SNPCERT_FORMATS_HOSTLIST_H

#include <stddef.h>
#include <stdint.h>

#include "amdtcb.h"

struct host_key {
	enum amd_product product;
	uint8_t chip_id[AMD_CHIP_ID_LEN];
	size_t chip_id_len; /* amd_chip_id_len_valid(product, chip_id_len) */
	struct amd_tcb tcb; /* the reported TCB, in product's layout */
};

/* Called per host (line: where its line or document starts, from 1); a negative return stops. */
typedef int (*host_cb)(void *arg, unsigned int line, const struct host_key *k);

/* Longest line of the text form; a document of the JSON form has no limit but the input's. */
#define HOSTS_LINE_MAX 1024

/*
 * Parse text (len bytes, not NUL-terminated).  Returns 0; -EINVAL with
 * *bad_line (from 1) and a phrase in why (wlen bytes: "expected 'product
 * chip_id tcb'", "no \"sev\".\"chip_id\" (masked or unreadable)", ...);
 * -ENOMEM; or what cb returned.
 */
int hosts_parse(const void *text, size_t len, host_cb cb, void *arg, unsigned int *bad_line,
		char *why, size_t wlen);

#endif
