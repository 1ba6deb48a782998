// SPDX-License-Identifier: GPL-2.0-or-later
/* The ownership rule along a whole path; see trustpath.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "trustpath.h"

/* Symbolic links followed, at most (as the kernel's 40). */
#define MAX_LINKS 40

/* A directory on the way: sc_trust_check, sticky ones writable by others allowed. */
static int check_above(const struct stat *st, const char *walked, char *bad, size_t badlen)
{
	char why[96];

	if (sc_trust_check_dir(st, why, sizeof(why)) < 0) {
		snprintf(bad, badlen, "'%s' above it is %s", walked, why);
		return -EPERM;
	}
	return 0;
}

/* walked, the path of the directory entered, after entering comp. */
static void walked_enter(char *walked, size_t size, const char *comp)
{
	if (strcmp(comp, "..") == 0) {
		char *slash = strrchr(walked, '/');

		slash[slash == walked ? 1 : 0] = '\0';
	} else if (strlen(walked) + 1 + strlen(comp) < size) {
		if (strcmp(walked, "/") != 0)
			strcat(walked, "/");
		strcat(walked, comp);
	}
}

int trust_path_walk(const char *path, bool follow_last, char name[NAME_MAX + 1], char *bad,
		    size_t badlen)
{
	char rest[2 * PATH_MAX], tmp[2 * PATH_MAX], walked[2 * PATH_MAX], link[PATH_MAX];
	char cwd[PATH_MAX];
	int cur = -1, next = -1, links = 0, ret;
	struct stat st;
	const char *p;

	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return -errno;
	if ((size_t)snprintf(rest, sizeof(rest), "%s/%s", path[0] == '/' ? "" : cwd, path) >=
	    sizeof(rest))
		return -ENAMETOOLONG;
	p = rest;
	strcpy(walked, "/");
	strcpy(name, ".");
	cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0 || fstat(cur, &st) < 0) {
		ret = -errno;
		goto fail;
	}
	ret = check_above(&st, walked, bad, badlen);
	if (ret < 0)
		goto fail;
	for (;;) {
		size_t len;
		bool last;

		p += strspn(p, "/");
		if (!*p)
			return cur; /* name: "." for "/", else the last component */
		len = strcspn(p, "/");
		if (len > NAME_MAX) {
			ret = -ENAMETOOLONG;
			goto fail;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		last = p[strspn(p, "/")] == '\0';
		if (last && !follow_last)
			return cur;
		if (strcmp(name, ".") == 0)
			continue;
		if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlinkat(cur, name, link, sizeof(link) - 1);

			if (n < 0 || ++links > MAX_LINKS) {
				ret = n < 0 ? -errno : -ELOOP;
				goto fail;
			}
			link[n] = '\0';
			if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", link, p) >= sizeof(tmp)) {
				ret = -ENAMETOOLONG;
				goto fail;
			}
			memcpy(rest, tmp, sizeof(rest));
			p = rest;
			if (link[0] == '/') {
				sc_close(cur);
				cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (cur < 0) {
					ret = -errno;
					goto fail;
				}
				strcpy(walked, "/");
			}
			continue;
		}
		if (last)
			return cur;
		next = openat(cur, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (next < 0 || fstat(next, &st) < 0) {
			ret = -errno;
			goto fail;
		}
		walked_enter(walked, sizeof(walked), name);
		sc_close(cur);
		cur = next;
		next = -1;
		ret = check_above(&st, walked, bad, badlen);
		if (ret < 0)
			goto fail;
	}
fail:
	sc_close(cur);
	sc_close(next);
	return ret;
}
