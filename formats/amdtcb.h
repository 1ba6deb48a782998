/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AMD SEV-SNP products and TCB_VERSION: the product names, how long a chip
 * id is, the byte layout of a TCB_VERSION per product, and TCB specs as
 * users type them.  Plain C,
 * no OpenSSL: for code that names products and TCBs but handles no
 * certificate (amdcert.h includes it).  See formats/amd-certificates.md.
 * Implemented in amdtcb.c.
 */
#ifndef SNPCERT_FORMATS_AMDTCB_H
#define SNPCERT_FORMATS_AMDTCB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum amd_product {
	AMD_PRODUCT_UNKNOWN = 0,
	AMD_PRODUCT_MILAN,
	AMD_PRODUCT_GENOA,
	AMD_PRODUCT_TURIN,
};
#define AMD_PRODUCT_COUNT 4

/* The SPLs of a TCB_VERSION.  fmc only exists on Turin and later. */
struct amd_tcb {
	uint8_t bl, tee, snp, ucode, fmc;
};

/* The longest hwID (chip id) a VCEK carries, in bytes. */
#define AMD_HWID_MAX 64
/* The chip id as the firmware reports it (SEV_GET_ID2), in bytes. */
#define AMD_CHIP_ID_LEN 64

/* "Milan", "Genoa", "Turin" (NULL for UNKNOWN); parse is case-insensitive. */
const char *amd_product_name(enum amd_product p);
enum amd_product amd_product_parse(const char *name);

/*
 * The hwID rule (facts.md section 2), the one place it is written down.
 * amd_hwid_len: how many bytes identify a chip of product p, which is also
 * the length of the hwID extension of its VCEKs: 64 on Milan and Genoa, 8
 * on Turin (the first 8 bytes of the chip id); 0 for an unknown product.
 * amd_chip_id_len_valid: is a chip id of len bytes one for product p,
 * either the whole AMD_CHIP_ID_LEN bytes SEV_GET_ID2 returns or the
 * amd_hwid_len(p) that identify the chip?  With AMD_PRODUCT_UNKNOWN: for
 * at least one product (for a command line read before the product is
 * known).  A VLEK carries no hwID.
 */
size_t amd_hwid_len(enum amd_product p);
bool amd_chip_id_len_valid(enum amd_product p, size_t len);

/* TCB_VERSION <-> SPLs, in the product's byte layout (facts.md section 2). */
uint64_t amd_tcb_to_raw(enum amd_product p, const struct amd_tcb *tcb);
void amd_tcb_from_raw(enum amd_product p, uint64_t raw, struct amd_tcb *tcb);
/*
 * Parse a TCB SPEC: "bl=3,tee=0,snp=8,ucode=115[,fmc=0]" (all of bl, tee,
 * snp, ucode required, each 0..255; fmc only for Turin) or a raw u64
 * ("0x7300000000000803" or decimal), decoded in product p's layout.
 * 0 or -EINVAL.
 */
int amd_tcb_parse(const char *spec, enum amd_product p, struct amd_tcb *tcb);
/*
 * Is spec a TCB SPEC for at least one product's layout?  For checking a
 * command line before the product is known.  0 or -EINVAL.
 */
int amd_tcb_spec_check(const char *spec);
/* "bl=3,tee=0,snp=8,ucode=115" (+ ",fmc=N" on Turin). */
void amd_tcb_format(enum amd_product p, const struct amd_tcb *tcb, char *buf, size_t len);
bool amd_tcb_equal(enum amd_product p, const struct amd_tcb *a, const struct amd_tcb *b);

#endif
