/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SEV device (/dev/sev): the few SEV and SEV-SNP platform commands the
 * program issues, with the project's own definitions of the ioctl ABI
 * (Debian 12's kernel headers lack the SNP commands).  Layouts follow the
 * kernel's include/uapi/linux/psp-sev.h and the SEV-SNP firmware ABI; see
 * facts.md section 4.  Every layout is checked at compile time in sev.c.
 *
 * The error convention of errors.h: sev_open() and the commands return 0,
 * or -ERR_PLATFORM with the whole message in *why ("SNP_COMMIT failed on
 * '/dev/sev': firmware error INVALID_PLATFORM_STATE (1)"), and never print.
 * What the kernel and the firmware said goes into *fault (may be NULL) for
 * callers that show it in their own words (status): when the firmware ran
 * and refused a command, the ioctl failed with -EIO and fault->fw holds the
 * firmware status code.
 */
#ifndef SNP_CERTCTL_SEV_H
#define SNP_CERTCTL_SEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "errors.h"
#include "sevcert.h" /* SEV_CERT_LEN */

/* The ioctl argument: everything goes through SEV_ISSUE_CMD. */
struct sev_issue_cmd {
	uint32_t cmd;   /* in: one of the command ids below */
	uint64_t data;  /* in: user address of the command's structure, or 0 */
	uint32_t error; /* out: firmware status code */
} __attribute__((packed));

#define SEV_IOC_TYPE 'S'
#define SEV_ISSUE_CMD _IOWR(SEV_IOC_TYPE, 0x0, struct sev_issue_cmd) /* 0xC0105300 */

/* Command ids (the kernel's, not the firmware's, numbering). */
enum {
	SEV_PLATFORM_STATUS = 1,
	SEV_PDH_CERT_EXPORT = 5,
	SEV_GET_ID2 = 8,
	SNP_PLATFORM_STATUS = 9,
	SNP_COMMIT = 10,
	SNP_SET_CONFIG = 11,
	SNP_VLEK_LOAD = 12,
};

/* SEV_GET_ID2: the chip id, 64 bytes per socket. */
struct sev_get_id2 {
	uint64_t address; /* in: buffer */
	uint32_t length;  /* in: buffer size; out: the length the firmware has */
} __attribute__((packed));

#define SEV_CHIP_ID_LEN 64
#define SEV_CHIP_ID_MAX 4096 /* never allocate more than this for GET_ID2 */

/* SEV_PLATFORM_STATUS: the legacy SEV (pre-SNP) platform. */
struct sev_status {
	uint8_t api_major;
	uint8_t api_minor;
	uint8_t state;        /* SEV_STATE_* */
	uint32_t flags;       /* SEV_FLAG_* */
	uint8_t build;
	uint32_t guest_count;
} __attribute__((packed));

#define SEV_STATE_UNINIT 0
#define SEV_STATE_INIT 1
#define SEV_STATE_WORKING 2
#define SEV_FLAG_OWNED_EXTERNALLY 0x1u
#define SEV_FLAG_ES 0x100u

/* SEV_PDH_CERT_EXPORT: both lengths in/out. */
struct sev_pdh_cert_export {
	uint64_t pdh_cert_address;
	uint32_t pdh_cert_len;
	uint64_t cert_chain_address;
	uint32_t cert_chain_len;
} __attribute__((packed));

/* SNP_PLATFORM_STATUS. */
struct snp_platform_status {
	uint8_t api_major;
	uint8_t api_minor;
	uint8_t state;             /* SNP_STATE_* */
	uint8_t rmp;               /* bit 0: RMP initialized; 1-7 reserved */
	uint32_t build_id;
	uint32_t features;         /* SNP_FEATURE_* */
	uint32_t guest_count;
	uint64_t current_tcb;      /* TCB_VERSION of the installed firmware */
	uint64_t reported_tcb;     /* TCB_VERSION the firmware puts into reports */
} __attribute__((packed));

#define SNP_STATE_UNINIT 0
#define SNP_STATE_INIT 1
#define SNP_RMP_INITIALIZED (1u << 0)
#define SNP_FEATURE_MASK_CHIP_ID (1u << 0)
#define SNP_FEATURE_MASK_CHIP_KEY (1u << 1)
#define SNP_FEATURE_VLEK_EN (1u << 2)

/* SNP_SET_CONFIG (the firmware's SNP_CONFIG). */
struct snp_config {
	uint64_t reported_tcb;
	uint32_t flags;            /* SNP_CONFIG_* */
	uint8_t reserved[52];      /* must be zero */
} __attribute__((packed));

#define SNP_CONFIG_MASK_CHIP_ID (1u << 0)
#define SNP_CONFIG_MASK_CHIP_KEY (1u << 1)

/* SNP_VLEK_LOAD. */
struct snp_vlek_load {
	uint32_t len;                  /* sizeof(struct snp_vlek_load) = 16 */
	uint8_t vlek_wrapped_version;  /* 0 */
	uint8_t rsvd[3];
	uint64_t vlek_wrapped_address; /* the hashstick, SNP_VLEK_HASHSTICK_LEN bytes */
} __attribute__((packed));

#define SNP_VLEK_HASHSTICK_LEN 432

/* The kernel's "the firmware was never called" value of error. */
#define SEV_FW_NO_CALL 0xffffffffu

/* An open SEV device. */
struct sev_dev;

/* What the kernel and the firmware answered to a failed open or command. */
struct sev_fault {
	int err;     /* -errno of open(2) or the ioctl (-EIO: the firmware refused), or -EBADMSG */
	uint32_t fw; /* the firmware status code; 0 or SEV_FW_NO_CALL when it never ran */
};

/* The device path: $SNP_CERTCTL_DEVICE, or DEFAULT_DEVICE ("/dev/sev"). */
const char *sev_device_path(void);

/*
 * Open path (O_RDWR when write, which SNP_SET_CONFIG and SNP_VLEK_LOAD
 * need; O_RDONLY otherwise; always O_CLOEXEC).  0, or -ERR_PLATFORM with
 * why "cannot open 'PATH': ..." and fault->err open(2)'s -errno (-ENOENT:
 * no such device).  The path is copied.
 */
int sev_open(const char *path, bool write, struct sev_dev **out, struct sev_fault *fault,
	     struct why *why);
/* Close; NULL is fine. */
void sev_close(struct sev_dev *dev);
const char *sev_dev_path(const struct sev_dev *dev);

/*
 * The raw primitive under the commands: issue one command, no message.
 * *fw_error (may be NULL) is set to the firmware status code: 0 on
 * success, and 0 or SEV_FW_NO_CALL when the kernel refused the command
 * without calling the firmware.  0, -EIO (firmware error), or another
 * -errno from the kernel (-EPERM: the command needs the device opened for
 * writing; -EBADF: no device).
 */
int sev_issue(struct sev_dev *dev, uint32_t cmd, void *data, uint32_t *fw_error);

/*
 * The commands.  Each returns 0, or -ERR_PLATFORM with why "NAME failed on
 * 'PATH': REASON" (REASON as sev_error_text() words it) and *fault (may be
 * NULL) filled in.
 */
/* SNP_PLATFORM_STATUS into *out. */
int sev_platform_status(struct sev_dev *dev, struct snp_platform_status *out,
			struct sev_fault *fault, struct why *why);
/*
 * SEV_GET_ID2: the chip id of the first socket.  A firmware that needs a
 * larger buffer (INVALID_LENGTH with the length it wants) is asked again
 * with that length.  fault->err is -EBADMSG when it has fewer than 64 bytes.
 */
int sev_get_id(struct sev_dev *dev, uint8_t id[SEV_CHIP_ID_LEN], struct sev_fault *fault,
	       struct why *why);
/* SEV_PLATFORM_STATUS into *out. */
int sev_status(struct sev_dev *dev, struct sev_status *out, struct sev_fault *fault,
	       struct why *why);
/*
 * SEV_PDH_CERT_EXPORT: first a length query (all zero: the firmware answers
 * INVALID_LENGTH with the lengths it has), which must say 2084 and 6252
 * (else fault->err -EBADMSG and why says what it said), then the real
 * call: pdh the PDH certificate, chain PEK || OCA || CEK (the CEK as the
 * firmware has it: unsigned).  The kernel lets a read-only descriptor
 * export only while the platform is INIT (-EPERM otherwise).
 */
int sev_pdh_export(struct sev_dev *dev, uint8_t pdh[SEV_CERT_LEN], uint8_t chain[3 * SEV_CERT_LEN],
		   struct sev_fault *fault, struct why *why);
/*
 * SEV_GET_ID2, all of it: a length query (address and length 0: the
 * firmware answers INVALID_LENGTH with the length), then the buffer.  *id
 * is malloc'd, *len bytes (64 per socket; between 64 and SEV_CHIP_ID_MAX,
 * else fault->err -EBADMSG).
 */
int sev_get_id2_all(struct sev_dev *dev, uint8_t **id, size_t *len, struct sev_fault *fault,
		    struct why *why);
/* SNP_COMMIT: the current firmware becomes the committed (minimum) one. */
int sev_commit(struct sev_dev *dev, struct sev_fault *fault, struct why *why);
/* SNP_SET_CONFIG: the reported TCB and the chip id/key masks.  Needs write. */
int sev_set_config(struct sev_dev *dev, uint64_t reported_tcb, bool mask_chip_id,
		   bool mask_chip_key, struct sev_fault *fault, struct why *why);
/* SNP_VLEK_LOAD: load a wrapped VLEK (hashstick).  Needs write. */
int sev_vlek_load(struct sev_dev *dev, const uint8_t hashstick[SNP_VLEK_HASHSTICK_LEN],
		  struct sev_fault *fault, struct why *why);

/* "SUCCESS", "INVALID_PLATFORM_STATE", ...; NULL for a code without a name. */
const char *sev_fw_error_name(uint32_t code);
/* "SEV_GET_ID2", "SNP_PLATFORM_STATUS", ...; NULL for an unknown id. */
const char *sev_cmd_name(uint32_t cmd);
/*
 * Why a command failed, one phrase: "firmware error INVALID_PLATFORM_STATE
 * (1)" when the firmware refused it, else strerror(-ret).
 */
void sev_error_text(int ret, uint32_t fw_error, char *buf, size_t len);

/* cmd value for sev_why() after a failed open(2) of the device. */
#define SEV_CMD_OPEN 0xffffffffu
/*
 * The message for a failed command into why: "CMD failed on 'PATH': WHY"
 * ("SEV command N failed on ..." for an id without a name), or "cannot
 * open 'PATH': WHY" for SEV_CMD_OPEN, WHY as sev_error_text() words err
 * and fw.  Returns -ERR_PLATFORM.
 */
int sev_why(struct why *why, uint32_t cmd, const char *path, int err, uint32_t fw);

#endif
