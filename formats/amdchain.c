// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AMD SEV-SNP certificate chains: the built-in roots, the trust set, the
 * AMD RSASSA-PSS signature and key checks, ARK -> ASK -> VCEK and
 * ARK -> ASVK -> VLEK chain verification, and the lists of check results.
 * OpenSSL 3.  Single certificates (loading, AMD extensions) are in
 * amdcert.c, CRLs in amdcrl.c.
 * See formats/amd-certificates.md for what is checked and why.
 */
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
#include "amdcert-internal.h"
#include "amdcert.h"

static const char *const root_dirs[AMD_PRODUCT_COUNT] = { NULL, "milan", "genoa", "turin" };

/* "an ARK", "an ASK", "an ASVK" (intermediates only). */
static const char *kind_article(enum amd_cert_kind k)
{
	return k == AMD_CERT_ARK ? "an ARK" : k == AMD_CERT_ASK ? "an ASK" : "an ASVK";
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
		if (amd_cert_decode(t->arks[i], &info, why, sizeof(why)) == 0 &&
		    info.kind == AMD_CERT_ARK && info.product == p)
			return t->arks[i];
	return NULL;
}

bool amd_trust_ark_is_builtin(const struct amd_trust *t, enum amd_product p)
{
	size_t len = 0;
	const uint8_t *der = amd_builtin_cert(p, AMD_CERT_ARK, &len);
	X509 *builtin = NULL;
	bool eq;

	if (!der || amd_cert_load(der, len, &builtin) < 0)
		return false;
	eq = amd_cert_equal(builtin, amd_trust_ark(t, p));
	X509_free(builtin);
	return eq;
}

/* ---- signatures -------------------------------------------------------- */

static int md_nid(const X509_ALGOR *alg)
{
	return alg ? OBJ_obj2nid(alg->algorithm) : NID_sha1; /* RFC 4055 default */
}

/* The AMD signature algorithm (amdcert-internal.h). */
int amd_pss_check(const X509_ALGOR *alg, const char *what, char *why, size_t whylen)
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
	r = amd_pss_check(alg, "certificate", why, whylen);
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

	if (amd_cert_decode(x, &info, why, sizeof(why)) < 0 || info.kind != AMD_CERT_ARK ||
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
	while ((x = PEM_read_bio_X509(bio, NULL, amd_pem_no_password, NULL))) {
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

int amd_check_addv(struct amd_check_list *l, const char *name, bool ok, const char *fmt,
		   va_list ap)
{
	struct amd_check *e;

	if (!l || !name || !fmt)
		return -EINVAL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct amd_check *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->ok = ok;
	snprintf(e->name, sizeof(e->name), "%s", name);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	return 0;
}

int amd_check_add(struct amd_check_list *l, const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = amd_check_addv(l, name, ok, fmt, ap);
	va_end(ap);
	return r;
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
	va_list ap;

	if (!ok)
		c->failed = true;
	if (c->err)
		return;
	va_start(ap, fmt);
	c->err = amd_check_addv(c->list, name, ok, fmt, ap);
	va_end(ap);
}

static bool trusted(const struct amd_trust *t, X509 *ark, enum amd_product p)
{
	X509 *builtin = NULL;
	bool ok = false;
	size_t i;

	if (t) {
		for (i = 0; i < t->n && !ok; i++)
			ok = amd_cert_equal(t->arks[i], ark);
		return ok;
	}
	if (builtin_x509(p, AMD_CERT_ARK, &builtin) == 0)
		ok = amd_cert_equal(builtin, ark);
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
	params_ok = amd_pss_check(alg, n->label, why, sizeof(why)) == 0;
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
		if (amd_cert_decode(t->arks[i], &info, why, sizeof(why)) == 0 && info.product == p &&
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
	else if (i->kind == AMD_CERT_VCEK && i->product == AMD_PRODUCT_UNKNOWN)
		add(c, false, name, "VCEK productName '%s' names no known product, so its hwID "
				    "cannot be checked", i->product_name);
	else if (i->kind == AMD_CERT_VCEK && i->hwid_len != amd_hwid_len(i->product))
		add(c, false, name, "VCEK hwID is %zu bytes, a %s chip id is %zu", i->hwid_len,
		    amd_product_name(i->product), amd_hwid_len(i->product));
	else if (i->kind == AMD_CERT_VLEK && !i->has_csp_id)
		add(c, false, name, "VLEK lacks the AMD cspId extension");
	else if (i->kind == AMD_CERT_VLEK && i->has_hwid)
		add(c, false, name, "VLEK carries a hwID; a VLEK is not bound to a chip");
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
	r = amd_cert_decode(leaf, &l->info, why, sizeof(why));
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
	if (p == AMD_PRODUCT_UNKNOWN && mid && amd_cert_decode(mid, &m->info, why, sizeof(why)) == 0)
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
	if (amd_cert_decode(mid, &m->info, why, sizeof(why)) == -ENOMEM ||
	    amd_cert_decode(ark, &a->info, why, sizeof(why)) == -ENOMEM) {
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
		add(&c, false, "ark-trusted",
		    "ARK '%s' is not byte for byte a trusted root (to trust a private root: "
		    "--trust-root FILE, or trust_root = FILE in the configuration)",
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
