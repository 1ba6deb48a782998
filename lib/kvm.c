/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VMM's side of Linux 7.0's certificate exit: serve one
 * KVM_EXIT_SNP_REQ_CERTS from the table (on the read side's lock and read),
 * the ret KVM wants for it, and the probe and enable ioctls.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm-uapi.h"
#include "snpcert-internal.h"

#define SC_PAGE 4096u
/* What a guest is handed when there is no file: the terminator alone. */
#define SC_EMPTY_TABLE_LEN 24u

/* A missing file: the empty table, as KVM hands guests when no file is in use. */
static int req_certs_empty(void *buf, size_t len, uint64_t *npages_needed)
{
	if (len < SC_EMPTY_TABLE_LEN) {
		if (npages_needed)
			*npages_needed = snpcert_npages(SC_EMPTY_TABLE_LEN);
		return -ENOSPC;
	}
	memset(buf, 0, len);
	return 0;
}

SNPCERT_EXPORT int snpcert_req_certs(struct snpcert_file *f, void *buf, uint64_t npages,
				     int timeout_ms, uint64_t *npages_needed)
{
	size_t len, size = 0;
	int ret;

	if (!f || (!buf && npages) || timeout_ms < 0 || npages > SIZE_MAX / SC_PAGE)
		return -EINVAL;
	len = (size_t)npages * SC_PAGE;
	ret = snpcert_lock_shared(f, (unsigned int)timeout_ms);
	if (ret == -ENOENT)
		return req_certs_empty(buf, len, npages_needed);
	if (ret == -ETIMEDOUT)
		return -EAGAIN;
	if (ret < 0)
		return ret;
	ret = snpcert_read(f, buf, len, &size);
	if (ret < 0) {
		snpcert_unlock(f);
		if (ret == -ENOSPC && npages_needed)
			*npages_needed = snpcert_npages(size);
		return ret;
	}
	memset((unsigned char *)buf + size, 0, len - size);
	return 0;
}

SNPCERT_EXPORT uint64_t snpcert_req_certs_ret(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case -ENOSPC:
		return ENOSPC;
	case -EAGAIN:
		return EAGAIN;
	}
	return EIO;
}

SNPCERT_EXPORT int snpcert_kvm_probe(int kvm_fd)
{
	struct sc_kvm_device_attr attr = {
		.group = SC_KVM_X86_GRP_SEV,
		.attr = SC_KVM_X86_SEV_SNP_REQ_CERTS,
	};

	if (kvm_fd < 0)
		return -EBADF;
	return ioctl(kvm_fd, SC_KVM_HAS_DEVICE_ATTR, &attr) < 0 ? -errno : 0;
}

SNPCERT_EXPORT int snpcert_kvm_enable(int vm_fd, int sev_fd)
{
	struct sc_kvm_sev_cmd cmd = {
		.id = SC_KVM_SEV_SNP_ENABLE_REQ_CERTS,
		.sev_fd = (uint32_t)sev_fd,
	};

	if (vm_fd < 0)
		return -EBADF;
	return ioctl(vm_fd, SC_KVM_MEMORY_ENCRYPT_OP, &cmd) < 0 ? -errno : 0;
}
