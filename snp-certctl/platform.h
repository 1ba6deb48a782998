/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host around /dev/sev: which AMD product the CPU is (CPUID, or the
 * `product` setting), and the state of the kvm_amd and ccp modules
 * (libkmod) with kvm_amd's sev_snp parameter (sysfs).
 */
#ifndef SNP_CERTCTL_PLATFORM_H
#define SNP_CERTCTL_PLATFORM_H

#include <stdbool.h>

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

/* CPUID leaves 0 and 1.  0, or -ENOTSUP (not an x86 CPU). */
int platform_cpu_read(struct platform_cpu *cpu);

/*
 * The product for a CPU, pure: Milan is family 0x19 model 0x00-0x0f;
 * Genoa family 0x19 model 0x10-0x1f, and 0xa0-0xaf (Bergamo, Siena: they
 * use Genoa's keys); Turin family 0x1a.  Anything else, or a vendor other
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

#endif
