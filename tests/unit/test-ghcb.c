// SPDX-License-Identifier: LGPL-2.1-or-later
/* The GHCB table codec: known answers, round trips, every malformed class. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghcb.h"
#include "tap.h"

/* The GUIDs written out by hand, in RFC 4122 string order. */
static const uint8_t ARK[16] = { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
				 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae };
static const uint8_t VCEK[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
				  0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
static const uint8_t OTHER[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				   0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01 };

/*
 * Two entries: VCEK "ABC" then ARK "DEFG".  72 bytes of entries, then the
 * data at 72 and 75.  Written out byte for byte.
 */
static const uint8_t known[] = {
	/* entry 0: VCEK, offset 72, length 3 */
	0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
	0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd,
	0x48, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	/* entry 1: ARK, offset 75, length 4 */
	0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
	0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae,
	0x4b, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
	/* terminator */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	'A', 'B', 'C', 'D', 'E', 'F', 'G',
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

/* A copy of the known table to break. */
static uint8_t *copy_known(void)
{
	uint8_t *p = malloc(sizeof(known) + 64);

	memset(p, 0, sizeof(known) + 64);
	memcpy(p, known, sizeof(known));
	return p;
}

static void expect_error(const uint8_t *buf, size_t len, unsigned int flags,
			 enum ghcb_error code, size_t offset, const char *name)
{
	struct ghcb_diag d;
	int ret = ghcb_validate(buf, len, flags, &d);

	CHECK_EQ(ret, -EBADMSG, name);
	CHECK_EQ(d.code, code, name);
	CHECK_EQ(d.offset, offset, name);
}

static void test_known(void)
{
	struct ghcb_item items[2];
	struct ghcb_entry *e = NULL;
	uint8_t *out = NULL;
	size_t n = 0, len = 0;

	memcpy(items[0].guid, VCEK, 16);
	items[0].data = (const uint8_t *)"ABC";
	items[0].len = 3;
	memcpy(items[1].guid, ARK, 16);
	items[1].data = (const uint8_t *)"DEFG";
	items[1].len = 4;
	CHECK_EQ(ghcb_encode(items, 2, 0, &out, &len, NULL), 0, "encode the known table");
	CHECK_EQ(len, sizeof(known), "encoded size");
	CHECK(out && memcmp(out, known, sizeof(known)) == 0, "encoded bytes match by hand");

	CHECK_EQ(ghcb_parse(known, sizeof(known), 0, &e, &n, NULL), 0, "parse the known table");
	CHECK_EQ(n, 2, "two entries");
	CHECK(e && memcmp(e[0].guid, VCEK, 16) == 0 && e[0].offset == 72 && e[0].length == 3,
	      "entry 0 decoded");
	CHECK(e && memcmp(e[1].guid, ARK, 16) == 0 && e[1].offset == 75 && e[1].length == 4,
	      "entry 1 decoded");
	CHECK_EQ(ghcb_guid_kind(e[0].guid), GHCB_KIND_VCEK, "VCEK kind");
	CHECK_EQ(ghcb_guid_kind(e[1].guid), GHCB_KIND_ARK, "ARK kind");
	CHECK_EQ(ghcb_guid_kind(OTHER), GHCB_KIND_OTHER, "other kind");
	free(e);
	free(out);
}

static void test_empty(void)
{
	static const uint8_t empty[24];
	uint8_t *out = NULL;
	size_t len = 0, n = 7;
	struct ghcb_entry *e = (void *)1;

	CHECK_EQ(ghcb_parse(empty, sizeof(empty), 0, &e, &n, NULL), 0, "empty table parses");
	CHECK(e == NULL && n == 0, "empty table has no entries");
	CHECK_EQ(ghcb_encode(NULL, 0, 0, &out, &len, NULL), 0, "encode empty");
	CHECK(len == 24 && out && memcmp(out, empty, 24) == 0, "empty table is 24 zero bytes");
	free(out);
	/* Zero padding after the data is tolerated (nothing to misread). */
	{
		uint8_t padded[sizeof(known) + 9] = { 0 };

		memcpy(padded, known, sizeof(known));
		CHECK_EQ(ghcb_validate(padded, sizeof(padded), 0, NULL), 0, "zero padding ok");
	}
}

static void test_round_trip(void)
{
	struct ghcb_item items[5];
	uint8_t data[5][300];
	uint8_t *out = NULL;
	struct ghcb_entry *e = NULL;
	size_t len = 0, n = 0;
	int ok = 1;

	for (int i = 0; i < 5; i++) {
		memset(data[i], 0xa0 + i, sizeof(data[i]));
		memcpy(items[i].guid, OTHER, 16);
		items[i].guid[15] = (uint8_t)i; /* five distinct opaque GUIDs */
		items[i].data = data[i];
		items[i].len = 100 + 50 * (size_t)i;
	}
	memcpy(items[0].guid, VCEK, 16);
	CHECK_EQ(ghcb_encode(items, 5, 0, &out, &len, NULL), 0, "encode five entries");
	CHECK_EQ(ghcb_parse(out, len, 0, &e, &n, NULL), 0, "parse them back");
	CHECK_EQ(n, 5, "five entries back");
	for (size_t i = 0; e && i < n; i++)
		ok &= memcmp(e[i].guid, items[i].guid, 16) == 0 && e[i].length == items[i].len &&
		      memcmp(out + e[i].offset, items[i].data, items[i].len) == 0;
	CHECK(ok, "round trip keeps order, GUIDs and bytes");
	/* Opaque GUIDs may repeat; well-known ones may not. */
	memcpy(items[2].guid, items[1].guid, 16);
	free(out);
	out = NULL;
	CHECK_EQ(ghcb_encode(items, 5, 0, &out, &len, NULL), 0, "repeated opaque GUID kept");
	free(out);
	out = NULL;
	memcpy(items[1].guid, VCEK, 16);
	CHECK_EQ(ghcb_encode(items, 5, 0, &out, &len, NULL), -EBADMSG, "duplicate VCEK refused");
	free(out);
	free(e);
}

static void test_malformed(void)
{
	uint8_t *p = copy_known();
	size_t len = sizeof(known);

	expect_error(p, 23, 0, GHCB_ERR_EMPTY, 0, "23 bytes: too short");
	expect_error(p, 0, 0, GHCB_ERR_EMPTY, 0, "0 bytes: too short");
	expect_error(p, 70, 0, GHCB_ERR_NO_TERMINATOR, 48, "cut in the terminator");
	expect_error(p, 48, 0, GHCB_ERR_NO_TERMINATOR, 48, "no terminator at all");

	memset(p + 24, 0, 16); /* entry 1 GUID zeroed, offset/length not */
	expect_error(p, len, 0, GHCB_ERR_NIL_GUID, 24, "nil GUID, non-zero entry");
	free(p);

	p = copy_known();
	put32(p + 20, 0);
	expect_error(p, len, 0, GHCB_ERR_ZERO_LENGTH, 20, "zero length");
	free(p);

	p = copy_known();
	put32(p + 16, 48); /* into the terminator */
	expect_error(p, len, 0, GHCB_ERR_INTO_ENTRIES, 16, "offset into entry array");
	free(p);

	p = copy_known();
	put32(p + 16, 0xfffffffe);
	expect_error(p, len, 0, GHCB_ERR_OVERFLOW, 16, "offset+length overflows u32");
	free(p);

	p = copy_known();
	put32(p + 44, 5); /* ARK length 5: one past the end */
	expect_error(p, len, 0, GHCB_ERR_PAST_END, 40, "data past the end");
	free(p);

	p = copy_known();
	put32(p + 40, 74); /* ARK starts inside the VCEK */
	expect_error(p, len, 0, GHCB_ERR_OVERLAP, 74, "overlapping data");
	free(p);

	p = copy_known();
	memcpy(p + 24, VCEK, 16); /* two VCEKs */
	expect_error(p, len, 0, GHCB_ERR_DUPLICATE, 24, "duplicate well-known GUID");
	free(p);

	p = copy_known();
	p[len + 3] = 0x5a; /* a byte after the data */
	expect_error(p, len + 4, 0, GHCB_ERR_STRAY_DATA, len + 3, "stray byte after the data");
	free(p);

	/* What a writer leaves after zeroing the first entry: refused. */
	p = copy_known();
	memset(p, 0, 24);
	expect_error(p, len, 0, GHCB_ERR_PADDED_EMPTY, 24, "half-written table (first entry zeroed)");
	free(p);

	/* A gap between certificates holding data. */
	p = copy_known();
	put32(p + 40, 76);
	put32(p + 44, 3);
	expect_error(p, len, 0, GHCB_ERR_STRAY_DATA, 75, "data in a gap");
	free(p);
}

static void test_size_limits(void)
{
	size_t big = GHCB_MAX_SIZE + 1;
	uint8_t *p = calloc(1, big);
	uint8_t *data = calloc(1, big);
	struct ghcb_item item;
	uint8_t *out = NULL;
	size_t len = 0;

	/* facts.md: SEV_FW_BLOB_MAX_SIZE, 0x4000; messages print it from the constant. */
	CHECK_EQ(GHCB_MAX_SIZE, 0x4000, "the Linux guest limit is 16 KiB");
	CHECK_EQ(GHCB_MAX_KIB * 1024, GHCB_MAX_SIZE, "GHCB_MAX_KIB is it in KiB");
	CHECK_STR(ghcb_strerror(GHCB_ERR_TOO_LARGE),
		  "table larger than 16 KiB (the Linux guest limit)",
		  "the too-large message names the limit");

	/* One opaque entry covering everything after the array. */
	memcpy(p, OTHER, 16);
	put32(p + 16, 48);
	put32(p + 20, (uint32_t)(big - 48));
	memset(p + 48, 0x33, big - 48);
	expect_error(p, big, 0, GHCB_ERR_TOO_LARGE, big, "over 16 KiB refused for writers");
	CHECK_EQ(ghcb_validate(p, big, GHCB_ALLOW_LARGE, NULL), 0, "over 16 KiB allowed to show");
	CHECK_EQ(ghcb_validate(p, GHCB_MAX_SIZE, 0, NULL), -EBADMSG, "cut short: past end");

	memcpy(item.guid, OTHER, 16);
	item.data = data;
	item.len = GHCB_MAX_SIZE - 48;
	CHECK_EQ(ghcb_encode(&item, 1, 0, &out, &len, NULL), 0, "exactly 16 KiB encodes");
	CHECK_EQ(len, GHCB_MAX_SIZE, "exactly 16 KiB");
	free(out);
	out = NULL;
	item.len++;
	CHECK_EQ(ghcb_encode(&item, 1, 0, &out, &len, NULL), -EBADMSG, "16 KiB + 1 refused");
	free(p);
	free(data);
}

static void test_guids(void)
{
	uint8_t g[16];
	char text[37];

	CHECK_EQ(ghcb_guid_parse("c0b406a4-a803-4952-9743-3fb6014cd0ae", g), 0, "parse ARK GUID");
	CHECK(memcmp(g, ARK, 16) == 0, "RFC 4122 byte order");
	ghcb_guid_format(VCEK, text);
	CHECK_STR(text, "63da758d-e664-4564-adc5-f4b93be8accd", "format VCEK GUID");
	CHECK_EQ(ghcb_guid_parse("C0B406A4-A803-4952-9743-3FB6014CD0AE", g), 0, "upper case ok");
	CHECK_EQ(ghcb_guid_parse("c0b406a4-a803-4952-9743-3fb6014cd0a", g), -EINVAL, "short GUID");
	CHECK_EQ(ghcb_guid_parse("c0b406a4-a803-4952-9743-3fb6014cd0aex", g), -EINVAL, "long GUID");
	CHECK_EQ(ghcb_guid_parse("zzb406a4-a803-4952-9743-3fb6014cd0ae", g), -EINVAL, "bad hex");
	CHECK_STR(ghcb_kind_name(GHCB_KIND_CRL), "crl", "kind names");
	CHECK(ghcb_kind_guid(GHCB_KIND_OTHER) == NULL, "no GUID for other");
	CHECK_EQ(ghcb_npages(0), 0, "npages 0");
	CHECK_EQ(ghcb_npages(1), 1, "npages 1");
	CHECK_EQ(ghcb_npages(4096), 1, "npages 4096");
	CHECK_EQ(ghcb_npages(4097), 2, "npages 4097");
	CHECK_EQ(ghcb_npages(SIZE_MAX), SIZE_MAX / 4096 + 1, "npages SIZE_MAX");
}

int main(void)
{
	test_known();
	test_empty();
	test_round_trip();
	test_malformed();
	test_size_limits();
	test_guids();
	return tap_done();
}
