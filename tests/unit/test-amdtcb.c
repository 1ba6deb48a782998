// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/amdtcb.c: product names, the hwID and chip id lengths per
 * product, known-answer TCB_VERSION layouts for
 * Milan, Genoa and Turin, TCB specs (good and malformed), formatting and
 * comparison.  amdtcb.h must stand alone, without OpenSSL.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "amdtcb.h"
#include "tap.h"

/* Every OpenSSL header includes <openssl/e_os2.h>. */
#ifdef OPENSSL_E_OS2_H
#error "amdtcb.h must not include OpenSSL"
#endif

static void test_chip_ids(void)
{
	static const struct {
		enum amd_product p;
		size_t len;
		bool valid;
	} lens[] = {
		{ AMD_PRODUCT_MILAN, 64, true },   { AMD_PRODUCT_MILAN, 8, false },
		{ AMD_PRODUCT_MILAN, 63, false },  { AMD_PRODUCT_MILAN, 65, false },
		{ AMD_PRODUCT_MILAN, 0, false },   { AMD_PRODUCT_GENOA, 64, true },
		{ AMD_PRODUCT_GENOA, 8, false },   { AMD_PRODUCT_TURIN, 64, true },
		{ AMD_PRODUCT_TURIN, 8, true },    { AMD_PRODUCT_TURIN, 16, false },
		{ AMD_PRODUCT_TURIN, 7, false },   { AMD_PRODUCT_TURIN, 65, false },
		{ AMD_PRODUCT_UNKNOWN, 64, true }, { AMD_PRODUCT_UNKNOWN, 8, true },
		{ AMD_PRODUCT_UNKNOWN, 32, false }, { AMD_PRODUCT_UNKNOWN, 0, false },
		{ (enum amd_product)AMD_PRODUCT_COUNT, 64, false },
	};
	char name[96];

	/* facts.md: hwID 64 bytes on Milan/Genoa, 8 on Turin; GET_ID2 gives 64. */
	CHECK_EQ(amd_hwid_len(AMD_PRODUCT_MILAN), 64, "Milan hwID is 64 bytes");
	CHECK_EQ(amd_hwid_len(AMD_PRODUCT_GENOA), 64, "Genoa hwID is 64 bytes");
	CHECK_EQ(amd_hwid_len(AMD_PRODUCT_TURIN), 8, "Turin hwID is 8 bytes");
	CHECK_EQ(amd_hwid_len(AMD_PRODUCT_UNKNOWN), 0, "no hwID length for an unknown product");
	CHECK_EQ(amd_hwid_len((enum amd_product)AMD_PRODUCT_COUNT), 0, "none past the end");
	CHECK_EQ(AMD_CHIP_ID_LEN, 64, "GET_ID2 chip id is 64 bytes");
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		snprintf(name, sizeof(name), "a %zu-byte chip id is %s for %s", lens[i].len,
			 lens[i].valid ? "valid" : "invalid",
			 amd_product_name(lens[i].p) ?: "some product");
		CHECK_EQ(amd_chip_id_len_valid(lens[i].p, lens[i].len), lens[i].valid, name);
	}
}

static void test_names(void)
{
	CHECK_STR(amd_product_name(AMD_PRODUCT_MILAN), "Milan", "product name Milan");
	CHECK_STR(amd_product_name(AMD_PRODUCT_GENOA), "Genoa", "product name Genoa");
	CHECK_STR(amd_product_name(AMD_PRODUCT_TURIN), "Turin", "product name Turin");
	CHECK(amd_product_name(AMD_PRODUCT_UNKNOWN) == NULL, "no name for unknown");
	CHECK(amd_product_name((enum amd_product)AMD_PRODUCT_COUNT) == NULL, "no name past the end");
	CHECK_EQ(amd_product_parse("tURIN"), AMD_PRODUCT_TURIN, "product parse is case-insensitive");
	CHECK_EQ(amd_product_parse("Milan-B0"), AMD_PRODUCT_UNKNOWN, "product parse is exact");
	CHECK_EQ(amd_product_parse(NULL), AMD_PRODUCT_UNKNOWN, "product parse of NULL");
}

/* ---- TCB ------------------------------------------------------------- */

static void test_tcb(void)
{
	struct amd_tcb t, m = { .bl = 3, .tee = 0, .snp = 8, .ucode = 115 };
	struct amd_tcb g = { .bl = 7, .tee = 2, .snp = 14, .ucode = 72 };
	struct amd_tcb u = { .fmc = 1, .bl = 4, .tee = 3, .snp = 22, .ucode = 71 };
	char buf[64];

	/* Milan/Genoa [bl, tee, 0, 0, 0, 0, snp, ucode]; Turin [fmc, bl, tee, snp, 0, 0, 0, ucode]. */
	CHECK(amd_tcb_to_raw(AMD_PRODUCT_MILAN, &m) == 0x7308000000000003ULL, "Milan bl=3,tee=0,snp=8,ucode=115 is 0x7308000000000003");
	CHECK(amd_tcb_to_raw(AMD_PRODUCT_GENOA, &g) == 0x480e000000000207ULL, "Genoa layout");
	CHECK(amd_tcb_to_raw(AMD_PRODUCT_TURIN, &u) == 0x4700000016030401ULL, "Turin layout");
	CHECK(amd_tcb_to_raw(AMD_PRODUCT_UNKNOWN, &m) == 0, "no layout for an unknown product");
	amd_tcb_from_raw(AMD_PRODUCT_MILAN, 0x7308000000000003ULL, &t);
	CHECK(t.bl == 3 && t.tee == 0 && t.snp == 8 && t.ucode == 115 && t.fmc == 0, "Milan raw -> fields");
	amd_tcb_from_raw(AMD_PRODUCT_GENOA, 0x480e000000000207ULL, &t);
	CHECK(amd_tcb_equal(AMD_PRODUCT_GENOA, &t, &g), "Genoa raw -> fields");
	amd_tcb_from_raw(AMD_PRODUCT_TURIN, 0x4700000016030401ULL, &t);
	CHECK(t.fmc == 1 && t.bl == 4 && t.tee == 3 && t.snp == 22 && t.ucode == 71, "Turin raw -> fields");
	/* The real sample VCEK's TCB. */
	t = (struct amd_tcb){ .bl = 2, .tee = 0, .snp = 5, .ucode = 68 };
	CHECK(amd_tcb_to_raw(AMD_PRODUCT_MILAN, &t) == 0x4405000000000002ULL, "real Milan TCB raw");

	/* Specs. */
	CHECK_EQ(amd_tcb_parse("bl=3,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN, &t), 0, "parse fields");
	CHECK(amd_tcb_equal(AMD_PRODUCT_MILAN, &t, &m), "parsed fields");
	CHECK_EQ(amd_tcb_parse("ucode=115,snp=8,tee=0,bl=3", AMD_PRODUCT_GENOA, &t), 0, "any order");
	CHECK(amd_tcb_equal(AMD_PRODUCT_GENOA, &t, &m), "any order fields");
	CHECK_EQ(amd_tcb_parse("0x7308000000000003", AMD_PRODUCT_MILAN, &t), 0, "parse raw hex");
	CHECK(amd_tcb_equal(AMD_PRODUCT_MILAN, &t, &m), "raw hex fields");
	CHECK_EQ(amd_tcb_parse("8288875114175397891", AMD_PRODUCT_MILAN, &t), 0, "parse raw decimal");
	CHECK(amd_tcb_equal(AMD_PRODUCT_MILAN, &t, &m), "raw decimal fields");
	/* interface.md's example raw value, read in the Milan layout. */
	CHECK_EQ(amd_tcb_parse("0x7300000000000803", AMD_PRODUCT_MILAN, &t), 0, "parse 0x7300000000000803");
	CHECK(t.bl == 3 && t.tee == 8 && t.snp == 0 && t.ucode == 115, "0x7300000000000803 is bl=3,tee=8,snp=0,ucode=115");
	CHECK_EQ(amd_tcb_parse("fmc=1,bl=4,tee=3,snp=22,ucode=71", AMD_PRODUCT_TURIN, &t), 0, "Turin fields");
	CHECK(amd_tcb_equal(AMD_PRODUCT_TURIN, &t, &u), "Turin fields parsed");
	CHECK_EQ(amd_tcb_parse("0x4700000016030401", AMD_PRODUCT_TURIN, &t), 0, "Turin raw");
	CHECK(amd_tcb_equal(AMD_PRODUCT_TURIN, &t, &u), "Turin raw parsed");
	CHECK_EQ(amd_tcb_parse("bl=4,tee=3,snp=22,ucode=71", AMD_PRODUCT_TURIN, &t), 0, "Turin without fmc");
	CHECK(t.fmc == 0, "fmc defaults to 0");
	CHECK_EQ(amd_tcb_parse("bl=3,tee=0,snp=8,ucode=115,fmc=2", AMD_PRODUCT_UNKNOWN, &t), 0, "fmc allowed for unknown product");
	CHECK_EQ(amd_tcb_parse("bl=0,tee=255,snp=0,ucode=255", AMD_PRODUCT_MILAN, &t), 0, "bounds 0 and 255");

	{
		static const struct {
			const char *spec;
			enum amd_product p;
		} bad[] = {
			{ "", AMD_PRODUCT_MILAN },
			{ "bl=3", AMD_PRODUCT_MILAN },
			{ "bl=3,tee=0,snp=8", AMD_PRODUCT_MILAN },
			{ "bl=256,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl=-1,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl=+1,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl=,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl=0x3,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl=3,bl=3,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl=3,tee=0,snp=8,ucode=115,", AMD_PRODUCT_MILAN },
			{ ",bl=3,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl=3,,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl = 3,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl=3 ,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "bl=3,tee=0,snp=8,ucode=115,xyz=1", AMD_PRODUCT_MILAN },
			{ "bl=3,tee=0,snp=8,ucode=115,fmc=0", AMD_PRODUCT_MILAN },
			{ "bl=3,tee=0,snp=8,ucode=115,fmc=0", AMD_PRODUCT_GENOA },
			{ "fmc=1,fmc=1,bl=4,tee=3,snp=22,ucode=71", AMD_PRODUCT_TURIN },
			{ "bl=3=4,tee=0,snp=8,ucode=115", AMD_PRODUCT_MILAN },
			{ "0x7308000000000003", AMD_PRODUCT_UNKNOWN },
			{ "0x", AMD_PRODUCT_MILAN },
			{ "0x7308000000000003 ", AMD_PRODUCT_MILAN },
			{ " 0x7308000000000003", AMD_PRODUCT_MILAN },
			{ "0x-1", AMD_PRODUCT_MILAN },
			{ "-1", AMD_PRODUCT_MILAN },
			{ "+3", AMD_PRODUCT_MILAN },
			{ "0x1g", AMD_PRODUCT_MILAN },
			{ "0x10000000000000000", AMD_PRODUCT_MILAN },
			{ "18446744073709551616", AMD_PRODUCT_MILAN },
			{ "0x0000010000000000", AMD_PRODUCT_MILAN },   /* reserved byte 5 set */
			{ "0x0000000100000000", AMD_PRODUCT_TURIN },   /* reserved byte 4 set */
			{ "12abc", AMD_PRODUCT_MILAN },
			{ "0x0x7308000000000003", AMD_PRODUCT_MILAN }, /* strtoull's own "0x" */
			{ "0X0x3", AMD_PRODUCT_MILAN },
			{ "0x00007308000000000003", AMD_PRODUCT_MILAN }, /* over 16 hex digits */
		};
		size_t i;
		char name[128];

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(name, sizeof(name), "reject spec '%s' for %s", bad[i].spec,
				 amd_product_name(bad[i].p) ? amd_product_name(bad[i].p) : "unknown");
			CHECK_EQ(amd_tcb_parse(bad[i].spec, bad[i].p, &t), -EINVAL, name);
		}
		CHECK_EQ(amd_tcb_parse(NULL, AMD_PRODUCT_MILAN, &t), -EINVAL, "reject NULL spec");
	}

	amd_tcb_format(AMD_PRODUCT_MILAN, &m, buf, sizeof(buf));
	CHECK_STR(buf, "bl=3,tee=0,snp=8,ucode=115", "format Milan");
	amd_tcb_format(AMD_PRODUCT_TURIN, &u, buf, sizeof(buf));
	CHECK_STR(buf, "bl=4,tee=3,snp=22,ucode=71,fmc=1", "format Turin");
	CHECK_EQ(amd_tcb_parse(buf, AMD_PRODUCT_TURIN, &t), 0, "format round trip");
	CHECK(amd_tcb_equal(AMD_PRODUCT_TURIN, &t, &u), "format round trip fields");
	t = m;
	t.fmc = 9;
	CHECK(amd_tcb_equal(AMD_PRODUCT_MILAN, &t, &m), "fmc ignored on Milan");
	CHECK(!amd_tcb_equal(AMD_PRODUCT_TURIN, &t, &m), "fmc compared on Turin");
}

int main(void)
{
	test_names();
	test_chip_ids();
	test_tcb();
	return tap_done();
}
