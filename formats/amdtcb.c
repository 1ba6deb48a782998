// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AMD SEV-SNP products and TCB_VERSION: product names, chip id lengths,
 * the per-product byte layouts and TCB specs.  Plain C, no OpenSSL.
 * See formats/amd-certificates.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amdtcb.h"

static const char *const product_names[AMD_PRODUCT_COUNT] = { NULL, "Milan", "Genoa", "Turin" };

const char *amd_product_name(enum amd_product p)
{
	if ((unsigned int)p >= AMD_PRODUCT_COUNT)
		return NULL;
	return product_names[p];
}

enum amd_product amd_product_parse(const char *name)
{
	unsigned int i;

	if (!name)
		return AMD_PRODUCT_UNKNOWN;
	for (i = 1; i < AMD_PRODUCT_COUNT; i++)
		if (strcasecmp(name, product_names[i]) == 0)
			return (enum amd_product)i;
	return AMD_PRODUCT_UNKNOWN;
}

/* ---- chip ids ------------------------------------------------------- */

size_t amd_hwid_len(enum amd_product p)
{
	switch (p) {
	case AMD_PRODUCT_MILAN:
	case AMD_PRODUCT_GENOA:
		return 64;
	case AMD_PRODUCT_TURIN:
		return 8;
	default:
		return 0;
	}
}

bool amd_chip_id_len_valid(enum amd_product p, size_t len)
{
	if (p == AMD_PRODUCT_UNKNOWN) {
		for (int q = AMD_PRODUCT_MILAN; q < AMD_PRODUCT_COUNT; q++)
			if (amd_chip_id_len_valid((enum amd_product)q, len))
				return true;
		return false;
	}
	if (amd_hwid_len(p) == 0)
		return false;
	return len == AMD_CHIP_ID_LEN || len == amd_hwid_len(p);
}

/* ---- TCB_VERSION ----------------------------------------------------- */

uint64_t amd_tcb_to_raw(enum amd_product p, const struct amd_tcb *tcb)
{
	switch (p) {
	case AMD_PRODUCT_MILAN:
	case AMD_PRODUCT_GENOA:
		return (uint64_t)tcb->bl | (uint64_t)tcb->tee << 8 | (uint64_t)tcb->snp << 48 |
		       (uint64_t)tcb->ucode << 56;
	case AMD_PRODUCT_TURIN:
		return (uint64_t)tcb->fmc | (uint64_t)tcb->bl << 8 | (uint64_t)tcb->tee << 16 |
		       (uint64_t)tcb->snp << 24 | (uint64_t)tcb->ucode << 56;
	default:
		return 0;
	}
}

void amd_tcb_from_raw(enum amd_product p, uint64_t raw, struct amd_tcb *tcb)
{
	memset(tcb, 0, sizeof(*tcb));
	switch (p) {
	case AMD_PRODUCT_MILAN:
	case AMD_PRODUCT_GENOA:
		tcb->bl = raw & 0xff;
		tcb->tee = (raw >> 8) & 0xff;
		tcb->snp = (raw >> 48) & 0xff;
		tcb->ucode = (raw >> 56) & 0xff;
		break;
	case AMD_PRODUCT_TURIN:
		tcb->fmc = raw & 0xff;
		tcb->bl = (raw >> 8) & 0xff;
		tcb->tee = (raw >> 16) & 0xff;
		tcb->snp = (raw >> 24) & 0xff;
		tcb->ucode = (raw >> 56) & 0xff;
		break;
	default:
		break;
	}
}

/* A decimal SPL: digits only, 0..255. */
static int parse_spl(const char *s, size_t len, uint8_t *out)
{
	unsigned int v = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(s[i] - '0');
		if (v > 255)
			return -EINVAL;
	}
	*out = (uint8_t)v;
	return 0;
}

static int parse_tcb_fields(const char *spec, enum amd_product p, struct amd_tcb *tcb)
{
	static const char *const keys[] = { "bl", "tee", "snp", "ucode", "fmc" };
	uint8_t *fields[] = { &tcb->bl, &tcb->tee, &tcb->snp, &tcb->ucode, &tcb->fmc };
	bool seen[5] = { false };
	const char *s = spec;
	unsigned int k;

	memset(tcb, 0, sizeof(*tcb));
	for (;;) {
		size_t len = strcspn(s, ","), klen;
		const char *eq = memchr(s, '=', len);

		if (!eq)
			return -EINVAL;
		klen = (size_t)(eq - s);
		for (k = 0; k < 5; k++)
			if (strlen(keys[k]) == klen && strncmp(s, keys[k], klen) == 0)
				break;
		if (k == 5 || seen[k])
			return -EINVAL;
		if (k == 4 && (p == AMD_PRODUCT_MILAN || p == AMD_PRODUCT_GENOA))
			return -EINVAL;
		if (parse_spl(eq + 1, len - klen - 1, fields[k]) < 0)
			return -EINVAL;
		seen[k] = true;
		if (!s[len])
			break;
		s += len + 1;
	}
	for (k = 0; k < 4; k++)
		if (!seen[k])
			return -EINVAL;
	return 0;
}

int amd_tcb_parse(const char *spec, enum amd_product p, struct amd_tcb *tcb)
{
	unsigned long long raw;
	const char *digits;
	char *end = NULL;
	struct amd_tcb t;
	int base = 10;

	if (!spec || !tcb || (unsigned int)p >= AMD_PRODUCT_COUNT)
		return -EINVAL;
	if (strchr(spec, '=')) {
		if (parse_tcb_fields(spec, p, &t) < 0)
			return -EINVAL;
		*tcb = t;
		return 0;
	}
	if (p == AMD_PRODUCT_UNKNOWN)
		return -EINVAL;
	digits = spec;
	if (spec[0] == '0' && (spec[1] == 'x' || spec[1] == 'X')) {
		digits = spec + 2;
		base = 16;
	}
	/* strtoull skips blanks, takes signs and a second "0x": allow none of them. */
	if (base == 16 ? !isxdigit((unsigned char)digits[0]) : !isdigit((unsigned char)digits[0]))
		return -EINVAL;
	if (base == 16 && (strlen(digits) > 16 || digits[strspn(digits, "0123456789abcdefABCDEF")]))
		return -EINVAL;
	errno = 0;
	raw = strtoull(digits, &end, base);
	if (errno || *end)
		return -EINVAL;
	amd_tcb_from_raw(p, raw, &t);
	/* Bits outside the product's fields must be zero. */
	if (amd_tcb_to_raw(p, &t) != raw)
		return -EINVAL;
	*tcb = t;
	return 0;
}

int amd_tcb_spec_check(const char *spec)
{
	struct amd_tcb tcb;

	for (int p = AMD_PRODUCT_MILAN; p < AMD_PRODUCT_COUNT; p++)
		if (amd_tcb_parse(spec, p, &tcb) == 0)
			return 0;
	return -EINVAL;
}

void amd_tcb_format(enum amd_product p, const struct amd_tcb *tcb, char *buf, size_t len)
{
	if (!buf || len == 0)
		return;
	if (p == AMD_PRODUCT_TURIN)
		snprintf(buf, len, "bl=%u,tee=%u,snp=%u,ucode=%u,fmc=%u", tcb->bl, tcb->tee, tcb->snp,
			 tcb->ucode, tcb->fmc);
	else
		snprintf(buf, len, "bl=%u,tee=%u,snp=%u,ucode=%u", tcb->bl, tcb->tee, tcb->snp,
			 tcb->ucode);
}

bool amd_tcb_equal(enum amd_product p, const struct amd_tcb *a, const struct amd_tcb *b)
{
	if (a->bl != b->bl || a->tee != b->tee || a->snp != b->snp || a->ucode != b->ucode)
		return false;
	if (p == AMD_PRODUCT_MILAN || p == AMD_PRODUCT_GENOA)
		return true;
	return a->fmc == b->fmc;
}
