/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * unlocked-writer: rewrites a certificate table the way a tool outside the
 * lock protocol does (snphost `import`: create/truncate, then write), for
 * the compatibility tests.  It takes no lock, announces nothing and keeps
 * the inode: each round truncates the file to 0 and writes the next table
 * in chunks, alternating between the tables given.
 *
 * unlocked-writer [-n ROUNDS] [-c CHUNK] [-s SLEEP_US] [-o] FILE TABLE...
 *   -n  rounds (one table written per round; default 1000)
 *   -c  bytes per write(2) (default 512)
 *   -s  sleep this long between chunks (default 0: none), so that the
 *       half-written states last long enough for readers to see them
 *   -o  open(O_WRONLY|O_TRUNC) each round, as `import` does (default: one
 *       descriptor, ftruncate(0) and pwrite from offset 0 each round)
 * Prints "unlocked-writer: rounds=N bytes=N".
 * Exit: 0, 1 error, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "unlocked-writer"
#include "tool.h"

struct blob {
	unsigned char *p;
	size_t len;
};

/* One round: the file emptied, then b written from offset 0, chunk by chunk. */
static int rewrite(int fd, const struct blob *b, size_t chunk, unsigned long pause_us)
{
	size_t done = 0;

	if (ftruncate(fd, 0) < 0)
		return -errno;
	while (done < b->len) {
		size_t n = b->len - done < chunk ? b->len - done : chunk;
		ssize_t w = pwrite(fd, b->p + done, n, (off_t)done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)w;
		if (pause_us && done < b->len)
			tool_sleep_us(pause_us);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 1000, chunk = 512, pause_us = 0, bytes = 0;
	int opt, reopen = 0, fd = -1, ntables;
	struct blob *t;
	const char *path;

	while ((opt = getopt(argc, argv, "n:c:s:o")) != -1) {
		switch (opt) {
		case 'n': rounds = tool_num(optarg); break;
		case 'c': chunk = tool_num(optarg); break;
		case 's': pause_us = tool_num(optarg); break;
		case 'o': reopen = 1; break;
		default: return 2;
		}
	}
	if (argc - optind < 2 || chunk == 0) {
		fprintf(stderr, "usage: unlocked-writer [-n N] [-c BYTES] [-s US] [-o] FILE TABLE...\n");
		return 2;
	}
	path = argv[optind++];
	ntables = argc - optind;
	t = calloc((size_t)ntables, sizeof(*t));
	if (!t)
		return 1;
	for (int i = 0; i < ntables; i++)
		if (tool_slurp(argv[optind + i], &t[i].p, &t[i].len) < 0)
			return 1;
	for (unsigned long r = 0; r < rounds; r++) {
		const struct blob *b = &t[r % (unsigned long)ntables];
		int ret;

		if (fd < 0 || reopen) {
			if (fd >= 0)
				close(fd);
			/* O_TRUNC empties it already; rewrite()'s ftruncate is then a no-op. */
			fd = open(path, O_WRONLY | O_CLOEXEC | (reopen ? O_TRUNC : 0));
			if (fd < 0) {
				fprintf(stderr, "unlocked-writer: cannot open '%s': %s\n", path,
					strerror(errno));
				return 1;
			}
		}
		ret = rewrite(fd, b, chunk, pause_us);
		if (ret < 0) {
			fprintf(stderr, "unlocked-writer: cannot write '%s': %s\n", path, strerror(-ret));
			return 1;
		}
		bytes += b->len;
	}
	if (fd >= 0 && close(fd) < 0)
		return 1;
	for (int i = 0; i < ntables; i++)
		free(t[i].p);
	free(t);
	printf("unlocked-writer: rounds=%lu bytes=%lu\n", rounds, bytes);
	return fflush(stdout) == 0 ? 0 : 1;
}
