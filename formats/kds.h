/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AMD Key Distribution Service (KDS): the request paths for VCEKs, CA
 * chains and CRLs, the cert_chain reply, and the names under which the
 * replies are cached.  No I/O.  See formats/kds-protocol.md.
 */
#ifndef SNPCERT_FORMATS_KDS_H
#define SNPCERT_FORMATS_KDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "amdcert.h"

/* Largest path kds_*_path() and kds_*_name() produce, NUL included. */
#define KDS_PATH_MAX 256

/* Which key family a CA chain or CRL is for: /vcek/v1/... or /vlek/v1/... */
enum kds_family {
	KDS_FAMILY_VCEK = 0,
	KDS_FAMILY_VLEK,
};

/*
 * What VCEK to fetch: a plain struct that the command line or the platform
 * (SNP_PLATFORM_STATUS reported TCB, GET_ID2 chip id) fills.
 *  - product: Milan, Genoa or Turin;
 *  - hwid/hwid_len: the chip id, 64 bytes as GET_ID2 returns it; on Turin
 *    8 bytes suffice (only the first 8 are used, as KDS does);
 *  - tcb: the *reported* TCB (fmc only on Turin).
 */
struct kds_vcek_id {
	enum amd_product product;
	uint8_t hwid[AMD_HWID_MAX];
	size_t hwid_len;
	struct amd_tcb tcb;
};

/*
 * Check id and reduce its chip id to the amd_hwid_len() bytes KDS uses
 * (Turin: the first 8).  0, or -EINVAL (unknown product, a chip id length
 * amd_chip_id_len_valid() refuses, an fmc SPL on Milan/Genoa).
 */
int kds_vcek_id_normalize(struct kds_vcek_id *id);

/*
 * The request paths, relative to the KDS base URL (they start with '/'):
 *   VCEK Milan/Genoa  /vcek/v1/Milan/<128 hex>?blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U
 *   VCEK Turin        /vcek/v1/Turin/<16 hex>?fmcSPL=F&blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U
 *   CA chain          /{vcek,vlek}/v1/<Product>/cert_chain
 *   CRL               /{vcek,vlek}/v1/<Product>/crl
 * Hex is lowercase, SPLs decimal.  0, -EINVAL (bad id or product) or
 * -ENOSPC (buf too small; KDS_PATH_MAX always suffices).
 */
int kds_vcek_path(const struct kds_vcek_id *id, char *buf, size_t len);
int kds_chain_path(enum amd_product p, enum kds_family f, char *buf, size_t len);
int kds_crl_path(enum amd_product p, enum kds_family f, char *buf, size_t len);

/*
 * Cache names, relative to the cache directory, mirroring the KDS paths:
 *   vcek/<Product>/<hwid hex>/<TCB_VERSION as 16 hex digits>.der
 *   {vcek,vlek}/<Product>/cert_chain.pem
 *   {vcek,vlek}/<Product>/crl.der
 * The VCEK name carries the product, the chip id and the whole TCB, so two
 * TCBs never share an entry.  Same returns as the paths.
 */
int kds_vcek_name(const struct kds_vcek_id *id, char *buf, size_t len);
int kds_chain_name(enum amd_product p, enum kds_family f, char *buf, size_t len);
int kds_crl_name(enum amd_product p, enum kds_family f, char *buf, size_t len);

/*
 * One line naming a VCEK request for messages:
 * "Milan VCEK hwid 3ac3fe21...5d TCB bl=2,tee=0,snp=5,ucode=68".
 */
void kds_vcek_describe(const struct kds_vcek_id *id, char *buf, size_t len);

/*
 * Split a cert_chain reply: PEM, the ASK (or ASVK) first, then the ARK, and
 * nothing else but white space.  Returns 0 with new X509s in *mid and *ark,
 * -EBADMSG (not two PEM certificates), -ENOMEM.  The certificates are not
 * checked here: see amd_cert_check_signature() and amd_trust.
 */
int kds_chain_split(const void *pem, size_t len, X509 **mid, X509 **ark);

/*
 * A Retry-After header value: delay-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", taken relative to now).  Sets *secs
 * (0 for a date in the past) and returns 0, or -EINVAL.
 */
int kds_parse_retry_after(const char *value, time_t now, unsigned long *secs);

#endif
