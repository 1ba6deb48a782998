// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Verifying the SEV (pre-SNP) chain with OpenSSL: ARK -> ASK -> CEK,
 * OCA -> OCA, OCA -> PEK, CEK -> PEK, PEK -> PDH, PEK -> report
 * (sev-legacy.md section 3).  Integers are little-endian; RSA signatures
 * are RSASSA-PSS with MGF1 of the same digest and salt = digest length;
 * ECDSA signatures are r and s, 72 bytes each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "sev-roots.h"
#include "sevcert.h"

const uint8_t *sev_builtin_ca(enum sev_gen g, bool ark, size_t *len)
{
	const char *name = sev_gen_name(g);

	for (unsigned int i = 0; name && i < sev_roots_count; i++)
		if (strcmp(sev_roots[i].gen, name) == 0 &&
		    strcmp(sev_roots[i].kind, ark ? "ark" : "ask") == 0) {
			*len = sev_roots[i].len;
			return sev_roots[i].data;
		}
	return NULL;
}

/* A key that signs: its usage and algorithm as a signature slot names them. */
struct signer {
	EVP_PKEY *key;
	uint32_t usage, algo;
	size_t rsa_bytes; /* RSA: the signature length */
};

static void signer_free(struct signer *s)
{
	EVP_PKEY_free(s->key);
	s->key = NULL;
}

static EVP_PKEY *rsa_key(const uint8_t *n_le, const uint8_t *e_le, size_t bytes)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = BN_lebin2bn(n_le, (int)bytes, NULL), *e = BN_lebin2bn(e_le, (int)bytes, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (!bld || !n || !e || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return key;
}

static EVP_PKEY *ec_key(const struct sev_cert *c)
{
	uint8_t point[1 + 2 * 48];
	size_t n = c->coord_len;
	const char *group = c->curve == SEV_CURVE_P384 ? "secp384r1" : "prime256v1";
	BIGNUM *x = BN_lebin2bn(c->qx, (int)SEV_EC_COORD_LEN, NULL);
	BIGNUM *y = BN_lebin2bn(c->qy, (int)SEV_EC_COORD_LEN, NULL);
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (!x || !y)
		goto out;
	point[0] = 0x04;
	if (BN_bn2binpad(x, point + 1, (int)n) < 0 || BN_bn2binpad(y, point + 1 + n, (int)n) < 0)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * n);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	BN_free(x);
	BN_free(y);
	return key;
}

static const EVP_MD *algo_md(uint32_t algo)
{
	return (algo & 0x100) ? EVP_sha384() : EVP_sha256();
}

/* RSASSA-PSS over data with md; sig_le is bytes long, little-endian. */
static bool pss_ok(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data, size_t len,
		   const uint8_t *sig_le, size_t bytes)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *be = malloc(bytes);
	bool ok = false;

	if (!mctx || !be)
		goto out;
	for (size_t i = 0; i < bytes; i++)
		be[i] = sig_le[bytes - 1 - i];
	if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)
		goto out;
	ok = EVP_DigestVerify(mctx, be, bytes, data, len) == 1;
out:
	EVP_MD_CTX_free(mctx);
	free(be);
	return ok;
}

/* ECDSA over data with md; r and s little-endian, SEV_EC_COORD_LEN each. */
static bool ecdsa_ok(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data, size_t len,
		     const uint8_t *r_le, const uint8_t *s_le)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_lebin2bn(r_le, (int)SEV_EC_COORD_LEN, NULL);
	BIGNUM *s = BN_lebin2bn(s_le, (int)SEV_EC_COORD_LEN, NULL);
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	bool ok = false;
	int n;

	if (!sig || !r || !s || !mctx || !ECDSA_SIG_set0(sig, r, s))
		goto out;
	r = s = NULL; /* owned by sig now */
	n = i2d_ECDSA_SIG(sig, &der);
	if (n <= 0)
		goto out;
	ok = EVP_DigestVerifyInit(mctx, NULL, md, NULL, key) == 1 &&
	     EVP_DigestVerify(mctx, der, (size_t)n, data, len) == 1;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(mctx);
	ECDSA_SIG_free(sig);
	BN_free(r);
	BN_free(s);
	return ok;
}

static int ca_signer(const struct sev_ca_cert *c, struct signer *s)
{
	s->rsa_bytes = c->modulus_bits / 8;
	s->usage = c->usage;
	s->algo = c->modulus_bits == 2048 ? SEV_ALGO_RSA_SHA256 : SEV_ALGO_RSA_SHA384;
	s->key = rsa_key(c->modulus, c->pubexp, s->rsa_bytes);
	return s->key ? 0 : -EBADMSG;
}

static int cert_signer(const struct sev_cert *c, struct signer *s)
{
	s->usage = c->usage;
	s->algo = c->algo;
	s->rsa_bytes = c->rsa ? c->rsa_bits / 8 : 0;
	s->key = c->rsa ? rsa_key(c->rsa_mod, c->rsa_exp, s->rsa_bytes) : ec_key(c);
	return s->key ? 0 : -EBADMSG;
}

/* A CA certificate's signature by s (its own key for a self-signed ARK). */
static bool ca_signed_ok(const struct signer *s, const struct sev_ca_cert *c)
{
	return c->sig && s->rsa_bytes == c->modulus_bits / 8 &&
	       pss_ok(s->key, algo_md(s->algo), c->raw, c->signed_len, c->sig, s->rsa_bytes);
}

/*
 * A SEV certificate's slot signed by s: usage and algorithm must be the
 * signer's.  0 when one verifies, 1 when none is the signer's, 2 when the
 * signer's slot does not verify.
 */
static int slot_check(const struct signer *s, const struct sev_cert *c)
{
	int found = 1;

	for (int i = 0; i < 2; i++) {
		const struct sev_sig *g = &c->sig[i];
		bool ok;

		if (g->empty || g->usage != s->usage || g->algo != s->algo)
			continue;
		if (s->rsa_bytes)
			ok = pss_ok(s->key, algo_md(s->algo), c->raw, SEV_CERT_SIGNED_LEN, g->sig,
				    s->rsa_bytes);
		else
			ok = ecdsa_ok(s->key, algo_md(s->algo), c->raw, SEV_CERT_SIGNED_LEN, g->sig,
				      g->sig + SEV_EC_COORD_LEN);
		if (ok)
			return 0;
		found = 2;
	}
	return found;
}

/* The verdict of slot_check() as a check line. */
static int add_slot(struct amd_check_list *l, const char *name, const struct signer *s,
		    const struct sev_cert *c, const char *child, const char *signer)
{
	switch (slot_check(s, c)) {
	case 0:
		return amd_check_add(l, name, true, "the %s is signed by the %s (%s)", child, signer,
				     sev_algo_name(s->algo));
	case 1:
		return amd_check_add(l, name, false,
				     "the %s has no signature by the %s (no slot with usage %s and algorithm %s)",
				     child, signer, sev_usage_name(s->usage),
				     sev_algo_name(s->algo));
	default:
		return amd_check_add(l, name, false, "the %s's signature by the %s does not verify",
				     child, signer);
	}
}

static int not_checked(struct amd_check_list *l, const char *name, const char *why)
{
	return amd_check_add(l, name, false, "not checked: %s", why);
}

/* Parse a SEV certificate of an expected usage into a format check. */
static bool cert_format(struct amd_check_list *l, const char *name, const char *what,
			const uint8_t *buf, uint32_t usage, struct sev_cert *c, int *ret)
{
	struct sev_diag d;
	char text[96];

	if (sev_cert_parse(buf, SEV_CERT_LEN, c, &d) < 0) {
		sev_diag_text(&d, text, sizeof(text));
		*ret = amd_check_add(l, name, false, "the %s is not a SEV certificate: %s", what,
				     text);
		return false;
	}
	if (c->usage != usage) {
		*ret = amd_check_add(l, name, false, "the %s certificate holds a %s key", what,
				     sev_usage_name(c->usage));
		return false;
	}
	*ret = amd_check_add(l, name, true, "the %s certificate (%s, API %u.%u)", what, sev_algo_name(c->algo),
			     c->api_major, c->api_minor);
	return true;
}

static bool same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return a && b && alen == blen && memcmp(a, b, alen) == 0;
}

/* The pinned generation whose ARK is buf (or, unsigned, its body), or SEV_GEN_UNKNOWN. */
static enum sev_gen pinned_ark(const uint8_t *buf, size_t len)
{
	for (int g = 0; g < SEV_GEN_COUNT; g++) {
		size_t plen = 0;
		const uint8_t *p = sev_builtin_ca((enum sev_gen)g, true, &plen);

		if (same_bytes(buf, len, p, plen) ||
		    (p && len == SEV_CA_UNSIGNED_LEN && plen > len && memcmp(buf, p, len) == 0))
			return (enum sev_gen)g;
	}
	return SEV_GEN_UNKNOWN;
}

/* The generation of a chain: named, from its ARK or ASK, or by trying each pinned ASK on the CEK. */
static enum sev_gen find_gen(const struct sev_chain *c, const struct sev_verify_opts *o)
{
	struct sev_ca_cert ask;
	struct sev_cert cek;

	if (o->gen != SEV_GEN_UNKNOWN)
		return o->gen;
	if (c->ark)
		return pinned_ark(c->ark, c->ark_len);
	if (c->ask) {
		if (sev_ca_parse(c->ask, c->ask_len, true, &ask, NULL, NULL) < 0)
			return SEV_GEN_UNKNOWN;
		for (int g = 0; g < SEV_GEN_COUNT; g++) {
			size_t plen = 0;
			const uint8_t *p = sev_builtin_ca((enum sev_gen)g, true, &plen);
			struct sev_ca_cert ark;

			if (p && sev_ca_parse(p, plen, true, &ark, NULL, NULL) == 0 &&
			    memcmp(ark.key_id, ask.certifying_id, SEV_CA_KEY_ID_LEN) == 0)
				return (enum sev_gen)g;
		}
		return SEV_GEN_UNKNOWN;
	}
	if (!c->cek || sev_cert_parse(c->cek, SEV_CERT_LEN, &cek, NULL) < 0)
		return SEV_GEN_UNKNOWN;
	for (int g = 0; g < SEV_GEN_COUNT; g++) {
		size_t plen = 0;
		const uint8_t *p = sev_builtin_ca((enum sev_gen)g, false, &plen);
		struct signer s = { 0 };
		bool ok;

		if (!p || sev_ca_parse(p, plen, true, &ask, NULL, NULL) < 0 || ca_signer(&ask, &s) < 0)
			continue;
		ok = slot_check(&s, &cek) == 0;
		signer_free(&s);
		if (ok)
			return (enum sev_gen)g;
	}
	return SEV_GEN_UNKNOWN;
}

/* Is the chain's ASK certified by the ARK buf (its certifying id is the ARK's key id)? */
static bool ask_certified_by(const struct sev_chain *c, const uint8_t *buf, size_t len)
{
	struct sev_ca_cert ask, ark;

	return c->ask && sev_ca_parse(c->ask, c->ask_len, true, &ask, NULL, NULL) == 0 &&
	       sev_ca_parse(buf, len, true, &ark, NULL, NULL) == 0 &&
	       memcmp(ask.certifying_id, ark.key_id, SEV_CA_KEY_ID_LEN) == 0;
}

/*
 * ARK: format, trust, self-signature.  *ark_s is set when it can sign;
 * *pinned_used when the ARK is the generation's pinned one, given or not.
 */
static int check_ark(const struct sev_chain *c, const struct sev_verify_opts *o, enum sev_gen gen,
		     struct amd_check_list *l, struct signer *ark_s, struct sev_ca_cert *ark,
		     bool *pinned_used)
{
	const uint8_t *buf = c->ark, *pinned = NULL;
	size_t len = c->ark_len, plen = 0;
	struct sev_diag d;
	char text[96];
	int ret;

	if (gen != SEV_GEN_UNKNOWN)
		pinned = sev_builtin_ca(gen, true, &plen);
	if (!buf) {
		/* The --trust-root ARK is trusted too: used when the chain is its (or none is pinned). */
		bool trust = o->trust_ark && (!pinned || ask_certified_by(c, o->trust_ark, o->trust_ark_len));

		buf = trust ? o->trust_ark : pinned;
		len = trust ? o->trust_ark_len : plen;
	}
	*pinned_used = buf == pinned;
	if (!buf) {
		ret = not_checked(l, "ark-format", "no ARK: the generation is not known (no pinned ASK signed the CEK; name it)");
		return ret < 0 ? ret : not_checked(l, "ark-trusted", "no ARK");
	}
	if (sev_ca_parse(buf, len, true, ark, NULL, &d) < 0) {
		sev_diag_text(&d, text, sizeof(text));
		ret = amd_check_add(l, "ark-format", false, "the ARK is not an AMD CA certificate: %s",
				    text);
		return ret < 0 ? ret : not_checked(l, "ark-trusted", "the ARK is malformed");
	}
	if (ark->usage != SEV_USAGE_ARK ||
	    memcmp(ark->key_id, ark->certifying_id, SEV_CA_KEY_ID_LEN) != 0) {
		ret = amd_check_add(l, "ark-format", false,
				    "the ARK certificate is not a self-certified ARK (usage %s)",
				    sev_usage_name(ark->usage));
		return ret < 0 ? ret : not_checked(l, "ark-trusted", "the ARK is malformed");
	}
	ret = amd_check_add(l, "ark-format", true, "an ARK, RSA-%u%s", ark->modulus_bits,
			    ark->sig ? "" : ", unsigned");
	if (ret < 0)
		return ret;
	if (same_bytes(buf, len, o->trust_ark, o->trust_ark_len)) {
		ret = amd_check_add(l, "ark-trusted", true, "the ARK is the --trust-root ARK");
	} else if (same_bytes(buf, len, pinned, plen)) {
		*pinned_used = true;
		ret = amd_check_add(l, "ark-trusted", true, "the ARK is AMD's pinned %s ARK",
				    sev_gen_title(gen));
	} else if (!ark->sig && pinned && plen > len && memcmp(buf, pinned, len) == 0) {
		/* AMD's unsigned Naples ARK: the pinned one, with its signature. */
		ret = sev_ca_parse(pinned, plen, true, ark, NULL, NULL);
		if (ret < 0)
			return ret;
		*pinned_used = true;
		ret = amd_check_add(l, "ark-trusted", true,
				    "the ARK is AMD's pinned %s ARK as AMD publishes it (unsigned)",
				    sev_gen_title(gen));
	} else {
		ret = amd_check_add(l, "ark-trusted", false,
				    "the ARK is not a pinned AMD ARK%s%s (nor a --trust-root ARK)",
				    gen != SEV_GEN_UNKNOWN ? " for " : "",
				    gen != SEV_GEN_UNKNOWN ? sev_gen_title(gen) : "");
		return ret;
	}
	if (ret < 0)
		return ret;
	if (ca_signer(ark, ark_s) < 0)
		return amd_check_add(l, "ark-signature", false, "the ARK's key is not a valid RSA key");
	if (!ca_signed_ok(ark_s, ark)) {
		signer_free(ark_s);
		return amd_check_add(l, "ark-signature", false, "the ARK's self-signature does not verify");
	}
	return amd_check_add(l, "ark-signature", true, "the ARK is self-signed (RSASSA-PSS, %s)",
			     ark->modulus_bits == 2048 ? "SHA-256" : "SHA-384");
}

static int check_ask(const struct sev_chain *c, const struct sev_verify_opts *o, bool ark_pinned,
		     enum sev_gen gen, struct amd_check_list *l, const struct signer *ark_s,
		     const struct sev_ca_cert *ark, struct signer *ask_s)
{
	const uint8_t *buf = c->ask;
	size_t len = c->ask_len;
	struct sev_ca_cert ask;
	struct sev_diag d;
	char text[96];
	int ret;

	/* The pinned ASK goes with the pinned ARK only. */
	if (!buf && ark_pinned && gen != SEV_GEN_UNKNOWN)
		buf = sev_builtin_ca(gen, false, &len);
	/* The private root's own ASK goes with the private root only. */
	if (!buf && ark_s->key && o->trust_ask && same_bytes(ark->raw, ark->len, o->trust_ark,
							    o->trust_ark_len)) {
		buf = o->trust_ask;
		len = o->trust_ask_len;
	}
	if (!buf)
		return not_checked(l, "ask-format", "no ASK (give ask.cert, or the root as AMD's "
				   "ASK and ARK file, with a private root)");
	if (sev_ca_parse(buf, len, true, &ask, NULL, &d) < 0) {
		sev_diag_text(&d, text, sizeof(text));
		return amd_check_add(l, "ask-format", false, "the ASK is not an AMD CA certificate: %s",
				     text);
	}
	if (ask.usage != SEV_USAGE_ASK || !ask.sig)
		return amd_check_add(l, "ask-format", false, "the ASK certificate holds an %s key",
				     sev_usage_name(ask.usage));
	ret = amd_check_add(l, "ask-format", true, "an ASK, RSA-%u", ask.modulus_bits);
	if (ret < 0)
		return ret;
	if (!ark_s->key)
		ret = not_checked(l, "ask-signature", "no trusted ARK");
	else if (memcmp(ask.certifying_id, ark->key_id, SEV_CA_KEY_ID_LEN) != 0)
		ret = amd_check_add(l, "ask-signature", false,
				    "the ASK is certified by another key than this ARK (wrong generation?)");
	else if (!ca_signed_ok(ark_s, &ask))
		ret = amd_check_add(l, "ask-signature", false,
				    "the ASK's signature by the ARK does not verify");
	else
		ret = amd_check_add(l, "ask-signature", true, "the ASK is signed by the ARK");
	if (ret < 0)
		return ret;
	if (l->v[l->n - 1].ok && ca_signer(&ask, ask_s) < 0)
		return amd_check_add(l, "ask-signature", false, "the ASK's key is not a valid RSA key");
	return 0;
}

/* The SEV links below the ASK.  Keys that verified become signers. */
static int check_platform(const struct sev_chain *c, struct amd_check_list *l,
			  const struct signer *ask_s)
{
	struct signer cek_s = { 0 }, oca_s = { 0 }, pek_s = { 0 };
	struct sev_cert cek, oca, pek, pdh;
	bool cek_ok, oca_ok, pek_ok;
	int ret;

	cek_ok = cert_format(l, "cek-format", "CEK", c->cek, SEV_USAGE_CEK, &cek, &ret);
	if (ret < 0)
		goto out;
	if (!cek_ok)
		ret = not_checked(l, "cek-signature", "the CEK is malformed");
	else if (!ask_s->key)
		ret = not_checked(l, "cek-signature", "no verified ASK");
	else
		ret = add_slot(l, "cek-signature", ask_s, &cek, "CEK", "ASK");
	if (ret < 0)
		goto out;
	cek_ok = cek_ok && l->v[l->n - 1].ok && cert_signer(&cek, &cek_s) == 0;

	oca_ok = cert_format(l, "oca-format", "OCA", c->oca, SEV_USAGE_OCA, &oca, &ret);
	if (ret < 0)
		goto out;
	if (oca_ok && cert_signer(&oca, &oca_s) < 0)
		ret = amd_check_add(l, "oca-signature", false, "the OCA's key is not a valid key");
	else if (oca_ok)
		ret = add_slot(l, "oca-signature", &oca_s, &oca, "OCA", "OCA itself");
	else
		ret = not_checked(l, "oca-signature", "the OCA is malformed");
	if (ret < 0)
		goto out;
	oca_ok = oca_ok && l->v[l->n - 1].ok;

	pek_ok = cert_format(l, "pek-format", "PEK", c->pek, SEV_USAGE_PEK, &pek, &ret);
	if (ret < 0)
		goto out;
	if (!pek_ok || !oca_ok)
		ret = not_checked(l, "pek-oca-signature", pek_ok ? "no verified OCA" : "the PEK is malformed");
	else
		ret = add_slot(l, "pek-oca-signature", &oca_s, &pek, "PEK", "OCA");
	if (ret < 0)
		goto out;
	pek_ok = pek_ok && l->v[l->n - 1].ok;
	if (!cek_s.key || !l->v[l->n - 1].ok)
		ret = not_checked(l, "pek-cek-signature", !cek_s.key ? "no verified CEK" : "the PEK's OCA signature failed");
	else
		ret = add_slot(l, "pek-cek-signature", &cek_s, &pek, "PEK", "CEK");
	if (ret < 0)
		goto out;
	pek_ok = pek_ok && l->v[l->n - 1].ok && cert_signer(&pek, &pek_s) == 0;

	if (c->pdh) {
		bool pdh_ok = cert_format(l, "pdh-format", "PDH", c->pdh, SEV_USAGE_PDH, &pdh, &ret);

		if (ret < 0)
			goto out;
		if (!pdh_ok || !pek_ok)
			ret = not_checked(l, "pdh-signature", pdh_ok ? "no verified PEK" : "the PDH is malformed");
		else
			ret = add_slot(l, "pdh-signature", &pek_s, &pdh, "PDH", "PEK");
		if (ret < 0)
			goto out;
	}
	if (c->report) {
		char why[160];

		struct sev_report r;
		bool by_pek;

		sev_report_parse(c->report, SEV_REPORT_LEN, &r, NULL);
		by_pek = r.sig_usage == SEV_USAGE_PEK && r.sig_algo == SEV_ALGO_ECDSA_SHA256;
		ret = amd_check_add(l, "report-format", by_pek, by_pek ?
				    "an attestation report, policy 0x%x, signed by the PEK (ECDSA-SHA256)" :
				    "an attestation report, policy 0x%x, not signed by a PEK (signature usage 0x%x, algorithm 0x%x)",
				    r.policy, r.sig_usage, r.sig_algo);
		if (ret < 0)
			goto out;
		if (!pek_ok) {
			ret = not_checked(l, "report-signature", "no verified PEK");
		} else {
			ret = sev_report_verify(c->pek, c->report, NULL, why, sizeof(why));
			if (ret == -ENOMEM)
				goto out;
			ret = amd_check_add(l, "report-signature", ret == 0,
					    ret == 0 ? "the report is signed by the PEK" : "%s", why);
		}
		if (ret < 0)
			goto out;
		if (c->mnonce) {
			bool same = memcmp(c->report, c->mnonce, SEV_MNONCE_LEN) == 0;

			ret = amd_check_add(l, "report-mnonce", same, same ?
					    "the report carries the mnonce asked for" :
					    "the report carries another mnonce than the one asked for");
			if (ret < 0)
				goto out;
		}
	}
	ret = 0;
out:
	signer_free(&cek_s);
	signer_free(&oca_s);
	signer_free(&pek_s);
	return ret;
}

int sev_chain_verify(const struct sev_chain *c, const struct sev_verify_opts *o,
		     struct amd_check_list *out, enum sev_gen *gen_out)
{
	struct signer ark_s = { 0 }, ask_s = { 0 };
	struct sev_ca_cert ark = { 0 };
	bool ark_pinned = false;
	enum sev_gen gen;
	int ret;

	if (!c || !o || !out || !c->cek || !c->oca || !c->pek)
		return -EINVAL;
	gen = find_gen(c, o);
	ret = check_ark(c, o, gen, out, &ark_s, &ark, &ark_pinned);
	if (ret < 0)
		goto out;
	ret = check_ask(c, o, ark_pinned, gen, out, &ark_s, &ark, &ask_s);
	if (ret < 0)
		goto out;
	ret = check_platform(c, out, &ask_s);
	if (ret < 0)
		goto out;
	if (gen_out)
		*gen_out = gen;
	ret = amd_check_list_ok(out) ? 0 : -EBADMSG;
out:
	signer_free(&ark_s);
	signer_free(&ask_s);
	return ret;
}

int sev_report_verify(const uint8_t *pek_buf, const uint8_t *report, const uint8_t *mnonce,
		      char *why, size_t len)
{
	struct signer s = { 0 };
	struct sev_report r;
	struct sev_cert pek;
	struct sev_diag d;
	char text[96];
	int ret = -EBADMSG;

	if (!pek_buf || !report)
		return -EINVAL;
	if (sev_cert_parse(pek_buf, SEV_CERT_LEN, &pek, &d) < 0) {
		sev_diag_text(&d, text, sizeof(text));
		snprintf(why, len, "the PEK is not a SEV certificate: %s", text);
		goto out;
	}
	if (pek.usage != SEV_USAGE_PEK) {
		snprintf(why, len, "the PEK certificate holds a %s key", sev_usage_name(pek.usage));
		goto out;
	}
	sev_report_parse(report, SEV_REPORT_LEN, &r, NULL);
	if (r.sig_usage != SEV_USAGE_PEK || r.sig_algo != pek.algo || pek.rsa) {
		snprintf(why, len, "the report is signed by usage 0x%x, algorithm 0x%x, not by the PEK (%s)",
			 r.sig_usage, r.sig_algo, sev_algo_name(pek.algo));
		goto out;
	}
	if (cert_signer(&pek, &s) < 0) {
		snprintf(why, len, "the PEK's key is not a valid key");
		goto out;
	}
	if (!ecdsa_ok(s.key, algo_md(pek.algo), report, SEV_REPORT_SIGNED_LEN, r.r, r.s)) {
		snprintf(why, len, "the report's signature by the PEK does not verify");
		goto out;
	}
	if (mnonce && memcmp(r.mnonce, mnonce, SEV_MNONCE_LEN) != 0) {
		snprintf(why, len, "the report carries another mnonce than the one asked for");
		goto out;
	}
	snprintf(why, len, "the report is signed by the PEK");
	ret = 0;
out:
	signer_free(&s);
	return ret;
}

/*
 * Is cek signed by the ASK ask_buf, itself certified by the self-signed
 * ARK ark_buf?  0 yes; 1 the ASK and ARK are good but the CEK has no slot
 * by that ASK; 2 it has one that does not verify; 3 the ASK or ARK is bad
 * (why says how).
 */
static int cek_by_ask(const uint8_t *ask_buf, size_t ask_len, const uint8_t *ark_buf,
		      size_t ark_len, const struct sev_cert *cek, const char *label, char *why,
		      size_t len)
{
	struct signer ark_s = { 0 }, ask_s = { 0 };
	struct sev_ca_cert ark, ask;
	int ret = 3;

	if (sev_ca_parse(ark_buf, ark_len, true, &ark, NULL, NULL) < 0 ||
	    ark.usage != SEV_USAGE_ARK ||
	    memcmp(ark.key_id, ark.certifying_id, SEV_CA_KEY_ID_LEN) != 0) {
		snprintf(why, len, "the %s ARK is not a self-certified ARK", label);
		goto out;
	}
	if (ca_signer(&ark, &ark_s) < 0 || !ca_signed_ok(&ark_s, &ark)) {
		snprintf(why, len, "the %s ARK's self-signature does not verify", label);
		goto out;
	}
	if (sev_ca_parse(ask_buf, ask_len, true, &ask, NULL, NULL) < 0 ||
	    ask.usage != SEV_USAGE_ASK || !ask.sig) {
		snprintf(why, len, "the %s ASK is not an ASK in the AMD CA format", label);
		goto out;
	}
	if (memcmp(ask.certifying_id, ark.key_id, SEV_CA_KEY_ID_LEN) != 0 ||
	    !ca_signed_ok(&ark_s, &ask)) {
		snprintf(why, len, "the %s ASK is not signed by its ARK", label);
		goto out;
	}
	if (ca_signer(&ask, &ask_s) < 0) {
		snprintf(why, len, "the %s ASK's key is not a valid RSA key", label);
		goto out;
	}
	ret = slot_check(&ask_s, cek);
	if (ret == 1)
		snprintf(why, len, "the CEK has no signature by the %s ASK", label);
	else if (ret == 2)
		snprintf(why, len, "the CEK's signature by the %s ASK does not verify", label);
out:
	signer_free(&ark_s);
	signer_free(&ask_s);
	return ret;
}

int sev_cek_verify(const uint8_t *buf, size_t buf_len, const struct sev_verify_opts *o,
		   enum sev_gen *gen, char *why, size_t len)
{
	struct sev_cert cek;
	struct sev_diag d;
	char text[96], first[160] = "";
	int tried = 0;

	if (!buf || !o)
		return -EINVAL;
	if (sev_cert_parse(buf, buf_len, &cek, &d) < 0) {
		sev_diag_text(&d, text, sizeof(text));
		snprintf(why, len, "it is not a SEV certificate: %s", text);
		return -EBADMSG;
	}
	if (cek.usage != SEV_USAGE_CEK) {
		snprintf(why, len, "it holds a %s key, not a CEK", sev_usage_name(cek.usage));
		return -EBADMSG;
	}
	for (int g = 0; g < SEV_GEN_COUNT; g++) {
		size_t ask_len = 0, ark_len = 0;
		const uint8_t *ask, *ark;

		if (o->gen != SEV_GEN_UNKNOWN && g != (int)o->gen)
			continue;
		ask = sev_builtin_ca((enum sev_gen)g, false, &ask_len);
		ark = sev_builtin_ca((enum sev_gen)g, true, &ark_len);
		if (!ask || !ark)
			continue;
		tried++;
		if (cek_by_ask(ask, ask_len, ark, ark_len, &cek, sev_gen_title((enum sev_gen)g),
			       text, sizeof(text)) == 0) {
			if (gen)
				*gen = (enum sev_gen)g;
			snprintf(why, len, "the CEK is signed by AMD's pinned %s ASK",
				 sev_gen_title((enum sev_gen)g));
			return 0;
		}
		if (!*first)
			snprintf(first, sizeof(first), "%s", text);
	}
	if (o->trust_ask && o->trust_ark) {
		int r = cek_by_ask(o->trust_ask, o->trust_ask_len, o->trust_ark, o->trust_ark_len,
				   &cek, "--trust-root", text, sizeof(text));

		if (r == 0) {
			if (gen)
				*gen = o->gen;
			snprintf(why, len, "the CEK is signed by the --trust-root ASK");
			return 0;
		}
		snprintf(why, len, "%s%s%s", tried ? (o->gen != SEV_GEN_UNKNOWN ? first :
			 "the CEK is not signed by any pinned AMD ASK") : "", tried ? ", and " : "",
			 text);
		return -EBADMSG;
	}
	if (o->gen != SEV_GEN_UNKNOWN)
		snprintf(why, len, "%s", tried ? first : "no pinned ASK for that generation");
	else
		snprintf(why, len, "the CEK is not signed by any pinned AMD ASK (Naples to Turin)%s",
			 o->trust_ark ? "; a private root needs its ASK too (ASK then ARK in one "
			 "file, as AMD's ask_ark files are)" : "");
	return -EBADMSG;
}
