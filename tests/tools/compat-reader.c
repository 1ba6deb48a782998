/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compat-reader: reads a certificate table in a loop while a command
 * rewrites it, and sorts every read by outcome.  Each table a read returns
 * as a success must be byte for byte one of the tables given with -a; any
 * other is "neither" (a torn or mixed table accepted), which fails.
 *
 * compat-reader -m MODE [-j READERS] [-n READS] [-t TIMEOUT_MS] [-P PAGES]
 *               -a TABLE... FILE -- COMMAND [ARG...]
 *   -m lib   libsnpcert: snpcert_lock_shared, snpcert_read, snpcert_unlock
 *   -m req   libsnpcert as a VMM serves KVM_EXIT_SNP_REQ_CERTS:
 *            snpcert_req_certs into a guest buffer of PAGES pages (the
 *            table, then zeros to the end: anything else is "neither"),
 *            snpcert_unlock
 *   -m qemu  the stock QEMU v2 reader: stat(FILE)'s st_ino against the open
 *            descriptor's (reopen when it differs), a whole-file
 *            F_OFD_SETLK F_RDLCK polled every 1 ms up to the timeout, read
 *            the whole file, unlock; pages needed (size + 4096) / 4096
 *   -j  reader processes (default 2)   -t  lock timeout (default 100)
 *   -P  the guest buffer, in pages (default 16): a table needing more is
 *       "enospc" (as the guest would be told)
 * COMMAND runs once; each reader reads until it has exited and the reader
 * has read READS times (default 1).
 * Prints "compat-reader: mode=M reads=N a=N b=N ... neither=N ebadmsg=N
 * busy=N enospc=N other=N command=STATUS" (a, b, ...: the -a tables in order).
 * Exit: 0, 1 when any read was "neither" or COMMAND failed, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snpcert.h"
#define PROG "compat-reader"
#include "tool.h"

#define MAX_TABLES 4
#define BUF_SIZE (1u << 20)

enum outcome { O_NEITHER, O_EBADMSG, O_BUSY, O_ENOSPC, O_OTHER, O_COUNT };
static const char *const outcome_name[O_COUNT] = { "neither", "ebadmsg", "busy", "enospc", "other" };

struct counts {
	volatile int stop;
	unsigned long reads, table[MAX_TABLES], outcome[O_COUNT];
	int first_other; /* the first "other" errno, for the message */
};

struct table {
	unsigned char *p;
	size_t len;
};

static struct table tables[MAX_TABLES];
static int ntables;
static struct counts *sh;
static unsigned long timeout_ms = 100, guest_pages = 16, min_reads = 1;

#define ADD(field) __atomic_add_fetch(&(field), 1, __ATOMIC_RELAXED)

static bool all_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * A read that succeeded: which table it is, or "neither".  padded: buf is
 * a guest buffer of len bytes, a table followed by zeros.
 */
static void classify(const unsigned char *buf, size_t len, bool padded)
{
	ADD(sh->reads);
	for (int i = 0; i < ntables; i++) {
		const struct table *t = &tables[i];

		if (padded ? t->len <= len && memcmp(t->p, buf, t->len) == 0 &&
			     all_zero(buf + t->len, len - t->len)
			   : t->len == len && memcmp(t->p, buf, len) == 0) {
			ADD(sh->table[i]);
			return;
		}
	}
	if (ADD(sh->outcome[O_NEITHER]) <= 3)
		fprintf(stderr, "compat-reader: a read returned %zu bytes that are none of the tables\n",
			len);
}

static void failed(int err)
{
	enum outcome o = err == -EBADMSG ? O_EBADMSG
		: err == -EAGAIN || err == -ETIMEDOUT ? O_BUSY
		: err == -ENOSPC ? O_ENOSPC : O_OTHER;

	ADD(sh->reads);
	if (ADD(sh->outcome[o]) == 1 && o == O_OTHER)
		sh->first_other = -err;
}

static void lib_reader(const char *path)
{
	unsigned char *buf = malloc(BUF_SIZE);
	struct snpcert_file *f = NULL;
	unsigned long done = 0;
	size_t size;
	int ret;

	ret = buf ? snpcert_open(path, &f) : -ENOMEM;
	if (ret < 0) {
		failed(ret);
		_exit(1);
	}
	do {
		ret = snpcert_lock_shared(f, (unsigned int)timeout_ms);
		if (ret == 0) {
			ret = snpcert_read(f, buf, guest_pages * 4096 < BUF_SIZE ?
					   guest_pages * 4096 : BUF_SIZE, &size);
			snpcert_unlock(f);
		}
		if (ret == 0)
			classify(buf, size, false);
		else
			failed(ret);
	} while (++done < min_reads || !sh->stop);
	snpcert_close(f);
	free(buf);
	_exit(0);
}

static void req_reader(const char *path)
{
	size_t len = guest_pages * 4096 < BUF_SIZE ? guest_pages * 4096 : BUF_SIZE;
	unsigned char *buf = malloc(BUF_SIZE);
	struct snpcert_file *f = NULL;
	unsigned long done = 0;
	uint64_t needed;
	int ret;

	ret = buf ? snpcert_open(path, &f) : -ENOMEM;
	if (ret < 0) {
		failed(ret);
		_exit(1);
	}
	do {
		/* What a guest left there before: the table must overwrite it all. */
		memset(buf, 0xa5, len);
		ret = snpcert_req_certs(f, buf, len / 4096, (int)timeout_ms, &needed);
		snpcert_unlock(f);
		if (ret == 0)
			classify(buf, len, true);
		else
			failed(ret);
	} while (++done < min_reads || !sh->stop);
	snpcert_close(f);
	free(buf);
	_exit(0);
}

/* QEMU v2's lock: F_OFD_SETLK on the whole file, polled every 1 ms. */
static int qemu_lock(int fd, short type)
{
	struct flock fl;

	for (unsigned long waited = 0;; waited++) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = type;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
		if (waited >= timeout_ms)
			return -EAGAIN;
		tool_sleep_us(1000);
	}
}

/* QEMU v2 notices a replaced file by st_ino alone. */
static int qemu_reopen(const char *path, int *fd)
{
	struct stat a, b;

	if (*fd >= 0 && stat(path, &a) == 0 && fstat(*fd, &b) == 0 && a.st_ino == b.st_ino)
		return 0;
	if (*fd >= 0)
		close(*fd);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

static int qemu_read_one(const char *path, int *fd, unsigned char *buf, size_t *got)
{
	struct stat st;
	ssize_t n = 1;
	int ret;

	ret = qemu_reopen(path, fd);
	if (ret == 0)
		ret = qemu_lock(*fd, F_RDLCK);
	if (ret < 0)
		return ret;
	if (fstat(*fd, &st) < 0) {
		ret = -errno;
	} else if (((size_t)st.st_size + 4096) / 4096 > guest_pages) {
		ret = -ENOSPC;
	} else {
		*got = 0;
		while (*got < (size_t)st.st_size &&
		       (n = pread(*fd, buf + *got, (size_t)st.st_size - *got, (off_t)*got)) > 0)
			*got += (size_t)n;
		ret = n < 0 ? -errno : 0;
	}
	qemu_lock(*fd, F_UNLCK);
	return ret;
}

static void qemu_reader(const char *path)
{
	unsigned char *buf = malloc(BUF_SIZE);
	unsigned long done = 0;
	size_t got = 0;
	int fd = -1, ret;

	if (!buf)
		_exit(1);
	if (guest_pages * 4096 > BUF_SIZE)
		guest_pages = BUF_SIZE / 4096;
	do {
		ret = qemu_read_one(path, &fd, buf, &got);
		if (ret == 0)
			classify(buf, got, false);
		else
			failed(ret);
	} while (++done < min_reads || !sh->stop);
	if (fd >= 0)
		close(fd);
	free(buf);
	_exit(0);
}

static int run_command(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "compat-reader: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	const char *mode = NULL, *path;
	unsigned long readers = 2;
	pid_t pids[64];
	int opt, status, bad;

	while ((opt = getopt(argc, argv, "+m:j:n:t:P:a:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'j': readers = tool_num(optarg); break;
		case 'n': min_reads = tool_num(optarg); break;
		case 't': timeout_ms = tool_num(optarg); break;
		case 'P': guest_pages = tool_num(optarg); break;
		case 'a':
			if (ntables == MAX_TABLES || tool_slurp(optarg, &tables[ntables].p, &tables[ntables].len) < 0)
				return 2;
			ntables++;
			break;
		default: return 2;
		}
	}
	if (!mode || (strcmp(mode, "lib") && strcmp(mode, "req") && strcmp(mode, "qemu")) || !ntables || readers < 1 ||
	    readers > 64 || argc - optind < 3 || strcmp(argv[optind + 1], "--")) {
		fprintf(stderr, "usage: compat-reader -m lib|req|qemu [-j N] [-n READS] [-t MS] [-P PAGES] -a TABLE... "
			"FILE -- COMMAND [ARG...]\n");
		return 2;
	}
	path = argv[optind];
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	for (unsigned long i = 0; i < readers; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return 1;
		if (pids[i] == 0)
			(!strcmp(mode, "lib") ? lib_reader : !strcmp(mode, "req") ? req_reader
						  : qemu_reader)(path);
	}
	status = run_command(&argv[optind + 2]);
	sh->stop = 1;
	for (unsigned long i = 0; i < readers; i++)
		waitpid(pids[i], NULL, 0);
	printf("compat-reader: mode=%s reads=%lu", mode, sh->reads);
	for (int i = 0; i < ntables; i++)
		printf(" %c=%lu", 'a' + i, sh->table[i]);
	for (int o = 0; o < O_COUNT; o++)
		printf(" %s=%lu", outcome_name[o], sh->outcome[o]);
	printf(" command=%d\n", status);
	if (sh->outcome[O_OTHER])
		fprintf(stderr, "compat-reader: first other error: %s\n", strerror(sh->first_other));
	bad = sh->outcome[O_NEITHER] != 0 || status != 0;
	return fflush(stdout) == 0 && !bad ? 0 : 1;
}
