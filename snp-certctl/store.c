// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "holders.h"
#include "sev-store.h" /* SEV_STORE_SUBDIR */
#include "store.h"
#include "trustpath.h"
#include "util.h"

void store_free(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

/* By real path; of two names for one, the one that is not a link first; then as given. */
static int by_real(const void *a, const void *b)
{
	const struct lock_ref *x = a, *y = b;
	int c = strcmp(x->real, y->real);

	if (c)
		return c;
	if (x->link != y->link)
		return x->link ? 1 : -1;
	return x->index < y->index ? -1 : x->index > y->index;
}

void lock_order_free(struct lock_ref *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].real);
	free(v);
}

int lock_order(char *const *paths, size_t n, struct lock_ref **out, size_t *kept, size_t *bad)
{
	struct lock_ref *v = calloc(n ? n : 1, sizeof(*v));
	size_t k = 0;
	int ret;

	*out = NULL;
	*kept = 0;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		v[i].path = paths[i];
		v[i].index = i;
		v[i].real = realpath(paths[i], NULL);
		if (!v[i].real || stat(v[i].real, &st) < 0) {
			ret = -errno;
			*bad = i;
			lock_order_free(v, i + 1);
			return ret;
		}
		v[i].dev = st.st_dev;
		v[i].ino = st.st_ino;
		v[i].link = lstat(paths[i], &st) == 0 && S_ISLNK(st.st_mode);
	}
	if (n)
		qsort(v, n, sizeof(*v), by_real);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		for (size_t j = 0; j < k && !dup; j++)
			dup = v[j].dev == v[i].dev && v[j].ino == v[i].ino;
		if (dup) {
			free(v[i].real);
			continue;
		}
		v[k++] = v[i];
	}
	*out = v;
	*kept = k;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list(const char *dir, char ***names, size_t *count, store_note_fn *note, void *arg)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int ret;

	*names = NULL;
	*count = 0;
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		goto out;
	}
	for (errno = 0; (de = readdir(d)); errno = 0) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		/* Regular files only; a symbolic link is not a table (writers refuse it). */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			ret = -errno;
			if (note)
				note(arg, dir, de->d_name, -ret);
			goto out;
		}
		/* <store>/sev/ holds the legacy SEV chain (sev-store.h), not a table. */
		if (S_ISDIR(st.st_mode) && strcmp(de->d_name, SEV_STORE_SUBDIR) == 0)
			continue;
		if (!S_ISREG(st.st_mode)) {
			if (note)
				note(arg, dir, de->d_name, 0);
			continue;
		}
		if (n == cap) {
			size_t c = cap ? 2 * cap : 16;
			char **nv = realloc(v, c * sizeof(*nv));

			if (!nv) {
				ret = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = c;
		}
		v[n] = strdup(de->d_name);
		if (!v[n]) {
			ret = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (errno) {
		ret = -errno;
		goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	*names = v;
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

/* What note_entry() was told. */
struct note {
	struct why *why;
	bool said;          /* why holds the failure already */
	size_t unmanaged;   /* entries that are not regular files */
};

void store_warn_unmanaged(const char *dir, const char *name)
{
	warn("the store '%s' holds '%s', which is not a regular file: it is not managed "
	     "(make it a regular file, or move it out)", dir, name);
}

/* store_tables()'s word on an entry: a failed stat is the error, anything else is skipped. */
static void note_entry(void *arg, const char *dir, const char *name, int error)
{
	struct note *nt = arg;

	if (error) {
		why_set(nt->why, -error, "cannot stat '%s/%s': %s", dir, name, strerror(error));
		nt->said = true;
	} else {
		store_warn_unmanaged(dir, name);
		nt->unmanaged++;
	}
}

int store_tables(const struct ctx *ctx, char ***paths, size_t *count, size_t *unmanaged,
		 struct why *why)
{
	const char *dir = ctx_get(ctx, SET_STORE);
	const char *sep = *dir && dir[strlen(dir) - 1] == '/' ? "" : "/";
	struct note nt = { .why = why };
	char **names = NULL;
	size_t n = 0;
	int ret;

	*paths = NULL;
	*count = 0;
	ret = store_list(dir, &names, &n, note_entry, &nt);
	if (ret == -ENOENT) {
		debug("the store '%s' does not exist: no tables", dir);
		ret = 0;
		goto out;
	}
	if (ret == -ENOMEM) {
		why_set(why, ret, "out of memory");
		goto out;
	}
	if (ret < 0) {
		if (!nt.said)
			why_set(why, ret, "cannot read the store '%s': %s", dir, strerror(-ret));
		goto out;
	}
	/* The names become the full paths, in place. */
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;

		if (asprintf(&path, "%s%s%s", dir, sep, names[i]) < 0) {
			ret = why_set(why, -ENOMEM, "out of memory");
			goto out;
		}
		free(names[i]);
		names[i] = path;
	}
	*paths = names;
	*count = n;
	if (unmanaged)
		*unmanaged = nt.unmanaged;
	names = NULL;
	n = 0;
	ret = 0;
out:
	store_free(names, n);
	return ret;
}

char *store_lock_path(const struct ctx *ctx)
{
	char *path = NULL;

	return asprintf(&path, "%s/%s", ctx_get(ctx, SET_STORE), STORE_LOCK_NAME) < 0 ? NULL : path;
}

int store_trusted(const char *store, struct why *why)
{
	char name[NAME_MAX + 1], bad[PATH_MAX + 128];
	struct stat st;
	int dir, ret = 0;

	if (!store || !*store)
		return 0;
	dir = trust_path_walk(store, true, name, bad, sizeof(bad));
	if (dir == -EPERM)
		return why_set(why, -ERR_REFUSED, "refusing the store '%s': %s", store, bad);
	if (dir < 0)
		return 0; /* missing, or unreadable: said when its tables are listed */
	if (fstatat(dir, name, &st, 0) == 0 && sc_trust_check_dir(&st, bad, sizeof(bad)) < 0)
		ret = why_set(why, -ERR_REFUSED, "refusing the store '%s': %s, so anyone who can "
			      "write it can replace its tables", store, bad);
	sc_close(dir);
	return ret;
}

int store_lock(const struct ctx *ctx, const struct sc_deadline *d, int *out, struct why *why)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	unsigned int step = 1000;
	char *path = store_lock_path(ctx), who[512], reason[128];
	struct stat st;
	int fd = -1, ret;

	*out = -1;
	if (!path)
		return why_set(why, -ENOMEM, "out of memory");
	ret = store_trusted(ctx_get(ctx, SET_STORE), why);
	if (ret)
		goto out;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0 && errno == ENOENT) {
		ret = 0; /* no store: no tables of its to serialise */
		goto out;
	}
	if (fd < 0) {
		ret = why_set(why, errno == ELOOP ? -ERR_REFUSED : -errno,
			      errno == ELOOP ? "refusing the store lock '%s': it is a symbolic link" :
			      "cannot open the store lock '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		ret = why_set(why, -errno, "cannot open the store lock '%s': %s", path,
			      strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = why_set(why, -ERR_REFUSED, "refusing the store lock '%s': not a regular file",
			      path);
		goto out;
	}
	if (sc_trust_check(&st, reason, sizeof(reason)) < 0) {
		ret = why_set(why, -ERR_REFUSED, "refusing the store lock '%s': %s", path, reason);
		goto out;
	}
	while (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		if (errno != EAGAIN && errno != EACCES) {
			ret = why_set(why, -errno, "cannot lock the store '%s': %s",
				      ctx_get(ctx, SET_STORE), strerror(errno));
			goto out;
		}
		if (d->once || sc_backoff(d->end_ns, &step, 50000) < 0) {
			const char *paths[1] = { path };

			lock_holders_describe_paths(paths, 1, who, sizeof(who));
			ret = why_set(why, -ERR_LOCK, "cannot lock the store '%s': another workflow "
				      "is running, held by %s", ctx_get(ctx, SET_STORE), who);
			goto out;
		}
	}
	*out = fd;
	fd = -1;
	ret = 0;
out:
	sc_close(fd);
	free(path);
	return ret;
}
