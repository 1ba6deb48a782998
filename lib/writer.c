/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The write side: an in-place, crash-safe update of one table.
 *
 *   open     table O_RDWR; journal created/opened and locked (F_WRLCK, whole
 *            journal file): writers of one table are serialised there;
 *            a pending journal is replayed or discarded first
 *   prepare  journal := header + new table, fsync (before the table lock)
 *   lock     F_WRLCK on the intent byte, then on the whole table
 *   commit   (1) 24 zero bytes at 0: stock readers see an empty table,
 *                libsnpcert sees stray data (-EBADMSG)
 *            (2) new[24..len) at 24   (3) ftruncate(len)   (4) new[0..24) at 0
 *   unlock   readers back in
 *   finish   fsync table, then empty the journal (ftruncate 0, fsync)
 *
 * Any crash leaves old, new or a recognisable intermediate table plus a good
 * journal; the next writer (or snpcert_recover) replays it.
 *
 * An opaque file (SNPCERT_WRITER_OPAQUE) is committed with one pwrite of the
 * whole contents and an ftruncate; SNPCERT_WRITER_DISCARD drops a pending
 * journal instead of replaying it (snpcert.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ghcb.h"
#include "snpcert-internal.h"

struct snpcert_writer {
	char *path;
	char *jpath;
	int fd;		/* the table, O_RDWR */
	int jfd;	/* the journal, whole-file F_WRLCK held */
	unsigned int flags; /* SNPCERT_WRITER_OPAQUE, SNPCERT_WRITER_DISCARD */
	bool jcreated;	/* this writer created the journal file... */
	bool jused;	/* ...and a commit from it started */
	bool locked;	/* intent byte + whole table */
	bool prepared;	/* next[] is in the journal */
	bool touched;	/* a commit of next[] started */
	bool dirty;	/* a commit completed since the last finish */
	uint8_t *next;
	size_t next_len;
};

static int writer_lock_until(struct snpcert_writer *w, uint64_t deadline, bool once);

/*
 * Open a table or journal for writing, refusing what a writer must not
 * touch.  Each must have exactly one name (hard links, -EMLINK): a
 * table's journal is named after it, so writers and recovery through
 * another name would neither be serialised with it nor see its interrupted
 * update; a journal with another name is someone else's file, which
 * clearing it would destroy.
 */
static int open_checked(const char *path, int oflags)
{
	struct stat st;
	int fd, ret;

	fd = sc_open_file(path, oflags, &st);
	if (fd < 0)
		return fd == -EISDIR ? -EINVAL : fd;
	ret = sc_check_regular(&st) < 0 ? -EINVAL : sc_check_owner(&st);
	if (ret == 0 && st.st_nlink > 1)
		ret = -EMLINK;
	if (ret < 0) {
		sc_close(fd);
		return ret;
	}
	return fd;
}

/*
 * The directory of a table holds its journal and its name: whoever may
 * write it can rename another file over the table or delete the journal of
 * an interrupted update.  It must pass the ownership rule, but for a sticky
 * directory (/tmp), where others cannot move or remove root's entries.
 * 0, -EPERM, or -errno.
 */
static int dir_checked(const char *path)
{
	char *dir = sc_dir_of(path), why[96];
	struct stat st;
	int ret;

	if (!dir)
		return -ENOMEM;
	ret = stat(dir, &st) < 0 ? -errno : 0;
	free(dir);
	if (ret < 0)
		return ret;
	return sc_trust_check_dir(&st, why, sizeof(why));
}

/*
 * Open (creating it 0600 if needed) and lock the journal, re-checking after
 * locking that the path still names the locked file.
 */
static int journal_open_locked(struct snpcert_writer *w, uint64_t deadline, unsigned int timeout_ms)
{
	int ret;

	for (;;) {
		w->jfd = open_checked(w->jpath, O_RDWR | O_CREAT | O_EXCL);
		w->jcreated = w->jfd >= 0;
		if (w->jfd == -EEXIST) {
			w->jfd = open_checked(w->jpath, O_RDWR);
			if (w->jfd == -ENOENT)
				continue; /* removed between the two opens */
		}
		if (w->jfd < 0) {
			ret = w->jfd;
			goto out;
		}
		ret = sc_ofd_wait(w->jfd, F_WRLCK, 0, 0, deadline, timeout_ms == 0);
		if (ret < 0)
			goto out;
		ret = sc_same_file(w->jpath, w->jfd);
		if (ret < 0)
			goto out;
		if (ret == 1)
			break;
		/* Unlinked or replaced while we waited: start over. */
		sc_close(w->jfd);
		w->jfd = -1;
		if (sc_now_ns() >= deadline) {
			ret = timeout_ms ? -ETIMEDOUT : -EAGAIN;
			goto out;
		}
	}
	/*
	 * The journal's directory entry must be durable before the journal
	 * holds anything we rely on.  Not only when we created it: a writer
	 * that created it may have died before its directory fsync.  This is
	 * before any exclusive lock, so readers never wait for it.
	 */
	ret = sc_fsync_dir_of(w->jpath);
out:
	if (ret < 0) {
		sc_close(w->jfd);
		w->jfd = -1;
	}
	return ret;
}

static int read_table(int fd, unsigned int gflags, uint8_t **buf, size_t *len)
{
	uint8_t *p = NULL;
	struct stat st;
	size_t n, got;
	int ret;

	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (st.st_size > (off_t)GHCB_PARSE_LIMIT) {
		ret = -EFBIG;
		goto out;
	}
	n = (size_t)st.st_size;
	p = malloc(n ? n : 1);
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	ret = sc_pread_all(fd, p, n, 0, &got);
	if (ret < 0)
		goto out;
	if (got != n) {
		ret = -EBADMSG;
		goto out;
	}
	if (gflags != ~0u) {
		ret = ghcb_validate(p, n, gflags, NULL);
		if (ret < 0)
			goto out;
	}
	*buf = p;
	p = NULL;
	*len = n;
	ret = 0;
out:
	free(p);
	return ret;
}

/* Are buf, len contents this writer may put into its file?  0 or -EBADMSG. */
static int contents_check(const struct snpcert_writer *w, const uint8_t *buf, size_t len)
{
	if (w->flags & SNPCERT_WRITER_OPAQUE)
		return len > 0 && len <= SNPCERT_OPAQUE_MAX ? 0 : -EBADMSG;
	return ghcb_validate(buf, len, 0, NULL);
}

/* Complete or drop an interrupted update found in the journal. */
static int writer_recover(struct snpcert_writer *w, uint64_t deadline, bool once, int *outcome)
{
	struct sc_journal_id jid, cur;
	uint8_t *table = NULL, *now = NULL;
	size_t len = 0, now_len = 0;
	int ret;

	*outcome = SNPCERT_RECOVER_CLEAN;
	ret = sc_journal_read(w->jfd, &jid, &table, &len);
	if (ret == -ENODATA) {
		ret = 0;
		goto out;
	}
	if (ret < 0 && ret != -EBADMSG)
		goto out;
	if (ret == 0) {
		ret = sc_journal_id_of(w->fd, &cur);
		if (ret < 0)
			goto out;
		/*
		 * A journal for another file (the table was replaced since) or
		 * holding no valid table (not ours) must not be written into
		 * this file: drop it, leave the table alone.
		 */
		if (!sc_journal_id_match(&jid, &cur) || (w->flags & SNPCERT_WRITER_DISCARD))
			ret = -EBADMSG;
		else
			ret = contents_check(w, table, len);
		if (ret < 0 && ret != -EBADMSG)
			goto out;
	}
	if (ret == -EBADMSG) {
		/* Torn: the table was not touched before the journal was durable. */
		ret = sc_journal_clear(w->jfd);
		if (ret < 0)
			goto out;
		*outcome = SNPCERT_RECOVER_DISCARDED;
		goto out;
	}

	w->next = table;
	w->next_len = len;
	table = NULL;
	w->prepared = true;
	w->touched = true;
	/* Already complete in the page cache?  Then only durability is missing. */
	if (read_table(w->fd, ~0u, &now, &now_len) == 0 && now_len == w->next_len &&
	    memcmp(now, w->next, now_len) == 0) {
		w->dirty = true;
	} else {
		ret = writer_lock_until(w, deadline, once);
		if (ret < 0)
			goto out;
		ret = snpcert_writer_commit(w);
		if (ret < 0)
			goto out;
		ret = snpcert_writer_unlock(w);
		if (ret < 0)
			goto out;
	}
	ret = snpcert_writer_finish(w);
	if (ret < 0)
		goto out;
	*outcome = SNPCERT_RECOVER_REPLAYED;
out:
	free(table);
	free(now);
	return ret;
}

static int writer_open(const char *path, unsigned int flags, unsigned int timeout_ms,
		       struct snpcert_writer **out, int *outcome)
{
	struct snpcert_writer *w = NULL;
	uint64_t deadline = sc_deadline(timeout_ms);
	int ret;

	if (!path || !*path || !out ||
	    (flags & ~(SNPCERT_WRITER_STRICT_OWNER | SNPCERT_WRITER_OPAQUE | SNPCERT_WRITER_DISCARD))) {
		ret = -EINVAL;
		goto out;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		ret = -ENOMEM;
		goto out;
	}
	w->flags = flags & (SNPCERT_WRITER_OPAQUE | SNPCERT_WRITER_DISCARD);
	w->fd = -1;
	w->jfd = -1;
	w->path = strdup(path);
	if (!w->path) {
		ret = -ENOMEM;
		goto out;
	}
	ret = snpcert_journal_path(path, &w->jpath);
	if (ret < 0)
		goto out;
	ret = dir_checked(path);
	if (ret < 0)
		goto out;
	w->fd = open_checked(path, O_RDWR);
	if (w->fd < 0) {
		ret = w->fd;
		goto out;
	}
	ret = journal_open_locked(w, deadline, timeout_ms);
	if (ret < 0)
		goto out;
	/* Writers are serialised now; make sure we hold the file the path names. */
	ret = sc_same_file(path, w->fd);
	if (ret == 0) {
		sc_close(w->fd);
		w->fd = open_checked(path, O_RDWR);
		if (w->fd < 0) {
			ret = w->fd;
			goto out;
		}
	} else if (ret < 0) {
		goto out;
	}
	ret = writer_recover(w, deadline, timeout_ms == 0, outcome);
	if (ret < 0)
		goto out;
	*out = w;
	w = NULL;
	ret = 0;
out:
	snpcert_writer_close(w);
	return ret;
}

SNPCERT_EXPORT int snpcert_writer_open(const char *path, unsigned int flags,
				       unsigned int timeout_ms, struct snpcert_writer **out)
{
	int outcome;

	return writer_open(path, flags, timeout_ms, out, &outcome);
}

SNPCERT_EXPORT int snpcert_recover(const char *path, unsigned int flags, unsigned int timeout_ms,
				   int *outcome)
{
	struct snpcert_writer *w = NULL;
	int ret, oc = SNPCERT_RECOVER_CLEAN;

	ret = writer_open(path, flags, timeout_ms, &w, &oc);
	if (ret < 0)
		goto out;
	if (outcome)
		*outcome = oc;
	ret = 0;
out:
	snpcert_writer_close(w);
	return ret;
}

SNPCERT_EXPORT int snpcert_writer_read(struct snpcert_writer *w, uint8_t **buf, size_t *len)
{
	if (!w || !buf || !len)
		return -EINVAL;
	return read_table(w->fd, (w->flags & SNPCERT_WRITER_OPAQUE) ? ~0u : GHCB_ALLOW_LARGE, buf, len);
}

SNPCERT_EXPORT int snpcert_writer_prepare(struct snpcert_writer *w, const void *buf, size_t len)
{
	struct sc_journal_id id;
	uint8_t *copy = NULL;
	int ret;

	if (!w || !buf) {
		ret = -EINVAL;
		goto out;
	}
	/* A commit failed half-way: only retrying it (or recovery) may follow. */
	if (w->touched && !w->dirty) {
		ret = -EBUSY;
		goto out;
	}
	ret = contents_check(w, buf, len);
	if (ret < 0)
		goto out;
	copy = malloc(len);
	if (!copy) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(copy, buf, len);
	/* The previous round's table must be durable before its journal goes. */
	if (w->dirty) {
		if (fsync(w->fd) < 0) {
			ret = -errno;
			goto out;
		}
		w->dirty = false;
	}
	ret = sc_journal_id_of(w->fd, &id);
	if (ret < 0)
		goto out;
	free(w->next);
	w->next = copy;
	copy = NULL;
	w->next_len = len;
	w->prepared = false;
	w->touched = false;
	/*
	 * Nothing may run out of space under the exclusive lock, after the
	 * first entry was zeroed: the blocks the new table needs are reserved
	 * now (the size stays; file systems without fallocate(2) cannot
	 * reserve, and are written as before), and the journal is written
	 * whole, both before the lock.
	 */
	if (fallocate(w->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)len) < 0 && errno != EOPNOTSUPP) {
		ret = -errno;
		goto out;
	}
	ret = sc_journal_write(w->jfd, &id, w->next, len);
	if (ret < 0) {
		/* No half-written journal is left for recovery to look at. */
		sc_journal_clear(w->jfd);
		goto out;
	}
	w->prepared = true;
	ret = 0;
out:
	free(copy);
	return ret;
}

/*
 * The exclusive lock by deadline; once: a single try (-EAGAIN).  Recovery
 * in writer_open() waits for the caller's deadline, not a rounded-down
 * millisecond count (which made a nearly spent timeout a single try).
 */
static int writer_lock_until(struct snpcert_writer *w, uint64_t deadline, bool once)
{
	bool intent = false;
	int ret;

	if (w->locked) {
		ret = 0;
		goto out;
	}
	/* Announce: libsnpcert readers back off, stock readers' whole-file locks wait. */
	ret = sc_ofd_wait(w->fd, F_WRLCK, SNPCERT_INTENT_OFFSET, 1, deadline, once);
	if (ret < 0)
		goto out;
	intent = true;
	ret = sc_ofd_wait(w->fd, F_WRLCK, 0, 0, deadline, once);
	if (ret < 0)
		goto out;
	/* Held from here on: released below on failure, else by unlock. */
	ret = sc_same_file(w->path, w->fd);
	if (ret != 1) {
		ret = ret < 0 ? ret : -ESTALE;
		goto out;
	}
	w->locked = true;
	intent = false;
	ret = 0;
out:
	if (intent)
		sc_ofd(w->fd, F_OFD_SETLK, F_UNLCK, 0, 0);
	return ret;
}

SNPCERT_EXPORT int snpcert_writer_lock(struct snpcert_writer *w, unsigned int timeout_ms)
{
	if (!w)
		return -EINVAL;
	return writer_lock_until(w, sc_deadline(timeout_ms), timeout_ms == 0);
}

SNPCERT_EXPORT int snpcert_writer_commit(struct snpcert_writer *w)
{
	static const uint8_t zero[GHCB_ENTRY_SIZE];
	int ret;

	if (!w) {
		ret = -EINVAL;
		goto out;
	}
	if (!w->locked) {
		ret = -ENOLCK;
		goto out;
	}
	if (!w->prepared) {
		ret = -EINVAL;
		goto out;
	}
	w->touched = true;
	w->jused = true;
	w->dirty = false;
	if (w->flags & SNPCERT_WRITER_OPAQUE) {
		ret = sc_pwrite_all(w->fd, w->next, w->next_len, 0);
		if (ret == 0 && ftruncate(w->fd, (off_t)w->next_len) < 0)
			ret = -errno;
		if (ret == 0)
			w->dirty = true;
		goto out;
	}
	/* (1) Stock readers now see an empty table, libsnpcert stray data. */
	ret = sc_pwrite_all(w->fd, zero, sizeof(zero), 0);
	if (ret < 0)
		goto out;
	/* (2) Everything after the first entry. */
	ret = sc_pwrite_all(w->fd, w->next + GHCB_ENTRY_SIZE, w->next_len - GHCB_ENTRY_SIZE,
			    GHCB_ENTRY_SIZE);
	if (ret < 0)
		goto out;
	/* (3) Drop what the old table had beyond the new end. */
	if (ftruncate(w->fd, (off_t)w->next_len) < 0) {
		ret = -errno;
		goto out;
	}
	/* (4) The first entry last: the table is whole again. */
	ret = sc_pwrite_all(w->fd, w->next, GHCB_ENTRY_SIZE, 0);
	if (ret < 0)
		goto out;
	w->dirty = true;
	ret = 0;
out:
	return ret;
}

SNPCERT_EXPORT int snpcert_writer_unlock(struct snpcert_writer *w)
{
	int ret;

	if (!w)
		return -EINVAL;
	if (!w->locked)
		return 0;
	ret = sc_ofd(w->fd, F_OFD_SETLK, F_UNLCK, 0, 0);
	if (ret < 0)
		return ret;
	w->locked = false;
	return 0;
}

SNPCERT_EXPORT int snpcert_writer_finish(struct snpcert_writer *w)
{
	int ret;

	if (!w)
		return -EINVAL;
	if (!w->dirty)
		return -EINVAL;
	if (fsync(w->fd) < 0)
		return -errno;
	ret = sc_journal_clear(w->jfd);
	if (ret < 0)
		return ret;
	w->dirty = false;
	w->prepared = false;
	w->touched = false;
	free(w->next);
	w->next = NULL;
	w->next_len = 0;
	return 0;
}

SNPCERT_EXPORT void snpcert_writer_close(struct snpcert_writer *w)
{
	if (!w)
		return;
	/* Prepared but never started: roll back, the table was not touched. */
	if (w->jfd >= 0 && w->prepared && !w->touched)
		sc_journal_clear(w->jfd);
	/*
	 * A journal this writer created and never committed from (the table
	 * was malformed, needed no change, or the update was abandoned before
	 * the lock) is empty now and removed, while its lock is still held: a
	 * writer waiting for it finds the path gone and starts over.
	 */
	if (w->jfd >= 0 && w->jcreated && !w->jused)
		unlink(w->jpath);
	if (w->fd >= 0)
		snpcert_writer_unlock(w);
	/* Closing the descriptors drops the table and journal locks. */
	sc_close(w->fd);
	sc_close(w->jfd);
	free(w->next);
	free(w->jpath);
	free(w->path);
	free(w);
}

SNPCERT_EXPORT int snpcert_writer_fd(const struct snpcert_writer *w)
{
	return w && w->fd >= 0 ? w->fd : -EBADF;
}
