// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The GHCB certificate table codec.  See ghcb-table.md.
 *
 * Every check works on the entry array first (bounds, terminator) and then
 * on the data ranges sorted by offset (overlap, stray bytes), so validation
 * is O(n log n) and never touches bytes outside the blob.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "ghcb.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static const struct {
	enum ghcb_kind kind;
	const char *name;
	uint8_t guid[GHCB_GUID_LEN];
} kinds[] = {
	{ GHCB_KIND_ARK, "ark",   /* c0b406a4-a803-4952-9743-3fb6014cd0ae */
	  { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
	    0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae } },
	{ GHCB_KIND_ASK, "ask",   /* 4ab7b379-bbac-4fe4-a02f-05aef327c782 */
	  { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
	    0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 } },
	{ GHCB_KIND_VCEK, "vcek", /* 63da758d-e664-4564-adc5-f4b93be8accd */
	  { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
	    0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd } },
	{ GHCB_KIND_VLEK, "vlek", /* a8074bc2-a25a-483e-aae6-39c045a0b8a1 */
	  { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
	    0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1 } },
	{ GHCB_KIND_CRL, "crl",   /* 92f81bc3-5811-4d3d-97ff-d19f88dc67ea */
	  { 0x92, 0xf8, 0x1b, 0xc3, 0x58, 0x11, 0x4d, 0x3d,
	    0x97, 0xff, 0xd1, 0x9f, 0x88, 0xdc, 0x67, 0xea } },
};

static const uint8_t nil_guid[GHCB_GUID_LEN];

enum ghcb_kind ghcb_guid_kind(const uint8_t guid[GHCB_GUID_LEN])
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (memcmp(kinds[i].guid, guid, GHCB_GUID_LEN) == 0)
			return kinds[i].kind;
	return GHCB_KIND_OTHER;
}

const uint8_t *ghcb_kind_guid(enum ghcb_kind kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].guid;
	return NULL;
}

const char *ghcb_kind_name(enum ghcb_kind kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "other";
}

int ghcb_guid_parse(const char *text, uint8_t guid[GHCB_GUID_LEN])
{
	uuid_t u;

	if (!text || strlen(text) != 36 || uuid_parse(text, u) != 0)
		return -EINVAL;
	memcpy(guid, u, GHCB_GUID_LEN);
	return 0;
}

void ghcb_guid_format(const uint8_t guid[GHCB_GUID_LEN], char text[37])
{
	uuid_t u;

	memcpy(u, guid, GHCB_GUID_LEN);
	uuid_unparse_lower(u, text);
}

size_t ghcb_npages(size_t size)
{
	return size / 4096 + (size % 4096 != 0);
}

const char *ghcb_strerror(enum ghcb_error code)
{
	switch (code) {
	case GHCB_OK:
		return "no error";
	case GHCB_ERR_EMPTY:
		return "shorter than one 24-byte entry";
	case GHCB_ERR_NO_TERMINATOR:
		return "no terminating zero entry";
	case GHCB_ERR_NIL_GUID:
		return "zero GUID in an entry that is not the terminator";
	case GHCB_ERR_ZERO_LENGTH:
		return "entry of length zero";
	case GHCB_ERR_INTO_ENTRIES:
		return "entry data points into the entry array";
	case GHCB_ERR_OVERFLOW:
		return "entry offset plus length overflows 32 bits";
	case GHCB_ERR_PAST_END:
		return "entry data runs past the end of the table";
	case GHCB_ERR_OVERLAP:
		return "entry data overlaps another entry";
	case GHCB_ERR_DUPLICATE:
		return "well-known GUID appears twice";
	case GHCB_ERR_STRAY_DATA:
		return "bytes that belong to no entry (torn or padded table)";
	case GHCB_ERR_PADDED_EMPTY:
		return "an empty entry array followed by more bytes (an interrupted in-place write)";
	case GHCB_ERR_TOO_LARGE:
		return "table larger than " STRINGIFY(GHCB_MAX_KIB) " KiB (the Linux guest limit)";
	case GHCB_ERR_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static int fail(struct ghcb_diag *diag, enum ghcb_error code, size_t offset, int entry)
{
	if (diag) {
		diag->code = code;
		diag->offset = offset;
		diag->entry = entry;
	}
	return code == GHCB_ERR_NOMEM ? -ENOMEM : -EBADMSG;
}

static int by_offset(const void *a, const void *b)
{
	const struct ghcb_entry *x = a, *y = b;

	return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Index of an entry within the table, recovered after sorting. */
static int entry_index(const uint8_t *buf, size_t n, const struct ghcb_entry *e)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(buf + i * GHCB_ENTRY_SIZE, e->guid, GHCB_GUID_LEN) == 0 &&
		    get_le32(buf + i * GHCB_ENTRY_SIZE + 16) == e->offset)
			return (int)i;
	return -1;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int ghcb_parse(const void *blob, size_t len, unsigned int flags, struct ghcb_entry **out,
	       size_t *n_out, struct ghcb_diag *diag)
{
	const uint8_t *buf = blob;
	struct ghcb_entry *e = NULL, *sorted = NULL;
	size_t n = 0, array_end, pos;
	int ret;

	if (diag)
		*diag = (struct ghcb_diag){ GHCB_OK, 0, -1 };
	if (len > GHCB_PARSE_LIMIT || (len > GHCB_MAX_SIZE && !(flags & GHCB_ALLOW_LARGE))) {
		ret = fail(diag, GHCB_ERR_TOO_LARGE, len, -1);
		goto out;
	}
	if (len < GHCB_ENTRY_SIZE) {
		ret = fail(diag, GHCB_ERR_EMPTY, 0, -1);
		goto out;
	}

	/* The entry array, up to the terminator. */
	for (pos = 0;; pos += GHCB_ENTRY_SIZE, n++) {
		if (len - pos < GHCB_ENTRY_SIZE) {
			ret = fail(diag, GHCB_ERR_NO_TERMINATOR, pos, (int)n);
			goto out;
		}
		if (all_zero(buf + pos, GHCB_ENTRY_SIZE))
			break;
		if (memcmp(buf + pos, nil_guid, GHCB_GUID_LEN) == 0) {
			ret = fail(diag, GHCB_ERR_NIL_GUID, pos, (int)n);
			goto out;
		}
	}
	array_end = pos + GHCB_ENTRY_SIZE;
	/*
	 * An empty table is exactly its terminator.  More bytes after an empty
	 * entry array, even zeros, is what an in-place write leaves while the
	 * first entry is zeroed: for every table (one whose data is all zero
	 * too) that state must be recognisable, never read as a valid table.
	 */
	if (n == 0 && len > GHCB_ENTRY_SIZE) {
		ret = fail(diag, GHCB_ERR_PADDED_EMPTY, GHCB_ENTRY_SIZE, -1);
		goto out;
	}

	if (n) {
		e = calloc(n, sizeof(*e));
		sorted = calloc(n, sizeof(*sorted));
		if (!e || !sorted) {
			ret = fail(diag, GHCB_ERR_NOMEM, 0, -1);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = buf + i * GHCB_ENTRY_SIZE;
		enum ghcb_kind kind;

		memcpy(e[i].guid, p, GHCB_GUID_LEN);
		e[i].offset = get_le32(p + 16);
		e[i].length = get_le32(p + 20);
		if (e[i].length == 0) {
			ret = fail(diag, GHCB_ERR_ZERO_LENGTH, i * GHCB_ENTRY_SIZE + 20, (int)i);
			goto out;
		}
		if (e[i].offset < array_end) {
			ret = fail(diag, GHCB_ERR_INTO_ENTRIES, i * GHCB_ENTRY_SIZE + 16, (int)i);
			goto out;
		}
		if (e[i].length > UINT32_MAX - e[i].offset) {
			ret = fail(diag, GHCB_ERR_OVERFLOW, i * GHCB_ENTRY_SIZE + 16, (int)i);
			goto out;
		}
		if ((size_t)e[i].offset + e[i].length > len) {
			ret = fail(diag, GHCB_ERR_PAST_END, i * GHCB_ENTRY_SIZE + 16, (int)i);
			goto out;
		}
		kind = ghcb_guid_kind(e[i].guid);
		for (size_t j = 0; kind != GHCB_KIND_OTHER && j < i; j++) {
			if (memcmp(e[j].guid, e[i].guid, GHCB_GUID_LEN) == 0) {
				ret = fail(diag, GHCB_ERR_DUPLICATE, i * GHCB_ENTRY_SIZE, (int)i);
				goto out;
			}
		}
	}

	/* The data: sorted by offset, no overlap, nothing non-zero uncovered. */
	if (n)
		memcpy(sorted, e, n * sizeof(*e));
	if (n > 1)
		qsort(sorted, n, sizeof(*sorted), by_offset);
	pos = array_end;
	for (size_t i = 0; i < n; i++) {
		if (sorted[i].offset < pos) {
			ret = fail(diag, GHCB_ERR_OVERLAP, sorted[i].offset,
				   entry_index(buf, n, &sorted[i]));
			goto out;
		}
		for (size_t k = pos; k < sorted[i].offset; k++) {
			if (buf[k]) {
				ret = fail(diag, GHCB_ERR_STRAY_DATA, k, -1);
				goto out;
			}
		}
		pos = (size_t)sorted[i].offset + sorted[i].length;
	}
	for (size_t k = pos; k < len; k++) {
		if (buf[k]) {
			ret = fail(diag, GHCB_ERR_STRAY_DATA, k, -1);
			goto out;
		}
	}

	if (out) {
		*out = e;
		e = NULL;
	}
	if (n_out)
		*n_out = n;
	ret = 0;
out:
	free(e);
	free(sorted);
	return ret;
}

int ghcb_validate(const void *buf, size_t len, unsigned int flags, struct ghcb_diag *diag)
{
	return ghcb_parse(buf, len, flags, NULL, NULL, diag);
}

int ghcb_encode(const struct ghcb_item *items, size_t n, unsigned int flags, uint8_t **out,
		size_t *out_len, struct ghcb_diag *diag)
{
	uint8_t *buf = NULL;
	size_t size, pos;
	int ret;

	if (diag)
		*diag = (struct ghcb_diag){ GHCB_OK, 0, -1 };
	/* Checked up front so the size sum below cannot overflow. */
	size = (n + 1) * GHCB_ENTRY_SIZE;
	for (size_t i = 0; i < n; i++) {
		if (memcmp(items[i].guid, nil_guid, GHCB_GUID_LEN) == 0) {
			ret = fail(diag, GHCB_ERR_NIL_GUID, i * GHCB_ENTRY_SIZE, (int)i);
			goto out;
		}
		if (items[i].len == 0) {
			ret = fail(diag, GHCB_ERR_ZERO_LENGTH, i * GHCB_ENTRY_SIZE + 20, (int)i);
			goto out;
		}
		if (items[i].len > GHCB_PARSE_LIMIT || size > GHCB_PARSE_LIMIT) {
			ret = fail(diag, GHCB_ERR_TOO_LARGE, size, (int)i);
			goto out;
		}
		size += items[i].len;
	}
	if (size > GHCB_PARSE_LIMIT || (size > GHCB_MAX_SIZE && !(flags & GHCB_ALLOW_LARGE))) {
		ret = fail(diag, GHCB_ERR_TOO_LARGE, size, -1);
		goto out;
	}

	buf = calloc(1, size);
	if (!buf) {
		ret = fail(diag, GHCB_ERR_NOMEM, 0, -1);
		goto out;
	}
	pos = (n + 1) * GHCB_ENTRY_SIZE;
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = buf + i * GHCB_ENTRY_SIZE;

		memcpy(p, items[i].guid, GHCB_GUID_LEN);
		put_le32(p + 16, (uint32_t)pos);
		put_le32(p + 20, (uint32_t)items[i].len);
		memcpy(buf + pos, items[i].data, items[i].len);
		pos += items[i].len;
	}
	/* Duplicates and anything else the parser refuses. */
	ret = ghcb_validate(buf, size, flags, diag);
	if (ret < 0)
		goto out;
	*out = buf;
	*out_len = size;
	buf = NULL;
out:
	free(buf);
	return ret;
}
