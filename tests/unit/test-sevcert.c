// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/sevcert.c and sevchain.c on AMD's real legacy SEV data
 * (tests/data/sev-legacy/, from the reference set): the pinned roots, two
 * real platform chains, what a Naples firmware exports, and every failure
 * class with the check it must name.  Reports are signed here with a key
 * made for the test, in a PEK certificate encoded here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "certfiles.h"
#include "sevcert.h"
#include "tap.h"

static char *data;

static uint8_t *get(const char *name, size_t *len)
{
	size_t n = 0;
	uint8_t *b = (uint8_t *)read_in(data, name, &n);

	if (len)
		*len = n;
	return b;
}

struct platform {
	uint8_t *cek, *oca, *pek, *pdh;
};

static void platform_load(struct platform *p, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "platform/%s/cek.cert", name);
	p->cek = get(path, NULL);
	snprintf(path, sizeof(path), "platform/%s/oca.cert", name);
	p->oca = get(path, NULL);
	snprintf(path, sizeof(path), "platform/%s/pek.cert", name);
	p->pek = get(path, NULL);
	snprintf(path, sizeof(path), "platform/%s/pdh.cert", name);
	p->pdh = get(path, NULL);
}

static void platform_free(struct platform *p)
{
	free(p->cek);
	free(p->oca);
	free(p->pek);
	free(p->pdh);
}

static int verify(const struct sev_chain *c, enum sev_gen gen, struct amd_check_list *l,
		  enum sev_gen *found)
{
	struct sev_verify_opts o = { .gen = gen };

	amd_check_list_free(l);
	return sev_chain_verify(c, &o, l, found);
}

static void test_roots(void)
{
	static const char *const ark_ids[SEV_GEN_COUNT] = {
		"1bb987c359494606b174945601c9ea5b", "e6002122fb58419399d15fee7b131351",
		"94c38e4177d0479292a7ae671d083fb6", "9f9d4a8fe761456599f6946c4c010f3a",
		"d05c3a8bde484904b49552422ceb3942",
	};
	static const char *const ask_ids[SEV_GEN_COUNT] = {
		"e139970cfc464377ae61b289e2f9e96e", "c6cbcf145b3146f498e40ecb4ad4fded",
		"73478c05cc174bfeb06e718fa75dc3c8", "acbb4ad21acc436fb3e932f812cd01b0",
		"15051693f7304d65a527b4a7f3f7cb77",
	};
	char name[128], hex[33];

	for (int g = 0; g < SEV_GEN_COUNT; g++) {
		struct sev_ca_cert ark, ask;
		size_t alen = 0, slen = 0;
		const uint8_t *a = sev_builtin_ca(g, true, &alen), *s = sev_builtin_ca(g, false, &slen);

		snprintf(name, sizeof(name), "%s: built-in ARK and ASK parse", sev_gen_name(g));
		CHECK(a && s && sev_ca_parse(a, alen, true, &ark, NULL, NULL) == 0 &&
			      sev_ca_parse(s, slen, true, &ask, NULL, NULL) == 0, name);
		if (!a || !s)
			continue;
		for (int i = 0; i < 16; i++)
			sprintf(hex + 2 * i, "%02x", ark.key_id[i]);
		snprintf(name, sizeof(name), "%s: ARK key id as pinned", sev_gen_name(g));
		CHECK_STR(hex, ark_ids[g], name);
		for (int i = 0; i < 16; i++)
			sprintf(hex + 2 * i, "%02x", ask.key_id[i]);
		snprintf(name, sizeof(name), "%s: ASK key id as pinned", sev_gen_name(g));
		CHECK_STR(hex, ask_ids[g], name);
		snprintf(name, sizeof(name), "%s: %u-bit, %zu bytes", sev_gen_name(g),
			 ark.modulus_bits, alen);
		CHECK(alen == (g == SEV_GEN_NAPLES ? SEV_CA_NAPLES_LEN : SEV_CA_MAX_LEN), name);
	}
	CHECK(sev_builtin_ca(SEV_GEN_UNKNOWN, true, &(size_t){ 0 }) == NULL, "no root for unknown");
	CHECK_EQ(sev_gen_parse("Milan"), SEV_GEN_MILAN, "gen parse, any case");
	CHECK_EQ(sev_gen_parse("venice"), SEV_GEN_UNKNOWN, "gen parse, unknown");
	CHECK_STR(sev_gen_title(SEV_GEN_ROME), "Rome", "gen title");
}

/* Each ASK verifies under its ARK and under no other. */
static void test_cross_roots(void)
{
	struct amd_check_list l = { 0 };
	char name[128];
	struct platform p;

	platform_load(&p, "rome");
	for (int a = 0; a < SEV_GEN_COUNT; a++)
		for (int s = 0; s < SEV_GEN_COUNT; s++) {
			struct sev_chain c = { .cek = p.cek, .oca = p.oca, .pek = p.pek };
			int r;

			c.ark = sev_builtin_ca(a, true, &c.ark_len);
			c.ask = sev_builtin_ca(s, false, &c.ask_len);
			r = verify(&c, a, &l, NULL);
			(void)r;
			snprintf(name, sizeof(name), "ASK %s under ARK %s: %s", sev_gen_name(s),
				 sev_gen_name(a), a == s ? "verifies" : "refused");
			CHECK(a == s ? !has_failed(&l, "ask-signature") : has_failed(&l, "ask-signature"),
			      name);
		}
	amd_check_list_free(&l);
	platform_free(&p);
}

static void test_real_chains(void)
{
	static const char *const names[] = { "naples", "rome" };
	static const enum sev_gen gens[] = { SEV_GEN_NAPLES, SEV_GEN_ROME };
	struct amd_check_list l = { 0 };
	char name[128];

	for (size_t i = 0; i < 2; i++) {
		struct platform p;
		struct sev_chain c;
		enum sev_gen found = SEV_GEN_UNKNOWN;

		platform_load(&p, names[i]);
		c = (struct sev_chain){ .cek = p.cek, .oca = p.oca, .pek = p.pek, .pdh = p.pdh };
		snprintf(name, sizeof(name), "%s: the whole chain verifies, generation found", names[i]);
		CHECK(verify(&c, SEV_GEN_UNKNOWN, &l, &found) == 0 && found == gens[i], name);
		print_checks(&l);
		CHECK_EQ(l.n, 14u, "fourteen checks: ark/ask/cek/oca/pek/pdh");
		snprintf(name, sizeof(name), "%s: under the other generation, cek-signature fails",
			 names[i]);
		CHECK(verify(&c, gens[1 - i], &l, NULL) == -EBADMSG &&
			      strcmp(failed_names(&l), "cek-signature pek-cek-signature pdh-signature") == 0, name);
		printf("# failed: %s\n", failed_names(&l));

		/* A flipped byte in each link. */
		struct {
			uint8_t *buf;
			const char *check;
		} flips[] = {
			{ p.cek, "cek-signature" },
			{ p.oca, "oca-signature" },
			{ p.pek, "pek-oca-signature" },
			{ p.pdh, "pdh-signature" },
		};
		for (size_t f = 0; f < sizeof(flips) / sizeof(flips[0]); f++) {
			flips[f].buf[0x30] ^= 0x01; /* inside the key */
			snprintf(name, sizeof(name), "%s: a flipped key byte fails %s", names[i],
				 flips[f].check);
			CHECK(verify(&c, SEV_GEN_UNKNOWN, &l, NULL) == -EBADMSG &&
				      has_failed(&l, flips[f].check), name);
			flips[f].buf[0x30] ^= 0x01;
		}
		/* A flipped signature byte of the CEK's signature of the PEK. */
		p.pek[0x624 + 3] ^= 0x80;
		snprintf(name, sizeof(name), "%s: a flipped CEK signature byte fails pek-cek-signature",
			 names[i]);
		CHECK(verify(&c, SEV_GEN_UNKNOWN, &l, NULL) == -EBADMSG &&
			      strcmp(failed_names(&l), "pek-cek-signature pdh-signature") == 0, name);
		p.pek[0x624 + 3] ^= 0x80;

		/* Swapped slots still verify: slots are matched by usage. */
		uint8_t swapped[SEV_CERT_LEN];
		memcpy(swapped, p.pek, SEV_CERT_LEN);
		memcpy(swapped + 0x414, p.pek + 0x61C, 0x208);
		memcpy(swapped + 0x61C, p.pek + 0x414, 0x208);
		c.pek = swapped;
		snprintf(name, sizeof(name), "%s: a PEK with its slots swapped verifies", names[i]);
		CHECK(verify(&c, SEV_GEN_UNKNOWN, &l, NULL) == 0, name);
		/* A slot whose usage names another signer is no signature of it. */
		swapped[0x414] = 0x03; /* CEK's slot claims the PDH (0x1003) */
		snprintf(name, sizeof(name), "%s: a slot with the wrong usage fails pek-cek-signature",
			 names[i]);
		CHECK(verify(&c, SEV_GEN_UNKNOWN, &l, NULL) == -EBADMSG &&
			      has_failed(&l, "pek-cek-signature"), name);
		c.pek = p.pek;
		platform_free(&p);
	}
	amd_check_list_free(&l);
}

/* One CEK against the pinned ASKs, or a trust root's ASK and ARK. */
static void test_cek_verify(void)
{
	struct platform n, r;
	struct sev_verify_opts o = { .gen = SEV_GEN_UNKNOWN };
	enum sev_gen found = SEV_GEN_UNKNOWN;
	size_t ask_len = 0, ark_len = 0;
	char why[256];

	platform_load(&n, "naples");
	platform_load(&r, "rome");
	CHECK(sev_cek_verify(n.cek, SEV_CERT_LEN, &o, &found, why, sizeof(why)) == 0 &&
		      found == SEV_GEN_NAPLES, "cek: AMD's Naples CEK, generation found");
	CHECK_STR(why, "the CEK is signed by AMD's pinned Naples ASK", "cek: why, when good");
	CHECK(sev_cek_verify(r.cek, SEV_CERT_LEN, &o, &found, why, sizeof(why)) == 0 &&
		      found == SEV_GEN_ROME, "cek: AMD's Rome CEK, generation found");
	o.gen = SEV_GEN_ROME;
	CHECK_EQ(sev_cek_verify(r.cek, SEV_CERT_LEN, &o, NULL, why, sizeof(why)), 0,
		 "cek: the Rome CEK as Rome");
	o.gen = SEV_GEN_NAPLES;
	CHECK_EQ(sev_cek_verify(r.cek, SEV_CERT_LEN, &o, NULL, why, sizeof(why)), -EBADMSG,
		 "cek: the Rome CEK is no Naples CEK");
	CHECK_STR(why, "the CEK has no signature by the Naples ASK", "cek: the wrong generation, why");
	o.gen = SEV_GEN_UNKNOWN;
	r.cek[0x30] ^= 1;
	CHECK_EQ(sev_cek_verify(r.cek, SEV_CERT_LEN, &o, NULL, why, sizeof(why)), -EBADMSG,
		 "cek: a flipped key byte fails");
	CHECK_STR(why, "the CEK is not signed by any pinned AMD ASK (Naples to Turin)",
		  "cek: a flipped key byte, why");
	r.cek[0x30] ^= 1;
	CHECK_EQ(sev_cek_verify(r.pek, SEV_CERT_LEN, &o, NULL, why, sizeof(why)), -EBADMSG,
		 "cek: a PEK is no CEK");
	CHECK_STR(why, "it holds a PEK key, not a CEK", "cek: a PEK, why");
	CHECK_EQ(sev_cek_verify(r.cek, SEV_CERT_LEN - 1, &o, NULL, why, sizeof(why)), -EBADMSG,
		 "cek: a short one fails to parse");
	/* A trust root's ASK and ARK (Rome's, standing in for a private one). */
	o.gen = SEV_GEN_NAPLES;
	o.trust_ask = sev_builtin_ca(SEV_GEN_ROME, false, &ask_len);
	o.trust_ask_len = ask_len;
	o.trust_ark = sev_builtin_ca(SEV_GEN_ROME, true, &ark_len);
	o.trust_ark_len = ark_len;
	found = SEV_GEN_UNKNOWN;
	CHECK(sev_cek_verify(r.cek, SEV_CERT_LEN, &o, &found, why, sizeof(why)) == 0 &&
		      found == SEV_GEN_NAPLES, "cek: no pinned ASK fits, the trust root's does");
	CHECK_STR(why, "the CEK is signed by the --trust-root ASK", "cek: trust root, why");
	o.trust_ask = sev_builtin_ca(SEV_GEN_NAPLES, false, &ask_len);
	o.trust_ask_len = ask_len;
	CHECK_EQ(sev_cek_verify(r.cek, SEV_CERT_LEN, &o, NULL, why, sizeof(why)), -EBADMSG,
		 "cek: a trust root ASK its ARK did not sign is refused");
	CHECK_STR(why, "the CEK has no signature by the Naples ASK, and the --trust-root ASK is "
		  "not signed by its ARK", "cek: trust root ASK not by its ARK, why");
	o = (struct sev_verify_opts){ .gen = SEV_GEN_UNKNOWN, .trust_ark = o.trust_ark,
				      .trust_ark_len = ark_len };
	n.cek[0x30] ^= 1;
	CHECK_EQ(sev_cek_verify(n.cek, SEV_CERT_LEN, &o, NULL, why, sizeof(why)), -EBADMSG,
		 "cek: a trust root ARK without its ASK verifies no CEK");
	CHECK(strstr(why, "a private root needs its ASK too") != NULL,
	      "cek: a trust root without its ASK, why");
	platform_free(&n);
	platform_free(&r);
}

static void test_naples_export(void)
{
	struct amd_check_list l = { 0 };
	struct sev_cert exported, kds, fixed;
	struct sev_ca_cert ask, ark;
	struct platform p;
	size_t len = 0;
	uint8_t *chain = get("platform/naples-export/pek_oca_cek.cert", &len);
	uint8_t *uns = get("platform/naples-export/cek.uns.cert", NULL);
	uint8_t *pdh = get("platform/naples-export/pdh.cert", NULL);
	uint8_t *askark = get("platform/naples-export/ask_ark.cert", &len);
	uint8_t *rome_cek = get("platform/naples-export/cek.cert.fixed", NULL);
	uint8_t *bad = get("roots/naples/ark.cert.bad", &len);
	struct sev_chain c;

	platform_load(&p, "naples");
	CHECK(chain && sev_cert_parse(chain + 2 * SEV_CERT_LEN, SEV_CERT_LEN, &exported, NULL) == 0 &&
		      exported.usage == SEV_USAGE_CEK && exported.sig[0].empty && exported.sig[1].empty,
	      "the exported CEK parses, both slots empty");
	c = (struct sev_chain){ .cek = chain + 2 * SEV_CERT_LEN, .oca = chain + SEV_CERT_LEN,
				.pek = chain, .pdh = pdh };
	CHECK(verify(&c, SEV_GEN_NAPLES, &l, NULL) == -EBADMSG &&
		      strcmp(failed_names(&l), "cek-signature pek-cek-signature pdh-signature") == 0,
	      "an unsigned CEK fails cek-signature");
	printf("# failed: %s\n", failed_names(&l));
	CHECK(sev_cert_parse(uns, SEV_CERT_LEN, &exported, NULL) == 0 &&
		      sev_cert_parse(p.cek, SEV_CERT_LEN, &kds, NULL) == 0 &&
		      memcmp(uns + 8, p.cek + 8, SEV_CERT_SIGNED_LEN - 8) == 0 &&
		      memcmp(uns, p.cek, SEV_CERT_LEN) != 0,
	      "the exported CEK and KDS's CEK: same key (bytes 008-413), other bytes");
	CHECK(!kds.sig[0].empty && kds.sig[0].usage == SEV_USAGE_ASK && exported.sig[0].empty &&
		      exported.sig[1].empty, "KDS's CEK is signed by the ASK, the exported one not");
	CHECK(askark && sev_ca_split(askark, 1664, &ask, &ark, NULL) == 0 &&
		      ask.usage == SEV_USAGE_ASK && ark.usage == SEV_USAGE_ARK,
	      "AMD's ask_ark file splits into ASK and ARK");
	CHECK(sev_cert_parse(rome_cek, SEV_CERT_LEN, &fixed, NULL) == 0, "the fixed Rome CEK parses");
	/* The KDS quirk: usage 0x0010 in an empty slot. */
	rome_cek[0x61C] = 0x10;
	rome_cek[0x61D] = 0x00;
	CHECK(sev_cert_parse(rome_cek, SEV_CERT_LEN, &fixed, NULL) == 0 && fixed.sig[1].empty,
	      "an empty slot with KDS's old usage 0x0010 is empty");
	/* The unsigned Naples ARK: accepted only as the pinned one. */
	c = (struct sev_chain){ .ark = bad, .ark_len = len, .cek = p.cek, .oca = p.oca, .pek = p.pek };
	CHECK(bad && len == SEV_CA_UNSIGNED_LEN && verify(&c, SEV_GEN_UNKNOWN, &l, NULL) == 0,
	      "AMD's unsigned Naples ARK is accepted: it is the pinned one");
	bad[0x100] ^= 1;
	CHECK(verify(&c, SEV_GEN_NAPLES, &l, NULL) == -EBADMSG && has_failed(&l, "ark-trusted"),
	      "an unsigned ARK that is not the pinned one fails ark-trusted");
	amd_check_list_free(&l);
	platform_free(&p);
	free(chain);
	free(uns);
	free(pdh);
	free(askark);
	free(rome_cek);
	free(bad);
}

static void parse_fails(const uint8_t *cert, size_t off, uint8_t value, enum sev_error want,
			const char *name)
{
	uint8_t b[SEV_CERT_LEN];
	struct sev_cert c;
	struct sev_diag d = { 0 };

	memcpy(b, cert, sizeof(b));
	b[off] = value;
	CHECK(sev_cert_parse(b, sizeof(b), &c, &d) == -EBADMSG && d.code == want, name);
	if (d.code != want)
		printf("# got %s at 0x%zx\n", sev_strerror(d.code), d.offset);
}

static void test_parser(void)
{
	uint8_t *pek = get("platform/rome/pek.cert", NULL), *pdh = get("platform/rome/pdh.cert", NULL);
	uint8_t *ark = get("roots/milan/ark.cert", NULL);
	struct sev_ca_cert ca;
	struct sev_diag d;
	struct sev_cert c;
	char text[96];

	CHECK(sev_cert_parse(pek, SEV_CERT_LEN - 1, &c, &d) == -EBADMSG && d.code == SEV_ERR_LENGTH,
	      "a short certificate");
	parse_fails(pek, 0x000, 2, SEV_ERR_VERSION, "version 2");
	parse_fails(pek, 0x006, 1, SEV_ERR_RESERVED, "reserved half-word");
	parse_fails(pek, 0x008, 0x05, SEV_ERR_USAGE, "unknown usage");
	parse_fails(pek, 0x00C, 0x03, SEV_ERR_ALGO, "a PEK with an ECDH key");
	parse_fails(pdh, 0x00C, 0x02, SEV_ERR_ALGO, "a PDH with an ECDSA key");
	parse_fails(pek, 0x010, 0x07, SEV_ERR_CURVE, "unknown curve");
	parse_fails(pek, 0x014 + 50, 0x01, SEV_ERR_PADDING, "P-384 qx padding");
	parse_fails(pek, 0x0A4 + 100, 0x01, SEV_ERR_RESERVED, "EC reserved bytes");
	parse_fails(pek, 0x41C + 200, 0x01, SEV_ERR_PADDING, "ECDSA signature padding");
	parse_fails(pek, 0x414, 0x99, SEV_ERR_SIG_SLOT, "a signature with an unknown signer");
	CHECK(sev_cert_parse(pek, SEV_CERT_LEN, &c, &d) == 0 && c.coord_len == 48 &&
		      c.sig[0].usage == SEV_USAGE_OCA && c.sig[1].usage == SEV_USAGE_CEK,
	      "the real PEK: P-384, OCA in slot 1, CEK in slot 2");
	d = (struct sev_diag){ SEV_ERR_RESERVED, 6 };
	sev_diag_text(&d, text, sizeof(text));
	CHECK_STR(text, "byte 0x006: reserved bytes are not zero", "diagnostic text");

	CHECK(sev_ca_parse(ark, SEV_CA_MAX_LEN, true, &ca, NULL, NULL) == 0, "the Milan ARK parses");
	CHECK(sev_ca_parse(ark, SEV_CA_MAX_LEN - 1, true, &ca, NULL, &d) == -EBADMSG &&
		      d.code == SEV_ERR_LENGTH, "a short 4096-bit ARK");
	ark[0x28] = 1;
	CHECK(sev_ca_parse(ark, SEV_CA_MAX_LEN, true, &ca, NULL, &d) == -EBADMSG &&
		      d.code == SEV_ERR_RESERVED, "CA reserved bytes");
	ark[0x28] = 0;
	ark[0x39] = 0x08; /* 2048 bits, the modulus 4096 */
	CHECK(sev_ca_parse(ark, SEV_CA_MAX_LEN, true, &ca, NULL, &d) == -EBADMSG &&
		      d.code == SEV_ERR_KEY_SIZE, "exponent and modulus sizes differ");
	free(pek);
	free(pdh);
	free(ark);
}

/* LE copy of a big-endian BIGNUM into n bytes. */
static void bn_le(const BIGNUM *bn, uint8_t *out, size_t n)
{
	BN_bn2lebinpad(bn, out, (int)n);
}

/* A PEK certificate holding key's public key (no signatures). */
static void make_pek(EVP_PKEY *key, uint8_t pek[SEV_CERT_LEN])
{
	BIGNUM *x = NULL, *y = NULL;

	memset(pek, 0, SEV_CERT_LEN);
	pek[0] = 1;
	pek[0x08] = 0x02, pek[0x09] = 0x10;
	pek[0x0C] = 0x02;
	pek[0x10] = 0x02;
	EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
	EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
	bn_le(x, pek + 0x14, 48);
	bn_le(y, pek + 0x5C, 48);
	pek[0x414 + 1] = 0x10; /* empty slots: usage 0x1000 */
	pek[0x61C + 1] = 0x10;
	BN_free(x);
	BN_free(y);
}

static void sign_report(EVP_PKEY *key, uint8_t rep[SEV_REPORT_LEN])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char der[128];
	const unsigned char *p = der;
	size_t n = sizeof(der);
	ECDSA_SIG *sig;

	EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key);
	EVP_DigestSign(m, der, &n, rep, SEV_REPORT_SIGNED_LEN);
	sig = d2i_ECDSA_SIG(NULL, &p, (long)n);
	memset(rep + 0x40, 0, 144);
	bn_le(ECDSA_SIG_get0_r(sig), rep + 0x40, 72);
	bn_le(ECDSA_SIG_get0_s(sig), rep + 0x40 + 72, 72);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(m);
}

static void test_report(void)
{
	EVP_PKEY *key = EVP_EC_gen("secp384r1"), *other = EVP_EC_gen("secp384r1");
	uint8_t pek[SEV_CERT_LEN], rep[SEV_REPORT_LEN] = { 0 }, mnonce[SEV_MNONCE_LEN];
	struct sev_report r;
	char why[160];

	make_pek(key, pek);
	for (unsigned int i = 0; i < SEV_MNONCE_LEN; i++)
		mnonce[i] = rep[i] = (uint8_t)(0xA0 + i);
	rep[0x30] = 0x01; /* policy */
	rep[0x34] = 0x02, rep[0x35] = 0x10;
	rep[0x38] = 0x02;
	sign_report(key, rep);
	CHECK(sev_report_parse(rep, sizeof(rep), &r, NULL) == 0 && r.policy == 1 &&
		      r.sig_usage == SEV_USAGE_PEK, "the report parses");
	CHECK(sev_report_verify(pek, rep, mnonce, why, sizeof(why)) == 0, "the report verifies");
	printf("# %s\n", why);
	mnonce[0] ^= 1;
	CHECK(sev_report_verify(pek, rep, mnonce, why, sizeof(why)) == -EBADMSG &&
		      strstr(why, "mnonce"), "another mnonce is refused");
	mnonce[0] ^= 1;
	rep[0x20] ^= 1;
	CHECK(sev_report_verify(pek, rep, NULL, why, sizeof(why)) == -EBADMSG &&
		      strstr(why, "does not verify"), "a flipped digest byte is refused");
	rep[0x20] ^= 1;
	rep[0x34] = 0x04;
	CHECK(sev_report_verify(pek, rep, NULL, why, sizeof(why)) == -EBADMSG &&
		      strstr(why, "usage"), "a report not signed by a PEK is refused");
	rep[0x34] = 0x02;
	make_pek(other, pek);
	CHECK(sev_report_verify(pek, rep, NULL, why, sizeof(why)) == -EBADMSG,
	      "a report signed by another PEK is refused");
	CHECK(sev_report_parse(rep, 207, &r, NULL) == -EBADMSG, "a short report");
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

int main(void)
{
	const char *srcdir = getenv("SNPCERT_SRCDIR");
	int r;

	if (srcdir)
		r = asprintf(&data, "%s/tests/data/sev-legacy", srcdir);
	else /* __FILE__ is tests/unit/test-sevcert.c, maybe after a prefix. */
		r = asprintf(&data, "%.*stests/data/sev-legacy",
			     (int)(strlen(__FILE__) - strlen("tests/unit/test-sevcert.c")), __FILE__);
	if (r < 0)
		return 99;
	test_roots();
	test_cross_roots();
	test_real_chains();
	test_cek_verify();
	test_naples_export();
	test_parser();
	test_report();
	free(data);
	return tap_done();
}
