// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The broker's way to a vsock guest's QMP socket (snp-certctl/qmp.c,
 * qmp_dir_socket): DIR/CID.sock only when DIR and every directory above it
 * pass the ownership rule and the entry is a socket, each refusal saying
 * why; and what was checked is what is connected to, even when DIR is
 * swapped for another directory right after the check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "qmp.h"
#include "scratch.h"
#include "tap.h"

static char top[] = "/tmp/test-cli-qmp.XXXXXX";

/* A listening unix socket at path (accept does not wait). */
static int listener(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0)
		die("listen");
	return fd;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	r = fd >= 0 ? connect(fd, (struct sockaddr *)&a, sizeof(a)) : -1;
	if (fd >= 0)
		close(fd);
	return r;
}

/* qmp_dir_socket(dir, cid) fails, its why containing want. */
static void refused(const char *dir, unsigned int cid, const char *want, const char *name)
{
	char path[QMP_DIR_PATH_MAX];
	struct why why = { 0 };
	int fd = 7;

	CHECK(qmp_dir_socket(dir, cid, &fd, path, &why) == -1 && fd == -1, name);
	if (!strstr(why.msg, want))
		printf("# got: %s\n# want: ...%s...\n", why.msg, want);
	CHECK(strstr(why.msg, want) != NULL, name);
}

int main(void)
{
	char dir[256], other[256], moved[256], p[300], path[QMP_DIR_PATH_MAX], open_dir[300];
	struct why why = { 0 };
	int l, l2, fd;

	if (!mkdtemp(top))
		die("mkdtemp");
	umask(022);
	snprintf(dir, sizeof(dir), "%s/qmp", top);
	if (mkdir(dir, 0750) < 0)
		die("mkdir");
	snprintf(p, sizeof(p), "%s/7.sock", dir);
	l = listener(p);

	/* The entry through the open directory, connected to. */
	CHECK(qmp_dir_socket(dir, 7, &fd, path, &why) == 0 && fd >= 0, "a socket in a safe dir");
	snprintf(open_dir, sizeof(open_dir), "/proc/self/fd/%d/7.sock", fd);
	CHECK_STR(path, open_dir, "named through the open directory");
	CHECK(connect_to(path) == 0, "and connected to");

	/* Swapped for another directory after the check: still the one checked. */
	snprintf(moved, sizeof(moved), "%s/qmp.old", top);
	snprintf(other, sizeof(other), "%s/qmp", top);
	CHECK(rename(dir, moved) == 0 && mkdir(other, 0750) == 0, "the directory swapped");
	snprintf(p, sizeof(p), "%s/7.sock", other);
	l2 = listener(p);
	CHECK(connect_to(path) == 0, "the checked socket is still the one connected to");
	{
		int c = accept(l, NULL, NULL), c2;

		/* Two connections reached the first socket, none the second. */
		c2 = accept(l, NULL, NULL);
		CHECK(c >= 0 && c2 >= 0, "both connections at the checked socket");
		CHECK(accept(l2, NULL, NULL) < 0 && errno == EAGAIN,
		      "none at the one swapped in");
		close(c);
		close(c2);
	}
	close(fd);

	/* Refusals. */
	refused(dir, 8, "no QMP socket '", "no socket for the CID");
	refused(dir, 8, "No such file or directory", "no socket: the reason");
	snprintf(p, sizeof(p), "%s/9.sock", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open");
	close(fd);
	refused(dir, 9, "for CID 9 is a regular file, not a socket", "a regular file");
	snprintf(p, sizeof(p), "%s/10.sock", dir);
	if (symlink("7.sock", p) < 0)
		die("symlink");
	refused(dir, 10, "for CID 10 is a symbolic link, not a socket", "a link to a socket");
	snprintf(p, sizeof(p), "%s/11.sock", dir);
	if (mkfifo(p, 0600) < 0)
		die("mkfifo");
	refused(dir, 11, "for CID 11 is a FIFO, not a socket", "a FIFO");

	chmod(dir, 0777);
	refused(dir, 7, "writable by group or others", "a directory others may write");
	/* Sticky too: others cannot replace 7.sock, but could add 12.sock. */
	chmod(dir, 01777);
	refused(dir, 12, "writable by group or others", "a sticky directory others may write");
	chmod(dir, 0750);

	snprintf(p, sizeof(p), "%s/link", top);
	if (symlink("qmp", p) < 0)
		die("symlink");
	refused(p, 7, "is a symbolic link, not a directory", "the directory a link");
	snprintf(p, sizeof(p), "%s/none", top);
	refused(p, 7, "No such file or directory", "no directory");

	/* A directory above that others may write (not sticky) is as bad. */
	snprintf(p, sizeof(p), "%s/open", top);
	if (mkdir(p, 0777) < 0 || chmod(p, 0777) < 0)
		die("mkdir");
	snprintf(p, sizeof(p), "%s/open/qmp", top);
	if (mkdir(p, 0700) < 0)
		die("mkdir");
	refused(p, 7, "above it is writable by group or others", "an unsafe directory above");

	close(l);
	close(l2);
	snprintf(p, sizeof(p), "rm -rf '%s'", top);
	if (system(p) != 0)
		die("rm");
	return tap_done();
}
