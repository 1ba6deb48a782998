// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/tablecheck.c: amd_table_verify() on tables built in memory from
 * the generated chains (SNPCERT_FIXTURES, the output of
 * tests/fixtures/gen-chains.sh): a good table, and one failure per check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certfiles.h"
#include "tablecheck.h"
#include "tap.h"

/* A table under construction: up to 8 entries, owning their bytes. */
struct tbl {
	struct ghcb_item items[8];
	size_t n;
};

static void tbl_put(struct tbl *t, enum ghcb_kind kind, uint8_t *data, size_t len)
{
	if (!data || t->n == 8) {
		free(data);
		return;
	}
	memcpy(t->items[t->n].guid, ghcb_kind_guid(kind), GHCB_GUID_LEN);
	t->items[t->n].data = data;
	t->items[t->n].len = len;
	t->n++;
}

/* dir/name (PEM) into the slot of kind, as DER. */
static void tbl_cert(struct tbl *t, enum ghcb_kind kind, const char *dir, const char *name)
{
	X509 *x = load(dir, name);
	uint8_t *der = NULL;
	size_t len = 0;

	if (x && amd_cert_der(x, &der, &len) < 0)
		der = NULL;
	tbl_put(t, kind, der, len);
	X509_free(x);
}

static void tbl_file(struct tbl *t, enum ghcb_kind kind, const char *dir, const char *name)
{
	size_t len = 0;
	uint8_t *data = (uint8_t *)read_in(dir, name, &len);

	tbl_put(t, kind, data, len);
}

static void tbl_free(struct tbl *t)
{
	for (size_t i = 0; i < t->n; i++)
		free((void *)t->items[i].data);
	t->n = 0;
}

/* The check called name, or NULL. */
static const struct amd_check *check_of(const struct amd_check_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* Run amd_table_verify(); the check `name` must have ok and detail. */
static void expect(const struct tbl *t, const struct amd_table_opts *o, int rc, const char *name,
		   bool ok, const char *detail, const char *label)
{
	struct amd_check_list l = { NULL, 0, 0 };
	const struct amd_check *c;
	char what[200];
	int r = amd_table_verify(t->items, t->n, o, &l);

	snprintf(what, sizeof(what), "%s: returns %d", label, rc);
	CHECK_EQ(r, rc, what);
	if (r != rc)
		print_checks(&l);
	c = check_of(&l, name);
	snprintf(what, sizeof(what), "%s: %s %s", label, name, ok ? "passes" : "fails");
	CHECK(c && c->ok == ok, what);
	if (detail) {
		snprintf(what, sizeof(what), "%s: %s says why", label, name);
		CHECK_STR(c ? c->detail : NULL, detail, what);
	}
	amd_check_list_free(&l);
}

static void test_milan(const char *fx, struct amd_trust *trust)
{
	char dir[4096];
	uint8_t chip[64];
	struct amd_table_opts o;
	struct amd_check_list l = { NULL, 0, 0 };
	struct tbl t = { .n = 0 }, bad = { .n = 0 };
	X509 *ark = NULL, *ask = NULL;
	uint8_t *rev;
	size_t rlen = 0;
	int r;

	snprintf(dir, sizeof(dir), "%s/milan", fx);
	for (int i = 0; i < 64; i++)
		chip[i] = (uint8_t)i;
	o = (struct amd_table_opts){ .trust = trust, .at = utc(2025, 6, 1, 0, 0, 0),
				     .tcb_spec = "bl=3,tee=1,snp=8,ucode=115", .hwid = chip,
				     .hwid_len = 64, .platform_product = AMD_PRODUCT_MILAN };
	tbl_cert(&t, GHCB_KIND_VCEK, dir, "vcek.pem");
	tbl_cert(&t, GHCB_KIND_ASK, dir, "ask.pem");
	tbl_cert(&t, GHCB_KIND_ARK, dir, "ark.pem");
	tbl_file(&t, GHCB_KIND_CRL, dir, "crl.der");
	CHECK_EQ(t.n, 4, "Milan table of four entries built");

	/* Everything passes. */
	r = amd_table_verify(t.items, t.n, &o, &l);
	CHECK_EQ(r, 0, "good Milan table verifies");
	CHECK(amd_check_list_ok(&l) && check_of(&l, "vcek-signature") &&
	      check_of(&l, "ark-trusted") && !check_of(&l, "chain-source"),
	      "good Milan table: every check passed, the chain from the table");
	if (r)
		print_checks(&l);
	amd_check_list_free(&l);
	expect(&t, &o, 0, "vcek-entry", true, "SEV-VCEK in the vcek slot", "good table");
	expect(&t, &o, 0, "hwid", true, "the vcek is for chip 0001020304050607...", "good table");
	expect(&t, &o, 0, "tcb", true,
	       "the vcek is for TCB bl=3,tee=1,snp=8,ucode=115, want bl=3,tee=1,snp=8,ucode=115",
	       "good table");
	expect(&t, &o, 0, "platform-product", true, "the vcek is for Milan, the platform is Milan",
	       "good table");
	expect(&t, &o, 0, "crl-signature", true,
	       "the CRL is signed by the ARK with the AMD PSS parameters", "good table");
	expect(&t, &o, 0, "crl-revocation", true, "nothing in the chain is revoked", "good table");

	/* The match against what was asked. */
	chip[63] = 0xc0;
	expect(&t, &o, -EBADMSG, "hwid", false,
	       "the vcek is for chip 0001020304050607..., not the one asked for", "another chip");
	chip[63] = 63;
	o.hwid_len = 8;
	expect(&t, &o, -EBADMSG, "hwid", false, NULL, "Milan: 8 bytes of chip id do not match");
	o.hwid_len = 64;
	o.tcb_spec = "bl=3,tee=1,snp=8,ucode=116";
	expect(&t, &o, -EBADMSG, "tcb", false,
	       "the vcek is for TCB bl=3,tee=1,snp=8,ucode=115, want bl=3,tee=1,snp=8,ucode=116",
	       "another TCB");
	o.tcb_spec = "0x7308000000000103";
	expect(&t, &o, 0, "tcb", true, NULL, "a raw TCB read in the Milan layout");
	o.tcb_spec = "fmc=1,bl=3,tee=1,snp=8,ucode=115";
	expect(&t, &o, -EBADMSG, "tcb", false,
	       "cannot read TCB 'fmc=1,bl=3,tee=1,snp=8,ucode=115' for Milan",
	       "an fmc SPL is no Milan TCB");
	o.tcb_spec = "bl=3,tee=1,snp=8,ucode=115";
	o.platform_product = AMD_PRODUCT_GENOA;
	expect(&t, &o, -EBADMSG, "platform-product", false,
	       "the vcek is for Milan, the platform is Genoa", "another platform");
	o.platform_product = AMD_PRODUCT_MILAN;

	/* Without the test root the chain fails; skip_chain checks the slots alone. */
	o.trust = NULL;
	expect(&t, &o, -EBADMSG, "ark-trusted", false, NULL, "built-in roots only");
	o.skip_chain = true;
	r = amd_table_verify(t.items, t.n, &o, &l);
	CHECK(r == 0 && l.n == 3 && !check_of(&l, "ark-trusted") && !check_of(&l, "hwid"),
	      "skip_chain: the three slot checks only");
	amd_check_list_free(&l);
	o.skip_chain = false;
	o.trust = trust;

	/* The slots. */
	bad = (struct tbl){ .n = 0 };
	expect(&bad, &o, -EBADMSG, "endorsement-key", false, "the table has no VCEK or VLEK",
	       "an empty table");
	tbl_cert(&bad, GHCB_KIND_VCEK, dir, "ask.pem");
	expect(&bad, &o, -EBADMSG, "vcek-entry", false, "the vcek entry holds ask (SEV-Milan)",
	       "an ASK in the VCEK slot");
	tbl_free(&bad);
	tbl_cert(&bad, GHCB_KIND_VCEK, dir, "vcek.pem");
	tbl_put(&bad, GHCB_KIND_ARK, (uint8_t *)strdup("junk"), 4);
	expect(&bad, &o, -EBADMSG, "ark-entry", false, "the ark entry is not a valid certificate",
	       "junk in the ARK slot");
	tbl_free(&bad);
	tbl_cert(&bad, GHCB_KIND_VCEK, dir, "vcek.pem");
	expect(&bad, &o, -EBADMSG, "chain-source", true,
	       "no ask in the table: the built-in one was used", "a VCEK alone");
	expect(&bad, &o, -EBADMSG, "vcek-signature", false, NULL,
	       "a test VCEK alone fails against the built-in ASK");
	tbl_free(&bad);

	/* The CRL. */
	tbl_cert(&bad, GHCB_KIND_VCEK, dir, "vcek.pem");
	tbl_cert(&bad, GHCB_KIND_ASK, dir, "ask.pem");
	tbl_cert(&bad, GHCB_KIND_ARK, dir, "ark.pem");
	ark = load(dir, "ark.pem");
	ask = load(dir, "ask.pem");
	rev = ark && ask ? revoking_crl(dir, ark, ask, &rlen) : NULL;
	CHECK(rev != NULL, "a CRL revoking the Milan ASK");
	tbl_put(&bad, GHCB_KIND_CRL, rev, rlen);
	expect(&bad, &o, -EBADMSG, "crl-revocation", false, "the CRL revokes the ASK/ASVK",
	       "a revoked ASK");
	expect(&bad, &o, -EBADMSG, "crl-signature", false,
	       "the CRL is not signed by the ARK with the AMD PSS parameters",
	       "a PKCS#1 v1.5 CRL");
	tbl_free(&bad);
	tbl_cert(&bad, GHCB_KIND_VCEK, dir, "vcek.pem");
	tbl_put(&bad, GHCB_KIND_CRL, (uint8_t *)strdup("junk"), 4);
	expect(&bad, &o, -EBADMSG, "crl-revocation", false, "the CRL entry is not a DER CRL",
	       "junk in the CRL slot");
	tbl_free(&bad);

	CHECK_EQ(amd_table_verify(t.items, t.n, NULL, &l), -EINVAL, "no options");
	CHECK_EQ(amd_table_verify(NULL, 1, &o, &l), -EINVAL, "no entries but a count");
	X509_free(ark);
	X509_free(ask);
	tbl_free(&t);
}

static void test_turin_vlek(const char *fx, struct amd_trust *trust)
{
	char dir[4096];
	uint8_t chip[64];
	struct amd_table_opts o;
	struct tbl t = { .n = 0 };

	snprintf(dir, sizeof(dir), "%s/turin", fx);
	memset(chip, 0x77, sizeof(chip));
	memcpy(chip, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	o = (struct amd_table_opts){ .trust = trust, .at = utc(2025, 6, 1, 0, 0, 0),
				     .tcb_spec = "fmc=1,bl=4,tee=3,snp=22,ucode=71", .hwid = chip,
				     .hwid_len = 64, .platform_product = AMD_PRODUCT_TURIN };
	tbl_cert(&t, GHCB_KIND_VCEK, dir, "vcek.pem");
	tbl_cert(&t, GHCB_KIND_ASK, dir, "ask.pem");
	tbl_cert(&t, GHCB_KIND_ARK, dir, "ark.pem");
	expect(&t, &o, 0, "hwid", true, "the vcek is for chip 0123456789abcdef...",
	       "Turin: the 64-byte chip id matches the 8-byte hwID");
	o.hwid_len = 8;
	expect(&t, &o, 0, "hwid", true, NULL, "Turin: so do its first 8 bytes");
	o.hwid_len = 16;
	expect(&t, &o, -EBADMSG, "hwid", false, NULL, "Turin: 16 bytes do not");
	o.hwid_len = 64;
	o.tcb_spec = "fmc=2,bl=4,tee=3,snp=22,ucode=71";
	expect(&t, &o, -EBADMSG, "tcb", false, NULL, "Turin: fmc is compared");
	tbl_free(&t);

	/* A VLEK has no chip id to match. */
	tbl_cert(&t, GHCB_KIND_VLEK, dir, "vlek.pem");
	tbl_cert(&t, GHCB_KIND_ASK, dir, "asvk.pem");
	tbl_cert(&t, GHCB_KIND_ARK, dir, "ark.pem");
	o.tcb_spec = "fmc=1,bl=4,tee=3,snp=22,ucode=71";
	expect(&t, &o, -EBADMSG, "hwid", false, "the vlek carries no chip id",
	       "VLEK and a chip id");
	o.hwid = NULL;
	expect(&t, &o, 0, "tcb", true, NULL, "VLEK for the TCB, no chip asked");
	tbl_free(&t);
}

int main(void)
{
	const char *fx = getenv("SNPCERT_FIXTURES");
	struct amd_trust *trust = NULL;
	char *pem;
	size_t len;

	if (!fx || !*fx) {
		printf("ok 1 - table checks # SKIP SNPCERT_FIXTURES is not set\n1..1\n");
		return 0;
	}
	CHECK_EQ(amd_trust_new(&trust), 0, "trust");
	for (int i = 0; trust && i < 2; i++) {
		pem = read_in(fx, i == 0 ? "milan/ark.pem" : "turin/ark.pem", &len);
		CHECK(pem && amd_trust_add_pem(trust, pem, len) == 0, "test ARK trusted");
		free(pem);
	}
	test_milan(fx, trust);
	test_turin_vlek(fx, trust);
	amd_trust_free(trust);
	return tap_done();
}
