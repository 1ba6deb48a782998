// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AMD SEV-SNP certificates, one at a time: loading, the AMD X.509
 * extensions, kind names.  OpenSSL 3.  Products and TCB_VERSION layouts
 * are in amdtcb.c; the built-in roots, the trust set and the chain and CRL
 * checks in amdchain.c.
 * See formats/amd-certificates.md for what is checked and why.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "amdcert-internal.h"
#include "amdcert.h"

#define AMD_ARC "1.3.6.1.4.1.3704.1."

const char *amd_cert_kind_name(enum amd_cert_kind k)
{
	switch (k) {
	case AMD_CERT_ARK:
		return "ark";
	case AMD_CERT_ASK:
		return "ask";
	case AMD_CERT_ASVK:
		return "asvk";
	case AMD_CERT_VCEK:
		return "vcek";
	case AMD_CERT_VLEK:
		return "vlek";
	default:
		return "unknown";
	}
}

const char *amd_openssl_error(void)
{
	static __thread char buf[160];
	unsigned long e = ERR_peek_last_error();
	const char *reason;

	if (!e)
		return "unknown error";
	reason = ERR_reason_error_string(e);
	if (reason)
		return reason;
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

/* ---- loading --------------------------------------------------------- */

/* Never prompt for a pass phrase: a certificate is never encrypted. */
int amd_pem_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int amd_cert_load(const void *buf, size_t len, X509 **out)
{
	const unsigned char *p = buf;
	X509 *x = NULL;
	BIO *bio = NULL;
	int r = -EBADMSG;

	if (!buf || !out)
		return -EINVAL;
	*out = NULL;
	if (len == 0 || len > INT_MAX)
		return -EBADMSG;
	ERR_clear_error();
	if (p[0] == 0x30) {
		/* DER: the whole buffer must be exactly one certificate. */
		x = d2i_X509(NULL, &p, (long)len);
		if (!x || p != (const unsigned char *)buf + len)
			goto out;
	} else {
		bio = BIO_new_mem_buf(buf, (int)len);
		if (!bio) {
			r = -ENOMEM;
			goto out;
		}
		x = PEM_read_bio_X509(bio, NULL, amd_pem_no_password, NULL);
		if (!x)
			goto out;
	}
	*out = x;
	x = NULL;
	r = 0;
out:
	X509_free(x);
	BIO_free(bio);
	return r;
}

int amd_cert_der(X509 *cert, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n;

	if (!cert || !der || !len)
		return -EINVAL;
	n = i2d_X509(cert, &buf);
	if (n <= 0)
		return -EBADMSG;
	*der = malloc((size_t)n);
	if (!*der) {
		OPENSSL_free(buf);
		return -ENOMEM;
	}
	memcpy(*der, buf, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(buf);
	return 0;
}

bool amd_cert_equal(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int na = a ? i2d_X509(a, &da) : -1, nb = b ? i2d_X509(b, &db) : -1;
	bool eq = na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

/* ---- decoding ---------------------------------------------------------- */

static int name_oneline(const X509_NAME *name, char *buf, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n, r = -ENOMEM;

	if (!bio)
		goto out;
	r = -EBADMSG;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0)
		goto out;
	n = BIO_read(bio, buf, (int)size - 1);
	buf[n > 0 ? n : 0] = '\0';
	r = 0;
out:
	BIO_free(bio);
	return r;
}

/* The subject CN as UTF-8; "" when absent, -EBADMSG when unusable. */
static int common_name(X509 *cert, char *buf, size_t size)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	unsigned char *utf8 = NULL;
	int i, n, r = -EBADMSG;

	buf[0] = '\0';
	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0)
		return 0;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		goto out;
	if ((size_t)n >= size || memchr(utf8, '\0', (size_t)n))
		goto out;
	memcpy(buf, utf8, (size_t)n);
	buf[n] = '\0';
	r = 0;
out:
	OPENSSL_free(utf8);
	return r;
}

static void kind_from_cn(const char *cn, enum amd_cert_kind *kind, enum amd_product *product)
{
	*kind = AMD_CERT_UNKNOWN;
	*product = AMD_PRODUCT_UNKNOWN;
	if (strcmp(cn, "SEV-VCEK") == 0) {
		*kind = AMD_CERT_VCEK;
	} else if (strcmp(cn, "SEV-VLEK") == 0) {
		*kind = AMD_CERT_VLEK;
	} else if (strncmp(cn, "ARK-", 4) == 0 && cn[4]) {
		*kind = AMD_CERT_ARK;
		*product = amd_product_parse(cn + 4);
	} else if (strncmp(cn, "SEV-VLEK-", 9) == 0 && cn[9]) {
		*kind = AMD_CERT_ASVK;
		*product = amd_product_parse(cn + 9);
	} else if (strncmp(cn, "SEV-", 4) == 0 && cn[4]) {
		*kind = AMD_CERT_ASK;
		*product = amd_product_parse(cn + 4);
	}
}

static int time_of(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -EBADMSG;
	*out = timegm(&tm);
	return 0;
}

/* A DER INTEGER filling the whole extension value. */
static int ext_integer(const ASN1_OCTET_STRING *v, int64_t *out)
{
	const unsigned char *p = ASN1_STRING_get0_data(v);
	long len = ASN1_STRING_length(v);
	ASN1_INTEGER *i = d2i_ASN1_INTEGER(NULL, &p, len);
	int r = -EBADMSG;

	if (!i || p != ASN1_STRING_get0_data(v) + len)
		goto out;
	if (!ASN1_INTEGER_get_int64(out, i))
		goto out;
	r = 0;
out:
	ASN1_INTEGER_free(i);
	return r;
}

/* A DER IA5String filling the whole extension value, without NULs. */
static int ext_ia5(const ASN1_OCTET_STRING *v, char *buf, size_t size)
{
	const unsigned char *p = ASN1_STRING_get0_data(v);
	long len = ASN1_STRING_length(v);
	ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &p, len);
	int n, r = -EBADMSG;

	if (!s || p != ASN1_STRING_get0_data(v) + len)
		goto out;
	n = ASN1_STRING_length(s);
	if ((size_t)n >= size || memchr(ASN1_STRING_get0_data(s), '\0', (size_t)n))
		goto out;
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)n);
	buf[n] = '\0';
	r = 0;
out:
	ASN1_IA5STRING_free(s);
	return r;
}

enum ext_id {
	EXT_STRUCT_VERSION,
	EXT_PRODUCT_NAME,
	EXT_BL,
	EXT_TEE,
	EXT_SNP,
	EXT_RSVD4,
	EXT_RSVD5,
	EXT_RSVD6,
	EXT_RSVD7,
	EXT_UCODE,
	EXT_FMC,
	EXT_HWID,
	EXT_CSP_ID,
	EXT_COUNT,
};

static const struct {
	const char *suffix, *name;
} amd_exts[EXT_COUNT] = {
	[EXT_STRUCT_VERSION] = { "1", "structVersion" },
	[EXT_PRODUCT_NAME] = { "2", "productName" },
	[EXT_BL] = { "3.1", "blSPL" },
	[EXT_TEE] = { "3.2", "teeSPL" },
	[EXT_SNP] = { "3.3", "snpSPL" },
	[EXT_RSVD4] = { "3.4", "spl4" },
	[EXT_RSVD5] = { "3.5", "spl5" },
	[EXT_RSVD6] = { "3.6", "spl6" },
	[EXT_RSVD7] = { "3.7", "spl7" },
	[EXT_UCODE] = { "3.8", "ucodeSPL" },
	[EXT_FMC] = { "3.9", "fmcSPL" },
	[EXT_HWID] = { "4", "hwID" },
	[EXT_CSP_ID] = { "5", "cspId" },
};

/* One AMD extension into info; why says what is wrong. */
static int decode_ext(int id, const ASN1_OCTET_STRING *v, struct amd_cert_info *info, char *why,
		      size_t whylen)
{
	const char *name = amd_exts[id].name;
	char prefix[sizeof(info->product_name)];
	int64_t n = 0;
	int len;

	switch (id) {
	case EXT_STRUCT_VERSION:
		if (ext_integer(v, &n) < 0 || n < 0 || n > LONG_MAX)
			goto bad_int;
		info->struct_version = (long)n;
		info->has_struct_version = true;
		return 0;
	case EXT_PRODUCT_NAME:
		if (ext_ia5(v, info->product_name, sizeof(info->product_name)) < 0)
			goto bad_ia5;
		info->has_product_name = true;
		/* "Milan-B0" is Milan: the product is the part before '-'. */
		memcpy(prefix, info->product_name, sizeof(prefix));
		prefix[strcspn(prefix, "-")] = '\0';
		info->product = amd_product_parse(prefix);
		return 0;
	case EXT_CSP_ID:
		if (ext_ia5(v, info->csp_id, sizeof(info->csp_id)) < 0)
			goto bad_ia5;
		info->has_csp_id = true;
		return 0;
	case EXT_HWID:
		len = ASN1_STRING_length(v);
		if (len <= 0 || len > AMD_HWID_MAX) {
			snprintf(why, whylen, "extension %s (hwID) is %d bytes, want 1..%d", AMD_ARC "4",
				 len, AMD_HWID_MAX);
			return -EBADMSG;
		}
		memcpy(info->hwid, ASN1_STRING_get0_data(v), (size_t)len);
		info->hwid_len = (size_t)len;
		info->has_hwid = true;
		return 0;
	default:
		break;
	}
	/* An SPL. */
	if (ext_integer(v, &n) < 0)
		goto bad_int;
	if (n < 0 || n > 255) {
		snprintf(why, whylen, "extension %s%s (%s) is %lld, outside 0..255", AMD_ARC,
			 amd_exts[id].suffix, name, (long long)n);
		return -EBADMSG;
	}
	switch (id) {
	case EXT_BL:
		info->tcb.bl = (uint8_t)n;
		break;
	case EXT_TEE:
		info->tcb.tee = (uint8_t)n;
		break;
	case EXT_SNP:
		info->tcb.snp = (uint8_t)n;
		break;
	case EXT_UCODE:
		info->tcb.ucode = (uint8_t)n;
		break;
	case EXT_FMC:
		info->tcb.fmc = (uint8_t)n;
		break;
	default:
		break;
	}
	return 0;
bad_int:
	snprintf(why, whylen, "extension %s%s (%s) is not a DER INTEGER in range", AMD_ARC,
		 amd_exts[id].suffix, name);
	return -EBADMSG;
bad_ia5:
	snprintf(why, whylen, "extension %s%s (%s) is not a DER IA5String of at most %zu characters",
		 AMD_ARC, amd_exts[id].suffix, name,
		 (id == EXT_PRODUCT_NAME ? sizeof(info->product_name) : sizeof(info->csp_id)) - 1);
	return -EBADMSG;
}

/* amd_cert_info with a reason (amdcert-internal.h). */
int amd_cert_decode(X509 *cert, struct amd_cert_info *info, char *why, size_t whylen)
{
	bool seen[EXT_COUNT] = { false };
	unsigned int md_len = 0;
	char oid[80];
	int i, id, n, r;

	memset(info, 0, sizeof(*info));
	why[0] = '\0';
	if (!cert)
		return -EINVAL;
	r = name_oneline(X509_get_subject_name(cert), info->subject, sizeof(info->subject));
	if (r == 0)
		r = name_oneline(X509_get_issuer_name(cert), info->issuer, sizeof(info->issuer));
	if (r < 0) {
		snprintf(why, whylen, "cannot print its names");
		return r;
	}
	if (common_name(cert, info->common_name, sizeof(info->common_name)) < 0) {
		snprintf(why, whylen, "its subject common name is not a usable string");
		return -EBADMSG;
	}
	kind_from_cn(info->common_name, &info->kind, &info->product);
	if (!X509_digest(cert, EVP_sha256(), info->sha256, &md_len) || md_len != 32) {
		snprintf(why, whylen, "cannot hash it: %s", amd_openssl_error());
		return -EBADMSG;
	}
	if (time_of(X509_get0_notBefore(cert), &info->not_before) < 0 ||
	    time_of(X509_get0_notAfter(cert), &info->not_after) < 0) {
		snprintf(why, whylen, "its validity dates are malformed");
		return -EBADMSG;
	}

	n = X509_get_ext_count(cert);
	for (i = 0; i < n; i++) {
		X509_EXTENSION *ext = X509_get_ext(cert, i);
		int olen = OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1);

		if (olen <= 0 || (size_t)olen >= sizeof(oid) ||
		    strncmp(oid, AMD_ARC, strlen(AMD_ARC)) != 0)
			continue;
		for (id = 0; id < EXT_COUNT; id++)
			if (strcmp(oid + strlen(AMD_ARC), amd_exts[id].suffix) == 0)
				break;
		if (id == EXT_COUNT)
			continue; /* a newer AMD extension: not ours to judge */
		if (seen[id]) {
			snprintf(why, whylen, "extension %s (%s) appears twice", oid,
				 amd_exts[id].name);
			return -EBADMSG;
		}
		seen[id] = true;
		r = decode_ext(id, X509_EXTENSION_get_data(ext), info, why, whylen);
		if (r < 0)
			return r;
	}
	info->has_tcb = seen[EXT_BL] && seen[EXT_TEE] && seen[EXT_SNP] && seen[EXT_UCODE];
	if (!info->has_tcb && (seen[EXT_BL] || seen[EXT_TEE] || seen[EXT_SNP] || seen[EXT_UCODE] ||
			       seen[EXT_FMC])) {
		snprintf(why, whylen, "its TCB extensions are incomplete: blSPL, teeSPL, snpSPL and "
				      "ucodeSPL are all required");
		return -EBADMSG;
	}
	return 0;
}

int amd_cert_info(X509 *cert, struct amd_cert_info *info)
{
	char why[256];

	if (!info)
		return -EINVAL;
	return amd_cert_decode(cert, info, why, sizeof(why));
}
