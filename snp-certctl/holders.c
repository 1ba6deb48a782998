// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "holders.h"
#include "proclocks.h"
#include "snpcert.h"

/* A lock line (formats/proclocks.h) naming dev/ino, as a holder. */
static bool parse_line(const char *s, dev_t dev, ino_t ino, struct lock_holder *h)
{
	struct proclock l;

	if (proclock_parse(s, &l) < 0 || makedev(l.dev_major, l.dev_minor) != dev ||
	    l.ino != (unsigned long long)ino)
		return false;
	memset(h, 0, sizeof(*h));
	h->pid = l.pid;
	h->fd = -1;
	h->write = l.write;
	h->waiting = l.waiting;
	h->ofd = strcmp(l.kind, "OFDLCK") == 0;
	snprintf(h->kind, sizeof(h->kind), "%s", l.kind);
	h->start = l.start;
	h->end = l.end;
	return true;
}

static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static int push(struct lock_holder **v, size_t *n, size_t *cap, const struct lock_holder *h)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;
		struct lock_holder *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = *h;
	return 0;
}

/* The held locks of one process, from its fdinfo files. */
static int scan_pid(pid_t pid, dev_t dev, ino_t ino, struct lock_holder **v, size_t *n,
		    size_t *cap)
{
	char path[64], line[256];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	d = opendir(path);
	if (!d)
		return 0; /* gone, or not ours to see */
	while (ret == 0 && (de = readdir(d))) {
		char file[sizeof(path) + sizeof(de->d_name) + 1];
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		f = fopen(file, "re");
		if (!f)
			continue;
		while (ret == 0 && fgets(line, sizeof(line), f)) {
			struct lock_holder h;

			if (strncmp(line, "lock:", 5) != 0 || !parse_line(line + 5, dev, ino, &h))
				continue;
			h.pid = pid;
			h.fd = atoi(de->d_name);
			read_comm(pid, h.comm, sizeof(h.comm));
			ret = push(v, n, cap, &h);
		}
		fclose(f);
	}
	closedir(d);
	return ret;
}

int lock_holders(dev_t dev, ino_t ino, struct lock_holder **out, size_t *count)
{
	struct lock_holder *v = NULL;
	size_t n = 0, cap = 0;
	char line[256];
	struct dirent *de;
	DIR *proc;
	FILE *f;
	int ret = 0;

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while (ret == 0 && (de = readdir(proc))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		ret = scan_pid((pid_t)pid, dev, ino, &v, &n, &cap);
	}
	closedir(proc);

	/* Waiters are only in /proc/locks. */
	f = fopen("/proc/locks", "re");
	while (ret == 0 && f && fgets(line, sizeof(line), f)) {
		struct lock_holder h;

		if (!parse_line(line, dev, ino, &h) || !h.waiting)
			continue;
		if (h.pid > 0)
			read_comm(h.pid, h.comm, sizeof(h.comm));
		else
			snprintf(h.comm, sizeof(h.comm), "?");
		ret = push(&v, &n, &cap, &h);
	}
	if (f)
		fclose(f);
	if (ret < 0) {
		free(v);
		return ret;
	}
	*out = v;
	*count = n;
	return 0;
}

void lock_holders_describe(const struct lock_holder *h, size_t n, char *buf, size_t len)
{
	pid_t self = getpid();
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		bool seen = false;
		int w;

		if (h[i].waiting || h[i].pid == self)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !h[j].waiting && h[j].pid == h[i].pid && h[j].write == h[i].write;
		if (seen)
			continue;
		w = snprintf(buf + used, len - used, "%s%d (%s) %s", used ? ", " : "",
			     (int)h[i].pid, h[i].comm, h[i].write ? "WRITE" : "READ");
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (!used)
		snprintf(buf, len, "no process found");
}

void lock_holders_describe_files(const struct stat *files, size_t n, char *buf, size_t len)
{
	struct lock_holder *all = NULL;
	size_t count = 0, cap = 0;
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct lock_holder *h = NULL;
		size_t hn = 0;

		ret = lock_holders(files[i].st_dev, files[i].st_ino, &h, &hn);
		for (size_t j = 0; ret == 0 && j < hn; j++)
			ret = push(&all, &count, &cap, &h[j]);
		free(h);
	}
	if (ret < 0)
		snprintf(buf, len, "unknown processes");
	else
		lock_holders_describe(all, count, buf, len);
	free(all);
}

void lock_holders_describe_paths(const char *const *paths, size_t n, char *buf, size_t len)
{
	struct stat *files = calloc(n ? n : 1, sizeof(*files));
	size_t found = 0;

	if (!files) {
		snprintf(buf, len, "unknown processes");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (stat(paths[i], &files[found]) == 0)
			found++;
	lock_holders_describe_files(files, found, buf, len);
	free(files);
}

bool lock_holder_is_intent(const struct lock_holder *h)
{
	return h->start == (unsigned long long)SNPCERT_INTENT_OFFSET;
}
