/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's KVM interface for the certificate exit, carried here because
 * Debian 12's headers (Linux 6.1) lack the new parts.  Every value is the
 * one of Linux 7.0's uapi headers (the series "KVM: SEV: Introduce
 * KVM_EXIT_SNP_REQ_CERTS" / "Add KVM_SEV_SNP_ENABLE_REQ_CERTS command",
 * kvm-x86 commits fa9893fadbc2 and 20c3c4108d58, merged for 7.0):
 *
 *   include/uapi/linux/kvm.h
 *     #define KVMIO 0xAE
 *     #define KVM_HAS_DEVICE_ATTR   _IOW(KVMIO, 0xe3, struct kvm_device_attr)
 *     #define KVM_MEMORY_ENCRYPT_OP _IOWR(KVMIO, 0xba, unsigned long)
 *     struct kvm_device_attr { __u32 flags; __u32 group; __u64 attr; __u64 addr; };
 *     #define KVM_EXIT_ARM_LDST64B   42
 *     #define KVM_EXIT_SNP_REQ_CERTS 43   (the v7 patch mail said 42; 42 went
 *                                          to KVM_EXIT_ARM_LDST64B first)
 *     struct kvm_exit_snp_req_certs { __u64 gpa; __u64 npages; __u64 ret; };
 *     (kvm_run's exit union, which starts at byte 32 of struct kvm_run)
 *   arch/x86/include/uapi/asm/kvm.h
 *     #define KVM_X86_GRP_SEV 1
 *     #  define KVM_X86_SEV_VMSA_FEATURES 0
 *     #  define KVM_X86_SNP_POLICY_BITS   1
 *     #  define KVM_X86_SEV_SNP_REQ_CERTS 2
 *     enum sev_cmd_id { ... KVM_SEV_INIT2, KVM_SEV_SNP_LAUNCH_START = 100,
 *                       KVM_SEV_SNP_LAUNCH_UPDATE, KVM_SEV_SNP_LAUNCH_FINISH,
 *                       KVM_SEV_SNP_ENABLE_REQ_CERTS, ... }    (so 103)
 *     struct kvm_sev_cmd { __u32 id; __u32 pad0; __u64 data; __u32 error; __u32 sev_fd; };
 *
 * The exit's structure and number are public (snpcert.h); the rest is
 * internal.  tests/unit/test-lib-kvm.c checks these against Debian's
 * <linux/kvm.h> where it has them.
 */
#ifndef SNPCERT_KVM_UAPI_H
#define SNPCERT_KVM_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "snpcert.h"

struct sc_kvm_device_attr {
	uint32_t flags;
	uint32_t group;
	uint64_t attr;
	uint64_t addr;
};

struct sc_kvm_sev_cmd {
	uint32_t id;
	uint32_t pad0;
	uint64_t data;
	uint32_t error;
	uint32_t sev_fd;
};

#define SC_KVMIO 0xAE
#define SC_KVM_HAS_DEVICE_ATTR _IOW(SC_KVMIO, 0xe3, struct sc_kvm_device_attr)
#define SC_KVM_MEMORY_ENCRYPT_OP _IOWR(SC_KVMIO, 0xba, unsigned long)
#define SC_KVM_X86_GRP_SEV 1u
#define SC_KVM_X86_SEV_SNP_REQ_CERTS 2u
#define SC_KVM_SEV_SNP_LAUNCH_START 100u
#define SC_KVM_SEV_SNP_ENABLE_REQ_CERTS (SC_KVM_SEV_SNP_LAUNCH_START + 3u)
/* Where kvm_run's exit union starts (after 8+4+4+8+8 bytes of header). */
#define SC_KVM_RUN_EXIT_OFFSET 32u

_Static_assert(sizeof(struct sc_kvm_device_attr) == 24, "struct kvm_device_attr");
_Static_assert(offsetof(struct sc_kvm_device_attr, group) == 4, "kvm_device_attr.group");
_Static_assert(offsetof(struct sc_kvm_device_attr, attr) == 8, "kvm_device_attr.attr");
_Static_assert(offsetof(struct sc_kvm_device_attr, addr) == 16, "kvm_device_attr.addr");
_Static_assert(sizeof(struct sc_kvm_sev_cmd) == 24, "struct kvm_sev_cmd");
_Static_assert(offsetof(struct sc_kvm_sev_cmd, data) == 8, "kvm_sev_cmd.data");
_Static_assert(offsetof(struct sc_kvm_sev_cmd, error) == 16, "kvm_sev_cmd.error");
_Static_assert(offsetof(struct sc_kvm_sev_cmd, sev_fd) == 20, "kvm_sev_cmd.sev_fd");
_Static_assert(SC_KVM_HAS_DEVICE_ATTR == 0x4018aee3ul, "KVM_HAS_DEVICE_ATTR");
_Static_assert(SC_KVM_MEMORY_ENCRYPT_OP == 0xc008aebaul, "KVM_MEMORY_ENCRYPT_OP");
_Static_assert(SC_KVM_SEV_SNP_ENABLE_REQ_CERTS == 103, "KVM_SEV_SNP_ENABLE_REQ_CERTS");
_Static_assert(SNPCERT_KVM_EXIT_SNP_REQ_CERTS == 43, "KVM_EXIT_SNP_REQ_CERTS");
_Static_assert(sizeof(struct snpcert_kvm_req_certs) == 24, "struct kvm_exit_snp_req_certs");
_Static_assert(offsetof(struct snpcert_kvm_req_certs, gpa) == 0, "kvm_exit_snp_req_certs.gpa");
_Static_assert(offsetof(struct snpcert_kvm_req_certs, npages) == 8,
	       "kvm_exit_snp_req_certs.npages");
_Static_assert(offsetof(struct snpcert_kvm_req_certs, ret) == 16, "kvm_exit_snp_req_certs.ret");

#endif
