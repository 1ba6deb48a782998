/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test tables identified by a sequence number: seq_table(seq) is a valid
 * GHCB table whose every byte derives from seq (entry sizes and count vary
 * with it), with the seq itself in an opaque entry.  seq_table_match() says
 * whether a blob is exactly seq_table(n) for the n it names, so any mix of
 * two tables is caught.  Shared by the unit tests, torture and bench.
 */
#ifndef SNPCERT_TESTS_SEQTABLE_H
#define SNPCERT_TESTS_SEQTABLE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghcb.h"
#include "snpcert.h"

/* 5eb1e5eb-0000-4000-8000-5e0000000001: an opaque test entry. */
static const uint8_t seq_guid[GHCB_GUID_LEN] = {
	0x5e, 0xb1, 0xe5, 0xeb, 0x00, 0x00, 0x40, 0x00,
	0x80, 0x00, 0x5e, 0x00, 0x00, 0x00, 0x00, 0x01,
};

static inline uint64_t seq_mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void seq_fill(uint8_t *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0)
			seed = seq_mix(&seed);
		p[i] = (uint8_t)(seed >> (8 * (i % 8))) | 1; /* never zero: stray data shows */
	}
}

/* seq_table(seq): 0 and a malloc'd table in *out, or -errno. */
static inline int seq_table(uint64_t seq, uint8_t **out, size_t *len)
{
	uint8_t vcek[9000], tag[64], crl[1200];
	struct ghcb_item it[3];
	uint64_t s = seq;
	size_t n = 0;

	memcpy(it[n].guid, ghcb_kind_guid(GHCB_KIND_VCEK), GHCB_GUID_LEN);
	it[n].len = 1000 + seq_mix(&s) % 8000;
	seq_fill(vcek, it[n].len, seq ^ 0x1111);
	it[n++].data = vcek;
	memcpy(it[n].guid, seq_guid, GHCB_GUID_LEN);
	seq_fill(tag, sizeof(tag), seq ^ 0x2222);
	for (int i = 0; i < 8; i++)
		tag[i] = (uint8_t)(seq >> (8 * i));
	it[n].len = sizeof(tag);
	it[n++].data = tag;
	if (seq % 3) {
		memcpy(it[n].guid, ghcb_kind_guid(GHCB_KIND_CRL), GHCB_GUID_LEN);
		it[n].len = 200 + seq_mix(&s) % 1000;
		seq_fill(crl, it[n].len, seq ^ 0x3333);
		it[n++].data = crl;
	}
	return ghcb_encode(it, n, 0, out, len, NULL);
}

/* 0 and *seq if buf is exactly seq_table(*seq), -1 otherwise. */
static inline int seq_table_match(const uint8_t *buf, size_t len, uint64_t *seq)
{
	struct ghcb_entry *e = NULL;
	uint8_t *want = NULL;
	size_t n = 0, want_len = 0;
	uint64_t v = 0;
	int ret = -1;

	if (ghcb_parse(buf, len, GHCB_ALLOW_LARGE, &e, &n, NULL) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (memcmp(e[i].guid, seq_guid, GHCB_GUID_LEN) || e[i].length < 8)
			continue;
		for (int k = 0; k < 8; k++)
			v |= (uint64_t)buf[e[i].offset + k] << (8 * k);
		if (seq_table(v, &want, &want_len) < 0)
			goto out;
		if (want_len == len && memcmp(want, buf, len) == 0) {
			*seq = v;
			ret = 0;
		}
		break;
	}
out:
	free(e);
	free(want);
	return ret;
}

/*
 * One whole update of the table at path through libsnpcert's writer (every
 * step in order, timeout_ms for each wait); the first error, or 0.
 */
static inline int seq_update(const char *path, const uint8_t *buf, size_t len,
			     unsigned int timeout_ms)
{
	struct snpcert_writer *w = NULL;
	int ret;

	ret = snpcert_writer_open(path, 0, timeout_ms, &w);
	if (ret == 0)
		ret = snpcert_writer_prepare(w, buf, len);
	if (ret == 0)
		ret = snpcert_writer_lock(w, timeout_ms);
	if (ret == 0)
		ret = snpcert_writer_commit(w);
	if (ret == 0)
		ret = snpcert_writer_unlock(w);
	if (ret == 0)
		ret = snpcert_writer_finish(w);
	snpcert_writer_close(w);
	return ret;
}

#endif
