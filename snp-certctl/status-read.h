/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What status reports and check judges, read once: the host around the
 * SEV device (modules, sev_snp, product, CPU), the firmware's view
 * (SNP_PLATFORM_STATUS, SEV_GET_ID2) and every table in the store judged
 * against it.  Read-only: the device is opened O_RDONLY, no lock is taken
 * (tables are read as a VMM reads them, under the shared lock).
 */
#ifndef SNP_CERTCTL_STATUS_READ_H
#define SNP_CERTCTL_STATUS_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "amdcert.h"
#include "base.h"
#include "errors.h"
#include "json.h"
#include "platform.h"
#include "sev.h"

/* What the host and firmware said. */
struct status_platform {
	const char *path;
	bool present;                /* the device exists */
	bool opened;                 /* and could be opened */
	char error[192];             /* opening it or SNP_PLATFORM_STATUS failed */
	bool have_status;
	struct snp_platform_status st;
	bool have_chip_id;           /* read, and not all zeros */
	bool chip_id_masked;
	uint8_t chip_id[SEV_CHIP_ID_LEN];
	char chip_id_error[192];
	enum module_state kvm_amd, ccp;
	enum tristate sev_snp;
	enum amd_product product;
	enum platform_source source;
	struct platform_cpu cpu;
	bool have_cpu;
	/* The legacy SEV (pre-SNP) platform: SEV_PLATFORM_STATUS and the PEK it exports. */
	bool have_legacy;
	struct sev_status legacy;
	char legacy_error[192];      /* SEV_PLATFORM_STATUS failed */
	bool have_fw_pek;
	uint8_t fw_pek[SEV_CERT_LEN];
	char fw_pek_error[WHY_MAX];  /* SEV_PDH_CERT_EXPORT failed */
	/*
	 * The stored chain (<store>/sev/pek.cert) against the firmware's PEK,
	 * by key (status_read()): "match", "mismatch", "absent" (no stored
	 * chain), "malformed" (not a PEK certificate), "unreadable",
	 * "unknown" (no legacy platform, or its PEK could not be exported).
	 */
	const char *sev_chain;
	char sev_chain_path[4096];
	char sev_chain_detail[WHY_MAX];
	/* The certificate exit (Linux 7.0): opening /dev/kvm, then snpcert_kvm_probe(). */
	int kvm_open_err;            /* -errno, else 0 */
	int kvm_req_certs;           /* 0: the kernel has it; -errno (-ENXIO: it has not) */
};

#define STATUS_KVM_DEVICE "/dev/kvm"
/* status's and check's words for kvm_req_certs: "yes", "no" or "unknown". */
const char *status_kvm_req_certs(const struct status_platform *p);

/* What one table says. */
struct status_table {
	char *name;                  /* as found in the store */
	char *path;
	const char *status;          /* "match", "tcb-mismatch", ... (status --help) */
	char detail[WHY_MAX];
	bool has_key;
	bool vlek;
	bool interrupted;            /* its journal holds an update (cmd_interrupted) */
	struct amd_cert_info info;   /* the endorsement key, when has_key */
	/* The certificate that expires first (has_expiry): its kind and end. */
	bool has_expiry;
	enum amd_cert_kind expiry_kind;
	time_t not_after;
	/* Each kind's certificate (the first to expire of a kind): its end. */
	bool has_not_after[AMD_CERT_VLEK + 1];
	time_t cert_not_after[AMD_CERT_VLEK + 1];
};

/* The store and its tables, judged. */
struct status_store {
	const char *path;
	const char *error;           /* strerror() of listing it failed, else NULL */
	int list_error;              /* -errno of that, else 0 */
	size_t unmanaged;            /* entries that are not regular files */
	struct status_table *v;
	size_t n;
};

/* Read the platform (product_override: the product setting).  Warns on stderr of failures. */
void status_read_platform(struct status_platform *p, const char *product_override);
/*
 * List the store dir and judge each table against p, all by one lock
 * timeout (seconds).  0, or -ENOMEM (said).  A store that cannot be
 * listed is not an error: s->error says (and, unless missing, a warning).
 */
int status_read_store(struct status_store *s, const char *dir, const struct status_platform *p,
		      double lock_timeout);
void status_store_free(struct status_store *s);
/*
 * Both, as the settings say (product, store, lock_timeout; ctx loaded):
 * 0, or -ENOMEM (said).  Free *s with status_store_free() either way.
 */
struct ctx;
int status_read(const struct ctx *ctx, struct status_platform *p, struct status_store *s);

/*
 * Judge the stored SEV chain (<store>/sev/pek.cert, or dir/pek.cert) against
 * p's exported PEK into p->sev_chain*.  status_read() does it.  0 or -ENOMEM.
 */
int status_read_sev_chain(struct status_platform *p, const char *dir);
/* The legacy platform state: "uninit", "init", "working", "unknown". */
const char *status_sev_state_name(uint8_t state);

/* "uninit", "init", "unknown". */
const char *status_state_name(uint8_t state);
/* A firmware TCB as text, decoded in p's layout when p is known. */
void status_tcb_text(enum amd_product p, uint64_t raw, char *buf, size_t len);
/* A firmware TCB as JSON (jout_tcb), decoded when p is known. */
void status_tcb_json(struct jout *j, const char *key, enum amd_product p, uint64_t raw);

#endif
