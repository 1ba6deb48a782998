/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stock-reader: reads a certificate table the way the public QEMU patch
 * does, for interoperability tests.  It does not use libsnpcert's lock code:
 *
 *   open(O_RDONLY); per request: fcntl(F_OFD_SETLK, F_RDLCK, whole file:
 *   SEEK_SET, 0, 0) polled every 1 ms up to the timeout, then read the
 *   whole file, hold, unlock.
 *
 * stock-reader [-t TIMEOUT_MS] [-H HOLD_MS] [-n LOOPS] [-p] [-c] FILE
 *   -t  lock timeout (default 100, as QEMU)     -H  hold the lock this long
 *   -n  requests (default 1)                    -p  print one line per read
 *   -c  check each table (ghcb_validate); an all-zero first entry is what a
 *       guest sees as an empty table and counts as "empty"
 * Exit: 0, 1 error, 2 usage, 3 lock busy (a request timed out), 4 malformed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ghcb.h"
#define PROG "stock-reader"
#include "tool.h"

static int lock_whole(int fd, short type, unsigned long timeout_ms)
{
	struct flock fl;

	for (unsigned long waited = 0;; waited++) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = type;
		fl.l_whence = SEEK_SET;
		fl.l_start = 0;
		fl.l_len = 0;
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
		if (type == F_UNLCK || waited >= timeout_ms)
			return -EAGAIN;
		tool_sleep_us(1000);
	}
}

int main(int argc, char **argv)
{
	static const unsigned char zero[GHCB_ENTRY_SIZE];
	unsigned long timeout = 100, hold = 0, loops = 1, busy = 0, bad = 0, empty = 0;
	int opt, fd, print = 0, check = 0;
	unsigned char *buf = NULL;

	while ((opt = getopt(argc, argv, "t:H:n:pc")) != -1) {
		switch (opt) {
		case 't': timeout = tool_num(optarg); break;
		case 'H': hold = tool_num(optarg); break;
		case 'n': loops = tool_num(optarg); break;
		case 'p': print = 1; break;
		case 'c': check = 1; break;
		default: return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: stock-reader [-t MS] [-H MS] [-n N] [-p] [-c] FILE\n");
		return 2;
	}
	fd = open(argv[optind], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "stock-reader: cannot open '%s': %s\n", argv[optind], strerror(errno));
		return 1;
	}
	for (unsigned long i = 0; i < loops; i++) {
		struct stat st;
		ssize_t n = 0;
		size_t got = 0;
		int ret = lock_whole(fd, F_RDLCK, timeout);

		if (ret == -EAGAIN) {
			busy++;
			if (print)
				printf("busy\n");
			continue;
		}
		if (ret < 0 || fstat(fd, &st) < 0) {
			perror("stock-reader");
			return 1;
		}
		free(buf);
		buf = malloc((size_t)st.st_size + 1);
		if (!buf)
			return 1;
		while (got < (size_t)st.st_size &&
		       (n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got)) > 0)
			got += (size_t)n;
		if (hold)
			tool_sleep_us(hold * 1000);
		lock_whole(fd, F_UNLCK, 0);
		if (got >= sizeof(zero) && memcmp(buf, zero, sizeof(zero)) == 0 && check) {
			empty++;
			if (print)
				printf("empty size=%zu\n", got);
		} else if (check && ghcb_validate(buf, got, GHCB_ALLOW_LARGE, NULL) < 0) {
			bad++;
			if (print)
				printf("malformed size=%zu\n", got);
		} else if (print) {
			printf("ok size=%zu pages=%zu\n", got, ghcb_npages(got));
		}
	}
	free(buf);
	close(fd);
	if (print || loops > 1)
		printf("reads=%lu busy=%lu empty=%lu malformed=%lu\n", loops - busy, busy, empty, bad);
	if (fflush(stdout) != 0 || ferror(stdout))
		return 1;
	return bad ? 4 : busy ? 3 : 0;
}
