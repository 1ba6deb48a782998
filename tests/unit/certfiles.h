/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the certificate unit tests share: reading fixture files, loading a
 * certificate from one, UTC times, looking at check lists, and a CRL that
 * revokes a certificate.
 */
#ifndef SNPCERT_TESTS_CERTFILES_H
#define SNPCERT_TESTS_CERTFILES_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "amdcert.h"

/* The whole file, NUL-terminated (not counted in *len), or NULL. */
static inline char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* DIR/NAME, read whole. */
static inline char *read_in(const char *dir, const char *name, size_t *len)
{
	char *path = NULL, *buf;

	*len = 0;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	buf = read_all(path, len);
	if (!buf)
		printf("# cannot read %s\n", path);
	free(path);
	return buf;
}

/* DIR/NAME as a certificate (PEM or DER), or NULL. */
static inline X509 *load(const char *dir, const char *name)
{
	X509 *x = NULL;
	size_t len;
	char *buf = read_in(dir, name, &len);

	if (buf && amd_cert_load(buf, len, &x) < 0) {
		printf("# cannot load %s/%s\n", dir, name);
		x = NULL;
	}
	free(buf);
	return x;
}

static inline time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return timegm(&tm);
}

static inline void print_checks(const struct amd_check_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		printf("#   %s %s: %s\n", l->v[i].ok ? "ok  " : "FAIL", l->v[i].name, l->v[i].detail);
}

/* The names of the failed checks, space-separated. */
static inline const char *failed_names(const struct amd_check_list *l)
{
	static char buf[1024];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (l->v[i].ok)
			continue;
		if (buf[0])
			strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, l->v[i].name, sizeof(buf) - strlen(buf) - 1);
	}
	return buf;
}

static inline bool has_failed(const struct amd_check_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!l->v[i].ok && strcmp(l->v[i].name, name) == 0)
			return true;
	return false;
}

/*
 * A CRL issued by ark (key from dir/ark.key) revoking victim, signed with
 * PKCS#1 v1.5 (not the AMD parameters), as malloc'd DER.
 */
static inline uint8_t *revoking_crl(const char *dir, X509 *ark, X509 *victim, size_t *len)
{
	char *keypem = NULL;
	size_t klen = 0;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_TIME *t = NULL;
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int n;

	keypem = read_in(dir, "ark.key", &klen);
	bio = keypem ? BIO_new_mem_buf(keypem, (int)klen) : NULL;
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	crl = X509_CRL_new();
	rev = X509_REVOKED_new();
	t = ASN1_TIME_set(NULL, utc(2024, 1, 1, 0, 0, 0));
	if (!key || !crl || !rev || !t || !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ark)) ||
	    !X509_CRL_set1_lastUpdate(crl, t) ||
	    !X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(victim)) ||
	    !X509_REVOKED_set_revocationDate(rev, t) || !X509_CRL_add0_revoked(crl, rev))
		goto out;
	rev = NULL;
	if (!X509_CRL_sort(crl) || X509_CRL_sign(crl, key, EVP_sha384()) <= 0)
		goto out;
	n = i2d_X509_CRL(crl, &der);
	if (n <= 0)
		goto out;
	out = malloc((size_t)n);
	if (out) {
		memcpy(out, der, (size_t)n);
		*len = (size_t)n;
	}
out:
	OPENSSL_free(der);
	ASN1_TIME_free(t);
	X509_REVOKED_free(rev);
	X509_CRL_free(crl);
	EVP_PKEY_free(key);
	BIO_free(bio);
	free(keypem);
	return out;
}

#endif
