// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Judging a certificate table's entries in memory: slots, chains, the CRL,
 * and the endorsement key against the platform, TCB and chip asked for.
 * See tablecheck.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "tablecheck.h"

/* The first entry of a well-known kind, or NULL. */
static const struct ghcb_item *find(const struct ghcb_item *items, size_t n, enum ghcb_kind kind)
{
	for (size_t i = 0; i < n; i++)
		if (ghcb_guid_kind(items[i].guid) == kind)
			return &items[i];
	return NULL;
}

/* A certificate entry of the table, decoded. */
struct slot {
	enum ghcb_kind kind;
	X509 *x509;
	struct amd_cert_info info;
};

static const enum amd_cert_kind slot_wants[][2] = {
	[GHCB_KIND_ARK] = { AMD_CERT_ARK, AMD_CERT_ARK },
	[GHCB_KIND_ASK] = { AMD_CERT_ASK, AMD_CERT_ASVK },
	[GHCB_KIND_VCEK] = { AMD_CERT_VCEK, AMD_CERT_VCEK },
	[GHCB_KIND_VLEK] = { AMD_CERT_VLEK, AMD_CERT_VLEK },
};

/* Decode the certificate slots; one check per slot present. */
static int load_slots(const struct ghcb_item *items, size_t n, struct slot slots[GHCB_KIND_CRL],
		      struct amd_check_list *out)
{
	for (int k = GHCB_KIND_ARK; k < GHCB_KIND_CRL; k++) {
		const struct ghcb_item *it = find(items, n, k);
		struct slot *s = &slots[k];
		char name[32];
		int ret;

		s->kind = k;
		if (!it)
			continue;
		snprintf(name, sizeof(name), "%s-entry", ghcb_kind_name(k));
		if (amd_cert_load(it->data, it->len, &s->x509) < 0 ||
		    amd_cert_info(s->x509, &s->info) < 0) {
			X509_free(s->x509);
			s->x509 = NULL;
			ret = amd_check_add(out, name, false,
					    "the %s entry is not a valid certificate",
					    ghcb_kind_name(k));
		} else if (s->info.kind != slot_wants[k][0] && s->info.kind != slot_wants[k][1]) {
			ret = amd_check_add(out, name, false, "the %s entry holds %s (%s)",
					    ghcb_kind_name(k), amd_cert_kind_name(s->info.kind),
					    s->info.common_name);
			X509_free(s->x509);
			s->x509 = NULL;
		} else {
			ret = amd_check_add(out, name, true, "%s in the %s slot",
					    s->info.common_name, ghcb_kind_name(k));
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int check_crl(const struct ghcb_item *crl_item, X509 *ark, X509 *mid, X509 *leaf,
		     struct amd_check_list *out)
{
	int mid_revoked = 0, leaf_revoked = 0;
	bool signed_ok;
	int ret;

	if (!ark)
		return amd_check_add(out, "crl-signature", false,
				     "no ARK to check the CRL against");
	signed_ok = amd_crl_verify(crl_item->data, crl_item->len, ark) == 0;
	ret = amd_check_add(out, "crl-signature", signed_ok,
			    "the CRL %s signed by the ARK with the AMD PSS parameters",
			    signed_ok ? "is" : "is not");
	if (ret < 0)
		return ret;
	if (mid)
		mid_revoked = amd_crl_revokes(crl_item->data, crl_item->len, mid);
	if (leaf && mid_revoked == 0)
		leaf_revoked = amd_crl_revokes(crl_item->data, crl_item->len, leaf);
	if (mid_revoked < 0 || leaf_revoked < 0)
		return amd_check_add(out, "crl-revocation", false,
				     "the CRL entry is not a DER CRL");
	if (mid_revoked)
		return amd_check_add(out, "crl-revocation", false, "the CRL revokes the ASK/ASVK");
	if (leaf_revoked)
		return amd_check_add(out, "crl-revocation", false,
				     "the CRL revokes the endorsement key");
	return amd_check_add(out, "crl-revocation", true, "nothing in the chain is revoked");
}

static int check_match(const struct slot *leaf, const struct amd_table_opts *o,
		       struct amd_check_list *out)
{
	const struct amd_cert_info *in = &leaf->info;
	char want[64], have[64];
	int ret = 0;

	if (o->platform_product != AMD_PRODUCT_UNKNOWN) {
		ret = amd_check_add(out, "platform-product", in->product == o->platform_product,
				    "the %s is for %s, the platform is %s",
				    amd_cert_kind_name(in->kind),
				    amd_product_name(in->product) ?: "an unknown product",
				    amd_product_name(o->platform_product));
		if (ret < 0)
			return ret;
	}
	if (o->tcb_spec) {
		struct amd_tcb tcb;

		if (amd_tcb_parse(o->tcb_spec, in->product, &tcb) < 0)
			return amd_check_add(out, "tcb", false, "cannot read TCB '%s' for %s",
					     o->tcb_spec,
					     amd_product_name(in->product) ?: "this product");
		amd_tcb_format(in->product, &tcb, want, sizeof(want));
		amd_tcb_format(in->product, &in->tcb, have, sizeof(have));
		ret = amd_check_add(out, "tcb",
				    in->has_tcb && amd_tcb_equal(in->product, &tcb, &in->tcb),
				    "the %s is for TCB %s, want %s", amd_cert_kind_name(in->kind),
				    in->has_tcb ? have : "(none)", want);
		if (ret < 0)
			return ret;
	}
	if (o->hwid) {
		char hex[2 * 8 + 1] = "";
		bool ok;

		if (!in->has_hwid)
			return amd_check_add(out, "hwid", false, "the %s carries no chip id",
					     amd_cert_kind_name(in->kind));
		ok = amd_vcek_match(in, in->product, o->hwid, o->hwid_len, NULL, NULL, 0) == 0;
		/* The first 8 bytes name the chip well enough for a message. */
		for (size_t i = 0; i < 8 && i < in->hwid_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", in->hwid[i]);
		ret = amd_check_add(out, "hwid", ok, "the %s is for chip %s...%s",
				    amd_cert_kind_name(in->kind), hex,
				    ok ? "" : ", not the one asked for");
	}
	return ret;
}

int amd_table_verify(const struct ghcb_item *items, size_t n, const struct amd_table_opts *o,
		     struct amd_check_list *out)
{
	struct slot slots[GHCB_KIND_CRL] = { 0 };
	struct slot *leaf, *mid, *ark = &slots[GHCB_KIND_ARK];
	const struct ghcb_item *crl;
	int ret = -EINVAL;

	if ((!items && n) || !o || !out)
		goto out;
	crl = find(items, n, GHCB_KIND_CRL);
	ret = load_slots(items, n, slots, out);
	if (ret < 0)
		goto out;
	leaf = slots[GHCB_KIND_VCEK].x509 ? &slots[GHCB_KIND_VCEK] : &slots[GHCB_KIND_VLEK];
	if (!find(items, n, GHCB_KIND_VCEK) && !find(items, n, GHCB_KIND_VLEK))
		ret = amd_check_add(out, "endorsement-key", false, "the table has no VCEK or VLEK");
	if (ret < 0 || o->skip_chain || !leaf->x509)
		goto out;

	/* Each endorsement key against its own chain. */
	for (int k = GHCB_KIND_VCEK; k <= GHCB_KIND_VLEK; k++) {
		enum amd_cert_kind want_mid = k == GHCB_KIND_VCEK ? AMD_CERT_ASK : AMD_CERT_ASVK;
		X509 *mid_x509;

		if (!slots[k].x509)
			continue;
		mid = &slots[GHCB_KIND_ASK];
		mid_x509 = mid->x509 && mid->info.kind == want_mid ? mid->x509 : NULL;
		if (!mid_x509) {
			ret = amd_check_add(out, "chain-source", true,
					    "no %s in the table: the built-in one was used",
					    amd_cert_kind_name(want_mid));
			if (ret < 0)
				goto out;
		}
		ret = amd_chain_verify(slots[k].x509, mid_x509, ark->x509, o->trust, o->at, out);
		if (ret == -ENOMEM)
			goto out;
		ret = check_match(&slots[k], o, out);
		if (ret < 0)
			goto out;
	}
	if (crl) {
		X509 *crl_ark = ark->x509 ? ark->x509 : amd_trust_ark(o->trust, leaf->info.product);

		ret = check_crl(crl, crl_ark, slots[GHCB_KIND_ASK].x509, leaf->x509, out);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	for (int k = 0; k < GHCB_KIND_CRL; k++)
		X509_free(slots[k].x509);
	if (ret == 0 && !amd_check_list_ok(out))
		ret = -EBADMSG;
	return ret;
}
