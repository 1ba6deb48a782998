/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * torture: readers of both kinds read a table in a loop and check every
 * table they get, while writers update it and are killed with SIGKILL at
 * random moments.  Tables are seq_table(n) (seqtable.h): any table that is
 * not exactly one of those ever handed to a writer is MIXED, a failure.
 * Afterwards snpcert_recover() must leave a complete table in the same inode.
 *
 * torture [-r LIBREADERS] [-s STOCKREADERS] [-w WRITERS] [-k KILLS] [-R READS]
 *         [-T MAX_SECONDS] [-d DIR]
 * Runs until at least KILLS kills and READS reads (or MAX_SECONDS, which
 * fails).  Prints "torture: reads=N empty=N bad=N kills=N mixed=N ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snpcert.h"
#include "seqtable.h"

struct shared {
	uint64_t next_seq;	/* seqs 0..next_seq were handed to writers */
	uint64_t reads, empty, bad, busy, mixed, errors, updates, stop;
};

static struct shared *sh;
static char path[256];

#define ADD(field, n) __atomic_add_fetch(&sh->field, (n), __ATOMIC_RELAXED)
#define GET(field) __atomic_load_n(&sh->field, __ATOMIC_RELAXED)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_us(unsigned long us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000L };

	nanosleep(&ts, NULL);
}

/* A complete table: exactly seq_table(n) for an n that was handed out. */
static int complete(const uint8_t *buf, size_t len)
{
	uint64_t seq;

	return seq_table_match(buf, len, &seq) == 0 && seq <= GET(next_seq);
}

static void report_mixed(const char *who, const uint8_t *buf, size_t len)
{
	if (ADD(mixed, 1) <= 5)
		fprintf(stderr, "torture: %s got a MIXED table (%zu bytes, first byte %02x)\n", who,
			len, len ? buf[0] : 0);
}

static void lib_reader(unsigned int seed)
{
	static uint8_t buf[32768];
	struct snpcert_file *f = NULL;
	size_t size;
	int ret;

	if (snpcert_open(path, &f) < 0)
		_exit(1);
	while (!GET(stop)) {
		ret = snpcert_lock_shared(f, 200);
		if (ret == -ETIMEDOUT || ret == -EAGAIN) {
			ADD(busy, 1);
			continue;
		}
		if (ret < 0) {
			ADD(errors, 1);
			continue;
		}
		ret = snpcert_read(f, buf, sizeof(buf), &size);
		snpcert_unlock(f);
		ADD(reads, 1);
		if (ret == -EBADMSG)
			ADD(bad, 1); /* a writer died mid-write: recognised and refused */
		else if (ret < 0)
			ADD(errors, 1);
		else if (!complete(buf, size))
			report_mixed("libsnpcert reader", buf, size);
		sleep_us(rand_r(&seed) % 100);
	}
	snpcert_close(f);
	_exit(0);
}

/* The public QEMU patch: whole-file F_RDLCK polled every 1 ms, 100 ms. */
static void stock_reader(unsigned int seed)
{
	static const uint8_t zero[GHCB_ENTRY_SIZE];
	static uint8_t buf[65536];
	struct flock fl;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		_exit(1);
	while (!GET(stop)) {
		struct stat st;
		size_t got = 0;
		ssize_t n;
		int tries = 0, locked;

		for (;;) {
			memset(&fl, 0, sizeof(fl));
			fl.l_type = F_RDLCK;
			fl.l_whence = SEEK_SET;
			locked = fcntl(fd, F_OFD_SETLK, &fl) == 0;
			if (locked || ++tries > 100)
				break;
			sleep_us(1000);
		}
		if (!locked) {
			ADD(busy, 1);
			continue;
		}
		fstat(fd, &st);
		while (got < (size_t)st.st_size && got < sizeof(buf) &&
		       (n = pread(fd, buf + got, sizeof(buf) - got, (off_t)got)) > 0)
			got += (size_t)n;
		fl.l_type = F_UNLCK;
		fcntl(fd, F_OFD_SETLK, &fl);
		ADD(reads, 1);
		if (got >= sizeof(zero) && memcmp(buf, zero, sizeof(zero)) == 0)
			ADD(empty, 1); /* what a guest sees as an empty table */
		else if (!complete(buf, got))
			report_mixed("stock reader", buf, got);
		sleep_us(rand_r(&seed) % 200);
	}
	close(fd);
	_exit(0);
}

static int update(const uint8_t *buf, size_t len)
{
	return seq_update(path, buf, len, 10000);
}

static void writer(void)
{
	for (;;) {
		uint64_t seq = ADD(next_seq, 1);
		uint8_t *t = NULL;
		size_t len;
		int ret;

		if (seq_table(seq, &t, &len) < 0)
			_exit(1);
		ret = update(t, len);
		free(t);
		if (ret < 0) {
			fprintf(stderr, "torture: writer: %s\n", snpcert_strerror(ret));
			_exit(1);
		}
		ADD(updates, 1);
	}
}

static pid_t spawn(void (*fn)(unsigned int), unsigned int seed)
{
	pid_t pid = fork();

	if (pid == 0)
		fn(seed);
	return pid;
}

static void writer_entry(unsigned int seed)
{
	(void)seed;
	writer();
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || end == s) {
		fprintf(stderr, "torture: invalid number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long nlib = 4, nstock = 4, nwriters = 2, kills_wanted = 100, reads_wanted = 10000;
	unsigned long max_s = 50, kills = 0, writer_failures = 0;
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	pid_t readers[64], writers[16];
	unsigned int seed = (unsigned int)getpid();
	char dir[200];
	uint8_t *t = NULL, buf[32768];
	struct stat st0, st1;
	double t0;
	int opt, fd, oc = -1, ret, final_ok = 0, status;
	size_t len, nr = 0;

	while ((opt = getopt(argc, argv, "r:s:w:k:R:T:d:")) != -1) {
		switch (opt) {
		case 'r': nlib = num(optarg); break;
		case 's': nstock = num(optarg); break;
		case 'w': nwriters = num(optarg); break;
		case 'k': kills_wanted = num(optarg); break;
		case 'R': reads_wanted = num(optarg); break;
		case 'T': max_s = num(optarg); break;
		case 'd': base = optarg; break;
		default: return 2;
		}
	}
	if (nlib + nstock > 64 || nwriters < 1 || nwriters > 16) {
		fprintf(stderr, "torture: at most 64 readers and 1..16 writers\n");
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	snprintf(dir, sizeof(dir), "%s/torture.XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("torture: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/table.certs", dir);
	seq_table(0, &t, &len);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, t, len) != (ssize_t)len || fstat(fd, &st0) < 0) {
		perror("torture: initial table");
		return 1;
	}
	close(fd);
	free(t);

	t0 = now_s();
	for (unsigned long i = 0; i < nlib + nstock; i++)
		readers[nr++] = spawn(i < nlib ? lib_reader : stock_reader, seed + (unsigned)i);
	for (unsigned long i = 0; i < nwriters; i++)
		writers[i] = spawn(writer_entry, 0);

	/* Kill a random writer after a random 0-4 ms, start another, repeat. */
	while ((kills < kills_wanted || GET(reads) < reads_wanted) && now_s() - t0 < (double)max_s) {
		unsigned long i = (unsigned long)rand_r(&seed) % nwriters;

		sleep_us((unsigned long)rand_r(&seed) % 4000);
		kill(writers[i], SIGKILL);
		waitpid(writers[i], &status, 0);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			kills++;
		else
			writer_failures++;
		writers[i] = spawn(writer_entry, 0);
	}
	for (unsigned long i = 0; i < nwriters; i++) {
		kill(writers[i], SIGKILL);
		waitpid(writers[i], &status, 0);
		kills += WIFSIGNALED(status);
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	for (size_t i = 0; i < nr; i++)
		waitpid(readers[i], NULL, 0);

	/* Recovery, then the table must be complete, in the same inode. */
	ret = snpcert_recover(path, 0, 10000, &oc);
	fd = open(path, O_RDONLY);
	if (ret == 0 && fd >= 0 && fstat(fd, &st1) == 0 && st1.st_ino == st0.st_ino &&
	    st1.st_size <= (off_t)sizeof(buf) && read(fd, buf, sizeof(buf)) == st1.st_size &&
	    complete(buf, (size_t)st1.st_size))
		final_ok = 1;
	if (fd >= 0)
		close(fd);

	printf("torture: reads=%llu empty=%llu bad=%llu kills=%lu mixed=%llu\n",
	       (unsigned long long)sh->reads, (unsigned long long)sh->empty,
	       (unsigned long long)sh->bad, kills, (unsigned long long)sh->mixed);
	printf("torture: updates=%llu seqs=%llu busy=%llu errors=%llu writer-failures=%lu "
	       "recover=%d final=%s seconds=%.1f\n",
	       (unsigned long long)sh->updates, (unsigned long long)sh->next_seq,
	       (unsigned long long)sh->busy, (unsigned long long)sh->errors, writer_failures, oc,
	       final_ok ? "complete" : "WRONG", now_s() - t0);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "torture: could not remove %s\n", dir);
	}
	if (sh->mixed || !final_ok || sh->errors || writer_failures || kills < kills_wanted ||
	    sh->reads < reads_wanted)
		return 1;
	return 0;
}
