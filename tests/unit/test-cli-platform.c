// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The platform edge: the /dev/sev ABI layouts, CPUID -> product, TCB
 * decoding of a raw SNP_PLATFORM_STATUS reply, firmware error names and
 * the sev_snp parameter parser.  The device itself is exercised through
 * the LD_PRELOAD fake by tests/cli/status.bats.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amdtcb.h"
#include "platform.h"
#include "sev.h"
#include "tap.h"

static void test_layouts(void)
{
	CHECK_EQ(sizeof(struct sev_issue_cmd), 16, "sev_issue_cmd is 16 bytes");
	CHECK_EQ(offsetof(struct sev_issue_cmd, data), 4, "sev_issue_cmd.data at 4");
	CHECK_EQ(offsetof(struct sev_issue_cmd, error), 12, "sev_issue_cmd.error at 12");
	CHECK_EQ(SEV_ISSUE_CMD, 0xC0105300UL, "SEV_ISSUE_CMD is 0xC0105300");
	CHECK_EQ(sizeof(struct sev_get_id2), 12, "sev_get_id2 is 12 bytes");
	CHECK_EQ(offsetof(struct sev_get_id2, length), 8, "sev_get_id2.length at 8");
	CHECK_EQ(sizeof(struct snp_platform_status), 32, "snp_platform_status is 32 bytes");
	CHECK_EQ(offsetof(struct snp_platform_status, state), 2, "status.state at 2");
	CHECK_EQ(offsetof(struct snp_platform_status, rmp), 3, "status.rmp at 3");
	CHECK_EQ(offsetof(struct snp_platform_status, build_id), 4, "status.build_id at 4");
	CHECK_EQ(offsetof(struct snp_platform_status, features), 8, "status.features at 8");
	CHECK_EQ(offsetof(struct snp_platform_status, guest_count), 12, "status.guest_count at 12");
	CHECK_EQ(offsetof(struct snp_platform_status, current_tcb), 16, "status.current_tcb at 16");
	CHECK_EQ(offsetof(struct snp_platform_status, reported_tcb), 24,
		 "status.reported_tcb at 24");
	CHECK_EQ(sizeof(struct snp_config), 64, "snp_config is 64 bytes");
	CHECK_EQ(offsetof(struct snp_config, flags), 8, "snp_config.flags at 8");
	CHECK_EQ(offsetof(struct snp_config, reserved), 12, "snp_config.reserved at 12");
	CHECK_EQ(sizeof(struct snp_vlek_load), 16, "snp_vlek_load is 16 bytes");
	CHECK_EQ(offsetof(struct snp_vlek_load, vlek_wrapped_version), 4, "vlek version at 4");
	CHECK_EQ(offsetof(struct snp_vlek_load, vlek_wrapped_address), 8, "vlek address at 8");
	CHECK_EQ(SNP_VLEK_HASHSTICK_LEN, 432, "hashstick is 432 bytes");
	CHECK_EQ(SEV_GET_ID2, 8, "SEV_GET_ID2 is 8");
	CHECK_EQ(SNP_PLATFORM_STATUS, 9, "SNP_PLATFORM_STATUS is 9");
	CHECK_EQ(SNP_COMMIT, 10, "SNP_COMMIT is 10");
	CHECK_EQ(SNP_SET_CONFIG, 11, "SNP_SET_CONFIG is 11");
	CHECK_EQ(SNP_VLEK_LOAD, 12, "SNP_VLEK_LOAD is 12");
	CHECK_EQ(SEV_PLATFORM_STATUS, 1, "SEV_PLATFORM_STATUS is 1");
	CHECK_EQ(SEV_PDH_CERT_EXPORT, 5, "SEV_PDH_CERT_EXPORT is 5");
	CHECK_EQ(sizeof(struct sev_status), 12, "sev_status is 12 bytes");
	CHECK_EQ(offsetof(struct sev_status, flags), 3, "sev_status.flags at 3");
	CHECK_EQ(offsetof(struct sev_status, build), 7, "sev_status.build at 7");
	CHECK_EQ(offsetof(struct sev_status, guest_count), 8, "sev_status.guest_count at 8");
	CHECK_EQ(sizeof(struct sev_pdh_cert_export), 24, "sev_pdh_cert_export is 24 bytes");
	CHECK_EQ(offsetof(struct sev_pdh_cert_export, cert_chain_address), 12,
		 "pdh_cert_export.cert_chain_address at 12");
	CHECK_EQ(offsetof(struct sev_pdh_cert_export, cert_chain_len), 20,
		 "pdh_cert_export.cert_chain_len at 20");
	CHECK_STR(sev_cmd_name(SEV_PDH_CERT_EXPORT), "SEV_PDH_CERT_EXPORT", "PDH export named");
	CHECK_STR(sev_cmd_name(SEV_PLATFORM_STATUS), "SEV_PLATFORM_STATUS", "SEV status named");
}

static void test_product_map(void)
{
	static const struct {
		const char *vendor;
		unsigned int family, model;
		enum amd_product want;
	} cases[] = {
		{ "AuthenticAMD", 0x19, 0x00, AMD_PRODUCT_MILAN },  /* Milan */
		{ "AuthenticAMD", 0x19, 0x01, AMD_PRODUCT_MILAN },  /* Milan B0/B1 */
		{ "AuthenticAMD", 0x19, 0x08, AMD_PRODUCT_MILAN },  /* Chagall */
		{ "AuthenticAMD", 0x19, 0x0f, AMD_PRODUCT_MILAN },
		{ "AuthenticAMD", 0x19, 0x10, AMD_PRODUCT_GENOA },  /* Genoa */
		{ "AuthenticAMD", 0x19, 0x11, AMD_PRODUCT_GENOA },  /* Genoa B1 */
		{ "AuthenticAMD", 0x19, 0x18, AMD_PRODUCT_GENOA },  /* Storm Peak */
		{ "AuthenticAMD", 0x19, 0x1f, AMD_PRODUCT_GENOA },
		{ "AuthenticAMD", 0x19, 0xa0, AMD_PRODUCT_GENOA },  /* Bergamo */
		{ "AuthenticAMD", 0x19, 0xa1, AMD_PRODUCT_GENOA },
		{ "AuthenticAMD", 0x19, 0xaf, AMD_PRODUCT_GENOA },  /* Siena range */
		{ "AuthenticAMD", 0x19, 0x21, AMD_PRODUCT_UNKNOWN }, /* Vermeer (client) */
		{ "AuthenticAMD", 0x19, 0x50, AMD_PRODUCT_UNKNOWN }, /* Cezanne (client) */
		{ "AuthenticAMD", 0x19, 0x61, AMD_PRODUCT_UNKNOWN }, /* Raphael (client) */
		{ "AuthenticAMD", 0x19, 0xb0, AMD_PRODUCT_UNKNOWN },
		{ "AuthenticAMD", 0x19, 0x9f, AMD_PRODUCT_UNKNOWN },
		{ "AuthenticAMD", 0x1a, 0x00, AMD_PRODUCT_TURIN },  /* Turin */
		{ "AuthenticAMD", 0x1a, 0x02, AMD_PRODUCT_TURIN },
		{ "AuthenticAMD", 0x1a, 0x11, AMD_PRODUCT_TURIN },  /* Turin dense */
		{ "AuthenticAMD", 0x1a, 0x4f, AMD_PRODUCT_TURIN },
		{ "AuthenticAMD", 0x1a, 0x50, AMD_PRODUCT_UNKNOWN }, /* Venice: no KDS yet */
		{ "AuthenticAMD", 0x1a, 0x57, AMD_PRODUCT_UNKNOWN },
		{ "AuthenticAMD", 0x1a, 0x58, AMD_PRODUCT_TURIN },
		{ "AuthenticAMD", 0x1a, 0x90, AMD_PRODUCT_UNKNOWN },
		{ "AuthenticAMD", 0x1a, 0xaf, AMD_PRODUCT_UNKNOWN },
		{ "AuthenticAMD", 0x1a, 0xc0, AMD_PRODUCT_UNKNOWN },
		{ "AuthenticAMD", 0x1a, 0xc7, AMD_PRODUCT_UNKNOWN },
		{ "AuthenticAMD", 0x1a, 0xc8, AMD_PRODUCT_TURIN },
		{ "AuthenticAMD", 0x17, 0x31, AMD_PRODUCT_UNKNOWN }, /* Rome: no SNP */
		{ "AuthenticAMD", 0x17, 0x01, AMD_PRODUCT_UNKNOWN }, /* Naples */
		{ "AuthenticAMD", 0x18, 0x00, AMD_PRODUCT_UNKNOWN }, /* Hygon */
		{ "AuthenticAMD", 0x1b, 0x00, AMD_PRODUCT_UNKNOWN },
		{ "HygonGenuine", 0x19, 0x01, AMD_PRODUCT_UNKNOWN },
		{ "GenuineIntel", 0x19, 0x01, AMD_PRODUCT_UNKNOWN },
		{ "GenuineIntel", 0x06, 0xa7, AMD_PRODUCT_UNKNOWN },
		{ "", 0x19, 0x01, AMD_PRODUCT_UNKNOWN },
		{ NULL, 0x19, 0x01, AMD_PRODUCT_UNKNOWN },
	};
	char name[96];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "%s family 0x%x model 0x%02x -> %s",
			 cases[i].vendor ? cases[i].vendor : "(null)", cases[i].family,
			 cases[i].model,
			 amd_product_name(cases[i].want) ? amd_product_name(cases[i].want) :
							   "unknown");
		CHECK_EQ(platform_product_map(cases[i].vendor, cases[i].family, cases[i].model),
			 cases[i].want, name);
	}
}

static void test_product_override(void)
{
	struct platform_cpu cpu;
	enum platform_source src;
	enum amd_product p;

	p = platform_product("Genoa", &cpu, &src);
	CHECK_EQ(p, AMD_PRODUCT_GENOA, "the override wins over CPUID");
	CHECK_EQ(src, PLATFORM_SOURCE_SETTING, "the override is reported as the source");
	p = platform_product("turin", NULL, &src);
	CHECK_EQ(p, AMD_PRODUCT_TURIN, "the override is case-insensitive");
	p = platform_product("Rome", NULL, &src);
	CHECK_EQ(p, AMD_PRODUCT_UNKNOWN, "an unknown override is unknown, not CPUID");
	CHECK_EQ(src, PLATFORM_SOURCE_NONE, "and has no source");
	p = platform_product("", &cpu, &src);
	if (platform_cpu_read(&cpu) == 0)
		CHECK_EQ(p, platform_product_map(cpu.vendor, cpu.family, cpu.model),
			 "an empty override falls back to CPUID");
	else
		CHECK_EQ(p, AMD_PRODUCT_UNKNOWN, "no CPUID: unknown");
	CHECK_STR(platform_source_name(PLATFORM_SOURCE_CPUID), "cpuid", "source name cpuid");
	CHECK_STR(platform_source_name(PLATFORM_SOURCE_SETTING), "setting", "source name setting");
	CHECK_STR(platform_source_name(PLATFORM_SOURCE_NONE), "none", "source name none");
}

static void test_status_decode(void)
{
	/* A raw 32-byte reply as the firmware writes it (little-endian). */
	static const uint8_t raw[32] = {
		1, 55, 1, 1,                                    /* 1.55, INIT, RMP */
		0x15, 0, 0, 0,                                  /* build 21 */
		0x05, 0, 0, 0,                                  /* mask_chip_id, vlek_en */
		3, 0, 0, 0,                                     /* 3 guests */
		0x03, 0x01, 0, 0, 0, 0, 0x08, 0x73,             /* current */
		0x02, 0x00, 0, 0, 0, 0, 0x05, 0x44,             /* reported */
	};
	static const uint8_t turin[8] = { 0x01, 0x04, 0x03, 0x16, 0, 0, 0, 0x47 };
	struct snp_platform_status st;
	struct amd_tcb tcb;
	uint64_t t;
	char buf[80];

	memcpy(&st, raw, sizeof(st));
	CHECK_EQ(st.api_major, 1, "api_major");
	CHECK_EQ(st.api_minor, 55, "api_minor");
	CHECK_EQ(st.state, SNP_STATE_INIT, "state");
	CHECK(st.rmp & SNP_RMP_INITIALIZED, "is_rmp_initialized");
	CHECK_EQ(st.build_id, 21, "build_id");
	CHECK(st.features & SNP_FEATURE_MASK_CHIP_ID, "mask_chip_id");
	CHECK(!(st.features & SNP_FEATURE_MASK_CHIP_KEY), "mask_chip_key clear");
	CHECK(st.features & SNP_FEATURE_VLEK_EN, "vlek_en");
	CHECK_EQ(st.guest_count, 3, "guest_count");
	CHECK_EQ(st.current_tcb, 0x7308000000000103ULL, "current_tcb as a u64");
	CHECK_EQ(st.reported_tcb, 0x4405000000000002ULL, "reported_tcb as a u64");

	amd_tcb_from_raw(AMD_PRODUCT_MILAN, st.current_tcb, &tcb);
	amd_tcb_format(AMD_PRODUCT_MILAN, &tcb, buf, sizeof(buf));
	CHECK_STR(buf, "bl=3,tee=1,snp=8,ucode=115", "current TCB in Milan's layout");
	amd_tcb_from_raw(AMD_PRODUCT_GENOA, st.reported_tcb, &tcb);
	amd_tcb_format(AMD_PRODUCT_GENOA, &tcb, buf, sizeof(buf));
	CHECK_STR(buf, "bl=2,tee=0,snp=5,ucode=68", "reported TCB in Genoa's layout");

	memcpy(&t, turin, sizeof(t));
	amd_tcb_from_raw(AMD_PRODUCT_TURIN, t, &tcb);
	CHECK_EQ(tcb.fmc, 1, "Turin fmc from byte 0");
	CHECK_EQ(tcb.bl, 4, "Turin bl from byte 1");
	CHECK_EQ(tcb.tee, 3, "Turin tee from byte 2");
	CHECK_EQ(tcb.snp, 22, "Turin snp from byte 3");
	CHECK_EQ(tcb.ucode, 71, "Turin ucode from byte 7");
}

static void test_fw_errors(void)
{
	char buf[128];

	CHECK_STR(sev_fw_error_name(0), "SUCCESS", "0 SUCCESS");
	CHECK_STR(sev_fw_error_name(1), "INVALID_PLATFORM_STATE", "1 INVALID_PLATFORM_STATE");
	CHECK_STR(sev_fw_error_name(3), "INVALID_CONFIG", "3 INVALID_CONFIG");
	CHECK_STR(sev_fw_error_name(4), "INVALID_LENGTH", "4 INVALID_LENGTH");
	CHECK_STR(sev_fw_error_name(0x11), "INVALID_COMMAND", "0x11 INVALID_COMMAND");
	CHECK_STR(sev_fw_error_name(0x15), "UNSUPPORTED", "0x15 UNSUPPORTED");
	CHECK_STR(sev_fw_error_name(0x16), "INVALID_PARAM", "0x16 INVALID_PARAM");
	CHECK_STR(sev_fw_error_name(0x17), "RESOURCE_LIMIT", "0x17 RESOURCE_LIMIT");
	CHECK_STR(sev_fw_error_name(0x18), "SECURE_DATA_INVALID", "0x18 SECURE_DATA_INVALID");
	CHECK_STR(sev_fw_error_name(0x1a), "INVALID_PAGE_STATE", "0x1a INVALID_PAGE_STATE");
	CHECK(sev_fw_error_name(0x1e) == NULL, "0x1e is unassigned");
	CHECK_STR(sev_fw_error_name(0x27), "INVALID_KEY", "0x27 INVALID_KEY");
	CHECK_STR(sev_fw_error_name(0x31), "EXPAND_BUFFER_LENGTH_REQUEST", "0x31");
	CHECK(sev_fw_error_name(0x40) == NULL, "0x40 has no name");
	CHECK(sev_fw_error_name(0x12345) == NULL, "large codes have no name");
	CHECK_STR(sev_fw_error_name(SEV_FW_NO_CALL), "NO_FW_CALL", "-1 NO_FW_CALL");

	sev_error_text(-EIO, 1, buf, sizeof(buf));
	CHECK_STR(buf, "firmware error INVALID_PLATFORM_STATE (1)", "firmware error text");
	sev_error_text(-EIO, 0x99, buf, sizeof(buf));
	CHECK_STR(buf, "firmware error 0x99", "an unnamed firmware error in hex");
	sev_error_text(-EPERM, 0, buf, sizeof(buf));
	CHECK_STR(buf, strerror(EPERM), "a kernel error is strerror");
	sev_error_text(-EINVAL, SEV_FW_NO_CALL, buf, sizeof(buf));
	CHECK_STR(buf, strerror(EINVAL), "firmware never called: strerror");

	CHECK_STR(sev_cmd_name(SNP_PLATFORM_STATUS), "SNP_PLATFORM_STATUS", "command name 9");
	CHECK_STR(sev_cmd_name(SEV_GET_ID2), "SEV_GET_ID2", "command name 8");
	CHECK_STR(sev_cmd_name(SNP_VLEK_LOAD), "SNP_VLEK_LOAD", "command name 12");
	CHECK(sev_cmd_name(99) == NULL, "unknown command has no name");
}

static void test_why(void)
{
	struct why why;

	CHECK_EQ(sev_why(&why, SNP_COMMIT, "/dev/sev", -EIO, 1), -ERR_PLATFORM,
		 "sev_why: -ERR_PLATFORM");
	CHECK_STR(why.msg, "SNP_COMMIT failed on '/dev/sev': firmware error "
		  "INVALID_PLATFORM_STATE (1)", "sev_why: a firmware error by name and number");
	sev_why(&why, SNP_SET_CONFIG, "/dev/sev", -EIO, 0x99);
	CHECK_STR(why.msg, "SNP_SET_CONFIG failed on '/dev/sev': firmware error 0x99",
		  "sev_why: an unnamed firmware error in hex");
	sev_why(&why, SNP_VLEK_LOAD, "/x/sev", -EPERM, SEV_FW_NO_CALL);
	CHECK_STR(why.msg, "SNP_VLEK_LOAD failed on '/x/sev': Operation not permitted",
		  "sev_why: a kernel error is strerror");
	CHECK_EQ(sev_why(&why, SEV_CMD_OPEN, "/x/sev", -ENOENT, 0), -ERR_PLATFORM,
		 "sev_why open: -ERR_PLATFORM");
	CHECK_STR(why.msg, "cannot open '/x/sev': No such file or directory",
		  "sev_why: the open message");
	sev_why(&why, 99, "/dev/sev", -EINVAL, 0);
	CHECK_STR(why.msg, "SEV command 99 failed on '/dev/sev': Invalid argument",
		  "sev_why: a command without a name by number");
	CHECK_EQ(sev_why(NULL, SNP_COMMIT, "/dev/sev", -EIO, 1), -ERR_PLATFORM,
		 "sev_why: why may be NULL");
	CHECK_EQ(exit_status(-ERR_PLATFORM), EXIT_PLATFORM, "-ERR_PLATFORM exits 5");
}

static void test_device(void)
{
	struct sev_dev *dev = NULL;
	struct sev_fault fault = { 0, 7 };
	struct why why;

	setenv("SNP_CERTCTL_DEVICE", "/nonexistent/sev", 1);
	CHECK_STR(sev_device_path(), "/nonexistent/sev", "SNP_CERTCTL_DEVICE names the device");
	CHECK_EQ(sev_open(sev_device_path(), false, &dev, &fault, &why), -ERR_PLATFORM,
		 "a missing device: -ERR_PLATFORM");
	CHECK_EQ(fault.err, -ENOENT, "a missing device: the fault is -ENOENT");
	CHECK_EQ(fault.fw, 0, "a missing device: no firmware code");
	CHECK_STR(why.msg, "cannot open '/nonexistent/sev': No such file or directory",
		  "a missing device: why");
	CHECK(dev == NULL, "nothing handed back on failure");
	CHECK_EQ(sev_open(sev_device_path(), false, &dev, NULL, NULL), -ERR_PLATFORM,
		 "fault and why may be NULL");
	unsetenv("SNP_CERTCTL_DEVICE");
	CHECK_STR(sev_device_path(), "/dev/sev", "the default device");
	setenv("SNP_CERTCTL_DEVICE", "", 1);
	CHECK_STR(sev_device_path(), "/dev/sev", "an empty SNP_CERTCTL_DEVICE is the default");
	unsetenv("SNP_CERTCTL_DEVICE");

	/* Not an SEV device: the kernel says ENOTTY, no firmware error. */
	CHECK_EQ(sev_open("/dev/null", false, &dev, &fault, &why), 0, "open /dev/null");
	fault.fw = 7;
	CHECK_EQ(sev_commit(dev, &fault, &why), -ERR_PLATFORM, "SNP_COMMIT on /dev/null fails");
	CHECK_EQ(fault.err, -ENOTTY, "SEV_ISSUE_CMD on /dev/null is -ENOTTY");
	CHECK_EQ(fault.fw, 0, "and no firmware error");
	CHECK_STR(why.msg, "SNP_COMMIT failed on '/dev/null': Inappropriate ioctl for device",
		  "SNP_COMMIT on /dev/null: why");
	CHECK_EQ(sev_platform_status(dev, NULL, &fault, &why), -ERR_PLATFORM,
		 "SNP_PLATFORM_STATUS on /dev/null fails (and leaves *out alone)");
	CHECK_STR(why.msg, "SNP_PLATFORM_STATUS failed on '/dev/null': Inappropriate ioctl "
		  "for device", "SNP_PLATFORM_STATUS on /dev/null: why");
	CHECK_STR(sev_dev_path(dev), "/dev/null", "the device keeps its path");
	sev_close(dev);
	sev_close(NULL);
	CHECK_EQ(sev_commit(NULL, &fault, NULL), -ERR_PLATFORM, "no device: -ERR_PLATFORM");
	CHECK_EQ(fault.err, -EBADF, "no device: the fault is -EBADF");
	CHECK_EQ(sev_issue(NULL, SNP_COMMIT, NULL, NULL), -EBADF, "sev_issue, raw: -EBADF");
}

static void test_params(void)
{
	CHECK_EQ(platform_parse_bool_param("Y\n"), TRI_YES, "Y");
	CHECK_EQ(platform_parse_bool_param("Y"), TRI_YES, "Y without newline");
	CHECK_EQ(platform_parse_bool_param("1\n"), TRI_YES, "1");
	CHECK_EQ(platform_parse_bool_param("N\n"), TRI_NO, "N");
	CHECK_EQ(platform_parse_bool_param("0"), TRI_NO, "0");
	CHECK_EQ(platform_parse_bool_param(""), TRI_UNKNOWN, "empty");
	CHECK_EQ(platform_parse_bool_param("YY\n"), TRI_UNKNOWN, "two characters");
	CHECK_EQ(platform_parse_bool_param("Y\nN"), TRI_UNKNOWN, "two lines");
	CHECK_EQ(platform_parse_bool_param("2\n"), TRI_UNKNOWN, "2");
	CHECK_EQ(platform_parse_bool_param(NULL), TRI_UNKNOWN, "NULL");
	CHECK_STR(platform_module_state_name(MODULE_LOADED), "loaded", "module state loaded");
	CHECK_STR(platform_module_state_name(MODULE_BUILTIN), "builtin", "module state builtin");
	CHECK_STR(platform_module_state_name(MODULE_ABSENT), "absent", "module state absent");
	CHECK_STR(platform_module_state_name(MODULE_UNKNOWN), "unknown", "module state unknown");
	CHECK_EQ(platform_module_state("snp_certctl_no_such_module"), MODULE_ABSENT,
		 "a module that does not exist is absent");
}

/* One value of the fake firmware's state file, or "" (static buffer). */
static const char *fake_state(const char *key)
{
	static char value[1024];
	char line[2048];
	size_t klen = strlen(key);
	FILE *f = fopen(getenv("FAKE_SEV_STATE"), "re");

	value[0] = '\0';
	if (!f)
		return value;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			snprintf(value, sizeof(value), "%s", line + klen + 1);
			break;
		}
	}
	fclose(f);
	return value;
}

/*
 * Against tests/fakes/sev.so (LD_PRELOAD, FAKE_SEV_STATE set by
 * tests/cli/status.bats): the mutating commands through the program's own
 * sev.c.  The state starts with current_tcb 0x4405000000000002, reported
 * 0x4403000000000002, chip_id_len 128.
 */
static void test_fake(void)
{
	struct snp_platform_status st;
	struct sev_dev *ro = NULL, *rw = NULL;
	uint8_t id[SEV_CHIP_ID_LEN], hashstick[SNP_VLEK_HASHSTICK_LEN];
	struct sev_fault fault = { 0 };
	struct why why;
	char want[WHY_MAX];
	int ret;

	CHECK_EQ(sev_open(sev_device_path(), false, &ro, NULL, NULL), 0, "fake: open read-only");
	CHECK_EQ(sev_open(sev_device_path(), true, &rw, NULL, NULL), 0, "fake: open read-write");
	if (!ro || !rw)
		goto out;
	ret = sev_set_config(ro, 0x4405000000000002ULL, false, false, &fault, &why);
	CHECK_EQ(ret, -ERR_PLATFORM, "fake: SNP_SET_CONFIG on a read-only descriptor fails");
	CHECK_EQ(fault.err, -EPERM, "fake: SNP_SET_CONFIG needs a writable descriptor (EPERM)");
	snprintf(want, sizeof(want), "SNP_SET_CONFIG failed on '%s': Operation not permitted",
		 sev_device_path());
	CHECK_STR(why.msg, want, "fake: SNP_SET_CONFIG EPERM: why");
	CHECK_EQ(sev_vlek_load(ro, hashstick, &fault, &why), -ERR_PLATFORM,
		 "fake: SNP_VLEK_LOAD on a read-only descriptor fails");
	CHECK_EQ(fault.err, -EPERM, "fake: SNP_VLEK_LOAD needs a writable descriptor (EPERM)");

	CHECK_EQ(sev_get_id(ro, id, NULL, NULL), 0,
		 "fake: GET_ID2 retries with the length asked for");
	CHECK_EQ(id[0], 0x00, "fake: chip id byte 0");
	CHECK_EQ(id[63], 0x3f, "fake: chip id byte 63 (first socket)");

	{
		struct sev_status ss;
		uint8_t *all = NULL, *pdh = malloc(SEV_CERT_LEN), *chain = malloc(3 * SEV_CERT_LEN);
		size_t all_len = 0;
		bool seq = true;

		CHECK_EQ(sev_status(ro, &ss, NULL, NULL), 0, "fake: SEV_PLATFORM_STATUS");
		CHECK_EQ(ss.api_major, 1, "fake: SEV API major (default 1)");
		CHECK_EQ(ss.state, SEV_STATE_INIT, "fake: SEV state INIT (default)");
		CHECK_EQ(ss.flags, SEV_FLAG_ES, "fake: SEV-ES available, owned by itself");
		CHECK_EQ(sev_get_id2_all(ro, &all, &all_len, NULL, NULL), 0,
			 "fake: GET_ID2, all of it");
		CHECK_EQ(all_len, 128, "fake: both sockets' ids (chip_id_len 128)");
		for (size_t i = 0; all && i < all_len; i++)
			seq = seq && all[i] == i;
		CHECK(all && seq, "fake: the whole id as the firmware has it");
		free(all);
		/* No sev_chain in the state: the length query works, the export does not. */
		ret = pdh && chain ? sev_pdh_export(ro, pdh, chain, &fault, &why) : -ENOMEM;
		CHECK_EQ(ret, -ERR_PLATFORM, "fake: PDH export without a chain fails");
		CHECK_EQ(fault.err, -EIO, "fake: after the length query (EIO on the real call)");
		snprintf(want, sizeof(want), "SEV_PDH_CERT_EXPORT failed on '%s': %s",
			 sev_device_path(), strerror(EIO));
		CHECK_STR(why.msg, want, "fake: PDH export: why");
		free(pdh);
		free(chain);
	}

	CHECK_EQ(sev_commit(ro, NULL, NULL), 0, "fake: SNP_COMMIT");
	CHECK_STR(fake_state("committed_tcb"), "0x4405000000000002",
		  "fake: committed_tcb is the current TCB");

	ret = sev_set_config(rw, 0x4406000000000002ULL, false, false, &fault, &why);
	CHECK_EQ(ret, -ERR_PLATFORM, "fake: a reported TCB above the current one is refused");
	CHECK_EQ(fault.err, -EIO, "fake: the firmware refused it (EIO)");
	CHECK_EQ(fault.fw, 0x03, "fake: with INVALID_CONFIG");
	snprintf(want, sizeof(want), "SNP_SET_CONFIG failed on '%s': firmware error "
		 "INVALID_CONFIG (3)", sev_device_path());
	CHECK_STR(why.msg, want, "fake: the firmware error by name and number in why");
	CHECK_EQ(sev_set_config(rw, 0x4405000000000002ULL, true, false, NULL, NULL), 0,
		 "fake: SNP_SET_CONFIG");
	CHECK_EQ(sev_platform_status(ro, &st, NULL, NULL), 0, "fake: SNP_PLATFORM_STATUS");
	CHECK_EQ(st.reported_tcb, 0x4405000000000002ULL, "fake: reported TCB set");
	CHECK(st.features & SNP_FEATURE_MASK_CHIP_ID, "fake: mask_chip_id set");
	CHECK(!(st.features & SNP_FEATURE_VLEK_EN), "fake: no VLEK yet");

	for (size_t i = 0; i < sizeof(hashstick); i++)
		hashstick[i] = (uint8_t)i;
	CHECK_EQ(sev_vlek_load(rw, hashstick, NULL, NULL), 0, "fake: SNP_VLEK_LOAD");
	CHECK_STR(fake_state("vlek_loaded"), "1", "fake: vlek_loaded recorded");
	/* sha256 of the bytes 0, 1, ..., 255, 0, 1, ..., 175 */
	CHECK_STR(fake_state("vlek_sha256"),
		  "ce7b1c71b87a0ab700b2547140d15258be75b927600d784ecc071f119f790a69",
		  "fake: the hashstick's sha256 recorded");
	CHECK_EQ(sev_platform_status(ro, &st, NULL, NULL), 0, "fake: SNP_PLATFORM_STATUS again");
	CHECK(st.features & SNP_FEATURE_VLEK_EN, "fake: vlek_en after SNP_VLEK_LOAD");
out:
	sev_close(ro);
	sev_close(rw);
}

int main(void)
{
	if (getenv("FAKE_SEV_STATE")) {
		test_fake();
		return tap_done();
	}
	test_layouts();
	test_product_map();
	test_product_override();
	test_status_decode();
	test_fw_errors();
	test_why();
	test_device();
	test_params();
	return tap_done();
}
