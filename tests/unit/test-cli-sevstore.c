// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SEV chain's set in the store (snp-certctl/sev-store.c): written
 * whole, in place, only what changed; the locked step able to stop it; a
 * reader's lock keeping it out; an export interrupted before its commit
 * point dropped and one interrupted after it refused to readers, then
 * completed; hostile members refused.  The members' contents are any bytes
 * of the right sizes here: verification is not the set's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sev-store.h"
#include "snpcert.h"
#include "snpcert-internal.h"
#include "scratch.h"
#include "tap.h"

static char dir[] = "/tmp/test-cli-sevstore.XXXXXX";
static char sev[256];
static struct sc_deadline dl;
static uint8_t data[2][SEV_SET_MEMBERS][SEV_CERT_LEN];

static size_t member_len(int i)
{
	return i >= SEV_FILE_ASK ? SEV_CA_MAX_LEN : SEV_CERT_LEN;
}

/* Generation g of the set: files[i] -> data[g][i]; members in skip[] left out. */
static void set_of(int g, struct sev_set_file files[SEV_SET_MEMBERS])
{
	for (int i = 0; i < SEV_SET_MEMBERS; i++)
		files[i] = (struct sev_set_file){ data[g][i], member_len(i) };
}

static char *member(int i)
{
	return scratch_path(sev, sev_file_name((enum sev_file)i));
}

static int file_is(const char *p, const uint8_t *want, size_t n)
{
	uint8_t buf[SEV_CERT_LEN + 1];
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (fd >= 0)
		close(fd);
	return got == (ssize_t)n && memcmp(buf, want, n) == 0;
}

static off_t size_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_size : -1;
}

/* Does the set hold generation g (members in order)? */
static int holds(int g)
{
	for (int i = 0; i < SEV_SET_MEMBERS; i++)
		if (!file_is(member(i), data[g][i], member_len(i)))
			return 0;
	return 1;
}

static int write_set(int g, sev_set_locked_fn *locked, struct sev_set_result *res,
		     struct why *why)
{
	struct sev_set_file files[SEV_SET_MEMBERS];
	struct sc_deadline d;

	set_of(g, files);
	sc_deadline_init(&d, 0.3);
	return sev_set_write(sev, files, &d, locked, NULL, res, why);
}

static int refuse(void *arg, const struct sev_set_result *res, struct why *why)
{
	(void)arg;
	(void)res;
	return why_set(why, -ERR_HOOK, "the locked hook said no");
}

static int locked_calls;
static int count_locked(void *arg, const struct sev_set_result *res, struct why *why)
{
	(void)arg;
	(void)why;
	locked_calls++;
	/* Readers are held off now: a shared lock cannot be had. */
	for (int i = 0; i < SEV_SET_MEMBERS; i++) {
		struct snpcert_file *f = NULL;

		if (!res->changed[i])
			continue;
		if (snpcert_open(member(i), &f) == 0 && snpcert_lock_shared(f, 0) == 0)
			locked_calls = -1000;
		snpcert_close(f);
	}
	return 0;
}

static void test_write_read(void)
{
	struct sev_set_result res;
	struct sev_stored s;
	struct why why = { 0 };
	struct stat st;
	ino_t ino;
	int oc = -1;

	CHECK_EQ(sev_store_read(sev, 100, &s, &why), -ENOENT, "read before any export: -ENOENT");
	CHECK_EQ(write_set(0, count_locked, &res, &why), 0, "first export");
	CHECK(locked_calls == 1, "the locked step ran once, readers held off");
	CHECK(holds(0), "every member written");
	CHECK(res.created[SEV_FILE_PEK] && res.changed[SEV_FILE_ARK], "created and changed");
	CHECK(stat(member(SEV_FILE_PDH), &st) == 0 && (st.st_mode & 0777) == 0644, "members 0644");
	CHECK(stat(sev, &st) == 0 && (st.st_mode & 0777) == 0755, "directory 0755");
	CHECK_EQ(size_of(scratch_path(sev, SEV_SET_MARK)), 0, "the mark is empty after");
	CHECK_EQ(sev_store_read(sev, 100, &s, &why), 0, "read");
	CHECK(memcmp(s.pek, data[0][SEV_FILE_PEK], SEV_CERT_LEN) == 0 && s.has_pdh && s.has_ask &&
	      s.ask_len == SEV_CA_MAX_LEN && memcmp(s.ark, data[0][SEV_FILE_ARK], SEV_CA_MAX_LEN) == 0,
	      "the reader sees the set");
	sev_stored_clear(&s);

	ino = (stat(member(SEV_FILE_PEK), &st), st.st_ino);
	locked_calls = 0;
	CHECK_EQ(write_set(0, count_locked, &res, &why), 0, "the same set again");
	CHECK(locked_calls == 0 && res.hold_s == 0, "no lock taken, no locked step");
	for (int i = 0; i < SEV_SET_MEMBERS; i++)
		if (res.changed[i])
			locked_calls++;
	CHECK_EQ(locked_calls, 0, "nothing changed");

	memcpy(data[1], data[0], sizeof(data[0]));
	data[1][SEV_FILE_PEK][100] ^= 1;
	data[1][SEV_FILE_PDH][200] ^= 1;
	CHECK_EQ(write_set(1, NULL, &res, &why), 0, "a PEK rotation");
	CHECK(res.changed[SEV_FILE_PEK] && res.changed[SEV_FILE_PDH] && !res.changed[SEV_FILE_OCA] &&
	      !res.changed[SEV_FILE_CEK] && !res.created[SEV_FILE_PEK], "pek and pdh only");
	CHECK(holds(1) && (stat(member(SEV_FILE_PEK), &st), st.st_ino) == ino, "in place");
	CHECK_EQ(sev_set_recover(sev, &dl, &oc, &why), 0, "recover a clean set");
	CHECK_EQ(oc, SNPCERT_RECOVER_CLEAN, "clean");
}

static void test_refusals(void)
{
	struct sev_set_result res;
	struct sev_stored s;
	struct snpcert_file *f = NULL;
	struct why why = { 0 };
	char other[300];

	/* Generation 1 is stored; generation 0 is the next export. */
	CHECK_EQ(write_set(0, refuse, &res, &why), -ERR_HOOK, "a failing locked step stops it");
	CHECK(holds(1) && size_of(scratch_path(sev, SEV_SET_MARK)) == 0 &&
	      size_of(scratch_path(sev, ".pek.cert.snpcert-journal")) == 0,
	      "nothing written, the commit point taken back, journals empty");

	CHECK(snpcert_open(member(SEV_FILE_PDH), &f) == 0 && snpcert_lock_shared(f, 100) == 0,
	      "a reader holds pdh.cert");
	CHECK_EQ(write_set(0, NULL, &res, &why), -ERR_LOCK, "the export waits, then gives up");
	CHECK(strstr(why.msg, "pdh.cert") != NULL, "naming the file");
	snpcert_close(f);
	CHECK(holds(1) && size_of(scratch_path(sev, SEV_SET_MARK)) == 0, "nothing written");
	CHECK_EQ(sev_store_read(sev, 100, &s, &why), 0, "the set reads whole");
	sev_stored_clear(&s);

	snprintf(other, sizeof(other), "%s/elsewhere", dir);
	CHECK(rename(member(SEV_FILE_OCA), other) == 0 && symlink(other, member(SEV_FILE_OCA)) == 0,
	      "oca.cert made a symbolic link");
	CHECK_EQ(write_set(0, NULL, &res, &why), -ERR_REFUSED, "refused");
	CHECK(file_is(other, data[1][SEV_FILE_OCA], SEV_CERT_LEN), "its target untouched");
	CHECK(sev_store_read(sev, 100, &s, &why) < 0, "readers refuse it too");
	unlink(member(SEV_FILE_OCA));
	CHECK(link(other, member(SEV_FILE_OCA)) == 0, "oca.cert with two names");
	CHECK_EQ(write_set(0, NULL, &res, &why), -ERR_REFUSED, "refused");
	CHECK(strstr(why.msg, "(hard links)") != NULL, "saying why");
	unlink(other);
	CHECK(holds(1), "nothing written");

	CHECK(truncate(member(SEV_FILE_CEK), 100) == 0, "cek.cert cut short outside the protocol");
	CHECK_EQ(sev_store_read(sev, 100, &s, &why), -ERR_VERIFY, "a reader says so");
	CHECK_EQ(write_set(1, NULL, &res, &why), 0, "the next export mends it");
	CHECK(res.changed[SEV_FILE_CEK] && holds(1), "cek.cert whole again");
}

/* A journal for member i holding generation g's bytes, as an interrupted export leaves it. */
static void journal(int i, int g)
{
	struct sc_journal_id id;
	char *j = NULL, *p = member(i);
	int fd = open(p, O_RDONLY | O_CLOEXEC), jfd;

	snpcert_journal_path(p, &j);
	jfd = open(j, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	sc_journal_id_of(fd, &id);
	if (sc_journal_write(jfd, &id, data[g][i], member_len(i)) < 0)
		die("journal");
	close(fd);
	close(jfd);
	free(j);
}

static void test_interrupted(void)
{
	char mark[300];
	struct sev_stored s;
	struct why why = { 0 };
	int fd, oc = -1;

	snprintf(mark, sizeof(mark), "%s/%s", sev, SEV_SET_MARK);
	/* Before the commit point: journals, no mark. */
	journal(SEV_FILE_PEK, 0);
	journal(SEV_FILE_PDH, 0);
	CHECK_EQ(sev_store_read(sev, 100, &s, &why), 0, "readers see the old set");
	sev_stored_clear(&s);
	CHECK_EQ(sev_set_recover(sev, &dl, &oc, &why), 0, "recover");
	CHECK(oc == SNPCERT_RECOVER_DISCARDED && holds(1), "dropped, the old set kept");

	/* Past it: the mark written, pek committed, pdh not yet. */
	journal(SEV_FILE_PEK, 0);
	journal(SEV_FILE_PDH, 0);
	fd = open(mark, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && write(fd, "commit\n", 7) == 7, "the mark set");
	close(fd);
	fd = open(member(SEV_FILE_PEK), O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && pwrite(fd, data[0][SEV_FILE_PEK], SEV_CERT_LEN, 0) == SEV_CERT_LEN,
	      "pek.cert written");
	close(fd);
	CHECK_EQ(sev_store_read(sev, 100, &s, &why), -ERR_VERIFY, "readers refuse the half set");
	CHECK(strstr(why.msg, "run 'snp-certctl recover'") != NULL, "saying what to do");
	{
		/*
		 * A live export holds the mark while it completes the dead one (step 1), waiting
		 * for a member a reader that came first still holds: the set is as half as
		 * before, and a reader must still refuse it.
		 */
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0,
				    .l_len = 1 };
		int lfd = open(mark, O_RDWR | O_CLOEXEC);

		CHECK(lfd >= 0 && fcntl(lfd, F_OFD_SETLK, &fl) == 0,
		      "an export completing it holds the mark");
		CHECK_EQ(sev_store_read(sev, 100, &s, &why), -ERR_VERIFY,
			 "readers refuse the half set meanwhile");
		sev_stored_clear(&s);
		close(lfd);
	}
	CHECK_EQ(sev_set_recover(sev, &dl, &oc, &why), 0, "recover");
	CHECK(oc == SNPCERT_RECOVER_REPLAYED && file_is(member(SEV_FILE_PDH), data[0][SEV_FILE_PDH],
							 SEV_CERT_LEN) &&
	      file_is(member(SEV_FILE_PEK), data[0][SEV_FILE_PEK], SEV_CERT_LEN),
	      "completed: the new pek and pdh");
	CHECK_EQ(size_of(mark), 0, "the mark cleared");
	CHECK_EQ(sev_store_read(sev, 100, &s, &why), 0, "readers see the new set");
	sev_stored_clear(&s);
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(dir))
		die("mkdtemp");
	umask(022);
	sc_deadline_init(&dl, 1.0);
	snprintf(sev, sizeof(sev), "%s/sev", dir);
	for (int g = 0; g < 2; g++)
		for (int i = 0; i < SEV_SET_MEMBERS; i++)
			for (size_t k = 0; k < SEV_CERT_LEN; k++)
				data[g][i][k] = (uint8_t)(k * 7 + i * 31 + g);
	test_write_read();
	test_refusals();
	test_interrupted();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
