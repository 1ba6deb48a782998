// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/amdcert.c and amdchain.c: TCB layouts and specs, the built-in roots, the real
 * Milan VCEK, malformed input, and (with SNPCERT_FIXTURES set to the output
 * of tests/fixtures/gen-chains.sh) every generated good and bad chain.
 * SNPCERT_SRCDIR (default: derived from __FILE__, i.e. the tree root when
 * run from it) locates tests/data/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amdcert.h"
#include "certfiles.h"
#include "tap.h"

static void hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02X", p[i]);
	out[2 * n] = '\0';
}

static void test_names(void)
{
	CHECK_STR(amd_cert_kind_name(AMD_CERT_ASVK), "asvk", "kind name");
	CHECK_STR(amd_cert_kind_name(AMD_CERT_UNKNOWN), "unknown", "unknown kind name");
	CHECK(amd_openssl_error() != NULL, "amd_openssl_error never NULL");
}

/* ---- built-in roots ------------------------------------------------- */

static void test_builtin(void)
{
	static const char *const fp[AMD_PRODUCT_COUNT] = {
		NULL,
		"69D063B45344D26A2E94E1F4210DE49EF555308287D4C174445C95639A540BCD",
		"4C6598D19C18719C5DFD4A7D335F674E5BFE1D8F800CEA2CF270C10D103DB2F1",
		"1F084161A44BB6D93778A904877D4819CAFA5D05EF4193B2DED9DD9C73DD3F6A",
	};
	static const enum amd_cert_kind kinds[] = { AMD_CERT_ARK, AMD_CERT_ASK, AMD_CERT_ASVK };
	struct amd_trust *t = NULL;
	struct amd_cert_info info;
	char name[128], why[256], h[65];
	unsigned int p, k;
	size_t len;

	for (p = 1; p < AMD_PRODUCT_COUNT; p++) {
		X509 *x[3] = { NULL, NULL, NULL };
		const char *pn = amd_product_name(p);

		for (k = 0; k < 3; k++) {
			const uint8_t *der = amd_builtin_cert(p, kinds[k], &len);

			snprintf(name, sizeof(name), "built-in %s %s loads", pn, amd_cert_kind_name(kinds[k]));
			CHECK(der && amd_cert_load(der, len, &x[k]) == 0, name);
			if (!x[k])
				continue;
			snprintf(name, sizeof(name), "built-in %s %s decodes", pn, amd_cert_kind_name(kinds[k]));
			CHECK(amd_cert_info(x[k], &info) == 0 && info.kind == kinds[k] && info.product == p, name);
		}
		if (x[0] && amd_cert_info(x[0], &info) == 0) {
			hex(info.sha256, 32, h);
			snprintf(name, sizeof(name), "ARK-%s SHA-256 fingerprint", pn);
			CHECK_STR(h, fp[p], name);
			snprintf(name, sizeof(name), "ARK-%s self-signature", pn);
			CHECK_EQ(amd_cert_check_signature(x[0], x[0], why, sizeof(why)), 0, name);
		}
		for (k = 1; k < 3; k++) {
			if (!x[0] || !x[k])
				continue;
			snprintf(name, sizeof(name), "built-in %s %s signed by its ARK", pn, amd_cert_kind_name(kinds[k]));
			CHECK_EQ(amd_cert_check_signature(x[k], x[0], why, sizeof(why)), 0, name);
		}
		/* An ASK does not sign an ARK. */
		if (x[0] && x[1]) {
			snprintf(name, sizeof(name), "built-in %s ARK not signed by its ASK", pn);
			CHECK_EQ(amd_cert_check_signature(x[0], x[1], why, sizeof(why)), -EBADMSG, name);
		}
		for (k = 0; k < 3; k++)
			X509_free(x[k]);
	}
	CHECK(amd_builtin_cert(AMD_PRODUCT_UNKNOWN, AMD_CERT_ARK, &len) == NULL, "no built-in for unknown product");
	CHECK(amd_builtin_cert(AMD_PRODUCT_MILAN, AMD_CERT_VCEK, &len) == NULL, "no built-in VCEK");

	CHECK_EQ(amd_trust_new(&t), 0, "trust with built-in ARKs");
	for (p = 1; t && p < AMD_PRODUCT_COUNT; p++) {
		X509 *ark = amd_trust_ark(t, p);

		snprintf(name, sizeof(name), "trusted ARK for %s", amd_product_name(p));
		CHECK(ark && amd_cert_info(ark, &info) == 0 && info.kind == AMD_CERT_ARK && info.product == p, name);
	}
	CHECK(!t || amd_trust_ark(t, AMD_PRODUCT_UNKNOWN) == NULL, "no trusted ARK for unknown");
	amd_trust_free(t);
}

/* amd_check_add and amd_check_list_ok. */
static void test_check_list(void)
{
	struct amd_check_list l = { NULL, 0, 0 };
	char long_name[64], name[32];
	int r = 0;

	CHECK(!amd_check_list_ok(&l), "an empty list is not ok");
	CHECK_EQ(amd_check_add(&l, "tcb", true, "the %s is for TCB %s", "vcek", "bl=1"), 0, "add");
	CHECK(l.n == 1 && l.v[0].ok && strcmp(l.v[0].name, "tcb") == 0 &&
	      strcmp(l.v[0].detail, "the vcek is for TCB bl=1") == 0, "name, ok and detail kept");
	CHECK(amd_check_list_ok(&l), "one passed check is ok");
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK_EQ(amd_check_add(&l, long_name, false, "%0300d", 7), 0, "add a long one");
	CHECK(strlen(l.v[1].name) == sizeof(l.v[1].name) - 1 &&
	      strlen(l.v[1].detail) == sizeof(l.v[1].detail) - 1, "name and detail cut to fit");
	CHECK(!amd_check_list_ok(&l), "one failed check spoils the list");
	for (int i = 0; i < 40 && r == 0; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		r = amd_check_add(&l, name, true, "%d", i);
	}
	CHECK(r == 0 && l.n == 42 && strcmp(l.v[41].name, "c39") == 0 &&
	      strcmp(l.v[41].detail, "39") == 0 && strcmp(l.v[0].name, "tcb") == 0,
	      "the list grows past its first 16 and keeps the order");
	CHECK_EQ(amd_check_add(NULL, "x", true, "y"), -EINVAL, "no list");
	amd_check_list_free(&l);
	CHECK(l.v == NULL && l.n == 0 && l.cap == 0, "freed and reset");
}

/* amd_cert_equal: the same DER, whatever the form it was loaded from. */
static void test_cert_equal(const char *dir)
{
	const uint8_t *der;
	X509 *milan = NULL, *milan2 = NULL, *genoa = NULL, *pem = NULL, *fromder = NULL;
	struct amd_trust *t = NULL;
	uint8_t *enc = NULL;
	size_t len = 0;

	der = amd_builtin_cert(AMD_PRODUCT_MILAN, AMD_CERT_ARK, &len);
	CHECK(der && amd_cert_load(der, len, &milan) == 0 && amd_cert_load(der, len, &milan2) == 0,
	      "built-in ARK-Milan loads twice");
	der = amd_builtin_cert(AMD_PRODUCT_GENOA, AMD_CERT_ARK, &len);
	CHECK(der && amd_cert_load(der, len, &genoa) == 0, "built-in ARK-Genoa loads");
	CHECK(amd_cert_equal(milan, milan), "a certificate equals itself");
	CHECK(amd_cert_equal(milan, milan2), "two loads of the same DER are equal");
	CHECK(!amd_cert_equal(milan, genoa), "ARK-Milan is not ARK-Genoa");
	CHECK(!amd_cert_equal(milan, NULL) && !amd_cert_equal(NULL, milan) &&
	      !amd_cert_equal(NULL, NULL), "NULL equals nothing, not even NULL");
	CHECK(amd_trust_new(&t) == 0 && amd_cert_equal(amd_trust_ark(t, AMD_PRODUCT_MILAN), milan),
	      "the trusted ARK-Milan is the built-in one");
	pem = load(dir, "milan-vcek.pem");
	CHECK(pem && amd_cert_der(pem, &enc, &len) == 0 && amd_cert_load(enc, len, &fromder) == 0,
	      "real VCEK: PEM to DER and back");
	CHECK(amd_cert_equal(pem, fromder), "real VCEK from PEM equals it from DER");
	CHECK(!amd_cert_equal(pem, milan), "the VCEK is not the ARK");
	free(enc);
	amd_trust_free(t);
	X509_free(milan);
	X509_free(milan2);
	X509_free(genoa);
	X509_free(pem);
	X509_free(fromder);
}

/* ---- the real Milan VCEK --------------------------------------------- */

static void test_real_vcek(const char *dir)
{
	static const unsigned char hwid_head[] = { 0x3a, 0xc3, 0xfe, 0x21 };
	struct amd_check_list checks = { NULL, 0, 0 };
	struct amd_trust *t = NULL;
	struct amd_cert_info info, info2;
	X509 *vcek, *again = NULL;
	uint8_t *der = NULL;
	size_t len = 0, i;
	int r;

	vcek = load(dir, "milan-vcek.pem");
	CHECK(vcek != NULL, "real Milan VCEK loads (PEM)");
	if (!vcek)
		return;
	CHECK_EQ(amd_cert_info(vcek, &info), 0, "real VCEK decodes");
	CHECK_EQ(info.kind, AMD_CERT_VCEK, "real VCEK kind");
	CHECK_EQ(info.product, AMD_PRODUCT_MILAN, "real VCEK product");
	CHECK_STR(info.product_name, "Milan-B0", "real VCEK productName");
	CHECK_STR(info.common_name, "SEV-VCEK", "real VCEK CN");
	CHECK_STR(info.subject, "CN=SEV-VCEK,O=Advanced Micro Devices,ST=CA,L=Santa Clara,C=US,OU=Engineering", "real VCEK subject (RFC 2253)");
	CHECK_STR(info.issuer, "CN=SEV-Milan,O=Advanced Micro Devices,ST=CA,L=Santa Clara,C=US,OU=Engineering", "real VCEK issuer");
	CHECK(info.has_struct_version && info.struct_version == 0, "real VCEK structVersion 0");
	CHECK(info.has_tcb && info.tcb.bl == 2 && info.tcb.tee == 0 && info.tcb.snp == 5 && info.tcb.ucode == 68 && info.tcb.fmc == 0,
	      "real VCEK TCB bl=2,tee=0,snp=5,ucode=68");
	CHECK(info.has_hwid && info.hwid_len == 64 && memcmp(info.hwid, hwid_head, 4) == 0, "real VCEK 64-byte hwid, raw");
	CHECK(!info.has_csp_id, "real VCEK has no cspId");
	CHECK_EQ(info.not_before, utc(2022, 9, 24, 0, 55, 28), "real VCEK notBefore");
	CHECK_EQ(info.not_after, utc(2029, 9, 24, 0, 55, 28), "real VCEK notAfter");

	CHECK_EQ(amd_cert_der(vcek, &der, &len), 0, "DER encoding");
	CHECK_EQ(amd_cert_load(der, len, &again), 0, "DER loads");
	CHECK(again && amd_cert_info(again, &info2) == 0 && memcmp(info.sha256, info2.sha256, 32) == 0,
	      "PEM and DER give the same certificate");
	X509_free(again);
	again = NULL;
	CHECK_EQ(amd_cert_load(der, 0, &again), -EBADMSG, "empty input");

	/* Every truncation of the DER is rejected; so is trailing garbage. */
	r = 0;
	for (i = 1; i < len; i++) {
		uint8_t *cut = malloc(i);

		memcpy(cut, der, i);
		if (amd_cert_load(cut, i, &again) != -EBADMSG || again)
			r++;
		X509_free(again);
		again = NULL;
		free(cut);
	}
	CHECK_EQ(r, 0, "every truncated DER is -EBADMSG");
	{
		uint8_t *longer = malloc(len + 1);

		memcpy(longer, der, len);
		longer[len] = 0;
		CHECK_EQ(amd_cert_load(longer, len + 1, &again), -EBADMSG, "DER with a trailing byte");
		free(longer);
	}
	CHECK_EQ(amd_cert_load("hello, world", 12, &again), -EBADMSG, "garbage");
	CHECK_EQ(amd_cert_load("\x30\x82\xff\xff", 4, &again), -EBADMSG, "garbage DER header");
	{
		char *pem;
		size_t plen;

		pem = read_in(dir, "milan-vcek.pem", &plen);
		CHECK(pem && amd_cert_load(pem, plen / 2, &again) == -EBADMSG, "truncated PEM");
		if (pem) {
			pem[plen / 2] = '!';
			CHECK_EQ(amd_cert_load(pem, plen, &again), -EBADMSG, "corrupt PEM");
		}
		free(pem);
	}
	free(der);

	CHECK_EQ(amd_trust_new(&t), 0, "trust");
	r = amd_chain_verify(vcek, NULL, NULL, t, utc(2025, 1, 1, 0, 0, 0), &checks);
	CHECK_EQ(r, 0, "real VCEK verifies with the built-in chain at 2025-01-01");
	CHECK(amd_check_list_ok(&checks), "all checks passed");
	CHECK(checks.n >= 15, "every check reported");
	if (r)
		print_checks(&checks);
	amd_check_list_free(&checks);

	r = amd_chain_verify(vcek, NULL, NULL, NULL, utc(2025, 1, 1, 0, 0, 0), &checks);
	CHECK_EQ(r, 0, "real VCEK verifies with no trust set (built-ins)");
	amd_check_list_free(&checks);

	r = amd_chain_verify(vcek, NULL, NULL, t, utc(2030, 1, 1, 0, 0, 0), &checks);
	CHECK_EQ(r, -EBADMSG, "real VCEK fails at 2030-01-01");
	CHECK_STR(failed_names(&checks), "vcek-validity", "only vcek-validity fails at 2030");
	print_checks(&checks);
	amd_check_list_free(&checks);
	CHECK(!amd_check_list_ok(&checks), "an empty list is not ok");

	/* The Genoa built-ins are not the VCEK's chain. */
	{
		const uint8_t *d;
		X509 *gask = NULL;

		d = amd_builtin_cert(AMD_PRODUCT_GENOA, AMD_CERT_ASK, &len);
		if (d && amd_cert_load(d, len, &gask) == 0) {
			r = amd_chain_verify(vcek, gask, NULL, t, utc(2025, 1, 1, 0, 0, 0), &checks);
			CHECK(r == -EBADMSG && has_failed(&checks, "vcek-issuer") && has_failed(&checks, "product"),
			      "real VCEK with the Genoa ASK fails issuer and product");
			amd_check_list_free(&checks);
		}
		X509_free(gask);
	}
	/* An ASK is not a leaf. */
	{
		const uint8_t *d = amd_builtin_cert(AMD_PRODUCT_MILAN, AMD_CERT_ASK, &len);
		X509 *ask = NULL;

		if (d && amd_cert_load(d, len, &ask) == 0) {
			r = amd_chain_verify(ask, NULL, NULL, t, utc(2025, 1, 1, 0, 0, 0), &checks);
			CHECK(r == -EBADMSG && has_failed(&checks, "leaf-kind"), "an ASK is not a leaf");
			amd_check_list_free(&checks);
		}
		X509_free(ask);
	}
	amd_trust_free(t);
	X509_free(vcek);
}

/* ---- generated fixtures --------------------------------------------- */

struct fixture {
	const char *product;
	enum amd_product p;
	struct amd_tcb tcb;
	size_t hwid_len;
};

static void test_good_chain(const char *fx, const struct fixture *f)
{
	struct amd_check_list checks = { NULL, 0, 0 };
	struct amd_trust *t = NULL;
	struct amd_cert_info info;
	char dir[4096], name[160], *pem = NULL, *crl = NULL;
	X509 *ark, *ask, *asvk, *vcek, *vlek, *vcekd;
	time_t at = utc(2025, 6, 1, 0, 0, 0);
	size_t len, clen;
	int r;

	snprintf(dir, sizeof(dir), "%s/%s", fx, f->product);
	ark = load(dir, "ark.pem");
	ask = load(dir, "ask.pem");
	asvk = load(dir, "asvk.pem");
	vcek = load(dir, "vcek.pem");
	vcekd = load(dir, "vcek.der");
	vlek = load(dir, "vlek.pem");
	snprintf(name, sizeof(name), "%s test chain loads", f->product);
	CHECK(ark && ask && asvk && vcek && vcekd && vlek, name);
	if (!(ark && ask && asvk && vcek && vcekd && vlek))
		goto out;

	CHECK_EQ(amd_trust_new(&t), 0, "trust");
	snprintf(name, sizeof(name), "%s: the built-in ARK is trusted as AMD's own", f->product);
	CHECK(amd_trust_ark_is_builtin(t, f->p), name);
	pem = read_in(dir, "ark.pem", &len);
	snprintf(name, sizeof(name), "%s test ARK added as a trust root", f->product);
	CHECK(pem && amd_trust_add_pem(t, pem, len) == 0, name);
	snprintf(name, sizeof(name), "%s trusted ARK is now the test ARK", f->product);
	CHECK(amd_trust_ark(t, f->p) && X509_cmp(amd_trust_ark(t, f->p), ark) == 0, name);
	snprintf(name, sizeof(name), "%s: with the test ARK trusted, it is not AMD's own", f->product);
	CHECK(!amd_trust_ark_is_builtin(t, f->p), name);
	CHECK(!amd_trust_ark_is_builtin(t, AMD_PRODUCT_UNKNOWN) && !amd_trust_ark_is_builtin(NULL, f->p),
	      "no product or no trust: not AMD's own");

	snprintf(name, sizeof(name), "%s VCEK decodes", f->product);
	CHECK(amd_cert_info(vcek, &info) == 0 && info.kind == AMD_CERT_VCEK && info.product == f->p, name);
	snprintf(name, sizeof(name), "%s VCEK TCB", f->product);
	CHECK(info.has_tcb && amd_tcb_equal(AMD_PRODUCT_TURIN, &info.tcb, &f->tcb), name);
	snprintf(name, sizeof(name), "%s VCEK hwid length %zu, raw bytes", f->product, f->hwid_len);
	CHECK(info.has_hwid && info.hwid_len == f->hwid_len &&
	      info.hwid[0] == (f->hwid_len == 8 ? 0x01 : f->p == AMD_PRODUCT_MILAN ? 0x00 : 0x40) &&
	      info.hwid[1] == (f->hwid_len == 8 ? 0x23 : f->p == AMD_PRODUCT_MILAN ? 0x01 : 0x41), name);
	snprintf(name, sizeof(name), "%s vcek.der is vcek.pem", f->product);
	CHECK(X509_cmp(vcek, vcekd) == 0, name);

	r = amd_chain_verify(vcek, ask, ark, t, at, &checks);
	snprintf(name, sizeof(name), "%s VCEK chain verifies", f->product);
	CHECK_EQ(r, 0, name);
	if (r)
		print_checks(&checks);
	amd_check_list_free(&checks);

	r = amd_chain_verify(vcek, ask, NULL, t, at, &checks);
	snprintf(name, sizeof(name), "%s VCEK chain verifies with the ARK from the trust set", f->product);
	CHECK_EQ(r, 0, name);
	amd_check_list_free(&checks);

	snprintf(name, sizeof(name), "%s VLEK decodes", f->product);
	CHECK(amd_cert_info(vlek, &info) == 0 && info.kind == AMD_CERT_VLEK && info.product == f->p &&
	      info.has_csp_id && !info.has_hwid && strncmp(info.csp_id, "test-csp-", 9) == 0, name);
	r = amd_chain_verify(vlek, asvk, ark, t, at, &checks);
	snprintf(name, sizeof(name), "%s VLEK chain verifies", f->product);
	CHECK_EQ(r, 0, name);
	if (r)
		print_checks(&checks);
	amd_check_list_free(&checks);

	r = amd_chain_verify(vcek, asvk, ark, t, at, &checks);
	snprintf(name, sizeof(name), "%s VCEK with the ASVK fails ask-kind", f->product);
	CHECK(r == -EBADMSG && has_failed(&checks, "ask-kind"), name);
	amd_check_list_free(&checks);

	/* Without the test root the test ARK is not trusted. */
	amd_trust_free(t);
	t = NULL;
	CHECK_EQ(amd_trust_new(&t), 0, "trust");
	r = amd_chain_verify(vcek, ask, ark, t, at, &checks);
	snprintf(name, sizeof(name), "%s test chain untrusted by default: only ark-trusted fails", f->product);
	CHECK_STR(failed_names(&checks), "ark-trusted", name);
	amd_check_list_free(&checks);
	r = amd_chain_verify(vcek, NULL, NULL, t, at, &checks);
	snprintf(name, sizeof(name), "%s test VCEK against the built-in chain fails", f->product);
	CHECK(r == -EBADMSG && has_failed(&checks, "vcek-signature"), name);
	amd_check_list_free(&checks);

	crl = read_in(dir, "crl.der", &clen);
	snprintf(name, sizeof(name), "%s CRL verifies with the ARK", f->product);
	CHECK(crl && amd_crl_verify(crl, clen, ark) == 0, name);
	snprintf(name, sizeof(name), "%s CRL does not verify with the ASK", f->product);
	CHECK(crl && amd_crl_verify(crl, clen, ask) == -EBADMSG, name);
	snprintf(name, sizeof(name), "%s truncated CRL", f->product);
	CHECK(crl && amd_crl_verify(crl, clen - 1, ark) == -EBADMSG, name);
out:
	free(pem);
	free(crl);
	amd_trust_free(t);
	X509_free(ark);
	X509_free(ask);
	X509_free(asvk);
	X509_free(vcek);
	X509_free(vcekd);
	X509_free(vlek);
}

static void test_bad(const char *fx)
{
	static const struct {
		const char *file, *mid, *ark, *check;
	} bad[] = {
		{ "bad/vcek-pkcs1.pem", "milan/ask.pem", "milan/ark.pem", "vcek-signature-params" },
		{ "bad/vcek-salt32.pem", "milan/ask.pem", "milan/ark.pem", "vcek-signature-params" },
		{ "bad/vcek-sha256.pem", "milan/ask.pem", "milan/ark.pem", "vcek-signature-params" },
		{ "bad/vcek-by-ark.pem", "milan/ask.pem", "milan/ark.pem", "vcek-issuer" },
		{ "bad/vcek-wrong-issuer.pem", "milan/ask.pem", "milan/ark.pem", "vcek-issuer" },
		{ "bad/vcek-forged-issuer.pem", "milan/ask.pem", "milan/ark.pem", "vcek-signature" },
		{ "bad/vcek-expired.pem", "milan/ask.pem", "milan/ark.pem", "vcek-validity" },
		{ "bad/vcek-notyet.pem", "milan/ask.pem", "milan/ark.pem", "vcek-validity" },
		{ "bad/vcek-rsa-key.pem", "milan/ask.pem", "milan/ark.pem", "vcek-key" },
		{ "bad/vcek-spl-300.pem", "milan/ask.pem", "milan/ark.pem", "vcek-extensions" },
		{ "bad/vlek-by-ask.pem", "milan/asvk.pem", "milan/ark.pem", "vlek-issuer" },
		{ "bad/vlek-by-ask.pem", "milan/ask.pem", "milan/ark.pem", "asvk-kind" },
		{ "bad/ark-untrusted/vcek.pem", "bad/ark-untrusted/ask.pem", "bad/ark-untrusted/ark.pem", "ark-trusted" },
		{ "bad/vcek-wrong-issuer.pem", "genoa/ask.pem", "genoa/ark.pem", "product" },
		{ "milan/vcek.pem", "genoa/ask.pem", "genoa/ark.pem", "product" },
	};
	struct amd_check_list checks = { NULL, 0, 0 };
	struct amd_trust *t = NULL;
	struct amd_cert_info info;
	char name[256], *pem;
	time_t at = utc(2025, 6, 1, 0, 0, 0);
	size_t i, len;
	X509 *x;

	CHECK_EQ(amd_trust_new(&t), 0, "trust");
	for (i = 0; t && i < 3; i++) {
		pem = read_in(fx, i == 0 ? "milan/ark.pem" : i == 1 ? "genoa/ark.pem" : "turin/ark.pem", &len);
		CHECK(pem && amd_trust_add_pem(t, pem, len) == 0, "add test ARK");
		free(pem);
	}
	for (i = 0; t && i < sizeof(bad) / sizeof(bad[0]); i++) {
		X509 *leaf = load(fx, bad[i].file), *mid = load(fx, bad[i].mid), *ark = load(fx, bad[i].ark);
		int r;

		snprintf(name, sizeof(name), "%s with %s fails %s", bad[i].file, bad[i].mid, bad[i].check);
		if (!leaf || !mid || !ark) {
			CHECK(0, name);
		} else {
			r = amd_chain_verify(leaf, mid, ark, t, at, &checks);
			CHECK(r == -EBADMSG && has_failed(&checks, bad[i].check), name);
			printf("#   failed: %s\n", failed_names(&checks));
			for (size_t j = 0; j < checks.n; j++)
				if (!checks.v[j].ok && strcmp(checks.v[j].name, bad[i].check) == 0)
					printf("#   %s\n", checks.v[j].detail);
		}
		amd_check_list_free(&checks);
		X509_free(leaf);
		X509_free(mid);
		X509_free(ark);
	}

	/* The malformed SPL is -EBADMSG from amd_cert_info too. */
	x = load(fx, "bad/vcek-spl-300.pem");
	CHECK(x && amd_cert_info(x, &info) == -EBADMSG, "SPL 300 is -EBADMSG");
	X509_free(x);

	/* Extra roots must be self-signed ARKs with the right signature. */
	{
		static const char *const not_roots[] = { "milan/ask.pem", "milan/vcek.pem", "bad/forged-ask.pem" };

		for (i = 0; t && i < 3; i++) {
			pem = read_in(fx, not_roots[i], &len);
			snprintf(name, sizeof(name), "%s is not a trust root", not_roots[i]);
			CHECK(pem && amd_trust_add_pem(t, pem, len) == -EBADMSG, name);
			free(pem);
		}
		CHECK(t && amd_trust_add_pem(t, "junk", 4) == -EBADMSG, "junk is not a trust root");
	}
	/* Several roots in one PEM. */
	{
		char *a, *b, *both;
		size_t la, lb;
		struct amd_trust *t2 = NULL;

		a = read_in(fx, "milan/ark.pem", &la);
		b = read_in(fx, "bad/ark-untrusted/ark.pem", &lb);
		both = malloc(la + lb + 1);
		if (a && b && both) {
			memcpy(both, a, la);
			memcpy(both + la, b, lb);
			CHECK_EQ(amd_trust_new(&t2), 0, "trust");
			CHECK(t2 && amd_trust_add_pem(t2, both, la + lb) == 0, "two roots in one PEM");
			x = load(fx, "bad/ark-untrusted/vcek.pem");
			{
				X509 *mid = load(fx, "bad/ark-untrusted/ask.pem");
				X509 *ark = load(fx, "bad/ark-untrusted/ark.pem");

				CHECK(x && mid && ark && amd_chain_verify(x, mid, ark, t2, at, &checks) == 0,
				      "second root of the PEM is trusted");
				amd_check_list_free(&checks);
				X509_free(mid);
				X509_free(ark);
			}
			X509_free(x);
			/* A bad certificate after a good one spoils the whole file. */
			free(b);
			b = read_in(fx, "milan/ask.pem", &lb);
			both = realloc(both, la + lb + 1);
			memcpy(both + la, b, lb);
			CHECK(t2 && amd_trust_add_pem(t2, both, la + lb) == -EBADMSG, "root then ASK rejected");
			amd_trust_free(t2);
		}
		free(a);
		free(b);
		free(both);
	}
	amd_trust_free(t);
}

static void test_fixtures(void)
{
	const struct fixture fixtures[] = {
		{ "milan", AMD_PRODUCT_MILAN, { .bl = 3, .tee = 1, .snp = 8, .ucode = 115 }, 64 },
		{ "genoa", AMD_PRODUCT_GENOA, { .bl = 7, .tee = 2, .snp = 14, .ucode = 72 }, 64 },
		{ "turin", AMD_PRODUCT_TURIN, { .fmc = 1, .bl = 4, .tee = 3, .snp = 22, .ucode = 71 }, 8 },
	};
	const char *fx = getenv("SNPCERT_FIXTURES");
	size_t i;

	if (!fx || !*fx) {
		printf("ok %u - generated chains # SKIP SNPCERT_FIXTURES is not set\n", ++tap_n);
		return;
	}
	for (i = 0; i < 3; i++)
		test_good_chain(fx, &fixtures[i]);
	test_bad(fx);
}

int main(void)
{
	const char *srcdir = getenv("SNPCERT_SRCDIR");
	char *data = NULL;
	int r;

	if (srcdir)
		r = asprintf(&data, "%s/tests/data", srcdir);
	else /* __FILE__ is tests/unit/test-amdcert.c, maybe after a prefix. */
		r = asprintf(&data, "%.*stests/data",
			     (int)(strlen(__FILE__) - strlen("tests/unit/test-amdcert.c")), __FILE__);
	if (r < 0)
		return 99;
	test_names();
	test_builtin();
	test_real_vcek(data);
	test_cert_equal(data);
	test_check_list();
	test_fixtures();
	free(data);
	return tap_done();
}
