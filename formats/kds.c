// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AMD KDS request paths, the cert_chain reply and cache names.  No I/O.
 * See formats/kds-protocol.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <jansson.h>

#include "kds.h"

static const char *const family_names[] = { "vcek", "vlek" };

static const char *skip_space(const char *s, const char *end);

static void hex(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
	out[2 * len] = '\0';
}

/* snprintf that says -ENOSPC when the result does not fit. */
static int fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static int fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	if (!buf || len == 0)
		return -ENOSPC;
	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}

int kds_vcek_id_normalize(struct kds_vcek_id *id)
{
	size_t want;

	if (!id)
		return -EINVAL;
	want = amd_hwid_len(id->product);
	if (want == 0 || !amd_chip_id_len_valid(id->product, id->hwid_len))
		return -EINVAL;
	if (id->product != AMD_PRODUCT_TURIN && id->tcb.fmc != 0)
		return -EINVAL;
	memset(id->hwid + want, 0, AMD_HWID_MAX - want);
	id->hwid_len = want;
	return 0;
}

/* A checked copy of id, normalized. */
static int checked(const struct kds_vcek_id *id, struct kds_vcek_id *out)
{
	if (!id)
		return -EINVAL;
	*out = *id;
	return kds_vcek_id_normalize(out);
}

/* "?[fmcSPL=F&]blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U": KDS's order, decimal. */
static int spl_query(enum amd_product p, const struct amd_tcb *t, char *buf, size_t len)
{
	if (!t || !amd_product_name(p) || (p != AMD_PRODUCT_TURIN && t->fmc != 0))
		return -EINVAL;
	if (p == AMD_PRODUCT_TURIN)
		return fmt(buf, len, "?fmcSPL=%u&blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u",
			   t->fmc, t->bl, t->tee, t->snp, t->ucode);
	return fmt(buf, len, "?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u", t->bl, t->tee,
		   t->snp, t->ucode);
}

int kds_vcek_path(const struct kds_vcek_id *id, char *buf, size_t len)
{
	struct kds_vcek_id v;
	char h[2 * AMD_HWID_MAX + 1], q[96];
	int r;

	r = checked(id, &v);
	if (r == 0)
		r = spl_query(v.product, &v.tcb, q, sizeof(q));
	if (r < 0)
		return r;
	hex(v.hwid, v.hwid_len, h);
	return fmt(buf, len, "/vcek/v1/%s/%s%s", amd_product_name(v.product), h, q);
}

/* A CSP endpoint path: /vlek/v1/<Product>/<leaf>?<SPLs>. */
static int csp_path(enum amd_product p, const struct amd_tcb *tcb, const char *leaf, char *buf,
		    size_t len)
{
	char q[96];
	int r = spl_query(p, tcb, q, sizeof(q));

	if (r < 0)
		return r;
	return fmt(buf, len, "/vlek/v1/%s/%s%s", amd_product_name(p), leaf, q);
}

int kds_vlek_path(enum amd_product p, const struct amd_tcb *tcb, char *buf, size_t len)
{
	return csp_path(p, tcb, "cert", buf, len);
}

int kds_hashsticks_path(enum amd_product p, const struct amd_tcb *tcb, char *buf, size_t len)
{
	return csp_path(p, tcb, "hash_sticks", buf, len);
}

int kds_hashsticks_body(const uint8_t *hwid, size_t hwid_len, char *buf, size_t len)
{
	char h[2 * AMD_HWID_MAX + 1];

	if (!hwid || hwid_len == 0 || hwid_len > AMD_HWID_MAX)
		return -EINVAL;
	hex(hwid, hwid_len, h);
	return fmt(buf, len, "{\"hwids\":[\"%s\"]}", h);
}

static int product_path(enum amd_product p, enum kds_family f, const char *leaf, char *buf,
			size_t len)
{
	const char *name = p != AMD_PRODUCT_UNKNOWN ? amd_product_name(p) : NULL;

	if (!name || (f != KDS_FAMILY_VCEK && f != KDS_FAMILY_VLEK))
		return -EINVAL;
	return fmt(buf, len, "/%s/v1/%s/%s", family_names[f], name, leaf);
}

int kds_chain_path(enum amd_product p, enum kds_family f, char *buf, size_t len)
{
	return product_path(p, f, "cert_chain", buf, len);
}

int kds_crl_path(enum amd_product p, enum kds_family f, char *buf, size_t len)
{
	return product_path(p, f, "crl", buf, len);
}

int kds_vcek_name(const struct kds_vcek_id *id, char *buf, size_t len)
{
	struct kds_vcek_id v;
	char h[2 * AMD_HWID_MAX + 1];
	int r;

	r = checked(id, &v);
	if (r < 0)
		return r;
	hex(v.hwid, v.hwid_len, h);
	return fmt(buf, len, "vcek/%s/%s/%016llx.der", amd_product_name(v.product), h,
		   (unsigned long long)amd_tcb_to_raw(v.product, &v.tcb));
}

int kds_chain_name(enum amd_product p, enum kds_family f, char *buf, size_t len)
{
	/* The same layout as the request path, without the "/v1" and slash. */
	const char *name = p != AMD_PRODUCT_UNKNOWN ? amd_product_name(p) : NULL;

	if (!name || (f != KDS_FAMILY_VCEK && f != KDS_FAMILY_VLEK))
		return -EINVAL;
	return fmt(buf, len, "%s/%s/cert_chain.pem", family_names[f], name);
}

int kds_crl_name(enum amd_product p, enum kds_family f, char *buf, size_t len)
{
	const char *name = p != AMD_PRODUCT_UNKNOWN ? amd_product_name(p) : NULL;

	if (!name || (f != KDS_FAMILY_VCEK && f != KDS_FAMILY_VLEK))
		return -EINVAL;
	return fmt(buf, len, "%s/%s/crl.der", family_names[f], name);
}

/* The TCB_VERSION of tcb in p's layout, 16 hex digits; 0 or -EINVAL. */
static int tcb_hex(enum amd_product p, const struct amd_tcb *tcb, char out[17])
{
	if (!tcb || !amd_product_name(p) || (p != AMD_PRODUCT_TURIN && tcb->fmc != 0))
		return -EINVAL;
	snprintf(out, 17, "%016llx", (unsigned long long)amd_tcb_to_raw(p, tcb));
	return 0;
}

int kds_vlek_name(enum amd_product p, const struct amd_tcb *tcb, char *buf, size_t len)
{
	char t[17];
	int r = tcb_hex(p, tcb, t);

	if (r < 0)
		return r;
	return fmt(buf, len, "vlek/%s/cert/%s.der", amd_product_name(p), t);
}

int kds_hashstick_name(enum amd_product p, const uint8_t *hwid, size_t hwid_len,
		       const struct amd_tcb *tcb, char *buf, size_t len)
{
	char h[2 * AMD_HWID_MAX + 1], t[17];
	int r = tcb_hex(p, tcb, t);

	if (r < 0)
		return r;
	if (!hwid || hwid_len == 0 || hwid_len > AMD_HWID_MAX)
		return -EINVAL;
	hex(hwid, hwid_len, h);
	return fmt(buf, len, "vlek/%s/hash_sticks/%s/%s.bin", amd_product_name(p), h, t);
}

/* The id in uppercase hex after prefix, then suffix. */
static int cek_format(const uint8_t *id, size_t id_len, const char *prefix, const char *suffix,
		      char *buf, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	char h[2 * KDS_CEK_ID_MAX + 1];

	if (!id || id_len == 0 || id_len > KDS_CEK_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < id_len; i++) {
		h[2 * i] = digits[id[i] >> 4];
		h[2 * i + 1] = digits[id[i] & 15];
	}
	h[2 * id_len] = '\0';
	return fmt(buf, len, "%s%s%s", prefix, h, suffix);
}

int kds_cek_path(const uint8_t *id, size_t id_len, char *buf, size_t len)
{
	return cek_format(id, id_len, "/cek/id/", "", buf, len);
}

int kds_cek_name(const uint8_t *id, size_t id_len, char *buf, size_t len)
{
	return cek_format(id, id_len, "cek/id/", ".cert", buf, len);
}

/* ---- the hash_sticks reply, read with jansson --------------------------- */

static bool hex_equal(const char *s, size_t n, const char *want)
{
	return n == strlen(want) && strncasecmp(s, want, n) == 0;
}

static int unhex(const char *s, size_t n, uint8_t *out, size_t outlen)
{
	if (n != 2 * outlen)
		return -EBADMSG;
	for (size_t i = 0; i < outlen; i++) {
		int hi = isxdigit((unsigned char)s[2 * i]), lo = isxdigit((unsigned char)s[2 * i + 1]);
		char b[3] = { s[2 * i], s[2 * i + 1], '\0' };

		if (!hi || !lo)
			return -EBADMSG;
		out[i] = (uint8_t)strtoul(b, NULL, 16);
	}
	return 0;
}

/*
 * One result object: the value under the chip's key (hex, any case) into
 * out.  1 the hashstick, -1 "not found", 0 not this chip's, -EBADMSG.
 */
static int hashstick_result(json_t *r, const char *want, uint8_t *out)
{
	const char *key;
	json_t *v;

	if (!json_is_object(r))
		return -EBADMSG;
	json_object_foreach(r, key, v) {
		if (!json_is_string(v))
			return -EBADMSG;
		if (!hex_equal(key, strlen(key), want))
			continue;
		if (hex_equal(json_string_value(v), json_string_length(v), "not found"))
			return -1;
		return unhex(json_string_value(v), json_string_length(v), out,
			     KDS_HASHSTICK_LEN) < 0 ? -EBADMSG : 1;
	}
	return 0;
}

int kds_hashsticks_parse(const void *reply, size_t len, const uint8_t *hwid, size_t hwid_len,
			 uint8_t out[KDS_HASHSTICK_LEN])
{
	char want[2 * AMD_HWID_MAX + 1];
	json_t *root, *results, *r;
	int found = 0; /* 1: the hashstick, -1: "not found" */
	size_t i;

	if (!reply || !hwid || hwid_len == 0 || hwid_len > AMD_HWID_MAX || !out)
		return -EINVAL;
	hex(hwid, hwid_len, want);
	/* Exactly one object, no NUL in it (REJECT_DUPLICATES: one key, one value). */
	root = json_loadb(reply, len, JSON_REJECT_DUPLICATES, NULL);
	results = json_object_get(root, "results");
	if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_array(results)) {
		json_decref(root);
		return -EBADMSG;
	}
	json_array_foreach(results, i, r) {
		int rc = hashstick_result(r, want, out);

		if (rc == -EBADMSG) {
			found = rc;
			break;
		}
		if (found == 0)
			found = rc;
	}
	json_decref(root);
	if (found == -EBADMSG)
		return -EBADMSG;
	return found == 1 ? 0 : -ENOENT;
}

void kds_vcek_describe(const struct kds_vcek_id *id, char *buf, size_t len)
{
	char h[2 * AMD_HWID_MAX + 1], tcb[64];
	size_t n;

	if (!buf || len == 0)
		return;
	if (!id || !amd_product_name(id->product)) {
		snprintf(buf, len, "VCEK of an unknown product");
		return;
	}
	n = id->hwid_len <= AMD_HWID_MAX ? id->hwid_len : AMD_HWID_MAX;
	if (id->product == AMD_PRODUCT_TURIN && n > 8)
		n = 8;
	hex(id->hwid, n, h);
	amd_tcb_format(id->product, &id->tcb, tcb, sizeof(tcb));
	/* The first 4 and the last byte are enough to tell chips apart by eye. */
	if (n > 8)
		snprintf(buf, len, "%s VCEK hwid %.8s...%s TCB %s", amd_product_name(id->product),
			 h, h + 2 * n - 2, tcb);
	else
		snprintf(buf, len, "%s VCEK hwid %s TCB %s", amd_product_name(id->product), h,
			 tcb);
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	return s;
}

/*
 * Where the PEM block starting at s ends (past its END line), or NULL when s
 * does not start with a certificate's BEGIN line.
 */
static const char *pem_block_end(const char *s, const char *end)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char tail[] = "-----END CERTIFICATE-----";
	const char *e;

	if ((size_t)(end - s) < sizeof(begin) - 1 || memcmp(s, begin, sizeof(begin) - 1) != 0)
		return NULL;
	e = memmem(s, (size_t)(end - s), tail, sizeof(tail) - 1);
	return e ? e + sizeof(tail) - 1 : NULL;
}

int kds_chain_split(const void *pem, size_t len, X509 **mid, X509 **ark)
{
	const char *s = pem, *end = (const char *)pem + len;
	X509 *x[2] = { NULL, NULL };
	BIO *bio = NULL;
	int r = -EINVAL, n;

	if (!pem || !mid || !ark)
		goto out;
	*mid = NULL;
	*ark = NULL;
	r = -EBADMSG;
	if (len == 0 || len > INT32_MAX || memchr(pem, '\0', len))
		goto out;
	/* Two certificate blocks, nothing around or between them but white space. */
	for (n = 0; n < 2; n++) {
		s = pem_block_end(skip_space(s, end), end);
		if (!s)
			goto out;
	}
	if (skip_space(s, end) != end)
		goto out;
	r = -ENOMEM;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		goto out;
	r = -EBADMSG;
	ERR_set_mark();
	for (n = 0; n < 2; n++) {
		x[n] = PEM_read_bio_X509(bio, NULL, no_password, NULL);
		if (!x[n])
			break;
	}
	ERR_pop_to_mark();
	if (n != 2)
		goto out;
	*mid = x[0];
	*ark = x[1];
	x[0] = x[1] = NULL;
	r = 0;
out:
	for (n = 0; n < 2; n++)
		X509_free(x[n]);
	BIO_free(bio);
	return r;
}

int kds_parse_retry_after(const char *value, time_t now, unsigned long *secs)
{
	unsigned long v = 0;
	const char *s = value;
	struct tm tm;
	char *end;
	time_t t;

	if (!value || !secs)
		return -EINVAL;
	while (*s == ' ' || *s == '\t')
		s++;
	if (isdigit((unsigned char)*s)) {
		for (; isdigit((unsigned char)*s); s++) {
			/* Saturate: a huge delay is as good as "too long". */
			if (v < 100000000UL)
				v = v * 10 + (unsigned long)(*s - '0');
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s)
			return -EINVAL;
		*secs = v;
		return 0;
	}
	/* IMF-fixdate, the only form RFC 9110 asks senders to use. */
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -EINVAL;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*secs = t > now ? (unsigned long)(t - now) : 0;
	return 0;
}
