// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every state an in-place write passes through (lib/writer.c: (1) 24 zero
 * bytes at 0, (2) new[24..) at 24, (3) ftruncate to the new length, (4) the
 * new first entry) is the old table, the new table, or refused by the
 * parser readers and writers share (snpcert_table_check): never a third
 * table.  Checked for every kind of table, old to new and back, including
 * tables whose data bytes are all zero, tables with only opaque entries and
 * the empty table.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghcb.h"
#include "snpcert.h"
#include "tap.h"

#define KINDS 6

static const uint8_t opaque1[GHCB_GUID_LEN] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
						0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01 };
static const uint8_t opaque2[GHCB_GUID_LEN] = { 0x21, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
						0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x02 };

static const char *const names[KINDS] = {
	"VCEK, ASK, ARK", "one entry, all-zero data", "only opaque entries, all-zero data",
	"three entries, all-zero data", "the empty table", "one short entry",
};

/* Table k in *out (malloc'd). */
static size_t make(int k, uint8_t **out)
{
	static uint8_t zeros[1500], bytes[1500];
	struct ghcb_item it[3];
	size_t n = 0, len = 0;
	uint8_t *blob = NULL;

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 7 + 3);
	switch (k) {
	case 0:
		ghcb_guid_parse("63da758d-e664-4564-adc5-f4b93be8accd", it[0].guid);
		ghcb_guid_parse("4ab7b379-bbac-4fe4-a02f-05aef327c782", it[1].guid);
		ghcb_guid_parse("c0b406a4-a803-4952-9743-3fb6014cd0ae", it[2].guid);
		for (int i = 0; i < 3; i++) {
			it[i].data = bytes + 100 * i;
			it[i].len = 1000 + 37 * (size_t)i;
		}
		n = 3;
		break;
	case 1:
		memcpy(it[0].guid, opaque1, GHCB_GUID_LEN);
		it[0].data = zeros;
		it[0].len = 1200;
		n = 1;
		break;
	case 2:
	case 3:
		memcpy(it[0].guid, opaque1, GHCB_GUID_LEN);
		memcpy(it[1].guid, opaque2, GHCB_GUID_LEN);
		ghcb_guid_parse("92f81bc3-5811-4d3d-97ff-d19f88dc67ea", it[2].guid);
		for (int i = 0; i < 3; i++) {
			it[i].data = zeros;
			it[i].len = 300 + 100 * (size_t)i;
		}
		n = k == 2 ? 2 : 3;
		break;
	case 4:
		n = 0;
		break;
	default:
		memcpy(it[0].guid, opaque2, GHCB_GUID_LEN);
		it[0].data = bytes;
		it[0].len = 1;
		n = 1;
		break;
	}
	if (ghcb_encode(it, n, 0, &blob, &len, NULL) < 0) {
		printf("Bail out! cannot encode table kind %d\n", k);
		exit(1);
	}
	*out = blob;
	return len;
}

/* The file while old (lo bytes) becomes new (ln bytes), after step s (1..3). */
static size_t state(const uint8_t *old, size_t lo, const uint8_t *nw, size_t ln, int s,
		    uint8_t *buf)
{
	size_t len = lo;

	memcpy(buf, old, lo);
	memset(buf, 0, GHCB_ENTRY_SIZE);
	if (s >= 2) {
		memcpy(buf + GHCB_ENTRY_SIZE, nw + GHCB_ENTRY_SIZE, ln - GHCB_ENTRY_SIZE);
		len = ln > lo ? ln : lo;
	}
	if (s >= 3)
		len = ln;
	return len;
}

int main(void)
{
	static const char *const steps[] = { "", "first entry zeroed", "body written",
					     "truncated" };
	uint8_t *t[KINDS];
	size_t len[KINDS];
	char name[200];

	for (int k = 0; k < KINDS; k++) {
		len[k] = make(k, &t[k]);
		snprintf(name, sizeof(name), "%s: a valid table", names[k]);
		CHECK_EQ(snpcert_table_check(t[k], len[k]), 0, name);
	}
	for (int a = 0; a < KINDS; a++) {
		for (int b = 0; b < KINDS; b++) {
			if (a == b)
				continue;
			for (int s = 1; s <= 3; s++) {
				uint8_t buf[8192];
				size_t n = state(t[a], len[a], t[b], len[b], s, buf);
				bool is_old = n == len[a] && memcmp(buf, t[a], n) == 0;
				bool is_new = n == len[b] && memcmp(buf, t[b], n) == 0;

				snprintf(name, sizeof(name), "%s -> %s, %s: old, new or refused",
					 names[a], names[b], steps[s]);
				CHECK(is_old || is_new || snpcert_table_check(buf, n) == -EBADMSG,
				      name);
			}
		}
	}
	for (int k = 0; k < KINDS; k++)
		free(t[k]);
	return tap_done();
}
