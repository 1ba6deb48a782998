// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AMD SEV-SNP certificates: loading, the AMD X.509 extensions, TCB_VERSION
 * layouts, the built-in roots and the chain checks.  OpenSSL 3.
 * See formats/amd-certificates.md for what is checked and why.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "amd-roots.h"
#include "amdcert.h"

#define AMD_ARC "1.3.6.1.4.1.3704.1."

static const char *const product_names[AMD_PRODUCT_COUNT] = { NULL, "Milan", "Genoa", "Turin" };
static const char *const root_dirs[AMD_PRODUCT_COUNT] = { NULL, "milan", "genoa", "turin" };

const char *amd_product_name(enum amd_product p)
{
	if ((unsigned int)p >= AMD_PRODUCT_COUNT)
		return NULL;
	return product_names[p];
}

enum amd_product amd_product_parse(const char *name)
{
	unsigned int i;

	if (!name)
		return AMD_PRODUCT_UNKNOWN;
	for (i = 1; i < AMD_PRODUCT_COUNT; i++)
		if (strcasecmp(name, product_names[i]) == 0)
			return (enum amd_product)i;
	return AMD_PRODUCT_UNKNOWN;
}

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

/* "an ARK", "an ASK", "an ASVK" (intermediates only). */
static const char *kind_article(enum amd_cert_kind k)
{
	return k == AMD_CERT_ARK ? "an ARK" : k == AMD_CERT_ASK ? "an ASK" : "an ASVK";
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
static int no_password(char *buf, int size, int rwflag, void *u)
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
		x = PEM_read_bio_X509(bio, NULL, no_password, NULL);
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

/*
 * amd_cert_info with a reason: fills what it can even when it fails, so a
 * caller still learns the kind of a certificate with a malformed extension.
 */
static int cert_decode(X509 *cert, struct amd_cert_info *info, char *why, size_t whylen)
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
	return cert_decode(cert, info, why, sizeof(why));
}

/* ---- TCB_VERSION ----------------------------------------------------- */

uint64_t amd_tcb_to_raw(enum amd_product p, const struct amd_tcb *tcb)
{
	switch (p) {
	case AMD_PRODUCT_MILAN:
	case AMD_PRODUCT_GENOA:
		return (uint64_t)tcb->bl | (uint64_t)tcb->tee << 8 | (uint64_t)tcb->snp << 48 |
		       (uint64_t)tcb->ucode << 56;
	case AMD_PRODUCT_TURIN:
		return (uint64_t)tcb->fmc | (uint64_t)tcb->bl << 8 | (uint64_t)tcb->tee << 16 |
		       (uint64_t)tcb->snp << 24 | (uint64_t)tcb->ucode << 56;
	default:
		return 0;
	}
}

void amd_tcb_from_raw(enum amd_product p, uint64_t raw, struct amd_tcb *tcb)
{
	memset(tcb, 0, sizeof(*tcb));
	switch (p) {
	case AMD_PRODUCT_MILAN:
	case AMD_PRODUCT_GENOA:
		tcb->bl = raw & 0xff;
		tcb->tee = (raw >> 8) & 0xff;
		tcb->snp = (raw >> 48) & 0xff;
		tcb->ucode = (raw >> 56) & 0xff;
		break;
	case AMD_PRODUCT_TURIN:
		tcb->fmc = raw & 0xff;
		tcb->bl = (raw >> 8) & 0xff;
		tcb->tee = (raw >> 16) & 0xff;
		tcb->snp = (raw >> 24) & 0xff;
		tcb->ucode = (raw >> 56) & 0xff;
		break;
	default:
		break;
	}
}

/* A decimal SPL: digits only, 0..255. */
static int parse_spl(const char *s, size_t len, uint8_t *out)
{
	unsigned int v = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(s[i] - '0');
		if (v > 255)
			return -EINVAL;
	}
	*out = (uint8_t)v;
	return 0;
}

static int parse_tcb_fields(const char *spec, enum amd_product p, struct amd_tcb *tcb)
{
	static const char *const keys[] = { "bl", "tee", "snp", "ucode", "fmc" };
	uint8_t *fields[] = { &tcb->bl, &tcb->tee, &tcb->snp, &tcb->ucode, &tcb->fmc };
	bool seen[5] = { false };
	const char *s = spec;
	unsigned int k;

	memset(tcb, 0, sizeof(*tcb));
	for (;;) {
		size_t len = strcspn(s, ","), klen;
		const char *eq = memchr(s, '=', len);

		if (!eq)
			return -EINVAL;
		klen = (size_t)(eq - s);
		for (k = 0; k < 5; k++)
			if (strlen(keys[k]) == klen && strncmp(s, keys[k], klen) == 0)
				break;
		if (k == 5 || seen[k])
			return -EINVAL;
		if (k == 4 && (p == AMD_PRODUCT_MILAN || p == AMD_PRODUCT_GENOA))
			return -EINVAL;
		if (parse_spl(eq + 1, len - klen - 1, fields[k]) < 0)
			return -EINVAL;
		seen[k] = true;
		if (!s[len])
			break;
		s += len + 1;
	}
	for (k = 0; k < 4; k++)
		if (!seen[k])
			return -EINVAL;
	return 0;
}

int amd_tcb_parse(const char *spec, enum amd_product p, struct amd_tcb *tcb)
{
	unsigned long long raw;
	const char *digits;
	char *end = NULL;
	struct amd_tcb t;
	int base = 10;

	if (!spec || !tcb || (unsigned int)p >= AMD_PRODUCT_COUNT)
		return -EINVAL;
	if (strchr(spec, '=')) {
		if (parse_tcb_fields(spec, p, &t) < 0)
			return -EINVAL;
		*tcb = t;
		return 0;
	}
	if (p == AMD_PRODUCT_UNKNOWN)
		return -EINVAL;
	digits = spec;
	if (spec[0] == '0' && (spec[1] == 'x' || spec[1] == 'X')) {
		digits = spec + 2;
		base = 16;
	}
	/* strtoull skips blanks and takes signs: allow neither. */
	if (base == 16 ? !isxdigit((unsigned char)digits[0]) : !isdigit((unsigned char)digits[0]))
		return -EINVAL;
	errno = 0;
	raw = strtoull(digits, &end, base);
	if (errno || *end)
		return -EINVAL;
	amd_tcb_from_raw(p, raw, &t);
	/* Bits outside the product's fields must be zero. */
	if (amd_tcb_to_raw(p, &t) != raw)
		return -EINVAL;
	*tcb = t;
	return 0;
}

void amd_tcb_format(enum amd_product p, const struct amd_tcb *tcb, char *buf, size_t len)
{
	if (!buf || len == 0)
		return;
	if (p == AMD_PRODUCT_TURIN)
		snprintf(buf, len, "bl=%u,tee=%u,snp=%u,ucode=%u,fmc=%u", tcb->bl, tcb->tee, tcb->snp,
			 tcb->ucode, tcb->fmc);
	else
		snprintf(buf, len, "bl=%u,tee=%u,snp=%u,ucode=%u", tcb->bl, tcb->tee, tcb->snp,
			 tcb->ucode);
}

bool amd_tcb_equal(enum amd_product p, const struct amd_tcb *a, const struct amd_tcb *b)
{
	if (a->bl != b->bl || a->tee != b->tee || a->snp != b->snp || a->ucode != b->ucode)
		return false;
	if (p == AMD_PRODUCT_MILAN || p == AMD_PRODUCT_GENOA)
		return true;
	return a->fmc == b->fmc;
}

/* ---- built-in roots and trust ----------------------------------------- */

const uint8_t *amd_builtin_cert(enum amd_product p, enum amd_cert_kind k, size_t *len)
{
	const char *kind;
	unsigned int i;

	if ((unsigned int)p >= AMD_PRODUCT_COUNT || p == AMD_PRODUCT_UNKNOWN)
		return NULL;
	if (k != AMD_CERT_ARK && k != AMD_CERT_ASK && k != AMD_CERT_ASVK)
		return NULL;
	kind = amd_cert_kind_name(k);
	for (i = 0; i < amd_roots_count; i++) {
		if (strcmp(amd_roots[i].product, root_dirs[p]) == 0 &&
		    strcmp(amd_roots[i].kind, kind) == 0) {
			if (len)
				*len = amd_roots[i].len;
			return amd_roots[i].der;
		}
	}
	return NULL;
}

static int builtin_x509(enum amd_product p, enum amd_cert_kind k, X509 **out)
{
	const uint8_t *der;
	size_t len = 0;

	*out = NULL;
	der = amd_builtin_cert(p, k, &len);
	if (!der)
		return -ENOENT;
	return amd_cert_load(der, len, out);
}

struct amd_trust {
	X509 **arks;
	size_t n;
};

static int trust_push(struct amd_trust *t, X509 *x)
{
	X509 **v = realloc(t->arks, (t->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	t->arks = v;
	t->arks[t->n++] = x;
	return 0;
}

void amd_trust_free(struct amd_trust *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		X509_free(t->arks[i]);
	free(t->arks);
	free(t);
}

int amd_trust_new(struct amd_trust **out)
{
	struct amd_trust *t = NULL;
	X509 *x = NULL;
	unsigned int p;
	int r = -EINVAL;

	if (!out)
		goto out;
	*out = NULL;
	r = -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto out;
	for (p = 1; p < AMD_PRODUCT_COUNT; p++) {
		r = builtin_x509((enum amd_product)p, AMD_CERT_ARK, &x);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			goto out;
		r = trust_push(t, x);
		if (r < 0)
			goto out;
		x = NULL;
	}
	*out = t;
	t = NULL;
	r = 0;
out:
	X509_free(x);
	amd_trust_free(t);
	return r;
}

X509 *amd_trust_ark(const struct amd_trust *t, enum amd_product p)
{
	struct amd_cert_info info;
	char why[256];
	size_t i;

	if (!t || p == AMD_PRODUCT_UNKNOWN)
		return NULL;
	/* Newest first: an extra root added for a product wins. */
	for (i = t->n; i-- > 0;)
		if (cert_decode(t->arks[i], &info, why, sizeof(why)) == 0 &&
		    info.kind == AMD_CERT_ARK && info.product == p)
			return t->arks[i];
	return NULL;
}

/* ---- signatures -------------------------------------------------------- */

static int md_nid(const X509_ALGOR *alg)
{
	return alg ? OBJ_obj2nid(alg->algorithm) : NID_sha1; /* RFC 4055 default */
}

/*
 * The AMD signature algorithm: RSASSA-PSS, SHA-384, MGF1 with SHA-384,
 * salt length 48, trailer field 1.  0, or -EBADMSG with why set.
 */
static int pss_check(const X509_ALGOR *alg, const char *what, char *why, size_t whylen)
{
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	int64_t salt = 20, trailer = 1;
	int nid, r = -EBADMSG;

	nid = OBJ_obj2nid(alg->algorithm);
	if (nid != NID_rsassaPss) {
		int md = NID_undef, pk = NID_undef;

		OBJ_find_sigid_algs(nid, &md, &pk);
		snprintf(why, whylen, "%s signature uses %s%s, want RSASSA-PSS", what,
			 nid != NID_undef ? OBJ_nid2ln(nid) : "an unknown algorithm",
			 pk == NID_rsaEncryption ? " (PKCS#1 v1.5)" : "");
		goto out;
	}
	if (alg->parameter)
		pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg->parameter);
	if (!pss) {
		snprintf(why, whylen, "%s signature has missing or malformed RSASSA-PSS parameters",
			 what);
		goto out;
	}
	nid = md_nid(pss->hashAlgorithm);
	if (nid != NID_sha384) {
		snprintf(why, whylen, "%s signature uses hash %s, want sha384", what, OBJ_nid2ln(nid));
		goto out;
	}
	if (!pss->maskGenAlgorithm) {
		snprintf(why, whylen, "%s signature uses MGF1 with sha1, want MGF1 with sha384", what);
		goto out;
	}
	nid = OBJ_obj2nid(pss->maskGenAlgorithm->algorithm);
	if (nid != NID_mgf1) {
		snprintf(why, whylen, "%s signature uses mask generation %s, want MGF1", what,
			 OBJ_nid2sn(nid));
		goto out;
	}
	if (pss->maskGenAlgorithm->parameter)
		mgf_md = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
						   pss->maskGenAlgorithm->parameter);
	if (!mgf_md) {
		snprintf(why, whylen, "%s signature has malformed MGF1 parameters", what);
		goto out;
	}
	nid = md_nid(mgf_md);
	if (nid != NID_sha384) {
		snprintf(why, whylen, "%s signature uses MGF1 with %s, want MGF1 with sha384", what,
			 OBJ_nid2ln(nid));
		goto out;
	}
	if (pss->saltLength && !ASN1_INTEGER_get_int64(&salt, pss->saltLength))
		salt = -1;
	if (salt != 48) {
		snprintf(why, whylen, "%s signature uses salt length %lld, want 48", what,
			 (long long)salt);
		goto out;
	}
	if (pss->trailerField && !ASN1_INTEGER_get_int64(&trailer, pss->trailerField))
		trailer = -1;
	if (trailer != 1) {
		snprintf(why, whylen, "%s signature uses trailer field %lld, want 1", what,
			 (long long)trailer);
		goto out;
	}
	r = 0;
out:
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	return r;
}

/* RSA of at least 2048 bits (ARK, ASK, ASVK). */
static int rsa_key_check(X509 *cert, const char *what, char *why, size_t whylen)
{
	EVP_PKEY *k = X509_get0_pubkey(cert);
	int id = k ? EVP_PKEY_get_base_id(k) : NID_undef;

	if (id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS) {
		snprintf(why, whylen, "%s key is %s, want RSA", what,
			 k ? OBJ_nid2sn(id) : "unreadable");
		return -EBADMSG;
	}
	if (EVP_PKEY_get_bits(k) < 2048) {
		snprintf(why, whylen, "%s key is RSA-%d, want at least RSA-2048", what,
			 EVP_PKEY_get_bits(k));
		return -EBADMSG;
	}
	snprintf(why, whylen, "%s key is RSA-%d", what, EVP_PKEY_get_bits(k));
	return 0;
}

/* EC P-384 (VCEK, VLEK). */
static int ec_key_check(X509 *cert, const char *what, char *why, size_t whylen)
{
	EVP_PKEY *k = X509_get0_pubkey(cert);
	char group[64] = "";
	size_t glen = 0;

	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		int id = k ? EVP_PKEY_get_base_id(k) : NID_undef;

		snprintf(why, whylen, "%s key is %s-%d, want EC P-384", what,
			 id == EVP_PKEY_RSA ? "RSA" : k ? OBJ_nid2sn(id) : "unreadable",
			 k ? EVP_PKEY_get_bits(k) : 0);
		return -EBADMSG;
	}
	if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    &glen) ||
	    strcmp(group, "secp384r1") != 0) {
		snprintf(why, whylen, "%s key is EC on curve %s, want P-384 (secp384r1)", what,
			 group[0] ? group : "(unknown)");
		return -EBADMSG;
	}
	snprintf(why, whylen, "%s key is EC P-384", what);
	return 0;
}

/* X509_verify, after the caller checked the parameters by hand. */
static int signature_check(X509 *cert, X509 *signer, const char *what, const char *by,
			   char *why, size_t whylen)
{
	EVP_PKEY *k = X509_get0_pubkey(signer);

	if (!k || X509_verify(cert, k) != 1) {
		snprintf(why, whylen, "%s signature does not verify with the %s key", what, by);
		return -EBADMSG;
	}
	snprintf(why, whylen, "%s signature verifies with the %s key", what, by);
	return 0;
}

int amd_cert_check_signature(X509 *cert, X509 *signer, char *why, size_t whylen)
{
	const X509_ALGOR *alg = NULL;
	char buf[256];
	int r;

	if (!why || whylen == 0) {
		why = buf;
		whylen = sizeof(buf);
	}
	why[0] = '\0';
	if (!cert || !signer)
		return -EINVAL;
	if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(signer)) != 0) {
		snprintf(why, whylen, "the certificate's issuer name is not the signer's subject");
		return -EBADMSG;
	}
	X509_get0_signature(NULL, &alg, cert);
	r = pss_check(alg, "certificate", why, whylen);
	if (r < 0)
		return r;
	r = rsa_key_check(signer, "signer", why, whylen);
	if (r < 0)
		return r;
	return signature_check(cert, signer, "certificate", "signer's", why, whylen);
}

/* An extra root: a self-signed ARK with a good AMD PSS self-signature. */
static int root_check(X509 *x)
{
	struct amd_cert_info info;
	char why[256];

	if (cert_decode(x, &info, why, sizeof(why)) < 0 || info.kind != AMD_CERT_ARK ||
	    info.product == AMD_PRODUCT_UNKNOWN)
		return -EBADMSG;
	return amd_cert_check_signature(x, x, why, sizeof(why));
}

int amd_trust_add_pem(struct amd_trust *t, const void *pem, size_t len)
{
	struct amd_trust add = { NULL, 0 };
	X509 **v;
	BIO *bio = NULL;
	X509 *x = NULL;
	int r = -EINVAL;

	if (!t || !pem)
		goto out;
	r = -EBADMSG;
	if (len == 0 || len > INT_MAX)
		goto out;
	r = -ENOMEM;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		goto out;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL))) {
		r = root_check(x);
		if (r < 0)
			goto out;
		r = trust_push(&add, x);
		if (r < 0)
			goto out;
		x = NULL;
	}
	/* Only running out of certificates may end the loop. */
	r = -EBADMSG;
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE || add.n == 0)
		goto out;
	ERR_clear_error();
	r = -ENOMEM;
	v = realloc(t->arks, (t->n + add.n) * sizeof(*v));
	if (!v)
		goto out;
	t->arks = v;
	memcpy(t->arks + t->n, add.arks, add.n * sizeof(*v));
	t->n += add.n;
	add.n = 0;
	r = 0;
out:
	while (add.n > 0)
		X509_free(add.arks[--add.n]);
	free(add.arks);
	X509_free(x);
	BIO_free(bio);
	return r;
}

/* ---- checks ------------------------------------------------------------- */

void amd_check_list_free(struct amd_check_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

bool amd_check_list_ok(const struct amd_check_list *l)
{
	size_t i;

	if (!l || l->n == 0)
		return false;
	for (i = 0; i < l->n; i++)
		if (!l->v[i].ok)
			return false;
	return true;
}

struct checker {
	struct amd_check_list *list;
	int err;     /* -ENOMEM once an append failed */
	bool failed; /* some check failed */
};

static void add(struct checker *c, bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct checker *c, bool ok, const char *name, const char *fmt, ...)
{
	struct amd_check_list *l = c->list;
	struct amd_check *e;
	va_list ap;

	if (!ok)
		c->failed = true;
	if (c->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct amd_check *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			c->err = -ENOMEM;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->ok = ok;
	snprintf(e->name, sizeof(e->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

static bool der_equal(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int na = i2d_X509(a, &da), nb = i2d_X509(b, &db);
	bool eq = na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

static bool trusted(const struct amd_trust *t, X509 *ark, enum amd_product p)
{
	X509 *builtin = NULL;
	bool ok = false;
	size_t i;

	if (t) {
		for (i = 0; i < t->n && !ok; i++)
			ok = der_equal(t->arks[i], ark);
		return ok;
	}
	if (builtin_x509(p, AMD_CERT_ARK, &builtin) == 0)
		ok = der_equal(builtin, ark);
	X509_free(builtin);
	return ok;
}

/* RFC 3339 UTC, for messages. */
static const char *fmt_time(time_t t, char buf[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 32, "@%lld", (long long)t);
	return buf;
}

/* One certificate of the chain under check. */
struct node {
	X509 *x;
	struct amd_cert_info info;
	const char *role;  /* "ark", "ask", "asvk", "vcek", "vlek": check name prefix */
	const char *label; /* "ARK", "ASK", ... */
	bool key_ok;
};

/*
 * The checks every certificate gets: issuer name, key type, signature
 * parameters, signature (only when everything it depends on passed),
 * validity.  signer is n itself for the ARK.  issuer_why, when set,
 * replaces the message for a wrong issuer.
 */
static void check_link(struct checker *c, struct node *n, const struct node *signer, bool leaf,
		       time_t at, const char *issuer_why)
{
	const X509_ALGOR *alg = NULL;
	bool params_ok, issuer_ok;
	char name[32], why[256], t1[32], t2[32];

	snprintf(name, sizeof(name), "%s-issuer", n->role);
	issuer_ok = X509_NAME_cmp(X509_get_issuer_name(n->x), X509_get_subject_name(signer->x)) == 0;
	if (n == signer)
		add(c, issuer_ok, name,
		    issuer_ok ? "%s is self-signed (issuer equals subject)"
			      : "%s is not self-signed: its issuer is '%s'",
		    n->label, n->info.issuer);
	else if (issuer_ok)
		add(c, true, name, "%s is issued by the %s '%s'", n->label, signer->label,
		    signer->info.common_name);
	else if (issuer_why)
		add(c, false, name, "%s", issuer_why);
	else
		add(c, false, name, "%s names issuer '%s', but the %s is '%s'", n->label,
		    n->info.issuer, signer->label, signer->info.subject);

	snprintf(name, sizeof(name), "%s-key", n->role);
	n->key_ok = (leaf ? ec_key_check(n->x, n->label, why, sizeof(why))
			  : rsa_key_check(n->x, n->label, why, sizeof(why))) == 0;
	add(c, n->key_ok, name, "%s", why);

	snprintf(name, sizeof(name), "%s-signature-params", n->role);
	X509_get0_signature(NULL, &alg, n->x);
	params_ok = pss_check(alg, n->label, why, sizeof(why)) == 0;
	add(c, params_ok, name, "%s",
	    params_ok ? "signature is RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48, trailer 1" : why);

	snprintf(name, sizeof(name), "%s-signature", n->role);
	if (!params_ok)
		add(c, false, name, "%s signature not checked: its parameters are wrong", n->label);
	else if (!issuer_ok)
		add(c, false, name, "%s signature not checked: its issuer is not the %s", n->label,
		    signer->label);
	else if (!signer->key_ok)
		add(c, false, name, "%s signature not checked: the %s key is unusable", n->label,
		    signer->label);
	else
		add(c, signature_check(n->x, signer->x, n->label, signer->label, why, sizeof(why)) == 0,
		    name, "%s", why);

	snprintf(name, sizeof(name), "%s-validity", n->role);
	if (at < n->info.not_before)
		add(c, false, name, "%s is not valid before %s (checked at %s)", n->label,
		    fmt_time(n->info.not_before, t1), fmt_time(at, t2));
	else if (at > n->info.not_after)
		add(c, false, name, "%s expired at %s (checked at %s)", n->label,
		    fmt_time(n->info.not_after, t1), fmt_time(at, t2));
	else
		add(c, true, name, "%s is valid at %s (until %s)", n->label, fmt_time(at, t2),
		    fmt_time(n->info.not_after, t1));
}

/* The trusted ARK for p whose key signed mid, else any trusted ARK for p. */
static int pick_ark(const struct amd_trust *t, enum amd_product p, X509 *mid, X509 **out)
{
	struct amd_cert_info info;
	char why[256];
	size_t i;

	*out = NULL;
	if (!t)
		return builtin_x509(p, AMD_CERT_ARK, out);
	for (i = t->n; i-- > 0;) {
		if (cert_decode(t->arks[i], &info, why, sizeof(why)) == 0 && info.product == p &&
		    X509_NAME_cmp(X509_get_issuer_name(mid), X509_get_subject_name(t->arks[i])) == 0 &&
		    X509_verify(mid, X509_get0_pubkey(t->arks[i])) == 1) {
			*out = t->arks[i];
			break;
		}
	}
	ERR_clear_error();
	if (!*out)
		*out = amd_trust_ark(t, p);
	if (!*out)
		return -ENOENT;
	X509_up_ref(*out);
	return 0;
}

static void check_extensions(struct checker *c, const struct node *n, int decoded,
			     const char *why)
{
	const struct amd_cert_info *i = &n->info;
	char name[32];

	snprintf(name, sizeof(name), "%s-extensions", n->role);
	if (decoded < 0)
		add(c, false, name, "%s is malformed: %s", n->label, why);
	else if (!i->has_product_name)
		add(c, false, name, "%s lacks the AMD productName extension", n->label);
	else if (!i->has_tcb)
		add(c, false, name, "%s lacks the AMD SPL (TCB) extensions", n->label);
	else if (i->kind == AMD_CERT_VCEK && !i->has_hwid)
		add(c, false, name, "VCEK lacks the AMD hwID extension");
	else if (i->kind == AMD_CERT_VLEK && !i->has_csp_id)
		add(c, false, name, "VLEK lacks the AMD cspId extension");
	else
		add(c, true, name, "%s carries productName '%s' and a TCB", n->label,
		    i->product_name);
}

int amd_chain_verify(X509 *leaf, X509 *mid, X509 *ark, const struct amd_trust *t, time_t at,
		     struct amd_check_list *out)
{
	struct node *l = NULL, *m = NULL, *a = NULL;
	struct checker c = { out, 0, false };
	X509 *own_mid = NULL, *own_ark = NULL;
	enum amd_cert_kind mid_kind;
	enum amd_product p;
	const char *pname;
	char why[256], name[32], msg[256];
	int r = -EINVAL;

	if (!leaf || !out)
		goto out;
	r = -ENOMEM;
	l = calloc(3, sizeof(*l));
	if (!l)
		goto out;
	m = l + 1;
	a = l + 2;
	l->x = leaf;
	r = cert_decode(leaf, &l->info, why, sizeof(why));
	if (r == -ENOMEM)
		goto out;
	if (l->info.kind != AMD_CERT_VCEK && l->info.kind != AMD_CERT_VLEK) {
		add(&c, false, "leaf-kind", "leaf certificate is not a VCEK or VLEK (CN '%s')",
		    l->info.common_name);
		goto done;
	}
	if (l->info.kind == AMD_CERT_VCEK) {
		l->role = "vcek", l->label = "VCEK";
		m->role = "ask", m->label = "ASK", mid_kind = AMD_CERT_ASK;
	} else {
		l->role = "vlek", l->label = "VLEK";
		m->role = "asvk", m->label = "ASVK", mid_kind = AMD_CERT_ASVK;
	}
	a->role = "ark", a->label = "ARK";
	add(&c, true, "leaf-kind", "leaf certificate is a %s", l->label);
	check_extensions(&c, l, r, why);

	/* The product: the leaf's, else the intermediate's. */
	p = l->info.product;
	if (p == AMD_PRODUCT_UNKNOWN && mid && cert_decode(mid, &m->info, why, sizeof(why)) == 0)
		p = m->info.product;
	pname = amd_product_name(p);
	if (!pname) {
		add(&c, false, "product", "%s names no known product (productName '%s')", l->label,
		    l->info.product_name);
		goto done;
	}
	if (!mid) {
		r = builtin_x509(p, mid_kind, &own_mid);
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			add(&c, false, "product", "there is no built-in %s for %s", m->label, pname);
			goto done;
		}
		mid = own_mid;
	}
	if (!ark) {
		r = pick_ark(t, p, mid, &own_ark);
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			add(&c, false, "ark-trusted", "there is no trusted ARK for %s", pname);
			goto done;
		}
		ark = own_ark;
	}
	m->x = mid;
	a->x = ark;
	if (cert_decode(mid, &m->info, why, sizeof(why)) == -ENOMEM ||
	    cert_decode(ark, &a->info, why, sizeof(why)) == -ENOMEM) {
		r = -ENOMEM;
		goto out;
	}

	/* The ARK: an ARK, trusted byte for byte, self-signed. */
	add(&c, a->info.kind == AMD_CERT_ARK, "ark-kind",
	    a->info.kind == AMD_CERT_ARK ? "ARK is '%s'"
					 : "certificate given as ARK is not an ARK (CN '%s')",
	    a->info.common_name);
	if (trusted(t, ark, p))
		add(&c, true, "ark-trusted", "ARK '%s' is a trusted root", a->info.common_name);
	else
		add(&c, false, "ark-trusted", "ARK '%s' is not byte for byte a trusted root",
		    a->info.common_name);
	check_link(&c, a, a, false, at, NULL);

	/* The ASK (VCEK chain) or ASVK (VLEK chain), issued by the ARK. */
	snprintf(name, sizeof(name), "%s-kind", m->role);
	if (m->info.kind == mid_kind)
		add(&c, true, name, "%s is '%s'", m->label, m->info.common_name);
	else
		add(&c, false, name, "%s must be issued by an %s, but the intermediate '%s' is %s",
		    l->label, m->label, m->info.common_name,
		    m->info.kind == AMD_CERT_VCEK || m->info.kind == AMD_CERT_VLEK ? "a leaf"
		    : m->info.kind ? kind_article(m->info.kind) : "of no known kind");
	check_link(&c, m, a, false, at, NULL);

	/* The VCEK or VLEK, issued by the intermediate, never by the ARK. */
	msg[0] = '\0';
	if (X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(ark)) == 0)
		snprintf(msg, sizeof(msg), "%s is issued by the ARK directly, it must be issued by an %s",
			 l->label, m->label);
	check_link(&c, l, m, true, at, msg[0] ? msg : NULL);

	/* One product throughout. */
	if (a->info.product != p || m->info.product != p)
		add(&c, false, "product", "%s is for %s, but the %s is for %s and the ARK for %s",
		    l->label, pname, m->label, amd_product_name(m->info.product) ?: "no known product",
		    amd_product_name(a->info.product) ?: "no known product");
	else
		add(&c, true, "product", "all certificates are for %s", pname);
done:
	r = c.err ? c.err : c.failed ? -EBADMSG : 0;
out:
	X509_free(own_mid);
	X509_free(own_ark);
	free(l);
	return r;
}

/* ---- CRL ------------------------------------------------------------ */

int amd_crl_verify(const void *der, size_t len, X509 *ark)
{
	const unsigned char *p = der;
	const X509_ALGOR *alg = NULL;
	X509_CRL *crl = NULL;
	EVP_PKEY *k;
	char why[256];
	int r = -EINVAL;

	if (!der || !ark)
		goto out;
	r = -EBADMSG;
	if (len == 0 || len > LONG_MAX)
		goto out;
	ERR_clear_error();
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (!crl || p != (const unsigned char *)der + len)
		goto out;
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ark)) != 0)
		goto out;
	X509_CRL_get0_signature(crl, NULL, &alg);
	if (pss_check(alg, "CRL", why, sizeof(why)) < 0)
		goto out;
	k = X509_get0_pubkey(ark);
	if (!k || X509_CRL_verify(crl, k) != 1)
		goto out;
	r = 0;
out:
	X509_CRL_free(crl);
	return r;
}
