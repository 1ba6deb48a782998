// SPDX-License-Identifier: GPL-2.0-or-later
/* The host around /dev/sev: CPU product, modules, the sev_snp parameter.  See platform.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <libkmod.h>

#include "cmd.h"
#include "platform.h"
#include "util.h"

#define SEV_SNP_PARAM "/sys/module/kvm_amd/parameters/sev_snp"
#define CPUID_DEVICE "/dev/cpu/0/cpuid"
#define MSR_DEVICE "/dev/cpu/0/msr"

int platform_cpuid(uint32_t leaf, uint32_t regs[4], enum cpuid_source *source)
{
	uint8_t buf[16];
	ssize_t n;
	int fd;

	/* The kernel's cpuid device: the offset is the leaf (subleaf 0). */
	fd = open(CPUID_DEVICE, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		n = pread(fd, buf, sizeof(buf), (off_t)leaf);
		close(fd);
		if (n == (ssize_t)sizeof(buf)) {
			memcpy(regs, buf, sizeof(buf));
			if (source)
				*source = CPUID_FROM_DEVICE;
			return 0;
		}
	}
#if defined(__x86_64__) || defined(__i386__)
	{
		unsigned int max = __get_cpuid_max(leaf & 0x80000000u, NULL);

		if (source)
			*source = CPUID_FROM_INSTRUCTION;
		if (max < leaf) {
			memset(regs, 0, 16);
			return 0; /* above the highest leaf: zeros, as the device answers */
		}
		__cpuid_count(leaf, 0, regs[0], regs[1], regs[2], regs[3]);
		return 0;
	}
#else
	if (source)
		*source = CPUID_FROM_NONE;
	return -ENOTSUP;
#endif
}

const char *platform_cpuid_source_name(enum cpuid_source s)
{
	switch (s) {
	case CPUID_FROM_DEVICE:
		return CPUID_DEVICE;
	case CPUID_FROM_INSTRUCTION:
		return "the cpuid instruction";
	case CPUID_FROM_NONE:
		break;
	}
	return "nothing";
}

int platform_cpu_read(struct platform_cpu *cpu)
{
	unsigned int base_family, base_model;
	uint32_t r[4];

	memset(cpu, 0, sizeof(*cpu));
	if (platform_cpuid(0, r, NULL) < 0)
		return -ENOTSUP;
	memcpy(cpu->vendor, &r[1], 4);
	memcpy(cpu->vendor + 4, &r[3], 4);
	memcpy(cpu->vendor + 8, &r[2], 4);
	cpu->vendor[12] = '\0';
	if (platform_cpuid(1, r, NULL) < 0)
		return -ENOTSUP;
	base_family = (r[0] >> 8) & 0xf;
	base_model = (r[0] >> 4) & 0xf;
	cpu->stepping = r[0] & 0xf;
	cpu->family = base_family;
	cpu->model = base_model;
	/* AMD (and Intel) add the extended fields to family 0xf; Intel also to 6. */
	if (base_family == 0xf)
		cpu->family += (r[0] >> 20) & 0xff;
	if (base_family == 0xf || base_family == 0x6)
		cpu->model |= ((r[0] >> 16) & 0xf) << 4;
	return 0;
}

int platform_msr_read(uint32_t msr, uint64_t *value)
{
	ssize_t n;
	int fd, e;

	fd = open(MSR_DEVICE, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = pread(fd, value, sizeof(*value), (off_t)msr);
	e = n < 0 ? errno : EIO;
	close(fd);
	return n == (ssize_t)sizeof(*value) ? 0 : -e;
}

bool platform_is_venice(const char *vendor, unsigned int family, unsigned int model)
{
	if (!vendor || strcmp(vendor, "AuthenticAMD") != 0 || family != 0x1a)
		return false;
	return (model >= 0x50 && model <= 0x57) || (model >= 0x90 && model <= 0xaf) ||
	       (model >= 0xc0 && model <= 0xc7);
}

enum amd_product platform_product_map(const char *vendor, unsigned int family,
				      unsigned int model)
{
	if (!vendor || strcmp(vendor, "AuthenticAMD") != 0)
		return AMD_PRODUCT_UNKNOWN;
	if (family == 0x19) {
		if (model <= 0x0f)
			return AMD_PRODUCT_MILAN;
		if ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf))
			return AMD_PRODUCT_GENOA;
		return AMD_PRODUCT_UNKNOWN;
	}
	if (family == 0x1a && !platform_is_venice(vendor, family, model))
		return AMD_PRODUCT_TURIN;
	return AMD_PRODUCT_UNKNOWN;
}

const char *platform_source_name(enum platform_source s)
{
	switch (s) {
	case PLATFORM_SOURCE_SETTING:
		return "setting";
	case PLATFORM_SOURCE_CPUID:
		return "cpuid";
	case PLATFORM_SOURCE_NONE:
		break;
	}
	return "none";
}

enum amd_product platform_product(const char *override, struct platform_cpu *cpu,
				  enum platform_source *source)
{
	struct platform_cpu c;
	enum amd_product p = AMD_PRODUCT_UNKNOWN;
	enum platform_source src = PLATFORM_SOURCE_NONE;
	int ret;

	ret = platform_cpu_read(&c);
	if (cpu)
		*cpu = c;
	if (override && *override) {
		p = amd_product_parse(override);
		if (p != AMD_PRODUCT_UNKNOWN)
			src = PLATFORM_SOURCE_SETTING;
	} else if (ret == 0) {
		p = platform_product_map(c.vendor, c.family, c.model);
		if (p != AMD_PRODUCT_UNKNOWN)
			src = PLATFORM_SOURCE_CPUID;
	}
	if (source)
		*source = src;
	return p;
}

const char *platform_module_state_name(enum module_state s)
{
	switch (s) {
	case MODULE_ABSENT:
		return "absent";
	case MODULE_LOADED:
		return "loaded";
	case MODULE_BUILTIN:
		return "builtin";
	case MODULE_COMING:
		return "coming";
	case MODULE_GOING:
		return "going";
	case MODULE_UNKNOWN:
		break;
	}
	return "unknown";
}

/* libkmod logs through this: stay quiet, the caller reports what matters. */
static void kmod_quiet(void *data, int priority, const char *file, int line, const char *fn,
		       const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
}

enum module_state platform_module_state(const char *name)
{
	struct kmod_ctx *kctx = NULL;
	struct kmod_module *mod = NULL;
	enum module_state state = MODULE_UNKNOWN;
	int ret;

	kctx = kmod_new(NULL, NULL);
	if (!kctx)
		goto out;
	kmod_set_log_fn(kctx, kmod_quiet, NULL);
	if (kmod_module_new_from_name(kctx, name, &mod) < 0)
		goto out;
	ret = kmod_module_get_initstate(mod);
	switch (ret) {
	case KMOD_MODULE_LIVE:
		state = MODULE_LOADED;
		break;
	case KMOD_MODULE_BUILTIN:
		state = MODULE_BUILTIN;
		break;
	case KMOD_MODULE_COMING:
		state = MODULE_COMING;
		break;
	case KMOD_MODULE_GOING:
		state = MODULE_GOING;
		break;
	case -ENOENT:
		state = MODULE_ABSENT;
		break;
	default:
		debug("cannot tell the state of module '%s': %s", name,
		      ret < 0 ? strerror(-ret) : "unexpected answer from libkmod");
		break;
	}
out:
	kmod_module_unref(mod);
	kmod_unref(kctx);
	return state;
}

enum tristate platform_parse_bool_param(const char *text)
{
	size_t n;

	if (!text)
		return TRI_UNKNOWN;
	/* One character, then nothing or one newline. */
	n = strcspn(text, "\n");
	if (n != 1 || (text[1] == '\n' && text[2] != '\0'))
		return TRI_UNKNOWN;
	switch (text[0]) {
	case 'Y':
	case 'y':
	case '1':
		return TRI_YES;
	case 'N':
	case 'n':
	case '0':
		return TRI_NO;
	}
	return TRI_UNKNOWN;
}

enum tristate platform_sev_snp_param(void)
{
	char text[16] = "";
	uint8_t *buf = NULL;
	size_t len = 0;

	/* As every input: never blocking (sysfs says 4096 bytes for any attribute). */
	if (read_file(SEV_SNP_PARAM, 4096, &buf, &len) < 0)
		return TRI_UNKNOWN;
	memcpy(text, buf, len < sizeof(text) - 1 ? len : sizeof(text) - 1);
	free(buf);
	return platform_parse_bool_param(text);
}

int platform_read(struct sev_dev *dev, struct platform_id *out, struct why *why)
{
	static const uint8_t zero[SEV_CHIP_ID_LEN];
	int ret;

	out->chip_id_known = false;
	ret = sev_platform_status(dev, &out->st, NULL, why);
	if (ret == 0)
		ret = sev_get_id(dev, out->chip_id, NULL, why);
	if (ret)
		return ret;
	/* A firmware masking the chip id may answer zeros. */
	out->chip_id_known = memcmp(out->chip_id, zero, sizeof(zero)) != 0 &&
			     !(out->st.features & SNP_FEATURE_MASK_CHIP_ID);
	return 0;
}

int platform_identify(const char *product_override, struct platform_id *out, struct why *why)
{
	struct sev_dev *dev = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	out->product = platform_product(product_override, NULL, NULL);
	if (out->product == AMD_PRODUCT_UNKNOWN) {
		ret = why_set(why, -ERR_PLATFORM, "cannot tell the AMD product of this CPU: set "
			      "'product' (Milan, Genoa or Turin) or give --product");
		goto out;
	}
	ret = sev_open(sev_device_path(), false, &dev, NULL, why);
	if (ret == 0)
		ret = platform_read(dev, out, why);
out:
	sev_close(dev);
	return ret;
}
