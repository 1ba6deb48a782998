// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A simulated host around the SEV device, for LD_PRELOAD: the kernel's
 * cpuid and msr devices, answered from files of a test tree (/dev/kvm is
 * kvm.so's, which reads TREE/dev/kvm when FAKE_KVM names it).
 *
 *   LD_PRELOAD=.../tests/fakes/host.so FAKE_HOST_ROOT=tree snp-certctl check
 *
 * open()/openat() (and their 64-bit and fortified variants) of
 * /dev/cpu/N/cpuid and /dev/cpu/N/msr read TREE/dev/cpu/N/cpuid or
 * TREE/dev/cpu/N/msr instead (missing: the open fails with ENOENT, as on a
 * host without the module) and return a descriptor of /dev/null that the
 * fake remembers with what the file said; pread() on it answers as the
 * device would.  Everything else goes to the real functions, so this fake
 * stacks with sev.so and kvm.so (LD_PRELOAD="host.so kvm.so sev.so").
 * Without FAKE_HOST_ROOT it does nothing.
 *
 * /sys/module is not redirected: libkmod reads it with calls of its own
 * (stat, opendir), so the tests bind a tree over /sys/module in a private
 * mount namespace instead (tests/cli/host.bash), kvm_amd's sev_snp
 * parameter included.
 *
 * The files hold lines (numbers hex with 0x, or decimal):
 *   cpuid:  LEAF EAX EBX ECX EDX   what CPUID LEAF (subleaf 0) answers;
 *                                  a leaf not listed answers zeros
 *   msr:    MSR VALUE              what RDMSR answers; an MSR not listed:
 *                                  pread fails with EIO, as the kernel says
 *                                  of an MSR the CPU does not have
 *   any:    open_errno=N           opening fails with errno N (13: EACCES)
 * Every open and answer appends one line to FAKE_HOST_LOG (when set):
 *   <pid> <cpuid|msr> <open|pread OFFSET> <ok|errno=NAME>
 */
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>

#define FAKE "fake-host"
#include "preload.h"

#define MAX_FDS 4096
#define MAX_ROWS 64

enum kind { NONE = 0, CPUID, MSR };

struct row {
	uint64_t key;
	uint64_t v[4];
};

/* What an open descriptor of ours said. */
struct fake_fd {
	enum kind kind;
	struct row rows[MAX_ROWS];
	int n;
};

static struct fake_fd *fds[MAX_FDS];

typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*close_fn)(int);

static const char *kind_name(enum kind k)
{
	return k == CPUID ? "cpuid" : "msr";
}

static void log_line(enum kind k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fake_vlog("FAKE_HOST_LOG", kind_name(k), fmt, ap);
	va_end(ap);
}

/* Which device path is this, and where in the tree is it?  NONE: not ours. */
static enum kind classify(const char *path, char *out, size_t len)
{
	const char *root = getenv("FAKE_HOST_ROOT");
	const char *p = path;
	enum kind k = NONE;

	if (!root || !*root || !path)
		return NONE;
	if (strncmp(path, "/dev/cpu/", 9) == 0) {
		p = path + 9;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == path + 9)
			return NONE;
		if (strcmp(p, "/cpuid") == 0)
			k = CPUID;
		else if (strcmp(p, "/msr") == 0)
			k = MSR;
		else
			return NONE;
	} else {
		return NONE;
	}
	snprintf(out, len, "%s%s", root, path);
	return k;
}

/* Parse the tree's file into f: 0, or the errno opening the device fails with. */
static int load(const char *file, struct fake_fd *f)
{
	char line[256];
	FILE *in = fopen(file, "re");
	int e = 0;

	if (!in)
		return errno;
	while (fgets(line, sizeof(line), in)) {
		struct row *r = &f->rows[f->n];
		char *s = line, *end;
		int i = 0;

		if (strncmp(line, "open_errno=", 11) == 0) {
			e = (int)strtol(line + 11, NULL, 0);
			continue;
		}
		r->key = strtoull(s, &end, 0);
		if (end == s || f->n == MAX_ROWS)
			continue;
		for (s = end; i < 4; i++, s = end) {
			r->v[i] = strtoull(s, &end, 0);
			if (end == s)
				break;
		}
		f->n++;
	}
	fclose(in);
	return e;
}

static int fake_open(enum kind k, const char *file, int flags)
{
	struct fake_fd *f = calloc(1, sizeof(*f));
	int e, fd;

	if (!f) {
		errno = ENOMEM;
		return -1;
	}
	f->kind = k;
	e = load(file, f);
	if (e) {
		free(f);
		log_line(k, "open errno=%s", fake_errname(e));
		errno = e;
		return -1;
	}
	fd = ((fake_open_fn)fake_next("open"))("/dev/null", (flags & O_ACCMODE) | (flags & O_CLOEXEC));
	if (fd < 0 || fd >= MAX_FDS) {
		if (fd >= 0)
			((close_fn)fake_next("close"))(fd);
		free(f);
		errno = EMFILE;
		return -1;
	}
	free(fds[fd]);
	fds[fd] = f;
	log_line(k, "open ok");
	return fd;
}

static const struct row *find(const struct fake_fd *f, uint64_t key)
{
	for (int i = 0; i < f->n; i++)
		if (f->rows[i].key == key)
			return &f->rows[i];
	return NULL;
}

static ssize_t fake_pread(struct fake_fd *f, void *buf, size_t len, off_t off)
{
	const struct row *r = find(f, (uint64_t)off & 0xffffffffu);
	uint32_t regs[4] = { 0 };
	uint64_t v;

	if (f->kind == CPUID) {
		/* As the kernel's cpuid_read(): 16 bytes, eax ebx ecx edx. */
		if (len < sizeof(regs)) {
			errno = EINVAL;
			return -1;
		}
		for (int i = 0; r && i < 4; i++)
			regs[i] = (uint32_t)r->v[i];
		memcpy(buf, regs, sizeof(regs));
		log_line(CPUID, "pread 0x%llx ok", (unsigned long long)off);
		return sizeof(regs);
	}
	if (f->kind != MSR || len < sizeof(v)) {
		errno = EINVAL;
		return -1;
	}
	if (!r) {
		log_line(MSR, "pread 0x%llx errno=EIO", (unsigned long long)off);
		errno = EIO;
		return -1;
	}
	v = r->v[0];
	memcpy(buf, &v, sizeof(v));
	log_line(MSR, "pread 0x%llx ok", (unsigned long long)off);
	return sizeof(v);
}

static struct fake_fd *ours(int fd)
{
	return fd >= 0 && fd < MAX_FDS ? fds[fd] : NULL;
}

/* An absolute path, or one relative to the working directory, is ours to judge. */
static enum kind at_classify(int dirfd, const char *path, char *out, size_t len)
{
	if (!path || (path[0] != '/' && dirfd != AT_FDCWD))
		return NONE;
	return classify(path, out, len);
}

/* For preload.h's open entry points: the cpuid and msr devices are ours. */
static int fake_claim(int dirfd, const char *path, int flags)
{
	char file[4096];
	enum kind k = at_classify(dirfd, path, file, sizeof(file));

	return k == NONE ? FAKE_NOT_OURS : fake_open(k, file, flags);
}

FAKE_WRAP_OPENS()

#define WRAP_PREAD(name)                                                                    \
	__attribute__((visibility("default"))) ssize_t name(int fd, void *buf, size_t len,  \
							    off_t off)                      \
	{                                                                                   \
		struct fake_fd *f = ours(fd);                                               \
		if (f)                                                                      \
			return fake_pread(f, buf, len, off);                                \
		return ((pread_fn)fake_next(#name))(fd, buf, len, off);                          \
	}
WRAP_PREAD(pread)
WRAP_PREAD(pread64)

__attribute__((visibility("default"))) int ioctl(int fd, unsigned long request, ...)
{
	struct fake_fd *f = ours(fd);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (f) {
		errno = ENOTTY; /* the cpuid and msr devices have no ioctls */
		return -1;
	}
	return ((ioctl_fn)fake_next("ioctl"))(fd, request, arg);
}

__attribute__((visibility("default"))) int close(int fd)
{
	struct fake_fd *f = ours(fd);

	if (f) {
		fds[fd] = NULL;
		free(f);
	}
	return ((close_fn)fake_next("close"))(fd);
}
