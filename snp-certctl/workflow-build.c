// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The workflows' new tables: what a table holds against what the platform
 * wants, the VCEK (and the ASK/ARK that go with it) from the cache, and the
 * new contents with a VCEK or switched to a VLEK.  See workflow.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "util.h"
#include "workflow.h"

bool wf_vcek_matches(const struct wf_table *t, const struct platform_id *p,
		     const struct amd_tcb *tcb, char *why, size_t len)
{
	const struct amd_cert_info *k = &t->key;
	char want[WF_TCB_LEN];

	if (!table_find(&t->t, GHCB_KIND_VCEK) && !table_find(&t->t, GHCB_KIND_VLEK)) {
		snprintf(why, len, "%s", t->t.n ? "the table has no VCEK" : "the table is empty");
		return false;
	}
	if (!t->has_key || t->vlek) {
		snprintf(why, len, "the VCEK entry is not a valid VCEK");
		return false;
	}
	amd_tcb_format(p->product, tcb, want, sizeof(want));
	switch (amd_vcek_match(k, p->product, p->chip_id, sizeof(p->chip_id), tcb, NULL, 0)) {
	case 0:
		snprintf(why, len, "the VCEK is for the reported TCB %s and this chip", want);
		return true;
	case AMD_VCEK_PRODUCT:
		snprintf(why, len, "the VCEK is for %s, the platform is %s",
			 amd_product_name(k->product), amd_product_name(p->product));
		return false;
	case AMD_VCEK_CHIP:
		snprintf(why, len, "the VCEK is for another chip");
		return false;
	case AMD_VCEK_TCB:
		snprintf(why, len, "the VCEK is for TCB %s, the platform reports %s", t->old_tcb,
			 want);
		return false;
	default: /* not a VCEK, or one lacking an AMD extension */
		snprintf(why, len, "the VCEK entry is not a valid VCEK");
		return false;
	}
}

void wf_verify_opts(struct verify_opts *vo, const struct amd_trust *trust,
		    const struct platform_id *p, const char *tcb_spec, bool chip)
{
	*vo = (struct verify_opts){ .trust = trust, .at = time(NULL), .tcb_spec = tcb_spec,
				    .platform_product = p->product };
	if (chip) {
		vo->hwid = p->chip_id;
		vo->hwid_len = sizeof(p->chip_id);
	}
}

static int der_copy(X509 *x, uint8_t **out, size_t *len, struct why *why)
{
	if (amd_cert_der(x, out, len) < 0)
		return why_set(why, -ENOMEM, "cannot encode a certificate as DER: %s",
			       amd_openssl_error());
	return 0;
}

/* A malloc'd copy of the built-in certificate k of p. */
static int builtin_copy(enum amd_product p, enum amd_cert_kind k, uint8_t **out, size_t *len,
			struct why *why)
{
	const uint8_t *der = amd_builtin_cert(p, k, len);

	if (!der)
		return why_set(why, -ERR_VERIFY, "no built-in %s for product %s",
			       amd_cert_kind_name(k), amd_product_name(p) ?: "unknown");
	*out = malloc(*len);
	if (!*out)
		return why_set(why, -ENOMEM, "out of memory");
	memcpy(*out, der, *len);
	return 0;
}

/* The ASK and ARK that go with src's VCEK, for tables that lack them. */
static int vcek_roots(struct wf_vcek *src, struct why *why)
{
	struct cache_item chain = { 0 };
	int ret;

	if (src->have_roots)
		return 0;
	if (amd_trust_ark_is_builtin(src->cache->trust, src->product)) {
		ret = builtin_copy(src->product, AMD_CERT_ASK, &src->ask, &src->ask_len, why);
		if (ret == 0)
			ret = builtin_copy(src->product, AMD_CERT_ARK, &src->ark, &src->ark_len, why);
	} else {
		/* Another trusted root (a private or test chain): its CA chain, verified. */
		ret = cache_chain(src->cache, src->product, KDS_FAMILY_VCEK, &chain, why);
		if (ret == 0)
			ret = der_copy(chain.cert, &src->ask, &src->ask_len, why);
		if (ret == 0)
			ret = der_copy(chain.ark, &src->ark, &src->ark_len, why);
	}
	src->have_roots = ret == 0;
	cache_item_clear(&chain);
	return ret;
}

int wf_vcek_fetch(struct cache *c, const struct kds_vcek_id *id, struct wf_vcek *src,
		  struct why *why)
{
	int ret;

	*src = (struct wf_vcek){ .cache = c, .product = id->product, .tcb = id->tcb };
	ret = cache_vcek(c, id, &src->vcek, why);
	if (ret)
		return ret;
	src->vcek_der = src->vcek.data;
	src->vcek_der_len = src->vcek.len;
	debug("VCEK %s '%s'", src->vcek.from_cache ? "from the cache" : "fetched and cached",
	      src->vcek.path);
	return 0;
}

void wf_vcek_clear(struct wf_vcek *src)
{
	cache_item_clear(&src->vcek);
	free(src->ask);
	free(src->ark);
	*src = (struct wf_vcek){ 0 };
}

static int set(struct table *t, enum ghcb_kind k, const uint8_t *data, size_t len)
{
	return table_set(t, ghcb_kind_guid(k), data, len) < 0 ? -ENOMEM : 0;
}

/* Append every entry of from not of the kinds in skip (n of them), in order. */
static int copy_others(struct table *out, const struct table *from, const enum ghcb_kind *skip,
		       size_t n)
{
	for (size_t i = 0; i < from->n; i++) {
		enum ghcb_kind k = ghcb_guid_kind(from->items[i].guid);
		bool skipped = false;

		for (size_t j = 0; j < n; j++)
			skipped |= k != GHCB_KIND_OTHER && k == skip[j];
		if (skipped)
			continue;
		if (table_set(out, from->items[i].guid, from->items[i].data, from->items[i].len) <
		    0)
			return -ENOMEM;
	}
	return 0;
}

int wf_build_vcek(const struct wf_table *t, struct wf_vcek *src, struct table *out,
		  struct why *why)
{
	static const enum ghcb_kind chain_kinds[] = { GHCB_KIND_ASK, GHCB_KIND_ARK };
	const struct ghcb_item *ask = table_find(&t->t, GHCB_KIND_ASK);
	const struct ghcb_item *ark = table_find(&t->t, GHCB_KIND_ARK);
	int ret = 0;

	*out = (struct table){ 0 };
	if (!ask || !ark)
		ret = vcek_roots(src, why);
	if (ret)
		return ret;
	if (table_find(&t->t, GHCB_KIND_VCEK)) {
		/* Every entry in its place; only the VCEK changes. */
		ret = copy_others(out, &t->t, NULL, 0);
		if (ret == 0)
			ret = set(out, GHCB_KIND_VCEK, src->vcek_der, src->vcek_der_len);
	} else {
		/* No key: the build order first, then what the table held. */
		ret = set(out, GHCB_KIND_VCEK, src->vcek_der, src->vcek_der_len);
		if (ret == 0 && ask)
			ret = set(out, GHCB_KIND_ASK, ask->data, ask->len);
		if (ret == 0 && ark)
			ret = set(out, GHCB_KIND_ARK, ark->data, ark->len);
		if (ret == 0)
			ret = copy_others(out, &t->t, chain_kinds, 2);
	}
	if (ret == 0 && !ask)
		ret = set(out, GHCB_KIND_ASK, src->ask, src->ask_len);
	if (ret == 0 && !ark)
		ret = set(out, GHCB_KIND_ARK, src->ark, src->ark_len);
	if (ret) {
		table_free(out);
		why_set(why, ret, "out of memory");
	}
	return ret;
}

int wf_build_vlek(const struct wf_table *t, const struct cert_input *vlek,
		  const struct cert_input *asvk, const struct cert_input *ark, struct table *out,
		  struct why *why)
{
	static const enum ghcb_kind replaced[] = { GHCB_KIND_VCEK, GHCB_KIND_VLEK, GHCB_KIND_ASK,
						   GHCB_KIND_ARK };
	int ret;

	*out = (struct table){ 0 };
	ret = set(out, GHCB_KIND_VLEK, vlek->der, vlek->der_len);
	if (ret == 0)
		ret = set(out, GHCB_KIND_ASK, asvk->der, asvk->der_len);
	if (ret == 0)
		ret = set(out, GHCB_KIND_ARK, ark->der, ark->der_len);
	if (ret == 0)
		ret = copy_others(out, &t->t, replaced, 4);
	if (ret) {
		table_free(out);
		why_set(why, ret, "out of memory");
	}
	return ret;
}
