// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AMD certificate revocation lists: loading one (PEM or DER), its
 * signature by the ARK with the AMD PSS parameters, and whether it revokes
 * a certificate.  OpenSSL 3.  See formats/amd-certificates.md.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "amdcert-internal.h"
#include "amdcert.h"

/* Exactly one DER CRL filling der, or NULL. */
static X509_CRL *crl_from_der(const void *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *crl;

	if (len == 0 || len > LONG_MAX)
		return NULL;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (crl && p != (const unsigned char *)der + len) {
		X509_CRL_free(crl);
		crl = NULL;
	}
	return crl;
}

/* The CRL in der, checked against the other argument (ark or cert): 0, -EINVAL or -EBADMSG. */
static int crl_open(const void *der, size_t len, const X509 *other, X509_CRL **out)
{
	if (!der || !other)
		return -EINVAL;
	ERR_clear_error();
	*out = crl_from_der(der, len);
	return *out ? 0 : -EBADMSG;
}

int amd_crl_load(const void *buf, size_t len, uint8_t **der, size_t *der_len)
{
	unsigned char *enc = NULL;
	X509_CRL *crl = NULL;
	BIO *bio = NULL;
	int n, r = -EINVAL;

	if (!buf || !der || !der_len)
		goto out;
	*der = NULL;
	*der_len = 0;
	r = -EBADMSG;
	if (len == 0 || len > INT_MAX)
		goto out;
	ERR_clear_error();
	if (((const uint8_t *)buf)[0] == 0x30) {
		crl = crl_from_der(buf, len);
	} else {
		r = -ENOMEM;
		bio = BIO_new_mem_buf(buf, (int)len);
		if (!bio)
			goto out;
		r = -EBADMSG;
		crl = PEM_read_bio_X509_CRL(bio, NULL, amd_pem_no_password, NULL);
	}
	if (!crl)
		goto out;
	n = i2d_X509_CRL(crl, &enc);
	if (n <= 0)
		goto out;
	r = -ENOMEM;
	*der = malloc((size_t)n);
	if (!*der)
		goto out;
	memcpy(*der, enc, (size_t)n);
	*der_len = (size_t)n;
	r = 0;
out:
	OPENSSL_free(enc);
	X509_CRL_free(crl);
	BIO_free(bio);
	return r;
}

int amd_crl_verify(const void *der, size_t len, X509 *ark)
{
	const X509_ALGOR *alg = NULL;
	X509_CRL *crl = NULL;
	EVP_PKEY *k;
	char why[256];
	int r;

	r = crl_open(der, len, ark, &crl);
	if (r < 0)
		goto out;
	r = -EBADMSG;
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ark)) != 0)
		goto out;
	X509_CRL_get0_signature(crl, NULL, &alg);
	if (amd_pss_check(alg, "CRL", why, sizeof(why)) < 0)
		goto out;
	k = X509_get0_pubkey(ark);
	if (!k || X509_CRL_verify(crl, k) != 1)
		goto out;
	r = 0;
out:
	X509_CRL_free(crl);
	return r;
}

int amd_crl_revokes(const void *der, size_t len, X509 *cert)
{
	X509_REVOKED *rev = NULL;
	X509_CRL *crl = NULL;
	int r;

	r = crl_open(der, len, cert, &crl);
	if (r < 0)
		goto out;
	r = X509_CRL_get0_by_cert(crl, &rev, cert) == 1 ? 1 : 0;
out:
	X509_CRL_free(crl);
	return r;
}
