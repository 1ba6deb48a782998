// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SEV platform chain's directory and the private SEV root.  See
 * sev-store.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "holders.h"
#include "lockwait.h"
#include "sev-store.h"
#include "snpcert.h"
#include "util.h"

static const char *const file_names[SEV_FILE_COUNT] = {
	[SEV_FILE_PEK] = "pek.cert", [SEV_FILE_OCA] = "oca.cert", [SEV_FILE_CEK] = "cek.cert",
	[SEV_FILE_PDH] = "pdh.cert", [SEV_FILE_ASK] = "ask.cert", [SEV_FILE_ARK] = "ark.cert",
	[SEV_FILE_ASK_ARK] = "ask_ark.cert",
};

const char *sev_file_name(enum sev_file f)
{
	return f >= 0 && f < SEV_FILE_COUNT ? file_names[f] : NULL;
}

char *sev_store_dir(const struct ctx *ctx, const char *dir)
{
	return dir ? strdup(dir) : path_join(ctx_get(ctx, SET_STORE), SEV_STORE_SUBDIR);
}

int sev_file_read(const char *what, const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int r = read_file(path, max, buf, len);

	if (r == -ERR_REFUSED) {
		err("refusing '%s': not a regular file", path);
		return EXIT_FAIL;
	}
	if (r == -EFBIG) {
		err("cannot read %s '%s': larger than %zu bytes", what, path, max);
		return EXIT_VERIFY;
	}
	if (r < 0) {
		err("cannot read %s '%s': %s", what, path, strerror(-r));
		return EXIT_FAIL;
	}
	return 0;
}

int sev_trust_root_load(const struct ctx *ctx, struct sev_root *r)
{
	memset(r, 0, sizeof(*r));
	if (ctx->n_trust_roots > 1)
		return usage_error(ctx, "give one --trust-root: a SEV chain has one ARK");
	return sev_trust_root_read(ctx->n_trust_roots ? ctx->trust_roots[0] :
				   ctx_get(ctx, SET_SEV_TRUST_ROOT), r);
}

int sev_trust_root_read(const char *path, struct sev_root *r)
{
	struct sev_ca_cert ark = { 0 }, ask = { 0 };
	struct sev_diag d;
	char bad[512] = "", text[96];
	uint8_t *b = NULL;
	size_t n = 0;
	int r_;

	memset(r, 0, sizeof(*r));
	if (!path || !*path)
		return 0;
	/* Whoever can write a trust root makes any chain under it verify. */
	r_ = read_trusted_file(path, 2 * SEV_CA_MAX_LEN, &b, &n, bad, sizeof(bad));
	if (r_ == -ERR_REFUSED) {
		err("refusing '%s': not a regular file", path);
		return EXIT_FAIL;
	}
	if (r_ == -EPERM && *bad) {
		err("refusing trust root '%s': %s", path, bad);
		return EXIT_FAIL;
	}
	if (r_ < 0) {
		err("cannot read trust root '%s': %s", path,
		    r_ == -EFBIG ? "larger than AMD's ASK and ARK" : strerror(-r_));
		return EXIT_FAIL;
	}
	if (sev_ca_parse(b, n, true, &ark, NULL, &d) < 0 &&
	    sev_ca_split(b, n, &ask, &ark, NULL) < 0) {
		sev_diag_text(&d, text, sizeof(text));
		err("trust root '%s' is neither an AMD CA certificate nor AMD's ASK and ARK: %s",
		    path, text);
		free(b);
		return EXIT_VERIFY;
	}
	if (ark.usage != SEV_USAGE_ARK || (ask.raw && ask.usage != SEV_USAGE_ASK)) {
		err("trust root '%s' is not an ARK: it holds an %s", path,
		    sev_usage_name(ark.usage != SEV_USAGE_ARK ? ark.usage : ask.usage));
		free(b);
		return EXIT_VERIFY;
	}
	r->buf = b;
	r->len = n;
	r->ark = ark.raw;
	r->ark_len = ark.len;
	r->ask = ask.raw;
	r->ask_len = ask.raw ? ask.len : 0;
	return 0;
}

void sev_root_opts(const struct sev_root *r, struct sev_verify_opts *o)
{
	o->trust_ark = r->ark;
	o->trust_ark_len = r->ark_len;
	o->trust_ask = r->ask;
	o->trust_ask_len = r->ask_len;
}

void sev_root_free(struct sev_root *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* ---- the stored set ------------------------------------------------------- */

/* What the mark holds while an export is past its commit point. */
static const char mark_text[] = "snp-certctl sev-chain set: commit\n";

/*
 * The mark's two lock bytes.  MARK_WRITER (byte 0) serialises the set's
 * writers; MARK_COMMIT (byte 1) is held by the writer whose own commit
 * point the mark records, from before it writes the mark until the mark
 * is empty again.  A writer that finds the mark written by one that died
 * holds the first only while it completes that export, so a reader tells
 * a live export's commit point (the set whole under the members' locks)
 * from a dead one's (the set half written, whoever holds the mark).
 */
#define MARK_WRITER 0
#define MARK_COMMIT 1

/* The mark's writers' lock by the deadline: 0, -ERR_LOCK, or -errno. */
static int mark_lock(int fd, const struct sc_deadline *d)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = MARK_WRITER,
			    .l_len = 1 };
	unsigned int step = 1000;

	while (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
		if (d->once || sc_backoff(d->end_ns, &step, 50000) < 0)
			return -ERR_LOCK;
	}
	return 0;
}

/*
 * Open (creating it, 0644: readers look at it) and lock the set's mark by
 * the deadline, re-checking after locking that the path still names it.
 * The descriptor, or a code with why.
 */
static int mark_open_locked(const char *dir, const struct sc_deadline *d, struct why *why)
{
	char *path = path_join(dir, SEV_SET_MARK), reason[128];
	struct stat st, now;
	int fd = -1, ret;

	if (!path)
		return why_set(why, -ENOMEM, "out of memory");
	for (;;) {
		memset(&now, 0, sizeof(now));
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
			  0644);
		if (fd < 0) {
			ret = why_set(why, errno == ELOOP ? -ERR_REFUSED : -errno,
				      errno == ELOOP ? "refusing '%s': it is a symbolic link" :
				      "cannot open '%s': %s", path, strerror(errno));
			goto out;
		}
		if (fstat(fd, &st) < 0) {
			ret = why_set(why, -errno, "cannot open '%s': %s", path, strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
		    sc_trust_check(&st, reason, sizeof(reason)) < 0) {
			ret = why_set(why, -ERR_REFUSED, "refusing '%s': %s", path,
				      !S_ISREG(st.st_mode) ? "not a regular file" :
				      st.st_nlink != 1 ? "it has more than one name (a hard link)" :
				      reason);
			goto out;
		}
		ret = mark_lock(fd, d);
		if (ret == -ERR_LOCK) {
			const char *paths[1] = { path };
			char who[512];

			lock_holders_describe_paths(paths, 1, who, sizeof(who));
			ret = why_set(why, -ERR_LOCK, "cannot lock '%s': another export is running, "
				      "held by %s", path, who);
			goto out;
		}
		if (ret < 0) {
			ret = why_set(why, ret, "cannot lock '%s': %s", path, strerror(-ret));
			goto out;
		}
		if (stat(path, &now) < 0 && errno != ENOENT) {
			ret = why_set(why, -errno, "cannot stat '%s': %s", path, strerror(errno));
			goto out;
		}
		if (now.st_dev == st.st_dev && now.st_ino == st.st_ino)
			break;
		sc_close(fd); /* replaced while we waited: start over */
		fd = -1;
	}
	/* Its name must be durable before it records a commit point. */
	ret = sc_fsync_dir(dir);
	if (ret < 0)
		ret = why_set(why, ret, "cannot sync '%s': %s", dir, strerror(-ret));
out:
	if (ret < 0) {
		sc_close(fd);
		fd = ret;
	}
	free(path);
	return fd;
}

/* The mark past the commit point (1), clear (0), or -errno. */
static int mark_state(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	return st.st_size > 0;
}

/*
 * Write (commit) or empty (done) the mark durably, holding its commit lock
 * while it is written: 0 or a code with why.
 */
static int mark_set(int fd, const char *dir, bool commit, struct why *why)
{
	struct flock fl = { .l_type = commit ? F_WRLCK : F_UNLCK, .l_whence = SEEK_SET,
			    .l_start = MARK_COMMIT, .l_len = 1 };
	int ret = 0;

	/* Only the holder of the writers' lock takes it: it is free. */
	if (commit && fcntl(fd, F_OFD_SETLK, &fl) < 0)
		ret = -errno;
	if (ret == 0 && ftruncate(fd, 0) < 0)
		ret = -errno;
	if (ret == 0 && commit)
		ret = sc_pwrite_all(fd, mark_text, sizeof(mark_text) - 1, 0);
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	/* Empty and durable: no commit point to vouch for. */
	if (ret == 0 && !commit && fcntl(fd, F_OFD_SETLK, &fl) < 0)
		ret = -errno;
	if (ret < 0)
		return why_set(why, ret, "cannot write '%s/%s': %s", dir, SEV_SET_MARK,
			       strerror(-ret));
	return 0;
}

/* Create the member at path, empty and 0644, if it is missing: 1 created, 0, or a code. */
static int member_create(const char *path, struct why *why)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);

	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return why_set(why, -errno, "cannot create '%s': %s", path, strerror(errno));
	/* umask may have taken bits: the chain is public. */
	if (fchmod(fd, 0644) < 0) {
		int e = errno;

		close(fd);
		return why_set(why, -e, "cannot create '%s': %s", path, strerror(e));
	}
	close(fd);
	return 1;
}

/* Whoever may write the directory's parent can put another directory in its place. */
static int set_parent_check(const char *dir, struct why *why)
{
	char reason[128], *parent = sc_dir_of(dir);
	struct stat st;
	int ret = 0;

	if (!parent)
		return why_set(why, -ENOMEM, "out of memory");
	if (stat(parent, &st) < 0)
		ret = why_set(why, -errno, "cannot stat '%s': %s", parent, strerror(errno));
	else if (sc_trust_check_dir(&st, reason, sizeof(reason)) < 0)
		ret = why_set(why, -ERR_REFUSED, "refusing '%s': its directory '%s' is %s", dir,
			      parent, reason);
	free(parent);
	return ret;
}

/*
 * The set's directory must be a directory (not a symbolic link to one) that
 * passes the writers' rule for a table's directory (lib/writer.c): whoever
 * else may write it can rename files over the members or delete the journals
 * of an interrupted export; its parent too.  Checked before the mark or any
 * member is made in it.  0 or a code with why.
 */
static int set_dir_check(const char *dir, struct why *why)
{
	char reason[128];
	struct stat st;
	int ret = set_parent_check(dir, why);

	if (ret < 0)
		return ret;
	if (lstat(dir, &st) < 0)
		return why_set(why, -errno, "cannot stat '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return why_set(why, -ERR_REFUSED, "refusing '%s': %s, not a directory", dir,
			       file_type_name(st.st_mode));
	if (sc_trust_check_dir(&st, reason, sizeof(reason)) < 0)
		return why_set(why, -ERR_REFUSED, "refusing '%s': %s", dir, reason);
	return 0;
}

/* The set's directory: made 0755 when missing (its parent checked first), then checked. */
static int set_dir_make(const char *dir, struct why *why)
{
	int ret = set_parent_check(dir, why);

	if (ret < 0)
		return ret;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return why_set(why, -errno, "cannot create '%s': %s", dir, strerror(errno));
	return set_dir_check(dir, why);
}

struct set {
	const char *dir;
	int mark;
	char *path[SEV_SET_MEMBERS];
	struct snpcert_writer *w[SEV_SET_MEMBERS];
};

static void set_close(struct set *s)
{
	for (int i = 0; i < SEV_SET_MEMBERS; i++) {
		snpcert_writer_close(s->w[i]);
		free(s->path[i]);
	}
	sc_close(s->mark);
}

/*
 * Step 1: the mark's lock, then a writer for each member that exists (or
 * that want[] asks for, created if missing), replaying the members'
 * journals past the commit point and dropping them before it.
 * *outcome: SNPCERT_RECOVER_*.
 */
static int set_open(struct set *s, const char *dir, const bool want[SEV_SET_MEMBERS],
		    bool created[SEV_SET_MEMBERS], const struct sc_deadline *d, int *outcome,
		    struct why *why)
{
	unsigned int flags;
	int ret, past, oc;
	bool made = false;

	*outcome = SNPCERT_RECOVER_CLEAN;
	s->dir = dir;
	ret = set_dir_check(dir, why);
	if (ret < 0)
		return ret;
	s->mark = mark_open_locked(dir, d, why);
	if (s->mark < 0)
		return s->mark;
	past = mark_state(s->mark);
	if (past < 0)
		return why_set(why, past, "cannot stat '%s/%s': %s", dir, SEV_SET_MARK,
			       strerror(-past));
	for (int i = 0; i < SEV_SET_MEMBERS; i++) {
		s->path[i] = path_join(dir, sev_file_name((enum sev_file)i));
		if (!s->path[i])
			return why_set(why, -ENOMEM, "out of memory");
		if (want && want[i]) {
			ret = member_create(s->path[i], why);
			if (ret < 0)
				return ret;
			created[i] = ret == 1;
			made |= ret == 1;
		} else if (faccessat(AT_FDCWD, s->path[i], F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
			   errno == ENOENT) {
			continue;
		}
		oc = SNPCERT_RECOVER_CLEAN;
		flags = SNPCERT_WRITER_OPAQUE | (past ? 0 : SNPCERT_WRITER_DISCARD);
		ret = lockwait_recover_flags(s->path[i], flags, d, &oc, why);
		if (ret == 0)
			ret = lockwait_writer_open_flags(s->path[i], flags, d, &s->w[i], why);
		if (ret < 0)
			return ret;
		if (oc != SNPCERT_RECOVER_CLEAN)
			*outcome = past ? SNPCERT_RECOVER_REPLAYED : SNPCERT_RECOVER_DISCARDED;
	}
	if (made) {
		ret = sc_fsync_dir(dir);
		if (ret < 0)
			return why_set(why, ret, "cannot sync '%s': %s", dir, strerror(-ret));
	}
	/* Every member is complete now (replayed members were made durable). */
	if (past) {
		*outcome = SNPCERT_RECOVER_REPLAYED;
		return mark_set(s->mark, dir, false, why);
	}
	return 0;
}

int sev_set_recover(const char *dir, const struct sc_deadline *d, int *outcome, struct why *why)
{
	struct set s = { .mark = -1 };
	char *mark = path_join(dir, SEV_SET_MARK);
	int ret;

	*outcome = SNPCERT_RECOVER_CLEAN;
	if (!mark)
		return why_set(why, -ENOMEM, "out of memory");
	/* No mark: no export ever ran here, and none is made now. */
	ret = faccessat(AT_FDCWD, mark, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
	free(mark);
	if (ret)
		return 0;
	ret = set_open(&s, dir, NULL, NULL, d, outcome, why);
	set_close(&s);
	return ret;
}

/* Does member i hold buf, len now?  1, 0, or a code with why. */
static int member_same(struct set *s, int i, const struct sev_set_file *f, struct why *why)
{
	uint8_t *cur = NULL;
	size_t n = 0;
	int ret = snpcert_writer_read(s->w[i], &cur, &n);

	if (ret < 0)
		return why_set(why, ret, "cannot read '%s': %s", s->path[i], strerror(-ret));
	ret = n == f->len && memcmp(cur, f->data, n) == 0;
	free(cur);
	return ret;
}

int sev_set_write(const char *dir, const struct sev_set_file files[SEV_SET_MEMBERS],
		  const struct sc_deadline *d, sev_set_locked_fn *locked, void *arg,
		  struct sev_set_result *res, struct why *why)
{
	struct set s = { .mark = -1 };
	bool want[SEV_SET_MEMBERS], any = false, past = false;
	uint64_t t0 = 0;
	int ret, i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < SEV_SET_MEMBERS; i++) {
		want[i] = files[i].data != NULL;
		if (want[i] && (files[i].len == 0 || files[i].len > SNPCERT_OPAQUE_MAX))
			return why_set(why, -EINVAL, "%s: %zu bytes is no certificate",
				       sev_file_name((enum sev_file)i), files[i].len);
	}
	ret = set_dir_make(dir, why);
	if (ret < 0)
		return ret;
	ret = set_open(&s, dir, want, res->created, d, &res->recovered, why);
	if (ret < 0)
		goto out;
	/* Step 2: the journals of the members that change. */
	for (i = 0; i < SEV_SET_MEMBERS; i++) {
		if (!want[i])
			continue;
		ret = member_same(&s, i, &files[i], why);
		if (ret < 0)
			goto out;
		if (ret == 1)
			continue;
		ret = snpcert_writer_prepare(s.w[i], files[i].data, files[i].len);
		if (ret < 0) {
			ret = why_set(why, ret, "cannot write the journal of '%s': %s", s.path[i],
				      strerror(-ret));
			goto out;
		}
		res->changed[i] = any = true;
	}
	ret = 0;
	if (!any)
		goto out;
	/*
	 * Step 3: the commit point.  A write that fails part way may leave
	 * bytes in the mark: it is taken back like any failure before step 4.
	 */
	past = true;
	ret = mark_set(s.mark, dir, true, why);
	if (ret < 0)
		goto out;
	/* Step 4: every changed member's lock, then every write. */
	for (i = 0; i < SEV_SET_MEMBERS; i++) {
		if (!res->changed[i])
			continue;
		ret = lockwait_writer_lock(s.w[i], s.path[i], d, why);
		if (ret < 0)
			goto out;
	}
	t0 = sc_now_ns();
	if (locked) {
		ret = locked(arg, res, why);
		if (ret < 0)
			goto out;
	}
	for (i = 0; i < SEV_SET_MEMBERS; i++) {
		if (!res->changed[i])
			continue;
		ret = snpcert_writer_commit(s.w[i]);
		if (ret < 0) {
			ret = why_set(why, ret, "cannot write '%s': %s; the export is completed by "
				      "'snp-certctl recover' (or the next export)", s.path[i],
				      strerror(-ret));
			past = false; /* leave the mark for recovery */
			goto out;
		}
	}
	for (i = 0; i < SEV_SET_MEMBERS; i++)
		if (res->changed[i])
			snpcert_writer_unlock(s.w[i]);
	res->hold_s = sc_since_s(t0);
	/* Step 5. */
	for (i = 0; i < SEV_SET_MEMBERS; i++) {
		if (!res->changed[i])
			continue;
		ret = snpcert_writer_finish(s.w[i]);
		if (ret < 0) {
			ret = why_set(why, ret, "cannot sync '%s': %s; the export is completed by "
				      "'snp-certctl recover' (or the next export)", s.path[i],
				      strerror(-ret));
			past = false;
			goto out;
		}
	}
	ret = mark_set(s.mark, dir, false, why);
	past = false;
out:
	/*
	 * Failed before any member was touched (a lock not had in time, the locked step failed):
	 * the journals go with the writers, so the commit point is taken back.
	 */
	if (past) {
		struct why ignored = { 0 };

		for (i = 0; i < SEV_SET_MEMBERS; i++)
			snpcert_writer_unlock(s.w[i]);
		mark_set(s.mark, dir, false, &ignored);
	}
	set_close(&s);
	return ret;
}

/*
 * A reader's look at the mark, holding the members' locks: 0 when no export
 * is interrupted (no mark, an empty one, or one whose writer is alive and
 * holds its commit lock, which is then before writing any member or done
 * writing: the members' locks keep it out), else -ERR_VERIFY with why.  A
 * writer holding only the writers' lock is completing a dead export: the
 * set is half written until it is done.
 */
static int mark_check(const char *dir, struct why *why)
{
	char *path = path_join(dir, SEV_SET_MARK);
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = MARK_COMMIT,
			    .l_len = 1 };
	struct stat st;
	int fd, ret = 0;

	if (!path)
		return why_set(why, -ENOMEM, "out of memory");
	fd = sc_open_file(path, O_RDONLY, &st);
	if (fd == -ENOENT)
		goto out;
	if (fd < 0) {
		ret = why_set(why, fd == -ELOOP ? -ERR_REFUSED : fd, "cannot read '%s': %s", path,
			      fd == -ELOOP ? "it is a symbolic link" : strerror(-fd));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = why_set(why, -ERR_REFUSED, "refusing '%s': not a regular file", path);
		goto out;
	}
	if (st.st_size == 0)
		goto out;
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
		ret = why_set(why, -errno, "cannot test the lock of '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fl.l_type == F_UNLCK)
		ret = why_set(why, -ERR_VERIFY, "the SEV chain in '%s' is incomplete: an export was "
			      "interrupted; run 'snp-certctl recover'", dir);
out:
	sc_close(fd);
	free(path);
	return ret;
}

void sev_stored_clear(struct sev_stored *s)
{
	free(s->ask);
	free(s->ark);
	memset(s, 0, sizeof(*s));
}

int sev_store_read(const char *dir, unsigned int timeout_ms, struct sev_stored *out,
		   struct why *why)
{
	struct snpcert_file *f[SEV_SET_MEMBERS] = { 0 };
	uint8_t *buf[SEV_SET_MEMBERS] = { 0 };
	size_t len[SEV_SET_MEMBERS] = { 0 };
	struct sc_deadline d;
	struct stat dst;
	int ret = 0, i;

	memset(out, 0, sizeof(*out));
	if (lstat(dir, &dst) < 0)
		return errno == ENOENT ?
		       why_set(why, -ENOENT, "no SEV chain is stored in '%s' (run 'snp-certctl "
			       "sev-export')", dir) :
		       why_set(why, -errno, "cannot stat '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(dst.st_mode))
		return why_set(why, -ERR_REFUSED, "refusing '%s': %s, not a directory", dir,
			       file_type_name(dst.st_mode));
	sc_deadline_init(&d, timeout_ms / 1000.0);
	/* Every lock first, in the writers' order, then every read. */
	for (i = 0; i < SEV_SET_MEMBERS && ret == 0; i++) {
		char *path = path_join(dir, sev_file_name((enum sev_file)i));

		if (!path)
			ret = why_set(why, -ENOMEM, "out of memory");
		else if ((ret = snpcert_open(path, &f[i])) == -ENOENT)
			ret = 0;
		else if (ret < 0)
			ret = lockwait_why(path, ret, &d, why);
		else
			ret = lockwait_reader_lock(f[i], path, &d, why);
		if (ret == 0 && f[i]) {
			struct stat st;
			size_t max = i >= SEV_FILE_ASK ? SEV_CA_MAX_LEN : SEV_CERT_LEN, got = 0;

			if (fstat(snpcert_fd(f[i]), &st) < 0)
				ret = why_set(why, -errno, "cannot read '%s': %s", path,
					      strerror(errno));
			else if (st.st_size > (off_t)max)
				ret = why_set(why, -ERR_VERIFY, "'%s' is no %s: %lld bytes", path,
					      i >= SEV_FILE_ASK ? "AMD CA certificate" :
					      "SEV certificate", (long long)st.st_size);
			else if (!(buf[i] = malloc(max)))
				ret = why_set(why, -ENOMEM, "out of memory");
			else if ((ret = sc_pread_all(snpcert_fd(f[i]), buf[i], (size_t)st.st_size,
						     0, &got)) < 0)
				ret = why_set(why, ret, "cannot read '%s': %s", path,
					      strerror(-ret));
			else
				len[i] = got;
		}
		free(path);
	}
	if (ret == 0)
		ret = mark_check(dir, why);
	for (i = 0; i < SEV_SET_MEMBERS; i++)
		snpcert_close(f[i]);
	if (ret < 0)
		goto out;
	for (i = SEV_FILE_PEK; i <= SEV_FILE_CEK; i++) {
		if (len[i] == 0) {
			ret = why_set(why, -ENOENT, "no SEV chain is stored in '%s': %s is missing "
				      "(run 'snp-certctl sev-export')", dir,
				      sev_file_name((enum sev_file)i));
			goto out;
		}
	}
	for (i = SEV_FILE_PEK; i <= SEV_FILE_PDH; i++) {
		if (len[i] != 0 && len[i] != SEV_CERT_LEN) {
			ret = why_set(why, -ERR_VERIFY, "'%s/%s' is no SEV certificate: %zu bytes",
				      dir, sev_file_name((enum sev_file)i), len[i]);
			goto out;
		}
	}
	memcpy(out->pek, buf[SEV_FILE_PEK], SEV_CERT_LEN);
	memcpy(out->oca, buf[SEV_FILE_OCA], SEV_CERT_LEN);
	memcpy(out->cek, buf[SEV_FILE_CEK], SEV_CERT_LEN);
	if ((out->has_pdh = len[SEV_FILE_PDH] != 0))
		memcpy(out->pdh, buf[SEV_FILE_PDH], SEV_CERT_LEN);
	if ((out->has_ask = len[SEV_FILE_ASK] != 0)) {
		out->ask = buf[SEV_FILE_ASK];
		out->ask_len = len[SEV_FILE_ASK];
		buf[SEV_FILE_ASK] = NULL;
	}
	if ((out->has_ark = len[SEV_FILE_ARK] != 0)) {
		out->ark = buf[SEV_FILE_ARK];
		out->ark_len = len[SEV_FILE_ARK];
		buf[SEV_FILE_ARK] = NULL;
	}
out:
	for (i = 0; i < SEV_SET_MEMBERS; i++)
		free(buf[i]);
	if (ret < 0)
		sev_stored_clear(out);
	return ret;
}
