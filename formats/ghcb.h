/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The GHCB certificate table: what the host hands an SNP guest with an
 * extended guest request.  See formats/ghcb-table.md for the format in plain
 * words.  This codec depends on libc only; it is compiled into libsnpcert
 * (hidden) and into the program.
 */
#ifndef SNPCERT_FORMATS_GHCB_H
#define SNPCERT_FORMATS_GHCB_H

#include <stddef.h>
#include <stdint.h>

#define GHCB_GUID_LEN 16
#define GHCB_ENTRY_SIZE 24
/*
 * The Linux guest driver refuses certificate buffers above this
 * (SEV_FW_BLOB_MAX_SIZE, 0x4000).  GHCB_MAX_KIB is its size in KiB, a
 * plain number so that messages can be built from it at compile time.
 */
#define GHCB_MAX_KIB 16
#define GHCB_MAX_SIZE (GHCB_MAX_KIB * 1024u)
/* The parser refuses anything larger outright, also for inspection. */
#define GHCB_PARSE_LIMIT (1024u * 1024u)

enum ghcb_kind {
	GHCB_KIND_OTHER = 0,
	GHCB_KIND_ARK,
	GHCB_KIND_ASK, /* also the slot for an ASVK */
	GHCB_KIND_VCEK,
	GHCB_KIND_VLEK,
	GHCB_KIND_CRL,
};

enum ghcb_error {
	GHCB_OK = 0,
	GHCB_ERR_EMPTY,          /* fewer bytes than one entry */
	GHCB_ERR_NO_TERMINATOR,  /* the entry array runs off the end */
	GHCB_ERR_NIL_GUID,       /* a zero GUID in an entry that is not the terminator */
	GHCB_ERR_ZERO_LENGTH,    /* an entry of length 0 */
	GHCB_ERR_INTO_ENTRIES,   /* data offset inside the entry array */
	GHCB_ERR_OVERFLOW,       /* offset + length overflows u32 */
	GHCB_ERR_PAST_END,       /* data runs past the end of the blob */
	GHCB_ERR_OVERLAP,        /* two entries share bytes */
	GHCB_ERR_DUPLICATE,      /* a well-known GUID appears twice */
	GHCB_ERR_STRAY_DATA,     /* non-zero bytes that no entry covers */
	GHCB_ERR_PADDED_EMPTY,   /* an empty table followed by more bytes: a write cut short */
	GHCB_ERR_TOO_LARGE,      /* over GHCB_MAX_SIZE (writers), GHCB_PARSE_LIMIT (all) */
	GHCB_ERR_NOMEM,
};

/* Where a table went wrong: what, at which byte, in which entry (or -1). */
struct ghcb_diag {
	enum ghcb_error code;
	size_t offset;
	int entry;
};

struct ghcb_entry {
	uint8_t guid[GHCB_GUID_LEN];
	uint32_t offset;
	uint32_t length;
};

/* An entry to encode: data is borrowed. */
struct ghcb_item {
	uint8_t guid[GHCB_GUID_LEN];
	const uint8_t *data;
	size_t len;
};

/* Accept tables over GHCB_MAX_SIZE (for inspection only). */
#define GHCB_ALLOW_LARGE 0x1u

/*
 * Check a table.  Returns 0, or -EBADMSG with *diag filled (diag may be
 * NULL), or -ENOMEM.  Never reads outside buf[0..len).
 */
int ghcb_validate(const void *buf, size_t len, unsigned int flags, struct ghcb_diag *diag);

/*
 * Check a table and return its entries in table order in a malloc'd array
 * (*out, *n; *out is NULL for an empty table).  Same returns as
 * ghcb_validate.
 */
int ghcb_parse(const void *buf, size_t len, unsigned int flags, struct ghcb_entry **out,
	       size_t *n, struct ghcb_diag *diag);

/*
 * Lay out items in the given order, certificates back to back after the
 * terminator, and check the result.  *out is malloc'd.  Returns 0,
 * -EBADMSG (diag says why: nil GUID, zero length, duplicate, too large) or
 * -ENOMEM.
 */
int ghcb_encode(const struct ghcb_item *items, size_t n, unsigned int flags, uint8_t **out,
		size_t *out_len, struct ghcb_diag *diag);

/* One line, lowercase, no trailing period: "entry data runs past the end". */
const char *ghcb_strerror(enum ghcb_error code);

enum ghcb_kind ghcb_guid_kind(const uint8_t guid[GHCB_GUID_LEN]);
/* The GUID of a well-known kind; NULL for GHCB_KIND_OTHER. */
const uint8_t *ghcb_kind_guid(enum ghcb_kind kind);
/* "ark", "ask", "vcek", "vlek", "crl", "other". */
const char *ghcb_kind_name(enum ghcb_kind kind);

/* RFC 4122 text <-> bytes in string order.  parse: 0 or -EINVAL. */
int ghcb_guid_parse(const char *text, uint8_t guid[GHCB_GUID_LEN]);
void ghcb_guid_format(const uint8_t guid[GHCB_GUID_LEN], char text[37]);

/* DIV_ROUND_UP(size, 4096), without overflow. */
size_t ghcb_npages(size_t size);

#endif
