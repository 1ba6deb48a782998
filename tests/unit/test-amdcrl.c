// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/amdcrl.c: loading CRLs as PEM or DER, their ARK signature, and
 * revocation, with the generated chains (SNPCERT_FIXTURES, the output of
 * tests/fixtures/gen-chains.sh) and a CRL built here that revokes the ASK.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "amdcert.h"
#include "certfiles.h"
#include "tap.h"

/* A DER CRL as PEM, malloc'd. */
static char *crl_pem(const uint8_t *der, size_t len, size_t *pem_len)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (crl && bio && PEM_write_bio_X509_CRL(bio, crl) == 1) {
		n = BIO_get_mem_data(bio, &data);
		out = n > 0 ? malloc((size_t)n) : NULL;
		if (out) {
			memcpy(out, data, (size_t)n);
			*pem_len = (size_t)n;
		}
	}
	BIO_free(bio);
	X509_CRL_free(crl);
	return out;
}

static void test_product(const char *fx, const char *product)
{
	char dir[4096], name[160];
	X509 *ark = NULL, *ask = NULL, *vcek = NULL;
	uint8_t *crl = NULL, *der = NULL, *junk = NULL, *rev = NULL;
	char *pem = NULL;
	size_t clen = 0, dlen = 0, plen = 0, rlen = 0;

	snprintf(dir, sizeof(dir), "%s/%s", fx, product);
	ark = load(dir, "ark.pem");
	ask = load(dir, "ask.pem");
	vcek = load(dir, "vcek.pem");
	crl = (uint8_t *)read_in(dir, "crl.der", &clen);
	snprintf(name, sizeof(name), "%s chain and CRL load", product);
	CHECK(ark && ask && vcek && crl, name);
	if (!(ark && ask && vcek && crl))
		goto out;

	/* amd_crl_load: DER as it is, PEM to the same DER. */
	snprintf(name, sizeof(name), "%s DER CRL loads as itself", product);
	CHECK(amd_crl_load(crl, clen, &der, &dlen) == 0 && dlen == clen &&
	      memcmp(der, crl, clen) == 0, name);
	free(der);
	der = NULL;
	pem = crl_pem(crl, clen, &plen);
	snprintf(name, sizeof(name), "%s PEM CRL loads as its DER", product);
	CHECK(pem && amd_crl_load(pem, plen, &der, &dlen) == 0 && dlen == clen &&
	      memcmp(der, crl, clen) == 0, name);
	free(der);
	der = NULL;
	junk = malloc(clen + 1);
	if (junk) {
		memcpy(junk, crl, clen);
		junk[clen] = 0;
	}
	snprintf(name, sizeof(name), "%s DER CRL with a byte after it is refused", product);
	CHECK(junk && amd_crl_load(junk, clen + 1, &der, &dlen) == -EBADMSG && !der, name);
	snprintf(name, sizeof(name), "%s truncated DER CRL is refused", product);
	CHECK_EQ(amd_crl_load(crl, clen - 1, &der, &dlen), -EBADMSG, name);
	CHECK_EQ(amd_crl_load("junk", 4, &der, &dlen), -EBADMSG, "junk is not a CRL");
	CHECK_EQ(amd_crl_load(crl, 0, &der, &dlen), -EBADMSG, "nothing is not a CRL");
	{
		uint8_t *cert_der = NULL;
		size_t cert_len = 0;

		CHECK(amd_cert_der(ark, &cert_der, &cert_len) == 0 &&
		      amd_crl_load(cert_der, cert_len, &der, &dlen) == -EBADMSG,
		      "a certificate is not a CRL");
		free(cert_der);
	}

	/* amd_crl_verify and amd_crl_revokes on the empty CRL. */
	snprintf(name, sizeof(name), "%s CRL is the ARK's", product);
	CHECK_EQ(amd_crl_verify(crl, clen, ark), 0, name);
	snprintf(name, sizeof(name), "%s CRL with a byte after it does not verify", product);
	CHECK(junk && amd_crl_verify(junk, clen + 1, ark) == -EBADMSG, name);
	snprintf(name, sizeof(name), "%s empty CRL revokes neither ASK nor VCEK", product);
	CHECK(amd_crl_revokes(crl, clen, ask) == 0 && amd_crl_revokes(crl, clen, vcek) == 0, name);
	snprintf(name, sizeof(name), "%s truncated CRL: no revocation answer", product);
	CHECK_EQ(amd_crl_revokes(crl, clen - 1, ask), -EBADMSG, name);
	CHECK_EQ(amd_crl_revokes(NULL, 0, ask), -EINVAL, "no CRL");
	CHECK_EQ(amd_crl_revokes(crl, clen, NULL), -EINVAL, "no certificate");

	/* A CRL of this ARK that revokes the ASK. */
	rev = revoking_crl(dir, ark, ask, &rlen);
	snprintf(name, sizeof(name), "%s CRL revoking the ASK built", product);
	CHECK(rev != NULL, name);
	if (rev) {
		snprintf(name, sizeof(name), "%s: the ASK is revoked", product);
		CHECK_EQ(amd_crl_revokes(rev, rlen, ask), 1, name);
		snprintf(name, sizeof(name), "%s: the VCEK (issued by the ASK) is not", product);
		CHECK_EQ(amd_crl_revokes(rev, rlen, vcek), 0, name);
		snprintf(name, sizeof(name), "%s: a PKCS#1 v1.5 CRL signature is refused", product);
		CHECK_EQ(amd_crl_verify(rev, rlen, ark), -EBADMSG, name);
	}
out:
	free(rev);
	free(junk);
	free(pem);
	free(crl);
	X509_free(ark);
	X509_free(ask);
	X509_free(vcek);
}

int main(void)
{
	const char *fx = getenv("SNPCERT_FIXTURES");

	if (!fx || !*fx) {
		printf("ok 1 - CRLs # SKIP SNPCERT_FIXTURES is not set\n1..1\n");
		return 0;
	}
	test_product(fx, "milan");
	test_product(fx, "turin");
	return tap_done();
}
