// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "util.h"

void store_free(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_tables(const struct ctx *ctx, char ***paths, size_t *count)
{
	const char *dir = ctx_get(ctx, SET_STORE);
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int ret;

	*paths = NULL;
	*count = 0;
	d = opendir(dir);
	if (!d && errno == ENOENT) {
		debug("the store '%s' does not exist: no tables", dir);
		ret = 0;
		goto out;
	}
	if (!d) {
		err("cannot read the store '%s': %s", dir, strerror(errno));
		ret = EXIT_FAIL;
		goto out;
	}
	for (errno = 0; (de = readdir(d)); errno = 0) {
		struct stat st;
		char *path;

		if (de->d_name[0] == '.')
			continue;
		/* Regular files only; a symbolic link is not a table (writers refuse it). */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			err("cannot stat '%s/%s': %s", dir, de->d_name, strerror(errno));
			ret = EXIT_FAIL;
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			debug("skipping '%s/%s': not a regular file", dir, de->d_name);
			continue;
		}
		if (n == cap) {
			size_t c = cap ? 2 * cap : 16;
			char **nv = realloc(v, c * sizeof(*nv));

			if (!nv) {
				err("out of memory");
				ret = EXIT_FAIL;
				goto out;
			}
			v = nv;
			cap = c;
		}
		if (asprintf(&path, "%s%s%s", dir, *dir && dir[strlen(dir) - 1] == '/' ? "" : "/",
			     de->d_name) < 0) {
			err("out of memory");
			ret = EXIT_FAIL;
			goto out;
		}
		v[n++] = path;
	}
	if (errno) {
		err("cannot read the store '%s': %s", dir, strerror(errno));
		ret = EXIT_FAIL;
		goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	*paths = v;
	*count = n;
	v = NULL;
	n = 0;
	ret = 0;
out:
	store_free(v, n);
	if (d)
		closedir(d);
	return ret;
}
