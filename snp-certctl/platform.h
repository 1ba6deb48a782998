/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host around /dev/sev: which AMD product the CPU is (CPUID, or the
 * `product` setting), and the state of the kvm_amd and ccp modules
 * (libkmod) with kvm_amd's sev_snp parameter (sysfs).
 */
#ifndef SNP_CERTCTL_PLATFORM_H
#define SNP_CERTCTL_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "amdtcb.h"
#include "errors.h"
#include "sev.h"

/* What CPUID says about the boot CPU. */
struct platform_cpu {
	char vendor[13];       /* "AuthenticAMD", NUL-terminated */
	unsigned int family;   /* base + extended family */
	unsigned int model;    /* extended model << 4 | base model */
	unsigned int stepping;
};

/* Where a CPUID answer came from. */
enum cpuid_source {
	CPUID_FROM_NONE = 0,
	CPUID_FROM_DEVICE,      /* /dev/cpu/0/cpuid (the kernel's cpuid module) */
	CPUID_FROM_INSTRUCTION, /* the cpuid instruction, where the device is not there */
};
/* "/dev/cpu/0/cpuid", "the cpuid instruction", "nothing". */
const char *platform_cpuid_source_name(enum cpuid_source s);
/*
 * CPUID leaf (subleaf 0) of CPU 0 into regs (eax, ebx, ecx, edx): read
 * from /dev/cpu/0/cpuid (pread at offset leaf) when it can be, else with
 * the cpuid instruction (zeros above the highest leaf, as the device
 * gives).  *source (may be NULL) says which.  0, or -ENOTSUP (not x86 and
 * no device).
 */
int platform_cpuid(uint32_t leaf, uint32_t regs[4], enum cpuid_source *source);
/* CPUID leaves 0 and 1 (platform_cpuid()).  0, or -ENOTSUP (not an x86 CPU). */
int platform_cpu_read(struct platform_cpu *cpu);
/*
 * The MSR msr of CPU 0 from /dev/cpu/0/msr (pread at offset msr).  0, or
 * -errno: -ENOENT (the msr module is not loaded), -EACCES/-EPERM (not
 * root), -EIO (the CPU has no such MSR).
 */
int platform_msr_read(uint32_t msr, uint64_t *value);
/*
 * Venice (Zen 6): family 0x1a, models 0x50-0x57, 0x90-0x9f, 0xa0-0xaf,
 * 0xc0-0xc7 (facts.md section 7).  AMD has published no KDS endpoint for
 * it: platform_product_map() says AMD_PRODUCT_UNKNOWN.
 */
bool platform_is_venice(const char *vendor, unsigned int family, unsigned int model);

/*
 * The product for a CPU, pure: Milan is family 0x19 model 0x00-0x0f;
 * Genoa family 0x19 model 0x10-0x1f, and 0xa0-0xaf (Bergamo, Siena: they
 * use Genoa's keys); Turin family 0x1a except Venice's models
 * (platform_is_venice()).  Anything else, or a vendor other
 * than "AuthenticAMD", is AMD_PRODUCT_UNKNOWN.
 */
enum amd_product platform_product_map(const char *vendor, unsigned int family,
				      unsigned int model);

/* Where platform_product() got its answer. */
enum platform_source {
	PLATFORM_SOURCE_NONE = 0, /* not known */
	PLATFORM_SOURCE_SETTING,  /* the override (--product, `product`) */
	PLATFORM_SOURCE_CPUID,
};
const char *platform_source_name(enum platform_source s); /* "none", "setting", "cpuid" */

/*
 * The product: override (a product name such as the `product` setting)
 * when it is non-NULL and non-empty, else CPUID.  *cpu (may be NULL) is
 * filled when CPUID was read; *source (may be NULL) says which applied.
 */
enum amd_product platform_product(const char *override, struct platform_cpu *cpu,
				  enum platform_source *source);

/* What libkmod says of a module. */
enum module_state {
	MODULE_UNKNOWN = 0, /* libkmod could not tell */
	MODULE_ABSENT,      /* not loaded, not built in */
	MODULE_LOADED,      /* live */
	MODULE_BUILTIN,
	MODULE_COMING,      /* being loaded */
	MODULE_GOING,       /* being unloaded */
};
/* "unknown", "absent", "loaded", "builtin", "coming", "going". */
const char *platform_module_state_name(enum module_state s);
/* The state of module name (e.g. "kvm_amd").  Never fails: MODULE_UNKNOWN. */
enum module_state platform_module_state(const char *name);

/* A yes/no that may not be known. */
enum tristate { TRI_UNKNOWN = -1, TRI_NO = 0, TRI_YES = 1 };
/*
 * Parse a boolean module parameter as sysfs shows it: "Y"/"1" yes,
 * "N"/"0" no (trailing newline ignored), anything else unknown.
 */
enum tristate platform_parse_bool_param(const char *text);
/* /sys/module/kvm_amd/parameters/sev_snp; missing or unreadable: unknown. */
enum tristate platform_sev_snp_param(void);

/* What the update workflows need from the firmware, read strictly. */
struct platform_id {
	enum amd_product product;
	struct snp_platform_status st;
	uint8_t chip_id[SEV_CHIP_ID_LEN];
	bool chip_id_known;    /* false when the firmware masks it */
};

/*
 * Open the SEV device, read SNP_PLATFORM_STATUS and the chip id, and tell
 * the product (override as for platform_product()).  Returns 0, or
 * -ERR_PLATFORM with why (the product unknown, no device, a command
 * failed: sev_why()'s words).  A masked chip id is not an error:
 * chip_id_known says.
 */
int platform_identify(const char *product_override, struct platform_id *out, struct why *why);
/*
 * SNP_PLATFORM_STATUS and the chip id (SEV_GET_ID2) from the open device
 * into out->st, chip_id and chip_id_known; out->product is left as it is.
 * 0, or -ERR_PLATFORM with why.
 */
int platform_read(struct sev_dev *dev, struct platform_id *out, struct why *why);

#endif
