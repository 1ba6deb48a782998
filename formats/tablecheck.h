/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Judging the entries of a certificate table, in memory: every certificate
 * sits in its slot, the chain verifies, the CRL is the ARK's and revokes
 * nothing in the chain, the endorsement key matches the platform, TCB and
 * chip asked for.  OpenSSL 3 (through amdcert.h).  Knows nothing of files.
 */
#ifndef SNPCERT_FORMATS_TABLECHECK_H
#define SNPCERT_FORMATS_TABLECHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "amdcert.h"
#include "ghcb.h"

/* What to check beyond the structure. */
struct amd_table_opts {
	const struct amd_trust *trust;     /* trusted ARKs; NULL: the built-in ones */
	time_t at;                         /* validity is checked at this time */
	const char *tcb_spec;              /* TCB SPEC to match, read in the key's layout */
	const uint8_t *hwid;               /* chip id to match (hwid_len bytes), or NULL */
	size_t hwid_len;
	bool skip_chain;                   /* the slots only: no chain, CRL or match */
	enum amd_product platform_product; /* the key must be for it (not UNKNOWN) */
};

/*
 * Judge the n entries of a table (ghcb_item data borrowed): an endorsement
 * key is present, every certificate entry parses and sits in the right
 * slot, each endorsement key's chain verifies to o->trust at o->at (the
 * built-in ASK/ASVK/ARK stand in for missing entries), the CRL is signed
 * by the ARK and revokes neither the ASK/ASVK nor the endorsement key, and
 * the key is for o->platform_product, o->tcb_spec and o->hwid (by
 * amd_vcek_match()).  Appends a line per check to *out; returns 0 when all
 * passed, -EBADMSG otherwise, -ENOMEM, -EINVAL.
 */
int amd_table_verify(const struct ghcb_item *items, size_t n, const struct amd_table_opts *o,
		     struct amd_check_list *out);

#endif
