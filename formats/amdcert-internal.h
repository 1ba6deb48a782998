/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What amdcert.c (single certificates) shares with amdchain.c (roots,
 * trust set, chain checks) and amdcrl.c (CRLs).  Never installed; include
 * it only from those files.  The public interface is amdcert.h.
 */
#ifndef SNPCERT_FORMATS_AMDCERT_INTERNAL_H
#define SNPCERT_FORMATS_AMDCERT_INTERNAL_H

#include <stddef.h>

#include <openssl/x509.h>

#include "amdcert.h"

/*
 * amd_cert_info with a reason: fills what it can even when it fails, so a
 * caller still learns the kind of a certificate with a malformed extension.
 * why (whylen > 0 bytes) becomes "" or one sentence saying what is wrong.
 * 0, -EBADMSG, -ENOMEM, or -EINVAL when cert is NULL.
 */
int amd_cert_decode(X509 *cert, struct amd_cert_info *info, char *why, size_t whylen);

/*
 * A pem_password_cb that never prompts (always -1): a certificate is never
 * encrypted.
 */
int amd_pem_no_password(char *buf, int size, int rwflag, void *u);

/*
 * The AMD signature algorithm: RSASSA-PSS, SHA-384, MGF1 with SHA-384,
 * salt length 48, trailer field 1.  what names the signature in why
 * ("CRL signature uses ...").  0, or -EBADMSG with why set.
 */
int amd_pss_check(const X509_ALGOR *alg, const char *what, char *why, size_t whylen);

#endif
