/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsnpcert, write side: round trip, refusals, locks, journal, and a crash
 * at every step of an update (a child of this program under the crash fake,
 * tests/fakes/crash.so.c, found next to this build's unit tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snpcert.h"
#include "snpcert-internal.h"
#include "tap.h"
#include "../torture/seqtable.h"

static char dir[64], path[128], jpath[160];
static char self[PATH_MAX], crash_so[PATH_MAX];

static int put_file(const char *p, const void *buf, size_t len, mode_t mode)
{
	int fd;
	ssize_t n;

	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	n = len ? write(fd, buf, len) : 0;
	fchmod(fd, mode);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* The whole file, malloc'd; NULL if unreadable. */
static uint8_t *get_file(const char *p, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf && sc_pread_all(fd, buf, (size_t)st.st_size, 0, &got) < 0) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = got;
	return buf;
}

static int file_is(const char *p, const uint8_t *want, size_t want_len)
{
	size_t len;
	uint8_t *buf = get_file(p, &len);
	int ok = buf && len == want_len && memcmp(buf, want, len) == 0;

	free(buf);
	return ok;
}

static ino_t ino_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_ino : 0;
}

static off_t size_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_size : -1;
}

/* The whole update; returns the first error. */
static int update(const uint8_t *buf, size_t len)
{
	return seq_update(path, buf, len, 1000);
}

static void test_journal_bits(void)
{
	char *p = NULL;

	CHECK_EQ(sc_crc32(0, "123456789", 9), 0xCBF43926u, "crc32 known answer");
	CHECK_EQ(snpcert_journal_path("/a/b/t.certs", &p), 0, "journal_path");
	CHECK_STR(p, "/a/b/.t.certs.snpcert-journal", "journal_path with a directory");
	free(p);
	p = NULL;
	snpcert_journal_path("t", &p);
	CHECK_STR(p, ".t.snpcert-journal", "journal_path, bare name");
	free(p);
	p = NULL;
	snpcert_journal_path("/t", &p);
	CHECK_STR(p, "/.t.snpcert-journal", "journal_path in /");
	free(p);
	p = NULL;
	CHECK_EQ(snpcert_journal_path("dir/", &p), -EINVAL, "journal_path: directory");
	CHECK_EQ(snpcert_journal_path("a/..", &p), -EINVAL, "journal_path: ..");
	CHECK_EQ(snpcert_journal_path(NULL, &p), -EINVAL, "journal_path: NULL");
}

static void test_round_trip(void)
{
	struct snpcert_writer *w = NULL;
	uint8_t *t1 = NULL, *t2 = NULL, *t3 = NULL, *cur = NULL;
	size_t l1, l2, l3, lc = 0;
	struct stat st;
	ino_t ino;

	seq_table(1, &t1, &l1);
	seq_table(2, &t2, &l2);
	seq_table(3, &t3, &l3);
	put_file(path, t1, l1, 0644);
	ino = ino_of(path);
	CHECK_EQ(snpcert_writer_open(path, 0, 100, &w), 0, "writer_open");
	CHECK(snpcert_writer_fd(w) >= 0, "writer_fd");
	CHECK(stat(jpath, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 0,
	      "journal created empty, mode 0600");
	CHECK(snpcert_writer_read(w, &cur, &lc) == 0 && lc == l1 && memcmp(cur, t1, l1) == 0,
	      "writer_read: current contents");
	free(cur);
	CHECK_EQ(snpcert_writer_commit(w), -ENOLCK, "commit before lock: -ENOLCK");
	CHECK_EQ(snpcert_writer_finish(w), -EINVAL, "finish before commit: -EINVAL");
	CHECK_EQ(snpcert_writer_prepare(w, t1, l1 - 1), -EBADMSG, "prepare: malformed table");
	CHECK_EQ(snpcert_writer_lock(w, 100), 0, "lock");
	CHECK_EQ(snpcert_writer_lock(w, 0), 0, "lock again: no-op");
	CHECK_EQ(snpcert_writer_commit(w), -EINVAL, "commit before prepare: -EINVAL");
	CHECK_EQ(snpcert_writer_prepare(w, t2, l2), 0, "prepare under the lock");
	CHECK(size_of(jpath) == (off_t)(SC_JOURNAL_HEADER_SIZE + l2), "journal holds the table");
	CHECK_EQ(snpcert_writer_commit(w), 0, "commit");
	CHECK(file_is(path, t2, l2), "table is the new one");
	CHECK_EQ(snpcert_writer_prepare(w, t3, l3), 0, "second round: prepare");
	CHECK_EQ(snpcert_writer_commit(w), 0, "second round: commit");
	CHECK_EQ(snpcert_writer_unlock(w), 0, "unlock");
	CHECK_EQ(snpcert_writer_unlock(w), 0, "unlock again");
	CHECK_EQ(snpcert_writer_finish(w), 0, "finish");
	CHECK_EQ(size_of(jpath), 0, "journal emptied");
	snpcert_writer_close(w);
	CHECK(file_is(path, t3, l3), "table holds the last round");
	CHECK(ino_of(path) == ino, "same inode");

	CHECK_EQ(update(t1, l1), 0, "update back (shrink or grow)");
	CHECK(file_is(path, t1, l1) && ino_of(path) == ino, "in place");

	/* Prepared, never committed: closing rolls back. */
	w = NULL;
	CHECK_EQ(snpcert_writer_open(path, 0, 100, &w), 0, "open");
	CHECK_EQ(snpcert_writer_prepare(w, t2, l2), 0, "prepare");
	snpcert_writer_close(w);
	CHECK_EQ(size_of(jpath), 0, "close after prepare empties the journal");
	CHECK(file_is(path, t1, l1), "table untouched");
	free(t1);
	free(t2);
	free(t3);
}

static void test_refusals(void)
{
	struct snpcert_writer *w = NULL;
	uint8_t *t = NULL, *big = NULL;
	size_t l;
	char p[160], jp[200];
	struct ghcb_item it = { .len = 17000 };

	seq_table(1, &t, &l);
	CHECK_EQ(snpcert_writer_open(NULL, 0, 0, &w), -EINVAL, "open(NULL)");
	CHECK_EQ(snpcert_writer_open(path, 0x80, 0, &w), -EINVAL, "unknown flag");
	snprintf(p, sizeof(p), "%s/missing", dir);
	CHECK_EQ(snpcert_writer_open(p, 0, 0, &w), -ENOENT, "missing table");
	snprintf(p, sizeof(p), "%s/wlink", dir);
	symlink(path, p);
	CHECK_EQ(snpcert_writer_open(p, 0, 0, &w), -ELOOP, "symlink refused");
	snprintf(p, sizeof(p), "%s/wdir", dir);
	mkdir(p, 0755);
	CHECK_EQ(snpcert_writer_open(p, 0, 0, &w), -EINVAL, "directory refused");
	snprintf(p, sizeof(p), "%s/wfifo", dir);
	mkfifo(p, 0600);
	CHECK_EQ(snpcert_writer_open(p, 0, 0, &w), -EINVAL, "fifo refused");

	snprintf(p, sizeof(p), "%s/other.certs", dir);
	put_file(p, t, l, 0666);
	CHECK_EQ(snpcert_writer_open(p, 0, 0, &w), -EPERM, "world-writable refused");
	put_file(p, t, l, 0620);
	CHECK_EQ(snpcert_writer_open(p, 0, 0, &w), -EPERM, "group-writable refused");
	put_file(p, t, l, 0644);
	if (geteuid() == 0) {
		CHECK(chown(p, 1234, 1234) == 0, "chown to another user");
		CHECK_EQ(snpcert_writer_open(p, 0, 0, &w), -EPERM, "root: foreign owner refused");
		CHECK_EQ(snpcert_writer_open(p, SNPCERT_WRITER_STRICT_OWNER, 0, &w), -EPERM,
			 "strict owner refused");
		chown(p, 0, 0);
	}
	snprintf(jp, sizeof(jp), "%s/.other.certs.snpcert-journal", dir);
	put_file(jp, "", 0, 0666);
	CHECK_EQ(snpcert_writer_open(p, 0, 0, &w), -EPERM, "world-writable journal refused");
	unlink(jp);
	symlink("/dev/null", jp);
	CHECK_EQ(snpcert_writer_open(p, 0, 0, &w), -ELOOP, "journal symlink refused");
	unlink(jp);
	CHECK_EQ(snpcert_writer_open(p, SNPCERT_WRITER_STRICT_OWNER, 0, &w), 0, "strict: own file ok");
	memcpy(it.guid, ghcb_kind_guid(GHCB_KIND_VCEK), GHCB_GUID_LEN);
	big = calloc(1, it.len);
	memset(big, 7, it.len);
	it.data = big;
	{
		uint8_t *bt = NULL;
		size_t bl;

		CHECK(ghcb_encode(&it, 1, GHCB_ALLOW_LARGE, &bt, &bl, NULL) == 0, "large table");
		CHECK_EQ(snpcert_writer_prepare(w, bt, bl), -EBADMSG, "prepare: over 16 KiB refused");
		free(bt);
	}
	snpcert_writer_close(w);
	CHECK(w != NULL, "handle");
	free(big);
	free(t);
}

static void test_locks(void)
{
	struct snpcert_writer *w = NULL, *w2 = NULL;
	struct snpcert_file *r = NULL;
	uint8_t *t = NULL;
	size_t l;
	int fd;

	seq_table(6, &t, &l);
	put_file(path, t, l, 0644);
	CHECK_EQ(snpcert_writer_open(path, 0, 100, &w), 0, "writer 1");
	CHECK_EQ(snpcert_writer_open(path, 0, 0, &w2), -EAGAIN, "writer 2, timeout 0: -EAGAIN");
	CHECK_EQ(snpcert_writer_open(path, 0, 30, &w2), -ETIMEDOUT, "writer 2: -ETIMEDOUT");
	CHECK_EQ(snpcert_open(path, &r), 0, "reader");
	CHECK_EQ(snpcert_lock_shared(r, 0), 0, "reader locks while a writer is open");
	CHECK_EQ(snpcert_writer_lock(w, 0), -EAGAIN, "writer lock, reader holding: -EAGAIN");
	CHECK_EQ(snpcert_writer_lock(w, 30), -ETIMEDOUT, "writer lock: -ETIMEDOUT");
	snpcert_unlock(r);
	CHECK_EQ(snpcert_lock_shared(r, 0), 0, "intent released after the failed lock");
	snpcert_unlock(r);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(sc_ofd(fd, F_OFD_SETLK, F_RDLCK, 0, 0) == 0, "stock reader locks");
	CHECK_EQ(snpcert_writer_lock(w, 20), -ETIMEDOUT, "stock reader holds the writer off");
	close(fd);
	CHECK_EQ(snpcert_writer_lock(w, 100), 0, "writer locks");
	CHECK_EQ(snpcert_lock_shared(r, 0), -EAGAIN, "reader: -EAGAIN while the writer holds");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK_EQ(sc_ofd(fd, F_OFD_SETLK, F_RDLCK, 0, 0), -EAGAIN, "stock reader held off");
	close(fd);
	snpcert_writer_close(w); /* drops the locks */
	CHECK_EQ(snpcert_lock_shared(r, 0), 0, "close released the table");
	CHECK_EQ(snpcert_writer_open(path, 0, 0, &w2), 0, "and the journal");
	snpcert_writer_close(w2);
	snpcert_close(r);
	free(t);
}

static void test_recover_journal(void)
{
	struct sc_journal_id id;
	uint8_t *t1 = NULL, *t2 = NULL;
	size_t l1, l2;
	int jfd, fd, oc = -1;

	seq_table(7, &t1, &l1);
	seq_table(8, &t2, &l2);
	put_file(path, t1, l1, 0644);
	CHECK_EQ(snpcert_recover(path, 0, 100, &oc), 0, "recover, no journal");
	CHECK_EQ(oc, SNPCERT_RECOVER_CLEAN, "clean");

	put_file(jpath, "SNPCJRN1 garbage", 16, 0600);
	CHECK_EQ(snpcert_recover(path, 0, 100, &oc), 0, "recover, torn journal");
	CHECK_EQ(oc, SNPCERT_RECOVER_DISCARDED, "discarded");
	CHECK(file_is(path, t1, l1) && size_of(jpath) == 0, "table untouched, journal empty");

	fd = open(path, O_RDONLY | O_CLOEXEC);
	jfd = open(jpath, O_RDWR | O_CLOEXEC);
	sc_journal_id_of(fd, &id);
	CHECK_EQ(sc_journal_write(jfd, &id, t2, l2), 0, "good journal written");
	CHECK_EQ(snpcert_recover(path, 0, 100, &oc), 0, "recover, good journal");
	CHECK_EQ(oc, SNPCERT_RECOVER_REPLAYED, "replayed");
	CHECK(file_is(path, t2, l2) && size_of(jpath) == 0, "table is new, journal empty");
	CHECK_EQ(snpcert_recover(path, 0, 100, &oc), 0, "recover again");
	CHECK_EQ(oc, SNPCERT_RECOVER_CLEAN, "idempotent");

	id.ino ^= 1;
	CHECK_EQ(sc_journal_write(jfd, &id, t1, l1), 0, "journal for another inode");
	CHECK_EQ(snpcert_recover(path, 0, 100, &oc), 0, "recover");
	CHECK_EQ(oc, SNPCERT_RECOVER_DISCARDED, "another inode: discarded");
	CHECK(file_is(path, t2, l2), "table untouched");
	id.ino ^= 1;
	sc_journal_write(jfd, &id, t1, l1);
	CHECK(pwrite(jfd, "x", 1, SC_JOURNAL_HEADER_SIZE + 100) == 1, "journal payload corrupted");
	CHECK_EQ(snpcert_recover(path, 0, 100, &oc), 0, "recover");
	CHECK_EQ(oc, SNPCERT_RECOVER_DISCARDED, "bad checksum: discarded");
	CHECK(file_is(path, t2, l2), "table untouched");
	close(fd);
	close(jfd);
	free(t1);
	free(t2);
}

/*
 * A replay that cannot get the table lock: -ETIMEDOUT for a non-zero timeout
 * (also one nearly spent by the time the journal is read), -EAGAIN for 0.
 */
static void test_recover_timeout(void)
{
	struct snpcert_writer *w = NULL;
	struct sc_journal_id id;
	uint8_t *t1 = NULL, *t2 = NULL;
	size_t l1, l2;
	int jfd, fd, rd, oc = -1;

	seq_table(30, &t1, &l1);
	seq_table(31, &t2, &l2);
	put_file(path, t1, l1, 0644);
	CHECK_EQ(snpcert_recover(path, 0, 100, &oc), 0, "recover: journal exists");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	jfd = open(jpath, O_RDWR | O_CLOEXEC);
	sc_journal_id_of(fd, &id);
	CHECK_EQ(sc_journal_write(jfd, &id, t2, l2), 0, "pending journal");
	close(jfd);
	rd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(sc_ofd(rd, F_OFD_SETLK, F_RDLCK, 0, 0) == 0, "stock reader holds the table");
	CHECK_EQ(snpcert_writer_open(path, 0, 1, &w), -ETIMEDOUT,
		 "replay blocked, timeout 1 ms: -ETIMEDOUT, not -EAGAIN");
	CHECK(w == NULL, "no handle");
	CHECK_EQ(snpcert_recover(path, 0, 1, &oc), -ETIMEDOUT, "recover, timeout 1 ms: -ETIMEDOUT");
	CHECK_EQ(snpcert_writer_open(path, 0, 0, &w), -EAGAIN, "replay blocked, timeout 0: -EAGAIN");
	close(rd);
	CHECK_EQ(snpcert_recover(path, 0, 100, &oc), 0, "recover once the reader is gone");
	CHECK_EQ(oc, SNPCERT_RECOVER_REPLAYED, "replayed");
	CHECK(file_is(path, t2, l2) && size_of(jpath) == 0, "table is new, journal empty");
	close(fd);
	free(t1);
	free(t2);
}

/*
 * This program and $O/tests/fakes/crash.so for its $O/tests/unit/.  The path
 * of the program comes from readlink, not exec of /proc/self/exe, so that it
 * is right under valgrind too.
 */
static int find_crash_so(void)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(crash_so, sizeof(crash_so), "%s", self);
	for (int i = 0; i < 2; i++) {
		slash = strrchr(crash_so, '/');
		if (!slash)
			return -1;
		*slash = '\0';
	}
	if (strlen(crash_so) + sizeof("/fakes/crash.so") > sizeof(crash_so))
		return -1;
	strcat(crash_so, "/fakes/crash.so");
	return access(crash_so, R_OK);
}

/*
 * Run the whole update to seq_table(seq) in a child (this program again,
 * --crash-child) under the crash fake, which kills it at step.
 */
static int crash_at(const char *step, uint64_t seq)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		const char *asan = getenv("ASAN_OPTIONS");
		char seqs[24], opts[512];

		/* A sanitizer build: the fake comes before the ASan runtime. */
		snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", asan ? asan : "",
			 asan && *asan ? ":" : "");
		snprintf(seqs, sizeof(seqs), "%llu", (unsigned long long)seq);
		setenv("ASAN_OPTIONS", opts, 1);
		setenv("LD_PRELOAD", crash_so, 1);
		setenv("SNPCERT_CRASH_AT", step, 1);
		execl(self, self, "--crash-child", path, seqs, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The child of crash_at(): the update to seq_table(seq) of the table at p. */
static int crash_child(const char *p, const char *seqs)
{
	uint8_t *t = NULL;
	size_t l;
	int ret;

	if (seq_table(strtoull(seqs, NULL, 10), &t, &l) < 0)
		return 1;
	ret = seq_update(p, t, l, 1000);
	free(t);
	return ret == 0 ? 0 : 1;
}

static void test_crash_steps(void)
{
	static const struct {
		const char *name;
		int recovered; /* outcome of recover */
		bool bad;      /* readers see the intermediate state */
		bool is_new;   /* visible table before recovery */
	} fps[] = {
		{ "journal-partial", SNPCERT_RECOVER_DISCARDED, false, false },
		{ "journal-written", SNPCERT_RECOVER_REPLAYED, false, false },
		{ "intent", SNPCERT_RECOVER_REPLAYED, false, false },
		{ "locked", SNPCERT_RECOVER_REPLAYED, false, false },
		{ "zeroed", SNPCERT_RECOVER_REPLAYED, true, false },
		{ "body-written", SNPCERT_RECOVER_REPLAYED, true, false },
		{ "truncated", SNPCERT_RECOVER_REPLAYED, true, false },
		{ "committed", SNPCERT_RECOVER_REPLAYED, false, true },
		{ "unlocked", SNPCERT_RECOVER_REPLAYED, false, true },
		{ "synced", SNPCERT_RECOVER_REPLAYED, false, true },
		{ "cleared", SNPCERT_RECOVER_CLEAN, false, true },
	};
	static const uint64_t seq[2] = { 20, 21 };
	uint8_t *t[2] = { NULL, NULL }, buf[16384], head[GHCB_ENTRY_SIZE], *raw;
	size_t l[2], size, rl;
	char msg[PATH_MAX + 64];

	snprintf(msg, sizeof(msg), "the crash fake is there: %s", crash_so);
	CHECK(find_crash_so() == 0, msg);
	seq_table(seq[0], &t[0], &l[0]);
	seq_table(seq[1], &t[1], &l[1]);
	memset(head, 0, sizeof(head));
	for (size_t i = 0; i < sizeof(fps) / sizeof(fps[0]); i++) {
		for (int dirn = 0; dirn < 2; dirn++) {
			const uint8_t *old = t[dirn], *nw = t[!dirn];
			size_t lo = l[dirn], ln = l[!dirn];
			struct snpcert_file *r = NULL;
			const uint8_t *want;
			ino_t ino;
			int oc = -1, st, ret;

			put_file(path, old, lo, 0644);
			ino = ino_of(path);
			st = crash_at(fps[i].name, seq[!dirn]);
			snprintf(msg, sizeof(msg), "%s/%d: writer died there", fps[i].name, dirn);
			CHECK_EQ(st, 99, msg);

			snpcert_open(path, &r);
			snpcert_lock_shared(r, 100);
			ret = snpcert_read(r, buf, sizeof(buf), &size);
			snpcert_close(r);
			raw = get_file(path, &rl);
			snprintf(msg, sizeof(msg), "%s/%d: what readers see", fps[i].name, dirn);
			if (fps[i].bad) {
				CHECK(ret == -EBADMSG && raw && memcmp(raw, head, sizeof(head)) == 0,
				      msg); /* stock readers: an empty table */
			} else {
				want = fps[i].is_new ? nw : old;
				CHECK(ret == 0 && size == (fps[i].is_new ? ln : lo) &&
				      memcmp(buf, want, size) == 0, msg);
			}
			free(raw);

			snprintf(msg, sizeof(msg), "%s/%d: recover", fps[i].name, dirn);
			CHECK(snpcert_recover(path, 0, 1000, &oc) == 0 && oc == fps[i].recovered, msg);
			want = fps[i].recovered == SNPCERT_RECOVER_DISCARDED ? old : nw;
			snprintf(msg, sizeof(msg), "%s/%d: table complete, same inode", fps[i].name,
				 dirn);
			CHECK(file_is(path, want, want == old ? lo : ln) && ino_of(path) == ino &&
			      size_of(jpath) == 0, msg);
			snprintf(msg, sizeof(msg), "%s/%d: recover again is clean", fps[i].name, dirn);
			CHECK(snpcert_recover(path, 0, 1000, &oc) == 0 && oc == SNPCERT_RECOVER_CLEAN,
			      msg);
		}
	}

	/* The next writer replays by itself, and a crash during replay is fine too. */
	put_file(path, t[0], l[0], 0644);
	CHECK_EQ(crash_at("body-written", seq[1]), 99, "crash mid-write");
	CHECK_EQ(crash_at("zeroed", seq[0]), 99, "crash again, during replay");
	{
		struct snpcert_writer *w = NULL;
		uint8_t *cur = NULL;
		size_t lc;

		CHECK_EQ(snpcert_writer_open(path, 0, 1000, &w), 0, "next writer opens");
		CHECK(snpcert_writer_read(w, &cur, &lc) == 0 && lc == l[1] &&
		      memcmp(cur, t[1], lc) == 0, "after replaying the interrupted update");
		free(cur);
		snpcert_writer_close(w);
	}
	free(t[0]);
	free(t[1]);
}

/* Files that are not tables (SNPCERT_WRITER_OPAQUE), and journals dropped (DISCARD). */
static void test_opaque(void)
{
	static uint8_t big[SNPCERT_OPAQUE_MAX + 1];
	const unsigned int op = SNPCERT_WRITER_OPAQUE;
	struct snpcert_writer *w = NULL;
	struct sc_journal_id id;
	uint8_t *cur = NULL;
	size_t lc = 99;
	int fd, jfd, oc = -1;

	memset(big, 0xa5, sizeof(big));
	put_file(path, "", 0, 0644);
	CHECK_EQ(snpcert_writer_open(path, 0x8u, 100, &w), -EINVAL, "unknown flag: -EINVAL");
	CHECK_EQ(snpcert_writer_open(path, op, 100, &w), 0, "opaque writer_open on an empty file");
	CHECK(snpcert_writer_read(w, &cur, &lc) == 0 && lc == 0, "writer_read: empty contents");
	free(cur);
	CHECK_EQ(snpcert_writer_prepare(w, big, 0), -EBADMSG, "prepare: nothing is refused");
	CHECK_EQ(snpcert_writer_prepare(w, big, sizeof(big)), -EBADMSG, "prepare: over the maximum");
	CHECK_EQ(snpcert_writer_prepare(w, "not a table", 11), 0, "prepare: any bytes");
	CHECK_EQ(snpcert_writer_lock(w, 100), 0, "lock");
	CHECK_EQ(snpcert_writer_commit(w), 0, "commit");
	CHECK(file_is(path, (const uint8_t *)"not a table", 11), "the file holds the bytes");
	CHECK_EQ(snpcert_writer_prepare(w, "short", 5), 0, "second round: shorter");
	CHECK_EQ(snpcert_writer_commit(w), 0, "commit");
	CHECK(file_is(path, (const uint8_t *)"short", 5), "truncated to the new length");
	CHECK_EQ(snpcert_writer_prepare(w, big, SNPCERT_OPAQUE_MAX), 0, "the maximum");
	CHECK_EQ(snpcert_writer_commit(w), 0, "commit");
	CHECK_EQ(snpcert_writer_unlock(w), 0, "unlock");
	CHECK_EQ(snpcert_writer_finish(w), 0, "finish");
	snpcert_writer_close(w);
	CHECK(file_is(path, big, SNPCERT_OPAQUE_MAX) && size_of(jpath) == 0,
	      "the whole maximum, journal empty");
	w = NULL;
	put_file(path, "old", 3, 0644);
	CHECK_EQ(snpcert_writer_open(path, 0, 100, &w), 0, "table writer on the same file");
	CHECK_EQ(snpcert_writer_prepare(w, "new", 3), -EBADMSG, "still refuses what is no table");
	snpcert_writer_close(w);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	jfd = open(jpath, O_RDWR | O_CLOEXEC);
	sc_journal_id_of(fd, &id);
	CHECK_EQ(sc_journal_write(jfd, &id, (const uint8_t *)"new", 3), 0, "opaque journal");
	CHECK_EQ(snpcert_recover(path, op | SNPCERT_WRITER_DISCARD, 100, &oc), 0,
		 "recover with DISCARD");
	CHECK(oc == SNPCERT_RECOVER_DISCARDED && file_is(path, (const uint8_t *)"old", 3) &&
	      size_of(jpath) == 0, "a good journal dropped, the file untouched");
	sc_journal_write(jfd, &id, (const uint8_t *)"new", 3);
	CHECK_EQ(snpcert_recover(path, 0, 100, &oc), 0, "recover as a table");
	CHECK(oc == SNPCERT_RECOVER_DISCARDED && file_is(path, (const uint8_t *)"old", 3),
	      "bytes that are no table are not replayed into a table");
	sc_journal_write(jfd, &id, (const uint8_t *)"new", 3);
	CHECK_EQ(snpcert_recover(path, op, 100, &oc), 0, "recover opaque");
	CHECK(oc == SNPCERT_RECOVER_REPLAYED && file_is(path, (const uint8_t *)"new", 3) &&
	      size_of(jpath) == 0, "opaque journal replayed");
	close(fd);
	close(jfd);
}

int main(int argc, char **argv)
{
	const char *tmpdir = getenv("TMPDIR");
	char cmd[128];

	if (argc == 4 && strcmp(argv[1], "--crash-child") == 0)
		return crash_child(argv[2], argv[3]);
	snprintf(dir, sizeof(dir), "%s/test-lib-writer.XXXXXX", tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/table.certs", dir);
	snprintf(jpath, sizeof(jpath), "%s/.table.certs.snpcert-journal", dir);
	unsetenv("SNPCERT_CRASH_AT");
	test_journal_bits();
	test_round_trip();
	test_refusals();
	test_locks();
	test_recover_journal();
	test_recover_timeout();
	test_crash_steps();
	test_opaque();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
