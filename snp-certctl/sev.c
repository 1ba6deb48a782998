// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SEV device: open it, issue SEV_ISSUE_CMD, name the firmware's status
 * codes.  See sev.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "errors.h"
#include "sev.h"

/* The ABI, checked: sizes and offsets as the kernel and firmware lay them out. */
_Static_assert(sizeof(struct sev_issue_cmd) == 16, "sev_issue_cmd size");
_Static_assert(offsetof(struct sev_issue_cmd, cmd) == 0, "sev_issue_cmd.cmd");
_Static_assert(offsetof(struct sev_issue_cmd, data) == 4, "sev_issue_cmd.data");
_Static_assert(offsetof(struct sev_issue_cmd, error) == 12, "sev_issue_cmd.error");
_Static_assert(SEV_ISSUE_CMD == 0xC0105300u, "SEV_ISSUE_CMD");

_Static_assert(sizeof(struct sev_get_id2) == 12, "sev_get_id2 size");
_Static_assert(offsetof(struct sev_get_id2, address) == 0, "sev_get_id2.address");
_Static_assert(offsetof(struct sev_get_id2, length) == 8, "sev_get_id2.length");

_Static_assert(sizeof(struct sev_status) == 12, "sev_status size");
_Static_assert(offsetof(struct sev_status, api_major) == 0, "sev_status.api_major");
_Static_assert(offsetof(struct sev_status, api_minor) == 1, "sev_status.api_minor");
_Static_assert(offsetof(struct sev_status, state) == 2, "sev_status.state");
_Static_assert(offsetof(struct sev_status, flags) == 3, "sev_status.flags");
_Static_assert(offsetof(struct sev_status, build) == 7, "sev_status.build");
_Static_assert(offsetof(struct sev_status, guest_count) == 8, "sev_status.guest_count");

_Static_assert(sizeof(struct sev_pdh_cert_export) == 24, "sev_pdh_cert_export size");
_Static_assert(offsetof(struct sev_pdh_cert_export, pdh_cert_address) == 0, "pdh address");
_Static_assert(offsetof(struct sev_pdh_cert_export, pdh_cert_len) == 8, "pdh len");
_Static_assert(offsetof(struct sev_pdh_cert_export, cert_chain_address) == 12, "chain address");
_Static_assert(offsetof(struct sev_pdh_cert_export, cert_chain_len) == 20, "chain len");

_Static_assert(sizeof(struct snp_platform_status) == 32, "snp_platform_status size");
_Static_assert(offsetof(struct snp_platform_status, api_major) == 0, "api_major");
_Static_assert(offsetof(struct snp_platform_status, api_minor) == 1, "api_minor");
_Static_assert(offsetof(struct snp_platform_status, state) == 2, "state");
_Static_assert(offsetof(struct snp_platform_status, rmp) == 3, "rmp");
_Static_assert(offsetof(struct snp_platform_status, build_id) == 4, "build_id");
_Static_assert(offsetof(struct snp_platform_status, features) == 8, "features");
_Static_assert(offsetof(struct snp_platform_status, guest_count) == 12, "guest_count");
_Static_assert(offsetof(struct snp_platform_status, current_tcb) == 16, "current_tcb");
_Static_assert(offsetof(struct snp_platform_status, reported_tcb) == 24, "reported_tcb");

_Static_assert(sizeof(struct snp_config) == 64, "snp_config size");
_Static_assert(offsetof(struct snp_config, reported_tcb) == 0, "snp_config.reported_tcb");
_Static_assert(offsetof(struct snp_config, flags) == 8, "snp_config.flags");
_Static_assert(offsetof(struct snp_config, reserved) == 12, "snp_config.reserved");

_Static_assert(sizeof(struct snp_vlek_load) == 16, "snp_vlek_load size");
_Static_assert(offsetof(struct snp_vlek_load, len) == 0, "snp_vlek_load.len");
_Static_assert(offsetof(struct snp_vlek_load, vlek_wrapped_version) == 4, "version");
_Static_assert(offsetof(struct snp_vlek_load, rsvd) == 5, "snp_vlek_load.rsvd");
_Static_assert(offsetof(struct snp_vlek_load, vlek_wrapped_address) == 8, "address");

struct sev_dev {
	int fd;
	char *path;
};

/* The firmware status codes (SEV API and SEV-SNP ABI), as the kernel names them. */
static const char *const fw_errors[] = {
	[0x00] = "SUCCESS",
	[0x01] = "INVALID_PLATFORM_STATE",
	[0x02] = "INVALID_GUEST_STATE",
	[0x03] = "INVALID_CONFIG",
	[0x04] = "INVALID_LENGTH",
	[0x05] = "ALREADY_OWNED",
	[0x06] = "INVALID_CERTIFICATE",
	[0x07] = "POLICY_FAILURE",
	[0x08] = "INACTIVE",
	[0x09] = "INVALID_ADDRESS",
	[0x0a] = "BAD_SIGNATURE",
	[0x0b] = "BAD_MEASUREMENT",
	[0x0c] = "ASID_OWNED",
	[0x0d] = "INVALID_ASID",
	[0x0e] = "WBINVD_REQUIRED",
	[0x0f] = "DFFLUSH_REQUIRED",
	[0x10] = "INVALID_GUEST",
	[0x11] = "INVALID_COMMAND",
	[0x12] = "ACTIVE",
	[0x13] = "HWSEV_RET_PLATFORM",
	[0x14] = "HWSEV_RET_UNSAFE",
	[0x15] = "UNSUPPORTED",
	[0x16] = "INVALID_PARAM",
	[0x17] = "RESOURCE_LIMIT",
	[0x18] = "SECURE_DATA_INVALID",
	[0x19] = "INVALID_PAGE_SIZE",
	[0x1a] = "INVALID_PAGE_STATE",
	[0x1b] = "INVALID_MDATA_ENTRY",
	[0x1c] = "INVALID_PAGE_OWNER",
	[0x1d] = "AEAD_OFLOW",
	/* 0x1e is unassigned */
	[0x1f] = "EXIT_RING_BUFFER",
	[0x20] = "RMP_INIT_REQUIRED",
	[0x21] = "BAD_SVN",
	[0x22] = "BAD_VERSION",
	[0x23] = "SHUTDOWN_REQUIRED",
	[0x24] = "UPDATE_FAILED",
	[0x25] = "RESTORE_REQUIRED",
	[0x26] = "RMP_INITIALIZATION_FAILED",
	[0x27] = "INVALID_KEY",
	[0x28] = "SHUTDOWN_INCOMPLETE",
	/* 0x29-0x2f are unassigned */
	[0x30] = "INCORRECT_BUFFER_LENGTH",
	[0x31] = "EXPAND_BUFFER_LENGTH_REQUEST",
	[0x32] = "SPDM_REQUEST",
	[0x33] = "SPDM_ERROR",
	/* 0x34 is unassigned */
	[0x35] = "ERR_IN_DEV_CONN",
	[0x36] = "INVALID_DEV_CTX",
	[0x37] = "INVALID_TDI_CTX",
	[0x38] = "INVALID_TDI",
	[0x39] = "RECLAIM_REQUIRED",
	[0x3a] = "IN_USE",
	[0x3b] = "INVALID_DEV_STATE",
	[0x3c] = "INVALID_TDI_STATE",
	[0x3d] = "DEV_CERT_CHANGED",
	[0x3e] = "RESYNC_REQ",
	[0x3f] = "RESPONSE_TOO_LARGE",
};

const char *sev_fw_error_name(uint32_t code)
{
	if (code == SEV_FW_NO_CALL)
		return "NO_FW_CALL";
	if (code >= sizeof(fw_errors) / sizeof(fw_errors[0]))
		return NULL;
	return fw_errors[code];
}

const char *sev_cmd_name(uint32_t cmd)
{
	switch (cmd) {
	case SEV_PLATFORM_STATUS:
		return "SEV_PLATFORM_STATUS";
	case SEV_PDH_CERT_EXPORT:
		return "SEV_PDH_CERT_EXPORT";
	case SEV_GET_ID2:
		return "SEV_GET_ID2";
	case SNP_PLATFORM_STATUS:
		return "SNP_PLATFORM_STATUS";
	case SNP_COMMIT:
		return "SNP_COMMIT";
	case SNP_SET_CONFIG:
		return "SNP_SET_CONFIG";
	case SNP_VLEK_LOAD:
		return "SNP_VLEK_LOAD";
	}
	return NULL;
}

const char *sev_device_path(void)
{
	const char *env = getenv("SNP_CERTCTL_DEVICE");

	return env && *env ? env : DEFAULT_DEVICE;
}

/* A failure of cmd on dev: *fault filled in, the message into why.  -ERR_PLATFORM. */
static int failed(const char *path, uint32_t cmd, int err, uint32_t fw, struct sev_fault *fault,
		  struct why *why)
{
	if (fault) {
		fault->err = err;
		fault->fw = fw;
	}
	return sev_why(why, cmd, path, err, fw);
}

static const char *path_of(const struct sev_dev *dev)
{
	return dev && dev->path ? dev->path : sev_device_path();
}

int sev_open(const char *path, bool write, struct sev_dev **out, struct sev_fault *fault,
	     struct why *why)
{
	struct sev_dev *dev = NULL;
	struct stat st;
	int flags, ret;

	if (!path || !out) {
		ret = failed(path ? path : sev_device_path(), SEV_CMD_OPEN, -EINVAL, 0, fault, why);
		goto out;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		ret = failed(path, SEV_CMD_OPEN, -ENOMEM, 0, fault, why);
		goto out;
	}
	dev->fd = -1;
	dev->path = strdup(path);
	if (!dev->path) {
		ret = failed(path, SEV_CMD_OPEN, -ENOMEM, 0, fault, why);
		goto out;
	}
	/* Never blocks (a FIFO at the path would, forever); a character device or nothing. */
	dev->fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (dev->fd < 0) {
		ret = failed(path, SEV_CMD_OPEN, -errno, 0, fault, why);
		goto out;
	}
	if (fstat(dev->fd, &st) < 0) {
		ret = failed(path, SEV_CMD_OPEN, -errno, 0, fault, why);
		goto out;
	}
	if (!S_ISCHR(st.st_mode)) {
		if (fault)
			*fault = (struct sev_fault){ .err = -ENODEV };
		ret = why_set(why, -ERR_PLATFORM, "refusing '%s': not a character device", path);
		goto out;
	}
	flags = fcntl(dev->fd, F_GETFL);
	if (flags < 0 || fcntl(dev->fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		ret = failed(path, SEV_CMD_OPEN, -errno, 0, fault, why);
		goto out;
	}
	*out = dev;
	dev = NULL;
	ret = 0;
out:
	sev_close(dev);
	return ret;
}

void sev_close(struct sev_dev *dev)
{
	if (!dev)
		return;
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev->path);
	free(dev);
}

const char *sev_dev_path(const struct sev_dev *dev)
{
	return dev ? dev->path : NULL;
}

int sev_issue(struct sev_dev *dev, uint32_t cmd, void *data, uint32_t *fw_error)
{
	struct sev_issue_cmd arg = { .cmd = cmd, .data = (uint64_t)(uintptr_t)data };
	int ret = 0;

	if (fw_error)
		*fw_error = 0;
	if (!dev || dev->fd < 0)
		return -EBADF;
	do {
		ret = ioctl(dev->fd, SEV_ISSUE_CMD, &arg);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		ret = -errno;
	else
		ret = 0;
	/* The kernel leaves error alone (0) or sets -1 when it never got that far. */
	if (fw_error)
		*fw_error = ret < 0 ? arg.error : 0;
	return ret;
}

int sev_platform_status(struct sev_dev *dev, struct snp_platform_status *out,
			struct sev_fault *fault, struct why *why)
{
	struct snp_platform_status st;
	uint32_t fw = 0;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = sev_issue(dev, SNP_PLATFORM_STATUS, &st, &fw);
	if (ret)
		return failed(path_of(dev), SNP_PLATFORM_STATUS, ret, fw, fault, why);
	*out = st;
	return 0;
}

int sev_get_id(struct sev_dev *dev, uint8_t id[SEV_CHIP_ID_LEN], struct sev_fault *fault,
	       struct why *why)
{
	struct sev_get_id2 arg;
	uint8_t *buf = NULL;
	uint32_t len = SEV_CHIP_ID_LEN, fw = 0;
	int ret = -EIO;

	/* Twice at most: our guess, then the length the firmware asked for. */
	for (int tries = 0; tries < 2; tries++) {
		free(buf);
		buf = calloc(1, len);
		if (!buf) {
			ret = -ENOMEM;
			goto out;
		}
		arg.address = (uint64_t)(uintptr_t)buf;
		arg.length = len;
		ret = sev_issue(dev, SEV_GET_ID2, &arg, &fw);
		if (ret == 0)
			break;
		if (ret != -EIO || fw != 0x04 /* INVALID_LENGTH */ || arg.length <= len ||
		    arg.length > SEV_CHIP_ID_MAX)
			goto out;
		len = arg.length;
	}
	if (ret)
		goto out;
	if (arg.length < SEV_CHIP_ID_LEN) {
		ret = -EBADMSG;
		goto out;
	}
	memcpy(id, buf, SEV_CHIP_ID_LEN);
out:
	free(buf);
	if (ret)
		return failed(path_of(dev), SEV_GET_ID2, ret, fw, fault, why);
	return 0;
}

int sev_status(struct sev_dev *dev, struct sev_status *out, struct sev_fault *fault,
	       struct why *why)
{
	struct sev_status st;
	uint32_t fw = 0;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = sev_issue(dev, SEV_PLATFORM_STATUS, &st, &fw);
	if (ret)
		return failed(path_of(dev), SEV_PLATFORM_STATUS, ret, fw, fault, why);
	*out = st;
	return 0;
}

#define FW_INVALID_LENGTH 0x04u

int sev_pdh_export(struct sev_dev *dev, uint8_t pdh[SEV_CERT_LEN], uint8_t chain[3 * SEV_CERT_LEN],
		   struct sev_fault *fault, struct why *why)
{
	struct sev_pdh_cert_export arg;
	uint32_t fw = 0;
	int ret;

	/* The length query: everything zero. */
	memset(&arg, 0, sizeof(arg));
	ret = sev_issue(dev, SEV_PDH_CERT_EXPORT, &arg, &fw);
	if (ret == 0 || (ret == -EIO && fw == FW_INVALID_LENGTH)) {
		if (arg.pdh_cert_len != SEV_CERT_LEN || arg.cert_chain_len != 3 * SEV_CERT_LEN) {
			if (fault)
				*fault = (struct sev_fault){ .err = -EBADMSG, .fw = fw };
			return why_set(why, -ERR_PLATFORM,
				       "SEV_PDH_CERT_EXPORT failed on '%s': the firmware wants %u "
				       "bytes for the PDH and %u for the chain, not %u and %u",
				       path_of(dev), arg.pdh_cert_len, arg.cert_chain_len,
				       SEV_CERT_LEN, 3 * SEV_CERT_LEN);
		}
	} else {
		return failed(path_of(dev), SEV_PDH_CERT_EXPORT, ret, fw, fault, why);
	}
	arg.pdh_cert_address = (uint64_t)(uintptr_t)pdh;
	arg.pdh_cert_len = SEV_CERT_LEN;
	arg.cert_chain_address = (uint64_t)(uintptr_t)chain;
	arg.cert_chain_len = 3 * SEV_CERT_LEN;
	ret = sev_issue(dev, SEV_PDH_CERT_EXPORT, &arg, &fw);
	if (ret)
		return failed(path_of(dev), SEV_PDH_CERT_EXPORT, ret, fw, fault, why);
	if (arg.pdh_cert_len != SEV_CERT_LEN || arg.cert_chain_len != 3 * SEV_CERT_LEN) {
		if (fault)
			*fault = (struct sev_fault){ .err = -EBADMSG };
		return why_set(why, -ERR_PLATFORM,
			       "SEV_PDH_CERT_EXPORT failed on '%s': the firmware wrote %u bytes "
			       "of PDH and %u of chain, not %u and %u", path_of(dev),
			       arg.pdh_cert_len, arg.cert_chain_len, SEV_CERT_LEN,
			       3 * SEV_CERT_LEN);
	}
	return 0;
}

int sev_get_id2_all(struct sev_dev *dev, uint8_t **id, size_t *len, struct sev_fault *fault,
		    struct why *why)
{
	struct sev_get_id2 arg = { 0 };
	uint8_t *buf = NULL;
	uint32_t fw = 0, want;
	int ret;

	*id = NULL;
	*len = 0;
	/* The length query: no buffer. */
	ret = sev_issue(dev, SEV_GET_ID2, &arg, &fw);
	if (ret && !(ret == -EIO && fw == FW_INVALID_LENGTH))
		return failed(path_of(dev), SEV_GET_ID2, ret, fw, fault, why);
	want = arg.length;
	if (want < SEV_CHIP_ID_LEN || want > SEV_CHIP_ID_MAX) {
		if (fault)
			*fault = (struct sev_fault){ .err = -EBADMSG, .fw = fw };
		return why_set(why, -ERR_PLATFORM,
			       "SEV_GET_ID2 failed on '%s': the firmware wants a %u-byte buffer "
			       "(a chip id is %u to %u)", path_of(dev), want, SEV_CHIP_ID_LEN,
			       SEV_CHIP_ID_MAX);
	}
	buf = calloc(1, want);
	if (!buf)
		return failed(path_of(dev), SEV_GET_ID2, -ENOMEM, 0, fault, why);
	arg.address = (uint64_t)(uintptr_t)buf;
	arg.length = want;
	ret = sev_issue(dev, SEV_GET_ID2, &arg, &fw);
	if (ret == 0 && (arg.length < SEV_CHIP_ID_LEN || arg.length > want))
		ret = -EBADMSG;
	if (ret) {
		free(buf);
		return failed(path_of(dev), SEV_GET_ID2, ret, fw, fault, why);
	}
	*id = buf;
	*len = arg.length;
	return 0;
}

int sev_commit(struct sev_dev *dev, struct sev_fault *fault, struct why *why)
{
	uint32_t fw = 0;
	int ret = sev_issue(dev, SNP_COMMIT, NULL, &fw);

	if (ret)
		return failed(path_of(dev), SNP_COMMIT, ret, fw, fault, why);
	return 0;
}

int sev_set_config(struct sev_dev *dev, uint64_t reported_tcb, bool mask_chip_id,
		   bool mask_chip_key, struct sev_fault *fault, struct why *why)
{
	struct snp_config cfg;
	uint32_t fw = 0;
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.reported_tcb = reported_tcb;
	cfg.flags = (mask_chip_id ? SNP_CONFIG_MASK_CHIP_ID : 0) |
		    (mask_chip_key ? SNP_CONFIG_MASK_CHIP_KEY : 0);
	ret = sev_issue(dev, SNP_SET_CONFIG, &cfg, &fw);
	if (ret)
		return failed(path_of(dev), SNP_SET_CONFIG, ret, fw, fault, why);
	return 0;
}

int sev_vlek_load(struct sev_dev *dev, const uint8_t hashstick[SNP_VLEK_HASHSTICK_LEN],
		  struct sev_fault *fault, struct why *why)
{
	struct snp_vlek_load arg;
	uint32_t fw = 0;
	int ret;

	memset(&arg, 0, sizeof(arg));
	arg.len = sizeof(arg);
	arg.vlek_wrapped_version = 0;
	arg.vlek_wrapped_address = (uint64_t)(uintptr_t)hashstick;
	ret = sev_issue(dev, SNP_VLEK_LOAD, &arg, &fw);
	if (ret)
		return failed(path_of(dev), SNP_VLEK_LOAD, ret, fw, fault, why);
	return 0;
}

void sev_error_text(int ret, uint32_t fw_error, char *buf, size_t len)
{
	const char *name = sev_fw_error_name(fw_error);

	if (fw_error != 0 && fw_error != SEV_FW_NO_CALL) {
		if (name)
			snprintf(buf, len, "firmware error %s (%u)", name, fw_error);
		else
			snprintf(buf, len, "firmware error 0x%x", fw_error);
		return;
	}
	snprintf(buf, len, "%s", strerror(ret < 0 ? -ret : ret));
}

int sev_why(struct why *why, uint32_t cmd, const char *path, int err, uint32_t fw)
{
	const char *name = sev_cmd_name(cmd);
	char text[128];

	sev_error_text(err, fw, text, sizeof(text));
	if (cmd == SEV_CMD_OPEN)
		return why_set(why, -ERR_PLATFORM, "cannot open '%s': %s", path, text);
	if (name)
		return why_set(why, -ERR_PLATFORM, "%s failed on '%s': %s", name, path, text);
	return why_set(why, -ERR_PLATFORM, "SEV command %u failed on '%s': %s", cmd, path, text);
}
