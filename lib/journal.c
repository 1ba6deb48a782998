/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The recovery journal: "<dir>/.<name>.snpcert-journal", next to the table.
 *
 * Layout (little-endian), SC_JOURNAL_HEADER_SIZE bytes of header, then the
 * new table:
 *
 *    0  magic "SNPCJRN1"          8
 *    8  u32 version (1)           12  u32 header size (64)
 *   16  u64 st_dev of the table   24  u64 st_ino of the table
 *   32  s64 birth time, seconds   40  u32 birth time, nanoseconds (0, 0: unknown)
 *   44  u32 table length          48  u32 CRC-32 of the table bytes
 *   52  u32 0                     56  u32 0
 *   60  u32 CRC-32 of bytes 0..60
 *
 * An empty journal means no update is pending.  The writers' mutual
 * exclusion is an OFD write lock on the whole journal file (writer.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ghcb.h"
#include "snpcert-internal.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

SNPCERT_EXPORT int snpcert_journal_path(const char *path, char **out)
{
	const char *slash, *name;
	size_t dirlen, size;
	char *p = NULL;
	int ret;

	if (!path || !out) {
		ret = -EINVAL;
		goto out;
	}
	slash = strrchr(path, '/');
	name = slash ? slash + 1 : path;
	dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		ret = -EINVAL;
		goto out;
	}
	size = dirlen + 1 + strlen(name) + sizeof(".snpcert-journal");
	if (size > PATH_MAX) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	p = malloc(size);
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(p, path, dirlen);
	p[dirlen] = '.';
	strcpy(p + dirlen + 1, name);
	strcat(p, ".snpcert-journal");
	*out = p;
	p = NULL;
	ret = 0;
out:
	free(p);
	return ret;
}

int sc_journal_id_of(int fd, struct sc_journal_id *id)
{
	struct statx stx;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	memset(id, 0, sizeof(*id));
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) == 0 && (stx.stx_mask & STATX_BTIME)) {
		id->btime_sec = stx.stx_btime.tv_sec;
		id->btime_nsec = stx.stx_btime.tv_nsec;
	}
	return 0;
}

/*
 * The same file: same inode number, and the same birth time where the file
 * system records one (an inode number can be reused by a new file; a device
 * number can change across reboots, so it is compared only without a birth
 * time).
 */
bool sc_journal_id_match(const struct sc_journal_id *a, const struct sc_journal_id *b)
{
	bool a_bt = a->btime_sec || a->btime_nsec, b_bt = b->btime_sec || b->btime_nsec;

	if (a->ino != b->ino)
		return false;
	if (a_bt && b_bt)
		return a->btime_sec == b->btime_sec && a->btime_nsec == b->btime_nsec;
	return a->dev == b->dev;
}

int sc_journal_write(int jfd, const struct sc_journal_id *id, const void *table, size_t len)
{
	uint8_t *rec = NULL;
	size_t total = SC_JOURNAL_HEADER_SIZE + len;
	int ret;

	if (len > GHCB_PARSE_LIMIT) {
		ret = -EFBIG;
		goto out;
	}
	rec = calloc(1, total);
	if (!rec) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(rec, SC_JOURNAL_MAGIC, 8);
	put_le32(rec + 8, SC_JOURNAL_VERSION);
	put_le32(rec + 12, SC_JOURNAL_HEADER_SIZE);
	put_le64(rec + 16, id->dev);
	put_le64(rec + 24, id->ino);
	put_le64(rec + 32, (uint64_t)id->btime_sec);
	put_le32(rec + 40, id->btime_nsec);
	put_le32(rec + 44, (uint32_t)len);
	put_le32(rec + 48, sc_crc32(0, table, len));
	put_le32(rec + 60, sc_crc32(0, rec, 60));
	memcpy(rec + SC_JOURNAL_HEADER_SIZE, table, len);

	/* A crash between these leaves an empty or torn journal: discarded. */
	if (ftruncate(jfd, 0) < 0) {
		ret = -errno;
		goto out;
	}
	ret = sc_pwrite_all(jfd, rec, total, 0);
	if (ret < 0)
		goto out;
	if (fsync(jfd) < 0) {
		ret = -errno;
		goto out;
	}
	ret = 0;
out:
	free(rec);
	return ret;
}

int sc_journal_read(int jfd, struct sc_journal_id *id, uint8_t **table, size_t *len)
{
	uint8_t hdr[SC_JOURNAL_HEADER_SIZE], *buf = NULL;
	struct stat st;
	size_t got, n;
	int ret;

	if (fstat(jfd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (st.st_size == 0) {
		ret = -ENODATA;
		goto out;
	}
	if (st.st_size < SC_JOURNAL_HEADER_SIZE ||
	    st.st_size > (off_t)(SC_JOURNAL_HEADER_SIZE + GHCB_PARSE_LIMIT)) {
		ret = -EBADMSG;
		goto out;
	}
	ret = sc_pread_all(jfd, hdr, sizeof(hdr), 0, &got);
	if (ret < 0)
		goto out;
	if (got != sizeof(hdr) || memcmp(hdr, SC_JOURNAL_MAGIC, 8) != 0 ||
	    get_le32(hdr + 8) != SC_JOURNAL_VERSION ||
	    get_le32(hdr + 12) != SC_JOURNAL_HEADER_SIZE ||
	    get_le32(hdr + 60) != sc_crc32(0, hdr, 60)) {
		ret = -EBADMSG;
		goto out;
	}
	n = get_le32(hdr + 44);
	if ((off_t)(SC_JOURNAL_HEADER_SIZE + n) != st.st_size) {
		ret = -EBADMSG;
		goto out;
	}
	buf = malloc(n ? n : 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	ret = sc_pread_all(jfd, buf, n, SC_JOURNAL_HEADER_SIZE, &got);
	if (ret < 0)
		goto out;
	if (got != n || sc_crc32(0, buf, n) != get_le32(hdr + 48)) {
		ret = -EBADMSG;
		goto out;
	}
	id->dev = get_le64(hdr + 16);
	id->ino = get_le64(hdr + 24);
	id->btime_sec = (int64_t)get_le64(hdr + 32);
	id->btime_nsec = get_le32(hdr + 40);
	*table = buf;
	buf = NULL;
	*len = n;
	ret = 0;
out:
	free(buf);
	return ret;
}

int sc_journal_clear(int jfd)
{
	if (ftruncate(jfd, 0) < 0 || fsync(jfd) < 0)
		return -errno;
	return 0;
}
