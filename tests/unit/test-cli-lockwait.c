// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The waiting reporter of the write path (snp-certctl/lockwait.c): after a
 * second of waiting it says who holds the lock, but a command that gets
 * its lock while the holders are being looked up neither waits for that
 * lookup (it holds the exclusive lock by then) nor prints "waiting" after
 * the lock was had.
 *
 * The lookup is replaced here by a slow one: this file defines
 * lock_holders_describe_files(), so holders.o is not linked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "holders.h"
#include "lockwait.h"
#include "snpcert.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/test-cli-lockwait.XXXXXX";
static char path[128], errpath[160];
static atomic_int lookups_started, lookups_done;
static double lookup_s;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The /proc scan, slowed down. */
void lock_holders_describe_files(const struct stat *files, size_t n, char *buf, size_t len)
{
	(void)files;
	(void)n;
	atomic_fetch_add(&lookups_started, 1);
	sleep_s(lookup_s);
	snprintf(buf, len, "4242 (fake) READ");
	atomic_fetch_add(&lookups_done, 1);
}

/* A stock reader in a child: the whole-file shared OFD lock for hold_s seconds. */
static pid_t reader(double hold_s)
{
	int p[2];
	char c = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fcntl(fd, F_OFD_SETLK, &fl) < 0)
			_exit(1);
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		sleep_s(hold_s);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

static bool stderr_has(const char *what)
{
	static char buf[8192];
	FILE *f = fopen(errpath, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, what) != NULL;
}

static void wait_lookups(void)
{
	for (int i = 0; i < 1000 && atomic_load(&lookups_done) < atomic_load(&lookups_started); i++)
		sleep_s(0.01);
}

/* Lock a table a reader holds for hold_s; the holders' lookup takes look_s. */
static void run(double hold_s, double look_s, int *ret, double *took)
{
	struct snpcert_writer *w = NULL;
	struct sc_deadline d;
	struct why why;
	pid_t pid;
	double t0;
	int status;

	lookup_s = look_s;
	pid = reader(hold_s);
	sc_deadline_init(&d, 10);
	*ret = lockwait_writer_open(path, &d, &w, &why);
	t0 = now_s();
	if (*ret == 0)
		*ret = lockwait_writer_lock(w, path, &d, &why);
	*took = now_s() - t0;
	snpcert_writer_close(w);
	if (pid > 0)
		waitpid(pid, &status, 0);
	wait_lookups();
	fflush(stderr);
}

int main(void)
{
	static const unsigned char empty[24]; /* a table with no entries */
	int fd, saved, ret;
	double took;

	if (!mkdtemp(dir))
		return 99;
	snprintf(path, sizeof(path), "%s/t.certs", dir);
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, empty, sizeof(empty)) != (ssize_t)sizeof(empty))
		return 99;
	close(fd);
	log_verbosity = 0;
	saved = dup(STDERR_FILENO);

	/* A long wait: the message comes, naming the holder. */
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	dup2(fd, STDERR_FILENO);
	close(fd);
	run(2.0, 0.05, &ret, &took);
	dup2(saved, STDERR_FILENO);
	CHECK_EQ(ret, 0, "the lock is had once the reader is gone");
	CHECK(atomic_load(&lookups_started) == 1, "the holders are looked up once");
	CHECK(stderr_has("waiting for the lock on '") && stderr_has("held by 4242 (fake) READ"),
	      "a wait of more than a second names the holders");

	/*
	 * The lock comes while the holders are being looked up: the command
	 * goes on at once and no "waiting" line follows.
	 */
	atomic_store(&lookups_started, 0);
	atomic_store(&lookups_done, 0);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	dup2(fd, STDERR_FILENO);
	close(fd);
	run(1.3, 2.5, &ret, &took);
	dup2(saved, STDERR_FILENO);
	CHECK_EQ(ret, 0, "the lock is had once the reader is gone");
	CHECK(atomic_load(&lookups_started) == 1, "the holders were being looked up");
	CHECK(took < 2.2, "the command does not wait for the holders' lookup with its lock held");
	if (took >= 2.2)
		printf("#   lockwait_writer_lock took %.2f s\n", took);
	CHECK(!stderr_has("waiting for the lock"),
	      "no 'waiting for the lock' message after the lock was had");

	unlink(errpath);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
