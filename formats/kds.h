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
 * The cloud providers' (CSP) endpoint: VLEKs and hashsticks.  KDS serves it
 * on another port of the same host (https://kdsintf.amd.com:444) and only
 * to a client that presents the certificate AMD issued to the provider.
 * Paths and formats as virtee/snphost uses them (src/cert/fetch/vek.rs,
 * "vlek/v1/{product}/cert", and src/cert/fetch/hashsticks.rs,
 * "vlek/v1/{product}/hash_sticks"); AMD's KDS specification (57230) does
 * not describe this endpoint in its public revisions:
 *   VLEK        GET  /vlek/v1/<Product>/cert?<SPLs as for a VCEK>        DER
 *   hashsticks  POST /vlek/v1/<Product>/hash_sticks?<SPLs as for a VCEK>
 *               body {"hwids":["<chip id hex>"]} (application/json),
 *               reply {"results":[{"<chip id hex>":"<hashstick hex>"}]},
 *               the value "not found" when KDS has none for that chip.
 * The SPLs are the reported TCB of the product's layout (fmcSPL first on
 * Turin).  0, -EINVAL (unknown product, an fmc SPL on Milan/Genoa) or -ENOSPC.
 */
#define KDS_HASHSTICK_LEN 432 /* a wrapped VLEK, as SNP_VLEK_LOAD takes it */
int kds_vlek_path(enum amd_product p, const struct amd_tcb *tcb, char *buf, size_t len);
int kds_hashsticks_path(enum amd_product p, const struct amd_tcb *tcb, char *buf, size_t len);

/*
 * The request body for one chip id (lowercase hex).  0 or -EINVAL/-ENOSPC.
 * KDS_HASHSTICKS_BODY_MAX always suffices.
 */
#define KDS_HASHSTICKS_BODY_MAX (2 * AMD_HWID_MAX + 32)
int kds_hashsticks_body(const uint8_t *hwid, size_t hwid_len, char *buf, size_t len);

/*
 * The hashstick for hwid in a hash_sticks reply: exactly the JSON above
 * (white space allowed between tokens, keys compared case-insensitively,
 * no escapes in strings; other chips' results are skipped), its value
 * 2 * KDS_HASHSTICK_LEN hex digits.  0 with the bytes in out, -ENOENT
 * (KDS said "not found", or no result for hwid), -EBADMSG (not such a
 * reply, or the value is not a hashstick of KDS_HASHSTICK_LEN bytes).
 */
int kds_hashsticks_parse(const void *reply, size_t len, const uint8_t *hwid, size_t hwid_len,
			 uint8_t out[KDS_HASHSTICK_LEN]);

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
 *   vlek/<Product>/cert/<TCB_VERSION hex>.der                 a VLEK
 *   vlek/<Product>/hash_sticks/<hwid hex>/<TCB_VERSION hex>.bin  a hashstick
 * (one cache serves one provider: KDS picks the VLEK by the client
 * certificate, which the names do not carry).
 */
int kds_vlek_name(enum amd_product p, const struct amd_tcb *tcb, char *buf, size_t len);
int kds_hashstick_name(enum amd_product p, const uint8_t *hwid, size_t hwid_len,
		       const struct amd_tcb *tcb, char *buf, size_t len);

/*
 * The legacy SEV (pre-SNP) CEK of a chip: the whole GET_ID2 answer (64
 * bytes per socket, 1 to KDS_CEK_ID_MAX bytes) in uppercase hex, as sevctl
 * asks for it; KDS answers the raw 2084-byte CEK signed by the ASK:
 *   request  /cek/id/<HEX>
 *   cache    cek/id/<HEX>.cert
 * KDS_CEK_PATH_MAX always suffices.  0, -EINVAL (no id, too long) or -ENOSPC.
 */
#define KDS_CEK_ID_MAX 512
#define KDS_CEK_PATH_MAX (2 * KDS_CEK_ID_MAX + 16)
int kds_cek_path(const uint8_t *id, size_t id_len, char *buf, size_t len);
int kds_cek_name(const uint8_t *id, size_t id_len, char *buf, size_t len);

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
