/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * example-vmm: a VMM's run loop on Linux 7.0's certificate exit, with
 * libsnpcert.  Build against the installed library with
 *
 *     cc example-vmm.c $(pkg-config --cflags --libs snpcert)
 *
 * example-vmm FILE
 *
 * Opens /dev/kvm, checks that the kernel has the exit, creates an SNP VM
 * with guest memory, enables the exit (before any vCPU), creates a vCPU,
 * maps its kvm_run and runs it until the guest shuts down, serving every
 * KVM_EXIT_SNP_REQ_CERTS from the certificate table FILE (lock timeout
 * 100 ms, as QEMU's).  The SNP launch itself (KVM_SEV_INIT2,
 * KVM_SEV_SNP_LAUNCH_*) is left out.  handle_req_certs() is the code
 * libsnpcert(3) shows.  Exits 0 when the guest shut down, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "snpcert.h"

/* arch/x86/include/uapi/asm/kvm.h (Linux 6.11): the VM type of SNP guests. */
#define EXAMPLE_X86_SNP_VM 4
#define GUEST_MEM (1u << 20)

static uint8_t *guest_mem;

/* The host address of guest physical [gpa, gpa + npages * 4096), or NULL. */
static void *gpa_to_hva(uint64_t gpa, uint64_t npages)
{
	if (npages > GUEST_MEM / 4096 || gpa > GUEST_MEM - npages * 4096)
		return NULL;
	return guest_mem + gpa;
}

/* One KVM_EXIT_SNP_REQ_CERTS: 0, or -1 when the vCPU cannot go on. */
static int handle_req_certs(int vcpu, struct kvm_run *run, struct snpcert_file *certs)
{
	struct snpcert_kvm_req_certs *req = SNPCERT_KVM_REQ_CERTS(run);
	void *buf = gpa_to_hva(req->gpa, req->npages);
	uint64_t need = 0;
	int rc, r;

	/* The table into the guest's pages, under the shared lock (kept on success). */
	rc = buf ? snpcert_req_certs(certs, buf, req->npages, 100, &need) : -EFAULT;
	req->ret = snpcert_req_certs_ret(rc);
	if (rc == -ENOSPC)
		req->npages = need;        /* KVM hands it to the guest in RBX */
	if (rc != 0)
		return 0;                  /* the next KVM_RUN tells the guest */
	/*
	 * Still locked: KVM sends the request to the firmware on re-entry, and
	 * immediate_exit brings the vCPU straight back (-EINTR), so the lock
	 * covers the instant the firmware signs.  Only then unlock.
	 */
	run->immediate_exit = 1;
	r = ioctl(vcpu, KVM_RUN, 0);
	rc = r < 0 ? -errno : 0;
	run->immediate_exit = 0;
	snpcert_unlock(certs);
	if (rc != -EINTR) {
		fprintf(stderr, "example-vmm: KVM_RUN: %s\n", rc ? strerror(-rc) : "no -EINTR");
		return -1;
	}
	return 0;
}

static int run_vcpu(int vcpu, struct kvm_run *run, struct snpcert_file *certs)
{
	unsigned long exits = 0;

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "example-vmm: KVM_RUN: %s\n", strerror(errno));
			return -1;
		}
		switch (run->exit_reason) {
		case SNPCERT_KVM_EXIT_SNP_REQ_CERTS:
			exits++;
			if (handle_req_certs(vcpu, run, certs) < 0)
				return -1;
			break;
		case KVM_EXIT_SHUTDOWN:
			printf("example-vmm: the guest shut down after %lu certificate requests\n",
			       exits);
			return 0;
		default:
			fprintf(stderr, "example-vmm: unexpected exit %u\n", run->exit_reason);
			return -1;
		}
	}
}

/* /dev/kvm, the probe, the VM and its memory, the exit enabled, one vCPU. */
static int setup(int *kvm, int *vm, int *vcpu, struct kvm_run **run)
{
	struct kvm_userspace_memory_region mem = { .slot = 0, .memory_size = GUEST_MEM };
	long size;
	int ret;

	*kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (*kvm < 0)
		return fprintf(stderr, "example-vmm: /dev/kvm: %s\n", strerror(errno)), -1;
	ret = snpcert_kvm_probe(*kvm);
	if (ret < 0)
		return fprintf(stderr, "example-vmm: KVM lacks the certificate exit: %s\n",
			       strerror(-ret)), -1;
	*vm = ioctl(*kvm, KVM_CREATE_VM, EXAMPLE_X86_SNP_VM);
	guest_mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (*vm < 0 || guest_mem == MAP_FAILED)
		return fprintf(stderr, "example-vmm: the VM: %s\n", strerror(errno)), -1;
	mem.userspace_addr = (uintptr_t)guest_mem;
	if (ioctl(*vm, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		return fprintf(stderr, "example-vmm: guest memory: %s\n", strerror(errno)), -1;
	ret = snpcert_kvm_enable(*vm, -1);
	if (ret < 0)
		return fprintf(stderr, "example-vmm: KVM_SEV_SNP_ENABLE_REQ_CERTS: %s\n",
			       strerror(-ret)), -1;
	*vcpu = ioctl(*vm, KVM_CREATE_VCPU, 0);
	size = ioctl(*kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (*vcpu < 0 || size < (long)sizeof(**run))
		return fprintf(stderr, "example-vmm: the vCPU: %s\n", strerror(errno)), -1;
	*run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, *vcpu, 0);
	if (*run == MAP_FAILED)
		return fprintf(stderr, "example-vmm: kvm_run: %s\n", strerror(errno)), -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct snpcert_file *certs = NULL;
	int kvm = -1, vm = -1, vcpu = -1, ret, status = 1;
	struct kvm_run *run = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: example-vmm FILE\n");
		return 2;
	}
	/* Open once, when the VM starts; the handle lives as long as the VM. */
	ret = snpcert_open(argv[1], &certs);
	if (ret < 0) {
		fprintf(stderr, "example-vmm: cannot open '%s': %s\n", argv[1],
			snpcert_strerror(ret));
		return 1;
	}
	if (setup(&kvm, &vm, &vcpu, &run) == 0 && run_vcpu(vcpu, run, certs) == 0)
		status = 0;
	snpcert_close(certs);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
	return status;
}
