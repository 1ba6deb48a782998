/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench: the costs of the lock protocol, as ratios measured in one run.
 * No assertions; numbers vary with the machine.
 *
 * bench [-d DIR]... [-q]   (-q: fewer samples)
 *  (a) libsnpcert lock+read+unlock vs plain open+read+close, 4 and 16 KiB
 *  (b) reader-blocked time of an update (writer lock acquired -> unlocked)
 *  (c) writer wait with 32 readers locking back to back: plain whole-file
 *      OFD readers vs libsnpcert readers (intent byte)
 *  (d) reader wake-up latency after the writer releases
 *  (f) one guest request's round trip as a VMM serves it (snpcert_req_certs:
 *      shared lock, the table copied into the guest's pages; snpcert_unlock)
 *      vs a plain pread of
 *      the same bytes from the open descriptor, 4 and 16 KiB; and the
 *      floor of any locked read: bare F_OFD_SETLK, pread, F_OFD_SETLK unlock
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
#include "../torture/seqtable.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void sleep_us(unsigned long us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000L };

	nanosleep(&ts, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v; the q-quantile (nearest rank). */
static double quantile(double *v, size_t n, double q)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(q * (double)n);
	return v[i >= n ? n - 1 : i];
}

static void join(char *out, size_t n, const char *dir, const char *name)
{
	if (snprintf(out, n, "%s/%s", dir, name) >= (int)n) {
		fprintf(stderr, "bench: path too long\n");
		exit(1);
	}
}

/* A valid table of exactly size bytes: one VCEK entry. */
static int make_table(const char *path, size_t size, uint8_t **out, size_t *len)
{
	struct ghcb_item it;
	uint8_t *data = malloc(size);
	int fd, ret;

	memcpy(it.guid, ghcb_kind_guid(GHCB_KIND_VCEK), GHCB_GUID_LEN);
	it.len = size - 2 * GHCB_ENTRY_SIZE;
	seq_fill(data, it.len, size);
	it.data = data;
	ret = ghcb_encode(&it, 1, 0, out, len, NULL);
	free(data);
	if (ret < 0)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, *out, *len) != (ssize_t)*len)
		ret = -1;
	if (fd >= 0)
		close(fd);
	return ret;
}

static int update(const char *path, const uint8_t *t, size_t len, double *wait_us, double *hold_us,
		  unsigned int timeout_ms)
{
	struct snpcert_writer *w = NULL;
	double a, b, c;
	int ret;

	ret = snpcert_writer_open(path, 0, 10000, &w);
	if (ret == 0)
		ret = snpcert_writer_prepare(w, t, len);
	a = now_us();
	if (ret == 0)
		ret = snpcert_writer_lock(w, timeout_ms);
	b = now_us();
	if (ret == 0)
		ret = snpcert_writer_commit(w);
	if (ret == 0)
		ret = snpcert_writer_unlock(w);
	c = now_us();
	if (ret == 0)
		ret = snpcert_writer_finish(w);
	snpcert_writer_close(w);
	if (wait_us)
		*wait_us = b - a;
	if (hold_us)
		*hold_us = c - b;
	return ret;
}

static void bench_read(const char *dir, unsigned int n)
{
	static uint8_t buf[32768];
	size_t sizes[] = { 4096, 16384 };
	char path[512];

	for (int s = 0; s < 2; s++) {
		struct snpcert_file *f = NULL;
		uint8_t *t = NULL;
		size_t len, got;
		double t0, lib, plain;

		join(path, sizeof(path), dir, "bench-read.certs");
		make_table(path, sizes[s], &t, &len);
		snpcert_open(path, &f);
		t0 = now_us();
		for (unsigned int i = 0; i < n; i++) {
			snpcert_lock_shared(f, 100);
			snpcert_read(f, buf, sizeof(buf), &got);
			snpcert_unlock(f);
		}
		lib = (now_us() - t0) / n;
		snpcert_close(f);
		t0 = now_us();
		for (unsigned int i = 0; i < n; i++) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			struct stat st;

			fstat(fd, &st);
			got = (size_t)pread(fd, buf, (size_t)st.st_size, 0);
			close(fd);
		}
		plain = (now_us() - t0) / n;
		printf("(a) %2zu KiB  libsnpcert lock+read+unlock %6.2f us  plain open+read+close "
		       "%6.2f us  ratio %.2f\n", sizes[s] / 1024, lib, plain, lib / plain);
		free(t);
	}
}

/* (f): one request: lock, copy into the guest's pages, unlock. */
static double round_trip(struct snpcert_file *f, uint8_t *buf, size_t len, unsigned int n)
{
	double t0 = now_us();
	uint64_t needed;

	for (unsigned int i = 0; i < n; i++) {
		if (snpcert_req_certs(f, buf, snpcert_npages(len), 100, &needed) < 0) {
			fprintf(stderr, "bench: a round trip failed\n");
			exit(1);
		}
		snpcert_unlock(f);
	}
	return (now_us() - t0) / n;
}

static double plain_pread(int fd, uint8_t *buf, size_t len, unsigned int n)
{
	double t0 = now_us();

	for (unsigned int i = 0; i < n; i++) {
		if (pread(fd, buf, len, 0) != (ssize_t)len) {
			fprintf(stderr, "bench: pread failed\n");
			exit(1);
		}
	}
	return (now_us() - t0) / n;
}

/* The floor of a locked read: one OFD read lock, the pread, the unlock. */
static double bare_locked_pread(int fd, uint8_t *buf, size_t len, unsigned int n)
{
	struct flock fl;
	double t0 = now_us();

	for (unsigned int i = 0; i < n; i++) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_RDLCK;
		fl.l_whence = SEEK_SET;
		fl.l_len = SNPCERT_INTENT_OFFSET;
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0 || pread(fd, buf, len, 0) != (ssize_t)len) {
			fprintf(stderr, "bench: locked pread failed\n");
			exit(1);
		}
		fl.l_type = F_UNLCK;
		fcntl(fd, F_OFD_SETLK, &fl);
	}
	return (now_us() - t0) / n;
}

/*
 * The loops in alternating rounds on the same file, so that a slow moment
 * of the machine falls on both; the medians of the rounds.
 */
static void bench_roundtrip(const char *dir, unsigned int n)
{
	enum { ROUNDS = 21 };
	static uint8_t buf[4 * 4096];
	size_t sizes[] = { 4096, 16384 };
	char path[512];

	join(path, sizeof(path), dir, "bench-roundtrip.certs");
	for (int s = 0; s < 2; s++) {
		struct snpcert_file *f = NULL;
		double lib[ROUNDS], plain[ROUNDS], bare[ROUNDS], l, p, b;
		uint8_t *t = NULL;
		size_t len;
		int fd;

		if (make_table(path, sizes[s], &t, &len) < 0 || snpcert_open(path, &f) < 0 ||
		    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			fprintf(stderr, "bench: cannot set up %s\n", path);
			exit(1);
		}
		round_trip(f, buf, len, n / 10);
		plain_pread(fd, buf, len, n / 10);
		for (int r = 0; r < ROUNDS; r++) {
			lib[r] = round_trip(f, buf, len, n / ROUNDS);
			plain[r] = plain_pread(fd, buf, len, n / ROUNDS);
			bare[r] = bare_locked_pread(fd, buf, len, n / ROUNDS);
		}
		l = quantile(lib, ROUNDS, 0.5);
		p = quantile(plain, ROUNDS, 0.5);
		b = quantile(bare, ROUNDS, 0.5);
		printf("(f) %2zu KiB  one request (snpcert_req_certs, snpcert_unlock) "
		       "%6.2f us  plain pread %6.2f us  ratio %.2f; floor (bare OFD lock, pread, "
		       "unlock) %6.2f us, ratio %.2f\n", sizes[s] / 1024, l, p, l / p, b, b / p);
		close(fd);
		snpcert_close(f);
		free(t);
	}
}

static void bench_hold(const char *dir, unsigned int n)
{
	uint8_t *t[2] = { NULL, NULL };
	double *hold = calloc(n, sizeof(double)), *total = calloc(n, sizeof(double));
	size_t len[2];
	char path[512];

	join(path, sizeof(path), dir, "bench-hold.certs");
	make_table(path, 4096, &t[0], &len[0]);
	make_table(path, 16384, &t[1], &len[1]);
	for (unsigned int i = 0; i < n; i++) {
		double a = now_us();

		update(path, t[i % 2], len[i % 2], NULL, &hold[i], 1000);
		total[i] = now_us() - a;
	}
	printf("(b) %s: readers blocked per update (16/4 KiB alternating): median %.1f us, "
	       "p99 %.1f us; whole update median %.1f us, p99 %.1f us\n", dir,
	       quantile(hold, n, 0.5), quantile(hold, n, 0.99), quantile(total, n, 0.5),
	       quantile(total, n, 0.99));
	free(t[0]);
	free(t[1]);
	free(hold);
	free(total);
}

/* (c): readers lock back to back, holding each lock for the read. */
static volatile uint64_t *stop_flag;

static void plain_reader(const char *path)
{
	static uint8_t buf[32768];
	int fd = open(path, O_RDONLY);
	struct flock fl;

	while (!*stop_flag) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_RDLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
			sleep_us(1000); /* the QEMU poll */
			continue;
		}
		if (pread(fd, buf, sizeof(buf), 0) < 0)
			break;
		fl.l_type = F_UNLCK;
		fcntl(fd, F_OFD_SETLK, &fl);
	}
	_exit(0);
}

static void lib_reader(const char *path)
{
	static uint8_t buf[32768];
	struct snpcert_file *f = NULL;
	size_t size;

	snpcert_open(path, &f);
	while (!*stop_flag) {
		if (snpcert_lock_shared(f, 1000) < 0)
			continue;
		snpcert_read(f, buf, sizeof(buf), &size);
		snpcert_unlock(f);
	}
	snpcert_close(f);
	_exit(0);
}

static double bench_starve(const char *dir, int lib, unsigned int samples, unsigned int timeout_ms,
			   double *p99, unsigned int *timeouts)
{
	double *wait = calloc(samples, sizeof(double)), med;
	uint8_t *t = NULL;
	size_t len;
	pid_t pids[32];
	char path[512];
	unsigned int n = 0;

	join(path, sizeof(path), dir, "bench-starve.certs");
	make_table(path, 16384, &t, &len);
	*stop_flag = 0;
	for (int i = 0; i < 32; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			(lib ? lib_reader : plain_reader)(path);
	}
	sleep_us(100000);
	*timeouts = 0;
	for (unsigned int i = 0; i < samples; i++) {
		double w = 0;

		sleep_us(5000);
		if (update(path, t, len, &w, NULL, timeout_ms) == -ETIMEDOUT)
			(*timeouts)++;
		wait[n++] = w;
	}
	*stop_flag = 1;
	for (int i = 0; i < 32; i++)
		waitpid(pids[i], NULL, 0);
	med = quantile(wait, n, 0.5);
	*p99 = quantile(wait, n, 0.99);
	free(wait);
	free(t);
	return med;
}

/* (d): a reader waits while the writer holds; time from release to its lock. */
static void bench_wakeup(const char *dir, unsigned int n)
{
	double *lat[2] = { calloc(n, sizeof(double)), calloc(n, sizeof(double)) };
	volatile double *acq = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				    -1, 0);
	uint8_t *t = NULL;
	size_t len;
	char path[512];

	join(path, sizeof(path), dir, "bench-wake.certs");
	make_table(path, 4096, &t, &len);
	for (int kind = 0; kind < 2; kind++) {
		for (unsigned int i = 0; i < n; i++) {
			struct snpcert_writer *w = NULL;
			double rel;
			pid_t pid;

			snpcert_writer_open(path, 0, 1000, &w);
			snpcert_writer_lock(w, 1000);
			*acq = 0;
			pid = fork();
			if (pid == 0) {
				if (kind == 0) {
					struct snpcert_file *f = NULL;

					snpcert_open(path, &f);
					if (snpcert_lock_shared(f, 5000) == 0)
						*acq = now_us();
				} else {
					int fd = open(path, O_RDONLY);
					struct flock fl;

					for (int k = 0; k < 5000; k++) {
						memset(&fl, 0, sizeof(fl));
						fl.l_type = F_RDLCK;
						if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
							*acq = now_us();
							break;
						}
						sleep_us(1000);
					}
				}
				_exit(0);
			}
			sleep_us(10000 + (unsigned long)(i % 7) * 300);
			rel = now_us();
			snpcert_writer_unlock(w);
			waitpid(pid, NULL, 0);
			lat[kind][i] = *acq ? *acq - rel : 0;
			snpcert_writer_close(w);
		}
	}
	printf("(d) wake-up after release: libsnpcert reader median %.0f us, p99 %.0f us; "
	       "stock 1 ms poll median %.0f us, p99 %.0f us\n", quantile(lat[0], n, 0.5),
	       quantile(lat[0], n, 0.99), quantile(lat[1], n, 0.5), quantile(lat[1], n, 0.99));
	free(lat[0]);
	free(lat[1]);
	free(t);
}

int main(int argc, char **argv)
{
	const char *dirs[4];
	char tmpl[4][256];
	int ndirs = 0, quick = 0, opt;
	double p99p, p99l, medp, medl;
	unsigned int top, tol;

	while ((opt = getopt(argc, argv, "d:q")) != -1) {
		if (opt == 'd' && ndirs < 4)
			dirs[ndirs++] = optarg;
		else if (opt == 'q')
			quick = 1;
		else
			return 2;
	}
	if (!ndirs)
		dirs[ndirs++] = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	for (int i = 0; i < ndirs; i++) {
		snprintf(tmpl[i], sizeof(tmpl[i]), "%s/bench.XXXXXX", dirs[i]);
		if (!mkdtemp(tmpl[i])) {
			perror("bench: mkdtemp");
			return 1;
		}
	}
	stop_flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	bench_read(tmpl[0], quick ? 2000 : 20000);
	bench_roundtrip(tmpl[0], quick ? 20000 : 200000);
	for (int i = 0; i < ndirs; i++)
		bench_hold(tmpl[i], quick ? 100 : 1000);
	medl = bench_starve(tmpl[0], 1, quick ? 10 : 50, 2000, &p99l, &tol);
	medp = bench_starve(tmpl[0], 0, quick ? 3 : 10, 1000, &p99p, &top);
	printf("(c) writer wait, 32 readers back to back: libsnpcert readers median %.0f us, "
	       "p99 %.0f us (%u timeouts); plain whole-file readers median %.0f us, p99 %.0f us "
	       "(%u timeouts at 1 s); ratio plain/libsnpcert %.1f\n", medl, p99l, tol, medp, p99p,
	       top, medl > 0 ? medp / medl : 0);
	bench_wakeup(tmpl[0], quick ? 20 : 100);
	for (int i = 0; i < ndirs; i++) {
		char cmd[600];

		if (snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl[i]) >= (int)sizeof(cmd) ||
		    system(cmd) != 0)
			return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
