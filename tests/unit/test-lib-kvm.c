/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsnpcert, the KVM certificate exit: snpcert_req_certs() (exact ENOSPC
 * page counts, the lock held on success and only then, the buffer's rest
 * zeroed, busy within the timeout, malformed and missing files),
 * snpcert_req_certs_ret(), and the kernel constants against Debian's
 * <linux/kvm.h> where it has them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kvm-uapi.h"
#include "snpcert.h"
#include "snpcert-internal.h"
#include "tap.h"

/* What Debian 12's headers (Linux 6.1) already have must agree with ours. */
_Static_assert(SC_KVM_HAS_DEVICE_ATTR == KVM_HAS_DEVICE_ATTR, "KVM_HAS_DEVICE_ATTR");
_Static_assert(SC_KVM_MEMORY_ENCRYPT_OP == KVM_MEMORY_ENCRYPT_OP, "KVM_MEMORY_ENCRYPT_OP");
_Static_assert(sizeof(struct sc_kvm_device_attr) == sizeof(struct kvm_device_attr), "device_attr");
_Static_assert(sizeof(struct sc_kvm_sev_cmd) == sizeof(struct kvm_sev_cmd), "kvm_sev_cmd");
_Static_assert(offsetof(struct sc_kvm_sev_cmd, data) == offsetof(struct kvm_sev_cmd, data),
	       "kvm_sev_cmd.data");
_Static_assert(offsetof(struct sc_kvm_sev_cmd, sev_fd) == offsetof(struct kvm_sev_cmd, sev_fd),
	       "kvm_sev_cmd.sev_fd");
_Static_assert(offsetof(struct kvm_run, hw) == SC_KVM_RUN_EXIT_OFFSET, "kvm_run's exit union");
_Static_assert(sizeof(((struct kvm_run *)0)->padding) >= sizeof(struct snpcert_kvm_req_certs),
	       "the exit fits the union");
/* The last exit Debian's headers know is below ours. */
_Static_assert(KVM_EXIT_RISCV_CSR < SNPCERT_KVM_EXIT_SNP_REQ_CERTS, "a new exit number");

static char dir[64], path[128];

static int put_file(const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = len ? write(fd, buf, len) : 0;
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* A valid table of exactly size bytes: empty (24) or one opaque entry (49 and up). */
static uint8_t *table_of(size_t size)
{
	uint8_t *t = calloc(1, size);
	uint32_t off = 48, len = (uint32_t)(size - 48);

	if (!t || size == 24)
		return t;
	for (int i = 0; i < 16; i++)
		t[i] = (uint8_t)(0x51 + i);
	memcpy(t + 16, &off, 4);
	memcpy(t + 20, &len, 4);
	for (size_t i = 48; i < size; i++)
		t[i] = (uint8_t)(i * 7 + 1);
	return t;
}

/* Does some other open file description hold a lock on path?  (Can we not write-lock it?) */
static int locked_by_other(void)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = sc_ofd(fd, F_OFD_SETLK, F_WRLCK, 0, 0) < 0;
	close(fd);
	return ret;
}

static void test_ret(void)
{
	CHECK_EQ(snpcert_req_certs_ret(0), 0, "ret: 0 -> 0");
	CHECK_EQ(snpcert_req_certs_ret(-ENOSPC), ENOSPC, "ret: -ENOSPC -> ENOSPC");
	CHECK_EQ(snpcert_req_certs_ret(-EAGAIN), EAGAIN, "ret: -EAGAIN -> EAGAIN");
	CHECK_EQ(snpcert_req_certs_ret(-EBADMSG), EIO, "ret: -EBADMSG -> EIO");
	CHECK_EQ(snpcert_req_certs_ret(-ETIMEDOUT), EIO, "ret: -ETIMEDOUT -> EIO");
	CHECK_EQ(snpcert_req_certs_ret(-ENOENT), EIO, "ret: -ENOENT -> EIO");
	CHECK_EQ(snpcert_req_certs_ret(ENOSPC), EIO, "ret: a positive value -> EIO");
}

/* One size: too small by a page gives the exact count; exact gives the table, locked. */
static void test_size(size_t size)
{
	uint64_t want = size / 4096 + (size % 4096 != 0), need = 999;
	struct snpcert_file *f = NULL;
	uint8_t *t = table_of(size), *buf;
	char name[96];
	int ret;

	buf = malloc((want + 1) * 4096);
	if (!t || !buf || put_file(t, size) < 0 || snpcert_open(path, &f) < 0) {
		CHECK(0, "set up a table");
		goto out;
	}
	ret = snpcert_req_certs(f, buf, want - 1, 100, &need);
	snprintf(name, sizeof(name), "size %zu, %llu pages: -ENOSPC", size,
		 (unsigned long long)(want - 1));
	CHECK_EQ(ret, -ENOSPC, name);
	snprintf(name, sizeof(name), "size %zu: %llu pages needed", size, (unsigned long long)want);
	CHECK_EQ(need, want, name);
	CHECK_EQ(locked_by_other(), 0, "no lock held after -ENOSPC");

	memset(buf, 0xaa, (want + 1) * 4096);
	ret = snpcert_req_certs(f, buf, want + 1, 100, &need);
	snprintf(name, sizeof(name), "size %zu, %llu pages: 0", size, (unsigned long long)want + 1);
	CHECK_EQ(ret, 0, name);
	CHECK(memcmp(buf, t, size) == 0, "the table was copied");
	ret = 1;
	for (size_t i = size; i < (want + 1) * 4096; i++)
		ret &= buf[i] == 0;
	CHECK(ret, "the rest of npages * 4096 bytes is zeroed");
	CHECK_EQ(locked_by_other(), 1, "the shared lock is still held after 0");
	CHECK_EQ(snpcert_lock_shared(f, 0), -EALREADY, "by this handle");
	CHECK_EQ(snpcert_unlock(f), 0, "snpcert_unlock");
	CHECK_EQ(locked_by_other(), 0, "and released by snpcert_unlock");
out:
	snpcert_close(f);
	free(buf);
	free(t);
}

static void test_busy(void)
{
	struct snpcert_file *f = NULL;
	uint8_t *t = table_of(100), buf[4096];
	uint64_t t0, need = 7;
	int wfd, ret;

	if (!t || put_file(t, 100) < 0 || snpcert_open(path, &f) < 0) {
		CHECK(0, "set up a table");
		goto out;
	}
	wfd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(wfd >= 0 && sc_ofd(wfd, F_OFD_SETLK, F_WRLCK, 0, 0) == 0, "a writer holds the lock");
	t0 = sc_now_ns();
	ret = snpcert_req_certs(f, buf, 1, 0, &need);
	CHECK_EQ(ret, -EAGAIN, "busy, timeout 0: -EAGAIN");
	t0 = sc_now_ns();
	ret = snpcert_req_certs(f, buf, 1, 60, &need);
	t0 = sc_now_ns() - t0;
	CHECK_EQ(ret, -EAGAIN, "busy, timeout 60 ms: -EAGAIN (not -ETIMEDOUT)");
	CHECK(t0 >= 60000000u && t0 < 1000000000u, "within the timeout, not long after");
	CHECK_EQ(need, 7, "npages_needed untouched");
	/* The writer's intent byte alone (announced, waiting): readers back off too. */
	sc_ofd(wfd, F_OFD_SETLK, F_UNLCK, 0, 0);
	sc_ofd(wfd, F_OFD_SETLK, F_WRLCK, SNPCERT_INTENT_OFFSET, 1);
	CHECK_EQ(snpcert_req_certs(f, buf, 1, 20, &need), -EAGAIN, "an announced writer: -EAGAIN");
	close(wfd);
	CHECK_EQ(snpcert_req_certs(f, buf, 1, 0, &need), 0, "the writer gone: 0");
	CHECK_EQ(snpcert_unlock(f), 0, "unlock");
out:
	snpcert_close(f);
	free(t);
}

static void test_bad_and_missing(void)
{
	struct snpcert_file *f = NULL;
	uint8_t buf[8192], empty[24] = { 0 }, *t = table_of(200);
	uint64_t need = 0;
	int ret;

	if (!t || put_file(t, 200) < 0 || snpcert_open(path, &f) < 0) {
		CHECK(0, "set up a table");
		goto out;
	}
	/* Torn as a tool outside the protocol leaves it (truncated, no lock). */
	CHECK(truncate(path, 150) == 0, "truncate the table");
	CHECK_EQ(snpcert_req_certs(f, buf, 1, 0, &need), -EBADMSG, "a torn table: -EBADMSG");
	CHECK_EQ(locked_by_other(), 0, "no lock held after -EBADMSG");
	CHECK(truncate(path, 0) == 0, "an empty file");
	CHECK_EQ(snpcert_req_certs(f, buf, 1, 0, &need), -EBADMSG, "a 0-byte file: -EBADMSG");

	CHECK(put_file(empty, sizeof(empty)) == 0, "the empty table");
	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(snpcert_req_certs(f, buf, 2, 0, &need), 0, "the empty table: 0");
	ret = 1;
	for (size_t i = 0; i < sizeof(buf); i++)
		ret &= buf[i] == 0;
	CHECK(ret, "the empty table: the buffer is all zeros");
	CHECK_EQ(locked_by_other(), 1, "the empty table: locked");
	snpcert_unlock(f);
	CHECK_EQ(snpcert_req_certs(f, buf, 0, 0, &need), -ENOSPC, "the empty table, 0 pages");
	CHECK_EQ(need, 1, "needs 1 page");

	CHECK(unlink(path) == 0, "remove the file");
	memset(buf, 0xaa, sizeof(buf));
	need = 0;
	CHECK_EQ(snpcert_req_certs(f, buf, 2, 0, &need), 0, "a missing file: 0");
	ret = 1;
	for (size_t i = 0; i < sizeof(buf); i++)
		ret &= buf[i] == 0;
	CHECK(ret, "a missing file: the empty table (all zeros)");
	CHECK_EQ(snpcert_unlock(f), 0, "a missing file: unlock is fine");
	CHECK_EQ(snpcert_req_certs(f, NULL, 0, 0, &need), -ENOSPC, "a missing file, 0 pages");
	CHECK_EQ(need, 1, "a missing file needs 1 page");
	CHECK(put_file(t, 200) == 0, "the file is back");
	CHECK_EQ(snpcert_req_certs(f, buf, 1, 0, &need), 0, "a file back at the path: 0");
	CHECK(memcmp(buf, t, 200) == 0, "its table");
	snpcert_unlock(f);

	CHECK_EQ(snpcert_req_certs(NULL, buf, 1, 0, &need), -EINVAL, "NULL handle");
	CHECK_EQ(snpcert_req_certs(f, NULL, 1, 0, &need), -EINVAL, "NULL buffer");
	CHECK_EQ(snpcert_req_certs(f, buf, 1, -1, &need), -EINVAL, "negative timeout");
	CHECK_EQ(snpcert_req_certs(f, buf, UINT64_MAX / 4096 + 1, 0, &need), -EINVAL,
		 "npages * 4096 overflows");
	CHECK_EQ(snpcert_req_certs(f, buf, 1, 0, NULL), 0, "npages_needed may be NULL");
	CHECK_EQ(snpcert_req_certs(f, buf, 1, 0, NULL), -EALREADY, "already locked: -EALREADY");
	CHECK_EQ(locked_by_other(), 1, "the first lock still held");
	snpcert_unlock(f);
out:
	snpcert_close(f);
	free(t);
}

static void test_ioctls(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	CHECK_EQ(snpcert_kvm_probe(-1), -EBADF, "probe: no descriptor");
	CHECK_EQ(snpcert_kvm_enable(-1, -1), -EBADF, "enable: no descriptor");
	CHECK_EQ(snpcert_kvm_probe(fd), -ENOTTY, "probe: not KVM: the ioctl's errno");
	CHECK_EQ(snpcert_kvm_enable(fd, -1), -ENOTTY, "enable: not KVM: the ioctl's errno");
	close(fd);
}

int main(void)
{
	static const size_t sizes[] = { 24, 49, 4095, 4096, 4097, 8192, 12288, 16384, 16385 };

	snprintf(dir, sizeof(dir), "/tmp/snpcert-kvm.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/t.certs", dir);
	test_ret();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		test_size(sizes[i]);
	test_busy();
	test_bad_and_missing();
	test_ioctls();
	unlink(path);
	rmdir(dir);
	return tap_done();
}
