// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/vcekmatch.c: amd_vcek_match() rule by rule, with known answers
 * (the reason and the phrase) for Milan and Turin keys built by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "amdcert.h"
#include "tap.h"

static struct amd_cert_info milan_key(void)
{
	struct amd_cert_info k;

	memset(&k, 0, sizeof(k));
	k.kind = AMD_CERT_VCEK;
	k.product = AMD_PRODUCT_MILAN;
	snprintf(k.common_name, sizeof(k.common_name), "SEV-VCEK");
	k.has_product_name = k.has_tcb = k.has_hwid = true;
	snprintf(k.product_name, sizeof(k.product_name), "Milan-B0");
	k.tcb = (struct amd_tcb){ .bl = 3, .tee = 1, .snp = 8, .ucode = 115 };
	for (int i = 0; i < 64; i++)
		k.hwid[i] = (uint8_t)i;
	k.hwid_len = 64;
	return k;
}

static struct amd_cert_info turin_key(void)
{
	static const uint8_t hwid[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	struct amd_cert_info k = milan_key();

	k.product = AMD_PRODUCT_TURIN;
	snprintf(k.product_name, sizeof(k.product_name), "Turin");
	k.tcb = (struct amd_tcb){ .fmc = 1, .bl = 4, .tee = 3, .snp = 22, .ucode = 71 };
	memset(k.hwid, 0, sizeof(k.hwid));
	memcpy(k.hwid, hwid, 8);
	k.hwid_len = 8;
	return k;
}

/* amd_vcek_match() gives rc and exactly the phrase want. */
static void expect(const struct amd_cert_info *k, enum amd_product p, const uint8_t *chip,
		   size_t chip_len, const struct amd_tcb *tcb, int rc, const char *want,
		   const char *name)
{
	char why[256], label[200];

	memset(why, 'x', sizeof(why));
	snprintf(label, sizeof(label), "%s: returns %d", name, rc);
	CHECK_EQ(amd_vcek_match(k, p, chip, chip_len, tcb, why, sizeof(why)), rc, label);
	snprintf(label, sizeof(label), "%s: says why", name);
	CHECK_STR(why, want, label);
	snprintf(label, sizeof(label), "%s: the same without a why buffer", name);
	CHECK_EQ(amd_vcek_match(k, p, chip, chip_len, tcb, NULL, 0), rc, label);
}

static void test_milan(void)
{
	struct amd_cert_info k = milan_key(), bad;
	struct amd_tcb tcb = k.tcb, other;
	uint8_t chip[64];

	for (int i = 0; i < 64; i++)
		chip[i] = (uint8_t)i;

	expect(&k, AMD_PRODUCT_MILAN, chip, 64, &tcb, 0,
	       "it is for chip 00010203...3f and TCB bl=3,tee=1,snp=8,ucode=115", "match all");
	expect(&k, AMD_PRODUCT_MILAN, chip, 64, NULL, 0, "it is for chip 00010203...3f",
	       "chip only");
	expect(&k, AMD_PRODUCT_MILAN, NULL, 0, &tcb, 0, "it is for TCB bl=3,tee=1,snp=8,ucode=115",
	       "TCB only");
	expect(&k, AMD_PRODUCT_MILAN, NULL, 0, NULL, 0, "it is a Milan VCEK", "product only");
	other = tcb;
	other.fmc = 5;
	expect(&k, AMD_PRODUCT_MILAN, chip, 64, &other, 0,
	       "it is for chip 00010203...3f and TCB bl=3,tee=1,snp=8,ucode=115",
	       "fmc is not part of a Milan TCB");

	/* Rule 1: a VCEK. */
	bad = k;
	bad.kind = AMD_CERT_VLEK;
	snprintf(bad.common_name, sizeof(bad.common_name), "SEV-VLEK");
	expect(&bad, AMD_PRODUCT_MILAN, NULL, 0, &tcb, AMD_VCEK_NOT_VCEK,
	       "it is not a VCEK (CN 'SEV-VLEK')", "a VLEK is not a VCEK");

	/* Rule 2: the extensions that are compared. */
	bad = k;
	bad.has_product_name = false;
	expect(&bad, AMD_PRODUCT_MILAN, chip, 64, &tcb, AMD_VCEK_INCOMPLETE,
	       "it lacks the AMD productName extension", "no productName");
	bad = k;
	bad.has_tcb = false;
	expect(&bad, AMD_PRODUCT_MILAN, chip, 64, &tcb, AMD_VCEK_INCOMPLETE,
	       "it lacks the AMD TCB extension", "no TCB, TCB compared");
	expect(&bad, AMD_PRODUCT_MILAN, chip, 64, NULL, 0, "it is for chip 00010203...3f",
	       "no TCB, TCB not compared");
	bad = k;
	bad.has_hwid = false;
	expect(&bad, AMD_PRODUCT_MILAN, chip, 64, &tcb, AMD_VCEK_INCOMPLETE,
	       "it lacks the AMD hwID extension", "no hwID, chip compared");
	expect(&bad, AMD_PRODUCT_MILAN, NULL, 0, &tcb, 0,
	       "it is for TCB bl=3,tee=1,snp=8,ucode=115", "no hwID, chip not compared");

	/* Rule 3: the product. */
	expect(&k, AMD_PRODUCT_GENOA, chip, 64, &tcb, AMD_VCEK_PRODUCT,
	       "it is for product 'Milan-B0', not Genoa", "another product");
	expect(&k, AMD_PRODUCT_UNKNOWN, NULL, 0, NULL, AMD_VCEK_PRODUCT,
	       "it is for product 'Milan-B0', not a known product", "no product matches nothing");

	/* Rule 4: the chip, by the hwID rule. */
	chip[63] = 0xc0;
	expect(&k, AMD_PRODUCT_MILAN, chip, 64, &tcb, AMD_VCEK_CHIP,
	       "it is for chip 00010203...3f, not 00010203...c0", "another chip (last byte)");
	chip[63] = 63;
	chip[0] = 0xff;
	expect(&k, AMD_PRODUCT_MILAN, chip, 64, &tcb, AMD_VCEK_CHIP,
	       "it is for chip 00010203...3f, not ff010203...3f", "another chip (first byte)");
	chip[0] = 0;
	expect(&k, AMD_PRODUCT_MILAN, chip, 8, &tcb, AMD_VCEK_CHIP,
	       "8 bytes are not a Milan chip id", "Milan: 8 bytes of chip id are not enough");
	expect(&k, AMD_PRODUCT_MILAN, chip, 63, &tcb, AMD_VCEK_CHIP,
	       "63 bytes are not a Milan chip id", "Milan: 63 bytes of chip id");
	bad = k;
	bad.hwid_len = 8;
	expect(&bad, AMD_PRODUCT_MILAN, chip, 64, &tcb, AMD_VCEK_CHIP,
	       "it is for chip 0001020304050607, not 00010203...3f",
	       "Milan: an 8-byte hwID never matches, even as a prefix");

	/* Rule 5: the TCB, after the chip. */
	other = tcb;
	other.ucode = 116;
	expect(&k, AMD_PRODUCT_MILAN, chip, 64, &other, AMD_VCEK_TCB,
	       "it is for TCB bl=3,tee=1,snp=8,ucode=115, not bl=3,tee=1,snp=8,ucode=116",
	       "another TCB");
	chip[63] = 0xc0;
	expect(&k, AMD_PRODUCT_MILAN, chip, 64, &other, AMD_VCEK_CHIP,
	       "it is for chip 00010203...3f, not 00010203...c0",
	       "chip and TCB both wrong: the chip is said");

	CHECK_EQ(amd_vcek_match(NULL, AMD_PRODUCT_MILAN, NULL, 0, NULL, NULL, 0), -EINVAL,
		 "no key");
}

static void test_turin(void)
{
	struct amd_cert_info k = turin_key(), bad;
	struct amd_tcb tcb = k.tcb, other;
	uint8_t chip[64];

	/* GET_ID2: 64 bytes, of which the first 8 identify a Turin chip. */
	memset(chip, 0x5a, sizeof(chip));
	memcpy(chip, k.hwid, 8);
	expect(&k, AMD_PRODUCT_TURIN, chip, 64, &tcb, 0,
	       "it is for chip 0123456789abcdef and TCB bl=4,tee=3,snp=22,ucode=71,fmc=1",
	       "Turin: the 64-byte chip id");
	expect(&k, AMD_PRODUCT_TURIN, chip, 8, &tcb, 0,
	       "it is for chip 0123456789abcdef and TCB bl=4,tee=3,snp=22,ucode=71,fmc=1",
	       "Turin: its first 8 bytes");
	expect(&k, AMD_PRODUCT_TURIN, chip, 16, &tcb, AMD_VCEK_CHIP,
	       "16 bytes are not a Turin chip id", "Turin: 16 bytes are neither");
	chip[7] = 0xee;
	expect(&k, AMD_PRODUCT_TURIN, chip, 64, &tcb, AMD_VCEK_CHIP,
	       "it is for chip 0123456789abcdef, not 0123456789abcdee", "Turin: another chip");
	chip[7] = 0xef;
	bad = k;
	memcpy(bad.hwid, chip, 64);
	bad.hwid_len = 64;
	expect(&bad, AMD_PRODUCT_TURIN, chip, 64, &tcb, AMD_VCEK_CHIP,
	       "it is for chip 01234567...5a, not 0123456789abcdef",
	       "Turin: a 64-byte hwID never matches");
	other = tcb;
	other.fmc = 2;
	expect(&k, AMD_PRODUCT_TURIN, chip, 64, &other, AMD_VCEK_TCB,
	       "it is for TCB bl=4,tee=3,snp=22,ucode=71,fmc=1, "
	       "not bl=4,tee=3,snp=22,ucode=71,fmc=2",
	       "Turin: fmc is part of the TCB");
	expect(&k, AMD_PRODUCT_MILAN, chip, 64, &tcb, AMD_VCEK_PRODUCT,
	       "it is for product 'Turin', not Milan", "a Turin key on Milan");
}

int main(void)
{
	test_milan();
	test_turin();
	return tap_done();
}
