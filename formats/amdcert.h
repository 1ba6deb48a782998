/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AMD SEV-SNP certificates (OpenSSL 3): loading PEM or DER, the AMD X.509
 * extensions of VCEKs and VLEKs, the built-in AMD roots and the chain
 * checks ARK -> ASK -> VCEK and ARK -> ASVK -> VLEK.
 * See formats/amd-certificates.md.  Knows nothing of files or locks.
 * Products and TCBs are in amdtcb.h (no OpenSSL), included here.
 * Implemented in amdcert.c (loading, extensions, kind names), vcekmatch.c
 * (a VCEK against a chip and TCB), amdchain.c (built-in roots, trust set,
 * signature and chain checks, check lists) and amdcrl.c (CRLs).
 */
#ifndef SNPCERT_FORMATS_AMDCERT_H
#define SNPCERT_FORMATS_AMDCERT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "amdtcb.h"

enum amd_cert_kind {
	AMD_CERT_UNKNOWN = 0,
	AMD_CERT_ARK,
	AMD_CERT_ASK,
	AMD_CERT_ASVK,
	AMD_CERT_VCEK,
	AMD_CERT_VLEK,
};

/* What one certificate says, decoded.  Strings are NUL-terminated. */
struct amd_cert_info {
	enum amd_cert_kind kind;      /* from the subject CN */
	enum amd_product product;     /* from productName, or the CN suffix */
	char subject[512];            /* RFC 2253 one-line form */
	char issuer[512];
	char common_name[128];
	time_t not_before, not_after;
	/* AMD extensions (VCEK/VLEK only); has_* says which were present. */
	bool has_struct_version, has_product_name, has_tcb, has_hwid, has_csp_id;
	long struct_version;
	char product_name[64];        /* raw productName, e.g. "Milan-B0" */
	struct amd_tcb tcb;
	uint8_t hwid[AMD_HWID_MAX];
	size_t hwid_len;              /* 64 on Milan/Genoa, 8 on Turin */
	char csp_id[128];
	unsigned char sha256[32];     /* digest of the DER encoding */
};

/* "ark", "ask", "asvk", "vcek", "vlek", "unknown". */
const char *amd_cert_kind_name(enum amd_cert_kind k);

/*
 * Load one certificate, PEM or DER (auto-detected).  Returns 0 and a new
 * X509 in *out, or -EBADMSG (not a certificate), -ENOMEM.
 */
int amd_cert_load(const void *buf, size_t len, X509 **out);
/* The DER encoding, malloc'd.  0 or -ENOMEM/-EBADMSG. */
int amd_cert_der(X509 *cert, uint8_t **der, size_t *len);
/*
 * Are a and b the same certificate, byte for byte in DER?  false when
 * either is NULL or cannot be encoded.
 */
bool amd_cert_equal(X509 *a, X509 *b);
/*
 * Decode the subject, validity and AMD extensions.  Returns 0, or -EBADMSG
 * when an AMD extension is present but malformed (an SPL outside 0..255, a
 * productName that is not an IA5String, ...); *info is zeroed first.
 */
int amd_cert_info(X509 *cert, struct amd_cert_info *info);

/*
 * Why a VCEK does not match (amd_vcek_match()).  Negative, but not errno
 * values: a caller maps each to its own words and exit status.
 */
enum amd_vcek_mismatch {
	AMD_VCEK_NOT_VCEK = -1,   /* not a VCEK (a VLEK carries no hwID) */
	AMD_VCEK_INCOMPLETE = -2, /* lacks productName, or the TCB or hwID to compare */
	AMD_VCEK_PRODUCT = -3,    /* for another product */
	AMD_VCEK_CHIP = -4,       /* for another chip */
	AMD_VCEK_TCB = -5,        /* for another TCB */
};

/*
 * Is the VCEK key (decoded) the one for product p, chip id chip_id and
 * TCB tcb?  Checked in this order:
 *  - key is a VCEK, else AMD_VCEK_NOT_VCEK;
 *  - it carries productName, and the TCB and hwID when they are compared,
 *    else AMD_VCEK_INCOMPLETE;
 *  - it is for p (AMD_PRODUCT_UNKNOWN matches no key), else
 *    AMD_VCEK_PRODUCT;
 *  - chip_id (chip_id_len bytes; NULL: not compared) has a length
 *    amd_chip_id_len_valid(p) accepts, the key's hwID is amd_hwid_len(p)
 *    bytes and equals the first amd_hwid_len(p) bytes of chip_id, else
 *    AMD_VCEK_CHIP;
 *  - tcb (NULL: not compared) equals the key's in p's layout, else
 *    AMD_VCEK_TCB.
 * why (len bytes, or NULL and 0) gets one complete phrase about the key:
 * "it is for chip 00010203...c0, not 00010203...3f", "it is for TCB
 * bl=3,tee=1,snp=8,ucode=116, not bl=3,tee=1,snp=8,ucode=115", or on a
 * match "it is for chip 00010203...3f and TCB bl=3,tee=1,snp=8,ucode=115".
 * Returns 0 on a match, an enum amd_vcek_mismatch, or -EINVAL (key NULL).
 */
int amd_vcek_match(const struct amd_cert_info *key, enum amd_product p, const uint8_t *chip_id,
		   size_t chip_id_len, const struct amd_tcb *tcb, char *why, size_t len);

/* The built-in AMD roots, as embedded DER.  NULL when there is none. */
const uint8_t *amd_builtin_cert(enum amd_product p, enum amd_cert_kind k, size_t *len);

/*
 * A set of trusted ARKs: the built-in ones plus any extra PEM roots.
 */
struct amd_trust;
int amd_trust_new(struct amd_trust **out);           /* with the built-in ARKs */
int amd_trust_add_pem(struct amd_trust *t, const void *pem, size_t len); /* 0, -EBADMSG */
void amd_trust_free(struct amd_trust *t);
/* The trusted ARK for a product (built-in or extra, matched by CN), or NULL. */
X509 *amd_trust_ark(const struct amd_trust *t, enum amd_product p);
/* Is the trusted ARK for p AMD's own, the built-in one (then so is its ASK)? */
bool amd_trust_ark_is_builtin(const struct amd_trust *t, enum amd_product p);

/*
 * One result line of a chain check; a chain check yields several.
 * name is a short stable identifier ("ark-trusted", "ask-signature", ...);
 * detail is one human sentence.
 */
struct amd_check {
	char name[32];
	bool ok;
	char detail[256];
};

struct amd_check_list {
	struct amd_check *v;
	size_t n, cap;
};
void amd_check_list_free(struct amd_check_list *l);
/* Is every check of a non-empty list ok? */
bool amd_check_list_ok(const struct amd_check_list *l);
/*
 * Append one check: name, ok, and the detail as printf(fmt, ...) (both cut
 * to fit).  0, -ENOMEM (l unchanged) or -EINVAL.
 */
int amd_check_add(struct amd_check_list *l, const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int amd_check_addv(struct amd_check_list *l, const char *name, bool ok, const char *fmt,
		   va_list ap) __attribute__((format(printf, 4, 0)));

/*
 * Verify leaf (VCEK or VLEK) <- mid (ASK or ASVK) <- ark at time `at`:
 *  - ark is self-signed and is (byte for byte) a trusted ARK of t;
 *  - every signature is RSASSA-PSS with SHA-384, MGF1-SHA-384, salt 48,
 *    trailer 1, checked by hand (X509_verify alone is too lax);
 *  - mid is an ASK for a VCEK, an ASVK for a VLEK, issued by that ARK;
 *  - leaf is issued and signed by mid (never straight by the ARK);
 *  - ARK/ASK/ASVK keys are RSA, the leaf key EC P-384;
 *  - all products agree;
 *  - every certificate is valid at `at`.
 * mid and ark may be NULL: the built-in ones for the leaf's product are
 * used.  Appends one amd_check per check to *out, in order, and returns 0
 * when all passed, -EBADMSG when any failed, -ENOMEM.
 */
int amd_chain_verify(X509 *leaf, X509 *mid, X509 *ark, const struct amd_trust *t, time_t at,
		     struct amd_check_list *out);

/*
 * CRLs (amdcrl.c).  amd_crl_load: a CRL, PEM or DER (auto-detected; DER
 * must fill buf), as DER in a new malloc'd *der.  0, -EBADMSG (not a CRL),
 * -ENOMEM, -EINVAL.
 * amd_crl_verify: a CRL (exactly one DER CRL) is issued by ark and signed
 * by it with the AMD PSS parameters.  0, -EBADMSG or -EINVAL.
 * amd_crl_revokes: does the CRL (DER) list cert (its serial, under cert's
 * issuer) as revoked?  1 yes, 0 no, -EBADMSG (not a DER CRL), -EINVAL.
 * Neither of the last two says the CRL is current: its dates are not read.
 */
int amd_crl_load(const void *buf, size_t len, uint8_t **der, size_t *der_len);
int amd_crl_verify(const void *der, size_t len, X509 *ark);
int amd_crl_revokes(const void *der, size_t len, X509 *cert);

/*
 * One link on its own: cert's issuer name is signer's subject, its signature
 * has the AMD PSS parameters (as above), signer's key is RSA >= 2048 bits
 * and the signature verifies with it (signer == cert for a self-signature).
 * 0, -EBADMSG with a sentence in why (may be NULL), -EINVAL.
 */
int amd_cert_check_signature(X509 *cert, X509 *signer, char *why, size_t whylen);

/* The last OpenSSL error as one line (for messages), never NULL. */
const char *amd_openssl_error(void);

#endif
