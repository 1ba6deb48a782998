// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A simulated KVM behind /dev/kvm, for LD_PRELOAD, with an SEV-SNP guest
 * that asks for certificates (Linux 7.0's KVM_EXIT_SNP_REQ_CERTS).
 *
 *   LD_PRELOAD=.../tests/fakes/kvm.so FAKE_KVM=kvm.conf FAKE_KVM_GUEST="0 1 2 4" vmm
 *
 * open()/openat() (and the 64-bit and fortified variants) of /dev/kvm
 * return a descriptor of a memfd that the fake remembers; its ioctls answer
 * as KVM does.  Without FAKE_KVM the fake does nothing at all; a missing
 * FAKE_KVM file: opening /dev/kvm fails with ENOENT (no kvm module).
 * It stacks with sev.so and host.so.
 *
 * FAKE_KVM holds lines:
 *   has_attr GROUP ATTR  KVM_HAS_DEVICE_ATTR of that group and attribute
 *                        succeeds; any other: ENXIO (kvm_x86_dev_has_attr)
 *   open_errno=N         opening /dev/kvm fails with errno N (13: EACCES)
 * The ioctls: on /dev/kvm KVM_GET_API_VERSION (12), KVM_CHECK_EXTENSION (0),
 * KVM_GET_VCPU_MMAP_SIZE, KVM_HAS_DEVICE_ATTR, KVM_CREATE_VM (a VM fd); on
 * a VM KVM_SET_USER_MEMORY_REGION (slot 0 only), KVM_MEMORY_ENCRYPT_OP
 * with KVM_SEV_SNP_ENABLE_REQ_CERTS (103; EINVAL once a vCPU exists or
 * for a VM not of type KVM_X86_SNP_VM, 4; any other command: EINVAL),
 * KVM_CREATE_VCPU; on a vCPU (mmap it at 0 for its struct kvm_run) KVM_RUN.
 *
 * The guest.  FAKE_KVM_GUEST lists its extended guest requests by the pages
 * it offers for the certificates (e.g. "0 1 2 4"; default "1"), its buffer
 * at guest physical 0x10000.  FAKE_KVM_GUEST_SECONDS=S repeats the list until
 * S seconds have passed.  It behaves as a Linux guest: after ENOSPC it
 * asks again with the pages KVM put in RBX, after EAGAIN it asks again,
 * after success or EIO it goes on to the next request.  With the exit
 * enabled each request is one KVM_EXIT_SNP_REQ_CERTS (exit 43, kvm_run's
 * union: gpa, npages, ret = 0); the next KVM_RUN completes it as KVM's
 * snp_complete_req_certs() does:
 *   ret 0       the firmware gets the request (SNP_GUEST_REQUEST) now: the
 *               fake records whether the caller holds a shared OFD lock on
 *               FAKE_KVM_CERTS (its /proc/self/fdinfo lock: lines), whether
 *               a writer holds a lock on it (F_OFD_GETLK from a descriptor of
 *               its own), the key the fake firmware signs with (reported_tcb,
 *               chip_id, vlek_loaded, vlek_sha256 of FAKE_SEV_STATE, read
 *               under sev.so's lock), and the table in the guest's buffer
 *               (FNV-1a 64 of its bytes; FAKE_KVM_DUMP=DIR: DIR/<hash>.certs);
 *               the guest sees SW_EXITINFO2 0.  FAKE_KVM_FIRMWARE_US=N: the
 *               request takes N microseconds (below a second) to get there;
 *   ENOSPC      SW_EXITINFO2 0x0000000100000000, RBX = kvm_run's npages;
 *   EAGAIN      SW_EXITINFO2 0x0000000200000000;
 *   EIO         SW_EXITINFO2 0xffffffff00000000;
 *   other       KVM_RUN fails with EINVAL (the request is dropped).
 * Then, with kvm_run->immediate_exit set, KVM_RUN returns EINTR at once;
 * otherwise the next exit follows.  Without the exit enabled KVM serves a
 * request itself: the empty table, firmware at once.  When the guest has no
 * more requests: KVM_EXIT_SHUTDOWN.
 *
 * Every event appends one line to FAKE_KVM_LOG (when set), after
 * "<epoch seconds.nanoseconds> <pid> kvm ":
 *   open ok|errno=NAME
 *   KVM_HAS_DEVICE_ATTR G A ok|errno=ENXIO
 *   KVM_CREATE_VM type=N | KVM_CREATE_VCPU N | ENABLE_REQ_CERTS ok|errno=EINVAL
 *   EXIT req=N gpa=0x... npages=P
 *   FIRMWARE req=N shared_lock=0|1 writer_lock=0|1 table=HASH len=L
 *            reported_tcb=0x... chip_id=HEX vlek=0|1 vlek_sha256=HEX|-
 *   GUEST req=N ret=R exitinfo2=0x... rax=0x... rbx=N [table=HASH]
 *   KVM_RUN errno=EINVAL ret=R | KVM_RUN errno=EINTR | SHUTDOWN
 * (shared_lock and writer_lock are -1 without FAKE_KVM_CERTS.)
 */
#undef _FORTIFY_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#define FAKE "fake-kvm"
#include "preload.h"

/* The new ABI, written out by hand so the library's definitions are checked, not copied. */
#define FAKE_KVM_HAS_DEVICE_ATTR 0x4018aee3UL    /* _IOW(0xAE, 0xe3, 24 bytes) */
#define FAKE_KVM_MEMORY_ENCRYPT_OP 0xc008aebaUL  /* _IOWR(0xAE, 0xba, unsigned long) */
#define FAKE_SEV_SNP_ENABLE_REQ_CERTS 103
#define FAKE_EXIT_SNP_REQ_CERTS 43
#define FAKE_X86_SNP_VM 4
#define EXIT_UNION 32 /* struct kvm_exit_snp_req_certs { u64 gpa, npages, ret; } */
#define RUN_SIZE 8192
#define GUEST_GPA 0x10000ull
#define MAX_FDS 4096
#define MAX_ROWS 64
#define MAX_REQS 64
#define MAX_RETRIES 100000

enum kind { NONE = 0, SYS, VM, VCPU };

struct vm {
	int refs;           /* the VM's descriptor and its vCPUs' */
	int type;
	bool enabled;
	int vcpus;
	uint64_t mem_gpa, mem_size;
	uint8_t *mem;
};

struct fake_fd {
	enum kind kind;
	uint64_t attrs[MAX_ROWS][2];
	int nattrs;
	struct vm *vm;      /* VM and VCPU */
	uint8_t *run;       /* VCPU: our mapping of its kvm_run */
	/* VCPU: the guest */
	uint64_t reqs[MAX_REQS];
	int nreqs, req, round, retries;
	uint64_t npages;    /* of the current request */
	bool pending;       /* an exit awaits its completion */
	double until;
};

static struct fake_fd *fds[MAX_FDS];

typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*close_fn)(int);

static void log_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fake_vlog("FAKE_KVM_LOG", "kvm", fmt, ap);
	va_end(ap);
}

static int fail(int e)
{
	errno = e;
	return -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct fake_fd *ours(int fd)
{
	return fd >= 0 && fd < MAX_FDS ? fds[fd] : NULL;
}

/* A descriptor of ours: a memfd of size bytes (a vCPU's can be mmap'd). */
static int new_fd(enum kind kind, size_t size, struct fake_fd **out)
{
	struct fake_fd *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return fail(ENOMEM);
	fd = memfd_create("fake-kvm", MFD_CLOEXEC);
	if (fd < 0 || fd >= MAX_FDS || (size && ftruncate(fd, (off_t)size) < 0)) {
		if (fd >= 0)
			((close_fn)fake_next("close"))(fd);
		free(f);
		return fail(EMFILE);
	}
	f->kind = kind;
	fds[fd] = f;
	*out = f;
	return fd;
}

/* ---- /dev/kvm ------------------------------------------------------------ */

static bool active(void)
{
	const char *s = getenv("FAKE_KVM");

	return s && *s;
}

static int load_config(struct fake_fd *f)
{
	const char *path = getenv("FAKE_KVM");
	char line[256];
	FILE *in = fopen(path, "re");
	int e = 0;

	if (!in)
		return errno;
	while (fgets(line, sizeof(line), in)) {
		unsigned long long g, a;

		if (strncmp(line, "open_errno=", 11) == 0)
			e = (int)strtol(line + 11, NULL, 0);
		else if (sscanf(line, "has_attr %lli %lli", &g, &a) == 2 && f->nattrs < MAX_ROWS) {
			f->attrs[f->nattrs][0] = g;
			f->attrs[f->nattrs++][1] = a;
		}
	}
	fclose(in);
	return e;
}

static int fake_open(void)
{
	struct fake_fd *f;
	int fd, e;

	fd = new_fd(SYS, 0, &f);
	if (fd < 0)
		return fd;
	e = load_config(f);
	if (e) {
		fds[fd] = NULL;
		free(f);
		((close_fn)fake_next("close"))(fd);
		log_line("open errno=%s", fake_errname(e));
		return fail(e);
	}
	log_line("open ok");
	return fd;
}

static int sys_ioctl(struct fake_fd *f, unsigned long req, void *arg)
{
	if (req == KVM_GET_API_VERSION)
		return 12;
	if (req == KVM_CHECK_EXTENSION)
		return 0;
	if (req == KVM_GET_VCPU_MMAP_SIZE)
		return RUN_SIZE;
	if (req == FAKE_KVM_HAS_DEVICE_ATTR) {
		uint32_t group;
		uint64_t attr;

		memcpy(&group, (const char *)arg + 4, sizeof(group));
		memcpy(&attr, (const char *)arg + 8, sizeof(attr));
		for (int i = 0; i < f->nattrs; i++) {
			if (f->attrs[i][0] == group && f->attrs[i][1] == attr) {
				log_line("KVM_HAS_DEVICE_ATTR %u %llu ok", group,
					 (unsigned long long)attr);
				return 0;
			}
		}
		log_line("KVM_HAS_DEVICE_ATTR %u %llu errno=ENXIO", group, (unsigned long long)attr);
		return fail(ENXIO);
	}
	if (req == KVM_CREATE_VM) {
		struct fake_fd *v;
		int fd = new_fd(VM, 0, &v);

		if (fd < 0)
			return fd;
		v->vm = calloc(1, sizeof(*v->vm));
		if (!v->vm)
			return fail(ENOMEM);
		v->vm->refs = 1;
		v->vm->type = (int)(uintptr_t)arg;
		log_line("KVM_CREATE_VM type=%d", v->vm->type);
		return fd;
	}
	return fail(EINVAL);
}

/* ---- a VM ------------------------------------------------------------------ */

static void guest_init(struct fake_fd *c)
{
	const char *s = getenv("FAKE_KVM_GUEST"), *secs = getenv("FAKE_KVM_GUEST_SECONDS");
	char *end;

	for (s = s ? s : "1"; *s && c->nreqs < MAX_REQS; s = end) {
		unsigned long long n = strtoull(s, &end, 0);

		if (end == s)
			break;
		c->reqs[c->nreqs++] = n;
	}
	c->npages = c->nreqs ? c->reqs[0] : 0;
	c->until = secs ? now_s() + strtod(secs, NULL) : 0;
}

static int vm_ioctl(struct fake_fd *f, unsigned long req, void *arg)
{
	struct vm *vm = f->vm;

	if (req == KVM_SET_USER_MEMORY_REGION) {
		const struct kvm_userspace_memory_region *r = arg;

		if (r->slot != 0)
			return fail(EINVAL);
		vm->mem_gpa = r->guest_phys_addr;
		vm->mem_size = r->memory_size;
		vm->mem = (uint8_t *)(uintptr_t)r->userspace_addr;
		return 0;
	}
	if (req == FAKE_KVM_MEMORY_ENCRYPT_OP) {
		uint32_t id;

		memcpy(&id, arg, sizeof(id));
		if (id != FAKE_SEV_SNP_ENABLE_REQ_CERTS)
			return fail(EINVAL);
		/* snp_enable_certs(): kvm->created_vcpus || !sev_snp_guest(kvm) */
		if (vm->vcpus || vm->type != FAKE_X86_SNP_VM) {
			log_line("ENABLE_REQ_CERTS errno=EINVAL");
			return fail(EINVAL);
		}
		vm->enabled = true;
		log_line("ENABLE_REQ_CERTS ok");
		return 0;
	}
	if (req == KVM_CREATE_VCPU) {
		struct fake_fd *c;
		int fd = new_fd(VCPU, RUN_SIZE, &c);
		void *p;

		if (fd < 0)
			return fd;
		p = mmap(NULL, RUN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return -1;
		c->run = p;
		c->vm = vm;
		vm->vcpus++;
		vm->refs++;
		guest_init(c);
		log_line("KVM_CREATE_VCPU %d", (int)(uintptr_t)arg);
		return fd;
	}
	return fail(EINVAL);
}

/* ---- a vCPU: the guest's requests --------------------------------------- */

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* The table's length in a buffer: its entries up to the terminator, and their data. */
static size_t table_len(const uint8_t *p, size_t len)
{
	size_t end = 0, i;

	for (i = 0; i + 24 <= len; i += 24) {
		static const uint8_t zero[24];
		uint32_t off, n;

		if (memcmp(p + i, zero, 24) == 0)
			break;
		memcpy(&off, p + i + 16, 4);
		memcpy(&n, p + i + 20, 4);
		if ((size_t)off + n > end)
			end = (size_t)off + n;
	}
	if (i + 24 > len)
		return len;
	end = end > i + 24 ? end : i + 24;
	return end > len ? len : end;
}

static uint64_t fnv64(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void dump(const uint8_t *p, size_t len, uint64_t h)
{
	const char *dir = getenv("FAKE_KVM_DUMP");
	char path[4096], tmp[4200];
	FILE *f;

	if (!dir || !*dir)
		return;
	snprintf(path, sizeof(path), "%s/%016llx.certs", dir, (unsigned long long)h);
	if (access(path, F_OK) == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return;
	fwrite(p, 1, len, f);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/* Does this process hold a shared OFD lock on the certificate file (fdinfo lock: lines)? */
static int caller_shared_lock(const struct stat *cert)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = 0;

	if (!d)
		return -1;
	while (!found && (e = readdir(d))) {
		char path[64], line[256];
		struct stat st;
		FILE *f;
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fstat(fd, &st) < 0 || st.st_dev != cert->st_dev ||
		    st.st_ino != cert->st_ino)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "lock:", 5) == 0 && strstr(line, "OFDLCK") &&
			    strstr(line, " READ "))
				found = 1;
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Does a writer hold a lock on the table (below the intent byte)? */
static int writer_lock(const char *path)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0,
			    .l_len = (off_t)1 << 40 };
	int fd = ((fake_open_fn)fake_next("open"))(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = fcntl(fd, F_OFD_GETLK, &fl) < 0 ? -1 : fl.l_type != F_UNLCK;
	((close_fn)fake_next("close"))(fd);
	return ret;
}

/* key=value of the fake firmware's state file (sev.so.c's), into out. */
static void sev_value(const char *state, const char *key, char *out, size_t len)
{
	size_t k = strlen(key);
	const char *p = state;

	snprintf(out, len, "-");
	while (p && *p) {
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(p + k + 1, "\n"), p + k + 1);
			return;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
}

/* The key the fake firmware signs with now: read under sev.so's lock. */
static void firmware_key(char *out, size_t len)
{
	const char *path = getenv("FAKE_SEV_STATE");
	char lockpath[4096], state[16384] = "", tcb[64], chip[300], vlek[8], sha[80];
	int lfd, fd;
	ssize_t n;

	if (!path || !*path) {
		snprintf(out, len, "reported_tcb=- chip_id=- vlek=- vlek_sha256=-");
		return;
	}
	snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
	lfd = ((fake_open_fn)fake_next("open"))(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd >= 0)
		flock(lfd, LOCK_EX);
	fd = ((fake_open_fn)fake_next("open"))(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, state, sizeof(state) - 1);
		state[n > 0 ? n : 0] = '\0';
		((close_fn)fake_next("close"))(fd);
	}
	if (lfd >= 0)
		((close_fn)fake_next("close"))(lfd);
	sev_value(state, "reported_tcb", tcb, sizeof(tcb));
	sev_value(state, "chip_id", chip, sizeof(chip));
	sev_value(state, "vlek_loaded", vlek, sizeof(vlek));
	sev_value(state, "vlek_sha256", sha, sizeof(sha));
	snprintf(out, len, "reported_tcb=%s chip_id=%s vlek=%s vlek_sha256=%s", tcb, chip,
		 strcmp(vlek, "-") ? vlek : "0", sha);
}

/* The guest's buffer in guest memory (the VMM's slot 0), or NULL. */
static uint8_t *guest_buf(struct vm *vm, uint64_t npages)
{
	if (!vm->mem || GUEST_GPA < vm->mem_gpa ||
	    GUEST_GPA - vm->mem_gpa + npages * 4096 > vm->mem_size)
		return NULL;
	return vm->mem + (GUEST_GPA - vm->mem_gpa);
}

/* SNP_GUEST_REQUEST reaches the firmware: what holds at this instant. */
static uint64_t firmware(struct fake_fd *c)
{
	const char *certs = getenv("FAKE_KVM_CERTS"), *delay;
	static const uint8_t empty[24];
	const uint8_t *p = empty;
	struct stat st;
	char key[512];
	size_t len = 24;
	uint64_t h;
	int shared = -1, writer = -1;

	/* The request takes its time to reach the firmware, which signs at the end. */
	delay = getenv("FAKE_KVM_FIRMWARE_US");
	if (delay && *delay) {
		struct timespec ts = { 0, strtol(delay, NULL, 10) * 1000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (c->vm->enabled) {
		p = guest_buf(c->vm, c->npages);
		len = p ? table_len(p, c->npages * 4096) : 0;
		p = p ? p : empty;
	}
	if (certs && *certs && stat(certs, &st) == 0) {
		shared = caller_shared_lock(&st);
		writer = writer_lock(certs);
	}
	firmware_key(key, sizeof(key));
	h = fnv64(p, len);
	dump(p, len, h);
	log_line("FIRMWARE req=%d shared_lock=%d writer_lock=%d table=%016llx len=%zu %s", c->req,
		 shared, writer, (unsigned long long)h, len, key);
	return h;
}

static void next_request(struct fake_fd *c)
{
	c->retries = 0;
	if (++c->req >= c->nreqs && c->until > 0 && now_s() < c->until) {
		c->req = 0;
		c->round++;
	}
	if (c->req < c->nreqs)
		c->npages = c->reqs[c->req];
}

static void guest_sees(struct fake_fd *c, uint64_t ret, uint64_t info2, uint64_t rbx, uint64_t h)
{
	char table[40] = "";

	if (h)
		snprintf(table, sizeof(table), " table=%016llx", (unsigned long long)h);
	log_line("GUEST req=%d ret=%llu exitinfo2=0x%016llx rax=0x%llx rbx=%llu%s", c->req,
		 (unsigned long long)ret, (unsigned long long)info2, (unsigned long long)GUEST_GPA,
		 (unsigned long long)rbx, table);
}

/* The completion of the pending exit (snp_complete_req_certs): 0 or -errno. */
static int complete(struct fake_fd *c)
{
	uint8_t *u = c->run + EXIT_UNION;
	uint64_t ret = get_u64(u + 16), npages = get_u64(u + 8);

	c->pending = false;
	switch (ret) {
	case 0:
		guest_sees(c, ret, 0, c->npages, firmware(c));
		next_request(c);
		return 0;
	case ENOSPC:
		guest_sees(c, ret, 0x0000000100000000ull, npages, 0);
		c->npages = npages; /* the guest asks again with what RBX said */
		break;
	case EAGAIN:
		guest_sees(c, ret, 0x0000000200000000ull, c->npages, 0);
		break;
	case EIO:
		guest_sees(c, ret, 0xffffffff00000000ull, c->npages, 0);
		next_request(c);
		return 0;
	default:
		log_line("KVM_RUN errno=EINVAL ret=%llu", (unsigned long long)ret);
		next_request(c);
		return -EINVAL;
	}
	if (++c->retries > MAX_RETRIES)
		next_request(c);
	return 0;
}

static int vcpu_run(struct fake_fd *c)
{
	struct kvm_run *run = (struct kvm_run *)(void *)c->run;
	uint8_t *u = c->run + EXIT_UNION;
	int ret;

	if (c->pending) {
		ret = complete(c);
		if (ret < 0)
			return fail(-ret);
	}
	if (run->immediate_exit) {
		log_line("KVM_RUN errno=EINTR");
		return fail(EINTR);
	}
	/* Without the exit KVM serves requests itself: the empty table. */
	while (!c->vm->enabled && c->req < c->nreqs) {
		guest_sees(c, 0, 0, c->npages, firmware(c));
		next_request(c);
	}
	if (c->req >= c->nreqs) {
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		log_line("SHUTDOWN");
		return 0;
	}
	run->exit_reason = FAKE_EXIT_SNP_REQ_CERTS;
	put_u64(u, GUEST_GPA);
	put_u64(u + 8, c->npages);
	put_u64(u + 16, 0);
	c->pending = true;
	log_line("EXIT req=%d gpa=0x%llx npages=%llu", c->req, (unsigned long long)GUEST_GPA,
		 (unsigned long long)c->npages);
	return 0;
}

static int fake_ioctl(struct fake_fd *f, unsigned long req, void *arg)
{
	switch (f->kind) {
	case SYS:
		return sys_ioctl(f, req, arg);
	case VM:
		return vm_ioctl(f, req, arg);
	case VCPU:
		if (req == KVM_RUN)
			return vcpu_run(f);
		return fail(EINVAL);
	case NONE:
		break;
	}
	return fail(ENOTTY);
}

/* ---- the intercepted functions ------------------------------------------ */

static bool is_kvm(int dirfd, const char *path)
{
	if (!active() || !path || (path[0] != '/' && dirfd != AT_FDCWD))
		return false;
	return strcmp(path, "/dev/kvm") == 0;
}

/* For preload.h's open entry points: /dev/kvm is ours. */
static int fake_claim(int dirfd, const char *path, int flags)
{
	(void)flags;
	return is_kvm(dirfd, path) ? fake_open() : FAKE_NOT_OURS;
}

FAKE_WRAP_OPENS()

__attribute__((visibility("default"))) int ioctl(int fd, unsigned long request, ...)
{
	struct fake_fd *f = ours(fd);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (f)
		return fake_ioctl(f, request, arg);
	return ((ioctl_fn)fake_next("ioctl"))(fd, request, arg);
}

__attribute__((visibility("default"))) int close(int fd)
{
	struct fake_fd *f = ours(fd);

	if (f) {
		fds[fd] = NULL;
		if (f->run)
			munmap(f->run, RUN_SIZE);
		if (f->vm && --f->vm->refs == 0)
			free(f->vm);
		free(f);
	}
	return ((close_fn)fake_next("close"))(fd);
}
