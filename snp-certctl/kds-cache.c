// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The KDS cache: look in the cache, verify, else fetch, verify, cache.
 * See kds-cache.h for the layout and the rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>

#include "base.h"
#include "hashstick.h"
#include "kds-cache.h"
#include "util.h"

#define CACHE_FILE_MAX (64 * 1024)

int cache_init(struct cache *c, const struct ctx *ctx, const struct amd_trust *trust,
	       bool offline, struct why *why)
{
	const char *mirror = ctx_get(ctx, SET_KDS_MIRROR);
	int r;

	*c = (struct cache){ .dir = ctx_get(ctx, SET_CACHE_DIR), .offline = offline,
			     .trust = trust, .now = time(NULL) };
	r = kds_http_opts_init(&c->http, ctx_get(ctx, SET_KDS_URL), why);
	if (r)
		return r;
	if (mirror && *mirror) {
		r = kds_http_opts_init(&c->mirror, mirror, why);
		if (r)
			return r;
		c->mirror.server = "the mirror";
		/* A mirror is asked first and may fail: it must cost little. */
		if (c->mirror.deadline > c->mirror.timeout)
			c->mirror.deadline = c->mirror.timeout;
		c->have_mirror = true;
	}
	if (!c->dir || !*c->dir)
		return why_set(why, -ERR_USAGE,
			       "no cache directory: set cache_dir or give --cache DIR");
	return 0;
}

void cache_item_clear(struct cache_item *it)
{
	if (!it)
		return;
	free(it->data);
	free(it->path);
	X509_free(it->cert);
	X509_free(it->ark);
	*it = (struct cache_item){ 0 };
}

/* ---- files ------------------------------------------------------------ */

static char *cache_path(const struct cache *c, const char *rel)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", c->dir, rel) < 0)
		return NULL;
	return p;
}

/* mkdir -p of path's directory, 0755. 0 or -errno. */
static int make_parents(const char *path)
{
	char *dir = sc_dir_of(path);
	int ret = 0;

	if (!dir)
		return -ENOMEM;
	for (char *s = dir + 1;; s++) {
		char saved = *s;

		if (saved != '/' && saved != '\0')
			continue;
		*s = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			ret = -errno;
			break;
		}
		*s = saved;
		if (!saved)
			break;
	}
	free(dir);
	return ret;
}

/*
 * Cache a verified reply.  A cache that cannot be written is worth a
 * warning, not a failure: the caller has what it asked for.
 */
static void cache_store(const char *path, const uint8_t *data, size_t len)
{
	struct why why;
	int r = make_parents(path);

	if (r < 0)
		warn("cannot cache '%s': %s", path, strerror(-r));
	else if (write_file_atomic(path, data, len, 0644, WRITE_REPLACE, &why) < 0)
		warn("cannot cache: %s", why.msg);
	else
		debug("cached '%s'", path);
}

/* A cached entry, with its age.  0, -ENOENT, or -errno after a warning. */
static int cache_load(const char *path, uint8_t **data, size_t *len, time_t *mtime)
{
	struct stat st;
	int r;

	*data = NULL;
	*len = 0;
	if (stat(path, &st) < 0)
		return -errno;
	*mtime = st.st_mtime;
	r = read_file(path, CACHE_FILE_MAX, data, len);
	if (r < 0 && r != -ENOENT && r != -ENOMEM) {
		if (r == -ERR_REFUSED)
			warn("refusing '%s': not a regular file", path);
		else if (r == -EFBIG)
			warn("cannot read cached '%s': larger than %d KiB", path,
			     CACHE_FILE_MAX / 1024);
		else
			warn("cannot read cached '%s': %s", path, strerror(-r));
	}
	return r;
}

/*
 * Point it at rel in the cache and read the copy there, if any.  1 read
 * (*mtime its age), 0 none, -ENOMEM with why.
 */
static int cache_lookup(const struct cache *c, const char *rel, struct cache_item *it,
			time_t *mtime, struct why *why)
{
	int r;

	it->path = cache_path(c, rel);
	if (!it->path)
		return why_set(why, -ENOMEM, "out of memory");
	r = cache_load(it->path, &it->data, &it->len, mtime);
	if (r == -ENOMEM)
		return why_set(why, -ENOMEM, "out of memory");
	return r == 0;
}

/*
 * How a reply is checked before it is used or cached: 0, -EBADMSG with the
 * reason in reason, or another negative code with why (out of memory, a CA
 * chain needed to check it could not be had).
 */
typedef int (*reply_check)(struct cache *c, const void *arg, struct cache_item *it,
			   char *reason, size_t rlen, struct why *why);

/* Forget a reply that was not good (it->path, the cache name, stays). */
static void drop_reply(struct cache_item *it)
{
	free(it->data);
	it->data = NULL;
	it->len = 0;
	X509_free(it->cert);
	X509_free(it->ark);
	it->cert = it->ark = NULL;
}

static int one_request(struct cache *c, const struct kds_http_opts *o, const char *req,
		       const char *post, bool der, const char *what, struct cache_item *it,
		       bool *answered, struct why *why)
{
	if (c->before_request)
		c->before_request(c->before_arg);
	if (o == &c->mirror)
		c->mirror_requests++;
	else
		c->kds_requests++;
	if (post)
		return kds_http_post(o, req, post, "application/json", what, &it->data, &it->len,
				     why);
	return kds_http_get_answered(o, req, der, what, &it->data, &it->len, answered, why);
}

/*
 * Ask the mirror for rel (the cache name: the mirror's layout is the
 * cache's) and check its reply.  1 with a good reply in it, 0 when there is
 * none (a miss, a failure or a reply that does not verify, said on stderr),
 * or a negative code with why (out of memory, or check could not judge).
 */
static int mirror_fetch(struct cache *c, struct cache_item *it, const char *rel, bool der,
			const char *what, reply_check check, const void *arg, struct why *why)
{
	const char *then = c->offline ? "--offline forbids asking KDS" : "asking KDS";
	char path[KDS_PATH_MAX + 1], reason[256];
	struct why e = { 0 };
	bool answered = true;
	int r;

	if (c->mirror_down) {
		debug("mirror: %s: not asked, the mirror did not answer before", what);
		return 0;
	}
	snprintf(path, sizeof(path), "/%s", rel);
	/* Its messages name the path asked for: what comes first in ours. */
	r = one_request(c, &c->mirror, path, NULL, der, path, it, &answered, &e);
	if (r == -ENOMEM)
		return why_set(why, -ENOMEM, "out of memory");
	if (r < 0) {
		c->mirror_down = !answered;
		warn("mirror: %s: %s; %s%s", what, e.msg, then,
		     answered ? "" : " (the mirror is not asked again in this run)");
		return 0;
	}
	r = check(c, arg, it, reason, sizeof(reason), why);
	if (r == 0) {
		debug("%s: from the mirror at '%s'", what, c->mirror.base_url);
		return 1;
	}
	drop_reply(it);
	if (r != -EBADMSG)
		return r;
	warn("mirror: %s: it does not verify: %s; %s", what, reason, then);
	return 0;
}

/*
 * The one fetch of the cache: drop the cached copy read into it, then ask
 * for it anew and check the reply.  A GET (a VCEK, CA chain, CRL or VLEK;
 * not a POST: hashsticks are never mirrored) goes to the mirror first, when
 * there is one, at rel; then, or else, unless --offline, to o at req (a GET, der: a DER reply; or with
 * post, a POST of that JSON).  0 with a reply that passed check in it;
 * -EBADMSG with reason when KDS's reply does not pass it; or kds_http_get()'s
 * codes (-ERR_KDS when --offline) or check's with why.
 */
static int cache_fetch(struct cache *c, const struct kds_http_opts *o, struct cache_item *it,
		       const char *rel, const char *req, const char *post, bool der,
		       const char *what, reply_check check, const void *arg, char *reason,
		       size_t rlen, struct why *why)
{
	bool mirrored = c->have_mirror && !post;
	int r;

	drop_reply(it);
	if (mirrored) {
		r = mirror_fetch(c, it, rel, der, what, check, arg, why);
		if (r)
			return r < 0 ? r : 0;
	}
	if (c->offline)
		return why_set(why, -ERR_KDS,
			       "no usable %s in the cache '%s'%s, and --offline forbids asking KDS",
			       what, c->dir, mirrored ? " nor the mirror" : "");
	r = one_request(c, o, req, post, der, what, it, NULL, why);
	if (r)
		return r;
	r = check(c, arg, it, reason, rlen, why);
	if (r)
		drop_reply(it);
	return r;
}

/* ---- checks ----------------------------------------------------------- */

static void first_failure(const struct amd_check_list *l, char *why, size_t len)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].ok) {
			snprintf(why, len, "%s", l->v[i].detail);
			return;
		}
	}
	snprintf(why, len, "the chain does not verify");
}

static int validity(const struct amd_cert_info *i, const char *label, time_t now, char *why,
		    size_t len)
{
	char t[32];

	if (now < i->not_before) {
		format_time(i->not_before, t, sizeof(t));
		snprintf(why, len, "the %s is not valid before %s", label, t);
		return -EBADMSG;
	}
	if (now > i->not_after) {
		format_time(i->not_after, t, sizeof(t));
		snprintf(why, len, "the %s expired at %s", label, t);
		return -EBADMSG;
	}
	return 0;
}

/*
 * A CA chain reply: ASK (or ASVK) then ARK, both for p, the ARK the trusted
 * one of p and self-signed, the ASK/ASVK signed by it, both valid now.
 * 0 with the two certificates in it->cert and it->ark, -EBADMSG with why,
 * -ENOMEM.
 */
static int check_chain(const struct cache *c, enum amd_product p, enum kds_family f,
		       struct cache_item *it, char *why, size_t wlen)
{
	enum amd_cert_kind want = f == KDS_FAMILY_VLEK ? AMD_CERT_ASVK : AMD_CERT_ASK;
	const char *label = f == KDS_FAMILY_VLEK ? "ASVK" : "ASK";
	struct amd_cert_info mi, ai;
	X509 *mid = NULL, *ark = NULL;
	char sig[256];
	int r;

	r = kds_chain_split(it->data, it->len, &mid, &ark);
	if (r < 0) {
		snprintf(why, wlen, "it is not two PEM certificates (%s, then ARK)", label);
		goto out;
	}
	r = -EBADMSG;
	if (amd_cert_info(mid, &mi) < 0 || amd_cert_info(ark, &ai) < 0) {
		snprintf(why, wlen, "a certificate has a malformed AMD extension");
		goto out;
	}
	if (mi.kind != want || mi.product != p) {
		snprintf(why, wlen, "the first certificate is '%s', not the %s %s", mi.common_name,
			 amd_product_name(p), label);
		goto out;
	}
	if (ai.kind != AMD_CERT_ARK || ai.product != p) {
		snprintf(why, wlen, "the second certificate is '%s', not the %s ARK",
			 ai.common_name, amd_product_name(p));
		goto out;
	}
	if (!amd_cert_equal(ark, amd_trust_ark(c->trust, p))) {
		snprintf(why, wlen, "its ARK '%s' is not the trusted %s root", ai.common_name,
			 amd_product_name(p));
		goto out;
	}
	if (amd_cert_check_signature(ark, ark, sig, sizeof(sig)) < 0 ||
	    amd_cert_check_signature(mid, ark, sig, sizeof(sig)) < 0) {
		snprintf(why, wlen, "%s", sig);
		goto out;
	}
	if (validity(&ai, "ARK", c->now, why, wlen) < 0 ||
	    validity(&mi, label, c->now, why, wlen) < 0)
		goto out;
	it->cert = mid;
	it->ark = ark;
	mid = ark = NULL;
	r = 0;
out:
	X509_free(mid);
	X509_free(ark);
	return r;
}

/* Say whether a good cached CA chain is used (fresh, or --offline) or fetched anew. */
static void chain_say_cached(const struct cache *c, const struct cache_item *it,
			     const char *what)
{
	(void)c;
	if (it->from_cache)
		debug("using the cached %s '%s'", what, it->path);
	else
		debug("the cached %s '%s' is older than %d days: fetching it again", what,
		      it->path, CACHE_CHAIN_MAX_AGE / (24 * 3600));
}

static time_t chain_fresh_until(const struct cache_item *it, time_t fetched)
{
	(void)it;
	return fetched + CACHE_CHAIN_MAX_AGE;
}

/* ---- the CRL ---------------------------------------------------------- */

/* The CRL's nextUpdate, or 0 when it has none. */
static time_t crl_next_update(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	const ASN1_TIME *t;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	struct tm tm;
	time_t next = 0;

	if (!crl)
		return 0;
	t = X509_CRL_get0_nextUpdate(crl);
	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		next = timegm(&tm);
	X509_CRL_free(crl);
	return next;
}

/* A CRL reply: DER, signed by the trusted ARK of p.  0 or -EBADMSG with why. */
static int check_crl(const struct cache *c, enum amd_product p, enum kds_family f,
		     struct cache_item *it, char *why, size_t wlen)
{
	X509 *ark = amd_trust_ark(c->trust, p);

	(void)f;
	if (!ark) {
		snprintf(why, wlen, "there is no trusted %s ARK", amd_product_name(p));
		return -EBADMSG;
	}
	if (amd_crl_verify(it->data, it->len, ark) < 0) {
		snprintf(why, wlen, "it is not a DER CRL signed by the trusted ARK-%s with the AMD "
			 "PSS parameters", amd_product_name(p));
		return -EBADMSG;
	}
	return 0;
}

/* A day after it was fetched, or its nextUpdate if that comes first. */
static time_t crl_fresh_until(const struct cache_item *it, time_t fetched)
{
	time_t next = crl_next_update(it->data, it->len), until = fetched + CACHE_CRL_MAX_AGE;

	return next && next < until ? next : until;
}

/* The same for a CRL: an out-of-date one kept by --offline is worth a warning. */
static void crl_say_cached(const struct cache *c, const struct cache_item *it, const char *what)
{
	if (it->from_cache && c->now >= it->fresh_until)
		warn("the cached %s '%s' is out of date; --offline keeps it", what, it->path);
	else if (!it->from_cache)
		debug("the cached %s '%s' is out of date: fetching it again", what, it->path);
}

/* ---- the CA chain and the CRL: one getter ------------------------------- */

/* What differs between a CA chain and a CRL. */
struct cached_kind {
	const char *name; /* "CA chain": "no KDS CA chain for ...", "Milan VCEK CA chain" */
	int (*cache_name)(enum amd_product p, enum kds_family f, char *buf, size_t len);
	int (*request)(enum amd_product p, enum kds_family f, char *buf, size_t len);
	bool der;         /* what KDS sends: DER, else PEM */
	/* Verify it->data; 0, -EBADMSG with why, -ENOMEM. */
	int (*check)(const struct cache *c, enum amd_product p, enum kds_family f,
		     struct cache_item *it, char *why, size_t wlen);
	/* When a copy fetched at fetched is to be fetched anew. */
	time_t (*fresh_until)(const struct cache_item *it, time_t fetched);
	/* Say whether a good cached copy is used (it->from_cache) or fetched anew. */
	void (*say_cached)(const struct cache *c, const struct cache_item *it, const char *what);
};

static const struct cached_kind chain_kind = {
	.name = "CA chain",
	.cache_name = kds_chain_name,
	.request = kds_chain_path,
	.der = false,
	.check = check_chain,
	.fresh_until = chain_fresh_until,
	.say_cached = chain_say_cached,
};

static const struct cached_kind crl_kind = {
	.name = "CRL",
	.cache_name = kds_crl_name,
	.request = kds_crl_path,
	.der = true,
	.check = check_crl,
	.fresh_until = crl_fresh_until,
	.say_cached = crl_say_cached,
};

/* A CA chain or CRL to fetch, for kind_check(). */
struct kind_want {
	const struct cached_kind *k;
	enum amd_product p;
	enum kds_family f;
};

/* k->check() as a reply_check. */
static int kind_check(struct cache *c, const void *arg, struct cache_item *it, char *reason,
		      size_t rlen, struct why *why)
{
	const struct kind_want *kw = arg;
	int r = kw->k->check(c, kw->p, kw->f, it, reason, rlen);

	if (r == -ENOMEM)
		return why_set(why, -ENOMEM, "out of memory");
	return r < 0 ? -EBADMSG : 0;
}

/*
 * The object k for (p, f): the cached copy if it verifies and is fresh,
 * else fetched from KDS and verified, and cached only when store says so.
 * 0 or a negative code with why, as cache_vcek().
 */
static int cached_get(struct cache *c, const struct cached_kind *k, enum amd_product p,
		      enum kds_family f, struct cache_item *out, bool store, struct why *why)
{
	char rel[KDS_PATH_MAX], req[KDS_PATH_MAX], what[64], reason[256];
	struct cache_item it = { 0 };
	time_t mtime = 0;
	int ret, r;

	*out = (struct cache_item){ 0 };
	if (k->cache_name(p, f, rel, sizeof(rel)) < 0 || k->request(p, f, req, sizeof(req)) < 0)
		return why_set(why, -ERR_USAGE, "no KDS %s for product '%s'", k->name,
			       amd_product_name(p) ?: "unknown");
	snprintf(what, sizeof(what), "%s %s %s", amd_product_name(p),
		 f == KDS_FAMILY_VLEK ? "VLEK" : "VCEK", k->name);
	ret = cache_lookup(c, rel, &it, &mtime, why);
	if (ret < 0)
		goto out;
	if (ret == 0 && c->lookup_only) {
		ret = why_set(why, -ENOENT, "no %s in the cache", what);
		goto out;
	}
	if (ret > 0) {
		r = k->check(c, p, f, &it, reason, sizeof(reason));
		if (r == 0) {
			it.fresh_until = k->fresh_until(&it, mtime);
			it.from_cache = c->offline || c->lookup_only || c->now < it.fresh_until;
			if (!c->lookup_only)
				k->say_cached(c, &it, what);
		} else if (r == -ENOMEM) {
			ret = why_set(why, -ENOMEM, "out of memory");
			goto out;
		} else if (c->lookup_only) {
			ret = why_set(why, -ERR_VERIFY, "the cached %s '%s' does not verify: %s",
				      what, it.path, reason);
			goto out;
		} else {
			warn("cached %s '%s' does not verify: %s; fetching it again", what, it.path,
			     reason);
		}
	}
	if (!it.from_cache) {
		const struct kind_want kw = { k, p, f };

		ret = cache_fetch(c, &c->http, &it, rel, req, NULL, k->der, what, kind_check, &kw,
				  reason, sizeof(reason), why);
		if (ret == -EBADMSG)
			ret = why_set(why, -ERR_VERIFY, "%s from KDS does not verify: %s", what,
				      reason);
		if (ret)
			goto out;
		if (store)
			cache_store(it.path, it.data, it.len);
		it.fresh_until = k->fresh_until(&it, c->now);
	}
	*out = it;
	it = (struct cache_item){ 0 };
	ret = 0;
out:
	cache_item_clear(&it);
	return ret;
}

int cache_chain(struct cache *c, enum amd_product p, enum kds_family f, struct cache_item *out,
		struct why *why)
{
	return cached_get(c, &chain_kind, p, f, out, true, why);
}

int cache_crl(struct cache *c, enum amd_product p, enum kds_family f, struct cache_item *out,
	      struct why *why)
{
	return cached_get(c, &crl_kind, p, f, out, true, why);
}

/* ---- the VCEK --------------------------------------------------------- */

/*
 * The chain of an endorsement key x of product p (family f: a VCEK or a
 * VLEK): the built-in ASK or ASVK for AMD's own roots, else the product's
 * CA chain of f, from the cache or KDS into *chain and not cached here (the
 * caller caches it once the key is good too: a failure leaves no trace).
 * 0, -EBADMSG with the reason, or another negative code with why.
 */
static int check_key_chain(struct cache *c, X509 *x, enum amd_product p, enum kds_family f,
			   struct cache_item *chain, char *reason, size_t rlen, struct why *why)
{
	struct amd_check_list checks = { 0 };
	int ret, r;

	if (!amd_trust_ark_is_builtin(c->trust, p) && !chain->data) {
		ret = cached_get(c, &chain_kind, p, f, chain, false, why);
		if (ret)
			return ret;
	}
	r = amd_chain_verify(x, chain->cert, chain->ark, c->trust, c->now, &checks);
	if (r == -ENOMEM)
		ret = why_set(why, -ENOMEM, "out of memory");
	else if (r < 0)
		ret = -EBADMSG;
	else
		ret = 0;
	if (ret == -EBADMSG)
		first_failure(&checks, reason, rlen);
	amd_check_list_free(&checks);
	return ret;
}

/*
 * Is der the VCEK asked for, with a good chain?  0 with the certificate,
 * -EBADMSG with the reason it is not, or another negative code with why
 * (the CA chain could not be had, out of memory).
 */
static int check_vcek(struct cache *c, const struct kds_vcek_id *id, const uint8_t *der,
		      size_t len, X509 **out, struct cache_item *chain, char *reason, size_t rlen,
		      struct why *why)
{
	struct amd_cert_info info;
	X509 *x = NULL;
	int ret = -EBADMSG;

	if (amd_cert_load(der, len, &x) < 0) {
		snprintf(reason, rlen, "it is not a certificate");
		goto out;
	}
	if (amd_cert_info(x, &info) < 0) {
		snprintf(reason, rlen, "it has a malformed AMD extension");
		goto out;
	}
	if (amd_vcek_match(&info, id->product, id->hwid, id->hwid_len, &id->tcb, reason, rlen) != 0)
		goto out;
	ret = check_key_chain(c, x, id->product, KDS_FAMILY_VCEK, chain, reason, rlen, why);
	if (ret == 0) {
		*out = x;
		x = NULL;
	}
out:
	X509_free(x);
	return ret;
}

/* Is der the VLEK of (p, tcb), with a good chain?  As check_vcek(). */
static int check_vlek(struct cache *c, enum amd_product p, const struct amd_tcb *tcb,
		      const uint8_t *der, size_t len, X509 **out, struct cache_item *chain,
		      char *reason, size_t rlen, struct why *why)
{
	struct amd_cert_info info;
	char got[64], want[64];
	X509 *x = NULL;
	int ret = -EBADMSG;

	if (amd_cert_load(der, len, &x) < 0) {
		snprintf(reason, rlen, "it is not a certificate");
		goto out;
	}
	if (amd_cert_info(x, &info) < 0) {
		snprintf(reason, rlen, "it has a malformed AMD extension");
		goto out;
	}
	if (info.kind != AMD_CERT_VLEK) {
		snprintf(reason, rlen, "it is '%s', not a VLEK", info.common_name);
		goto out;
	}
	if (info.product != p || !info.has_tcb) {
		snprintf(reason, rlen, "it is for %s, not %s",
			 amd_product_name(info.product) ?: "an unknown product",
			 amd_product_name(p));
		goto out;
	}
	if (!amd_tcb_equal(p, &info.tcb, tcb)) {
		amd_tcb_format(p, &info.tcb, got, sizeof(got));
		amd_tcb_format(p, tcb, want, sizeof(want));
		snprintf(reason, rlen, "it is for TCB %s, not %s", got, want);
		goto out;
	}
	ret = check_key_chain(c, x, p, KDS_FAMILY_VLEK, chain, reason, rlen, why);
	if (ret == 0) {
		*out = x;
		x = NULL;
	}
out:
	X509_free(x);
	return ret;
}

/* An endorsement key to get: a VCEK (id) or a VLEK (id's product and TCB). */
struct key_want {
	enum kds_family f;
	const struct kds_vcek_id *id;
};

/* check_vcek() or check_vlek(), as k asks. */
static int check_key(struct cache *c, const struct key_want *k, const uint8_t *der, size_t len,
		     X509 **out, struct cache_item *chain, char *reason, size_t rlen,
		     struct why *why)
{
	if (k->f == KDS_FAMILY_VLEK)
		return check_vlek(c, k->id->product, &k->id->tcb, der, len, out, chain, reason,
				  rlen, why);
	return check_vcek(c, k->id, der, len, out, chain, reason, rlen, why);
}

/* An endorsement key to check, and where its CA chain goes, for key_reply_check(). */
struct key_check {
	const struct key_want *k;
	struct cache_item *chain;
};

/* check_key() as a reply_check. */
static int key_reply_check(struct cache *c, const void *arg, struct cache_item *it,
			   char *reason, size_t rlen, struct why *why)
{
	const struct key_check *kc = arg;

	return check_key(c, kc->k, it->data, it->len, &it->cert, kc->chain, reason, rlen, why);
}

/*
 * The key k: cached at rel if it verifies, else asked of o at req and
 * verified, then cached (and the CA chain fetched to check it).  As
 * cache_vcek().
 */
static int cached_key(struct cache *c, const struct kds_http_opts *o, const struct key_want *k,
		      const char *rel, const char *req, const char *what, struct cache_item *out,
		      struct why *why)
{
	const char *label = k->f == KDS_FAMILY_VLEK ? "VLEK" : "VCEK";
	struct cache_item it = { 0 }, chain = { 0 };
	char reason[256];
	time_t mtime = 0;
	int ret;

	ret = cache_lookup(c, rel, &it, &mtime, why);
	if (ret < 0)
		goto out;
	if (ret == 0 && c->lookup_only) {
		ret = why_set(why, -ENOENT, "no %s in the cache", what);
		goto out;
	}
	if (ret > 0) {
		ret = check_key(c, k, it.data, it.len, &it.cert, &chain, reason, sizeof(reason),
				why);
		if (ret && ret != -EBADMSG)
			goto out;
		if (ret && c->lookup_only) {
			ret = why_set(why, -ERR_VERIFY, "the cached %s '%s' does not verify: %s",
				      label, it.path, reason);
			goto out;
		}
		it.from_cache = ret == 0;
		if (it.from_cache)
			debug("using the cached %s '%s'", what, it.path);
		else
			warn("cached %s '%s' does not verify: %s; fetching it again", label,
			     it.path, reason);
	}
	if (!it.from_cache) {
		const struct key_check kc = { k, &chain };

		ret = cache_fetch(c, o, &it, rel, req, NULL, true, what, key_reply_check, &kc,
				  reason, sizeof(reason), why);
		if (ret == -EBADMSG)
			ret = why_set(why, -ERR_VERIFY, "the %s KDS sent for %s does not verify: %s",
				      label, what, reason);
		if (ret)
			goto out;
		cache_store(it.path, it.data, it.len);
	}
	/* A CA chain fetched to check the key is cached now that both are good. */
	if (chain.data && !chain.from_cache)
		cache_store(chain.path, chain.data, chain.len);
	*out = it;
	it = (struct cache_item){ 0 };
	ret = 0;
out:
	cache_item_clear(&chain);
	cache_item_clear(&it);
	return ret;
}

int cache_vcek(struct cache *c, const struct kds_vcek_id *id_in, struct cache_item *out,
	       struct why *why)
{
	char rel[KDS_PATH_MAX], req[KDS_PATH_MAX], what[256];
	struct kds_vcek_id id = *id_in;
	struct key_want k = { KDS_FAMILY_VCEK, &id };

	*out = (struct cache_item){ 0 };
	if (kds_vcek_id_normalize(&id) < 0 || kds_vcek_name(&id, rel, sizeof(rel)) < 0 ||
	    kds_vcek_path(&id, req, sizeof(req)) < 0)
		return why_set(why, -ERR_USAGE,
			       "cannot ask KDS for a VCEK of product '%s' with a %zu-byte chip id",
			       amd_product_name(id.product) ?: "unknown", id.hwid_len);
	kds_vcek_describe(&id, what, sizeof(what));
	return cached_key(c, &c->http, &k, rel, req, what, out, why);
}

/* ---- the legacy SEV CEK ------------------------------------------------- */

/* What a CEK reply is checked against, and the generation it verified as. */
struct cek_check {
	const struct sev_verify_opts *o;
	const uint8_t *key; /* or NULL */
	enum sev_gen *gen;
};

/* sev_cek_verify(), and of kc->key's key when given: 0, -EBADMSG with reason, -ENOMEM. */
static int cek_check(const struct cek_check *kc, const struct cache_item *it, char *reason,
		     size_t rlen)
{
	int r = sev_cek_verify(it->data, it->len, kc->o, kc->gen, reason, rlen);

	if (r == 0 && kc->key && memcmp(it->data + 8, kc->key + 8, SEV_CERT_SIGNED_LEN - 8) != 0) {
		snprintf(reason, rlen, "its key differs from the CEK the firmware exports "
			 "(another chip's CEK)");
		r = -EBADMSG;
	}
	return r;
}

static int cek_reply_check(struct cache *c, const void *arg, struct cache_item *it, char *reason,
			   size_t rlen, struct why *why)
{
	int r = cek_check(arg, it, reason, rlen);

	(void)c;
	return r == -ENOMEM ? why_set(why, -ENOMEM, "out of memory") : r < 0 ? -EBADMSG : 0;
}

int cache_cek(struct cache *c, const uint8_t *id, size_t id_len, const struct sev_verify_opts *o,
	      const uint8_t *key, struct cache_item *out, enum sev_gen *gen_out, struct why *why)
{
	char rel[KDS_CEK_PATH_MAX], req[KDS_CEK_PATH_MAX], what[64], reason[256];
	struct cache_item it = { 0 };
	enum sev_gen gen = SEV_GEN_UNKNOWN;
	const struct cek_check kc = { o, key, &gen };
	time_t mtime = 0;
	int ret, r;

	*out = (struct cache_item){ 0 };
	if (kds_cek_name(id, id_len, rel, sizeof(rel)) < 0 ||
	    kds_cek_path(id, id_len, req, sizeof(req)) < 0)
		return why_set(why, -ERR_USAGE,
			       "cannot ask KDS for a CEK with a %zu-byte chip id (1 to %d bytes)",
			       id_len, KDS_CEK_ID_MAX);
	snprintf(what, sizeof(what), "SEV CEK of chip %02X%02X%02X%02X...", id[0],
		 id_len > 1 ? id[1] : 0, id_len > 2 ? id[2] : 0, id_len > 3 ? id[3] : 0);
	ret = cache_lookup(c, rel, &it, &mtime, why);
	if (ret < 0)
		goto out;
	if (ret > 0) {
		r = cek_check(&kc, &it, reason, sizeof(reason));
		if (r == -ENOMEM) {
			ret = why_set(why, -ENOMEM, "out of memory");
			goto out;
		}
		if (r < 0 && c->lookup_only) {
			ret = why_set(why, -ERR_VERIFY, "the cached %s '%s' does not verify: %s",
				      what, it.path, reason);
			goto out;
		}
		it.from_cache = r == 0;
		if (it.from_cache)
			debug("using the cached %s '%s'", what, it.path);
		else
			warn("cached %s '%s' does not verify: %s; fetching it again", what, it.path,
			     reason);
	} else if (c->lookup_only) {
		ret = why_set(why, -ENOENT, "no %s in the cache", what);
		goto out;
	}
	if (!it.from_cache) {
		ret = cache_fetch(c, &c->http, &it, rel, req, NULL, false, what, cek_reply_check,
				  &kc, reason, sizeof(reason), why);
		if (ret == -EBADMSG)
			ret = why_set(why, -ERR_VERIFY, "the %s from KDS does not verify: %s", what,
				      reason);
		if (ret)
			goto out;
		cache_store(it.path, it.data, it.len);
	}
	if (gen_out)
		*gen_out = gen;
	*out = it;
	it = (struct cache_item){ 0 };
	ret = 0;
out:
	cache_item_clear(&it);
	return ret;
}

/* ---- the CSP endpoint: VLEK and hashsticks ----------------------------- */

/* A PEM certificate or key file is far smaller. */
#define CLIENT_PEM_MAX (64 * 1024)

/* Read the client certificate or key (what) at path as a trusted file. */
static int read_client_file(const char *path, const char *what, const uint8_t **out,
			    size_t *outlen, struct why *why)
{
	char bad[256];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = read_trusted_file(path, CLIENT_PEM_MAX, &buf, &len, bad, sizeof(bad));

	if (r == -EPERM)
		return why_set(why, -ERR_REFUSED, "refusing the client %s '%s': %s", what, path,
			       bad);
	if (r == -ERR_REFUSED)
		return why_set(why, r, "refusing the client %s '%s': not a regular file", what,
			       path);
	if (r == -EFBIG)
		return why_set(why, -ERR_REFUSED, "refusing the client %s '%s': larger than "
			       "%u KiB, not a PEM file", what, path, CLIENT_PEM_MAX / 1024);
	if (r < 0)
		return why_set(why, r, "cannot read the client %s '%s': %s", what, path,
			       strerror(-r));
	*out = buf;
	*outlen = len;
	return 0;
}

/* The key's PEM (at path) must be usable without a prompt, and should be private. */
static int check_client_key(const char *path, const uint8_t *pem, size_t len, struct why *why)
{
	struct stat st;

	if (memmem(pem, len, "ENCRYPTED", strlen("ENCRYPTED")))
		return why_set(why, -ERR_REFUSED, "refusing the client key '%s': it is encrypted, "
			       "and snp-certctl never asks for a passphrase; give it unencrypted "
			       "(openssl pkey -in KEY -out PLAIN, mode 0600)", path);
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
		warn("the client key '%s' is readable by group or others: chmod 0600 it", path);
	return 0;
}

int cache_csp_init(struct cache *c, const struct ctx *ctx, const char *cert, const char *key,
		   struct why *why)
{
	struct kds_http_opts *o = &c->csp;
	int r = kds_http_opts_init(o, ctx_get(ctx, SET_KDS_CSP_URL), why);

	if (r)
		return r;
	o->client_auth = true;
	o->client_cert = cert;
	o->client_key = key;
	if (!cert)
		return 0;
	r = read_client_file(cert, "certificate", &o->client_cert_pem, &o->client_cert_len, why);
	if (r == 0 && key)
		r = read_client_file(key, "key", &o->client_key_pem, &o->client_key_len, why);
	if (r == 0 && !key) {
		/* The key is in the certificate's file. */
		o->client_key_pem = o->client_cert_pem;
		o->client_key_len = o->client_cert_len;
	}
	if (r == 0)
		r = check_client_key(key ? key : cert, o->client_key_pem, o->client_key_len, why);
	if (r)
		cache_fini(c);
	return r;
}

void cache_fini(struct cache *c)
{
	struct kds_http_opts *o = &c->csp;

	if (o->client_key_pem != o->client_cert_pem)
		free((void *)o->client_key_pem);
	free((void *)o->client_cert_pem);
	o->client_cert_pem = o->client_key_pem = NULL;
	o->client_cert_len = o->client_key_len = 0;
}

int cache_vlek(struct cache *c, enum amd_product p, const struct amd_tcb *tcb,
	       struct cache_item *out, struct why *why)
{
	char rel[KDS_PATH_MAX], req[KDS_PATH_MAX], what[128], t[64];
	struct kds_vcek_id id = { .product = p, .tcb = *tcb };
	struct key_want k = { KDS_FAMILY_VLEK, &id };

	*out = (struct cache_item){ 0 };
	if (kds_vlek_name(p, tcb, rel, sizeof(rel)) < 0 ||
	    kds_vlek_path(p, tcb, req, sizeof(req)) < 0)
		return why_set(why, -ERR_USAGE, "cannot ask KDS for a VLEK of product '%s'",
			       amd_product_name(p) ?: "unknown");
	amd_tcb_format(p, tcb, t, sizeof(t));
	snprintf(what, sizeof(what), "%s VLEK TCB %s", amd_product_name(p), t);
	return cached_key(c, &c->csp, &k, rel, req, what, out, why);
}

/*
 * The cached copy of hashstick rel, if any.  A hashstick cannot be
 * verified, so it is read only as a trusted file (read_trusted_file: the
 * file and every directory above it root's, or ours, and written by no
 * one else): 1 read into it, 0 none (or refused, after a warning: it is
 * fetched again), -ENOMEM with why.
 */
static int hashstick_lookup(const struct cache *c, const char *rel, struct cache_item *it,
			    struct why *why)
{
	char bad[256] = "";
	int r;

	it->path = cache_path(c, rel);
	if (!it->path)
		return why_set(why, -ENOMEM, "out of memory");
	r = read_trusted_file(it->path, CACHE_FILE_MAX, &it->data, &it->len, bad, sizeof(bad));
	if (r == -ENOMEM)
		return why_set(why, r, "out of memory");
	if (r < 0 && r != -ENOENT)
		warn("refusing the cached hashstick '%s': %s; fetching it again", it->path,
		     r == -EPERM ? bad : r == -ERR_REFUSED ? "not a regular file" : strerror(-r));
	return r == 0;
}

/*
 * A hash_sticks reply is checked once its hashstick is taken out of it
 * (below), not as a whole: any reply passes here.
 */
static int hashstick_reply(struct cache *c, const void *arg, struct cache_item *it,
			   char *reason, size_t rlen, struct why *why)
{
	(void)c, (void)arg, (void)it, (void)reason, (void)rlen, (void)why;
	return 0;
}

int cache_hashstick(struct cache *c, enum amd_product p, const uint8_t *hwid, size_t hwid_len,
		    const struct amd_tcb *tcb, struct cache_item *out, struct why *why)
{
	char rel[KDS_PATH_MAX], req[KDS_PATH_MAX], body[KDS_HASHSTICKS_BODY_MAX], what[128];
	char h[2 * AMD_HWID_MAX + 1], t[64], reason[128];
	struct cache_item it = { 0 };
	uint8_t *reply = NULL;
	size_t reply_len = 0;
	int ret, r;

	*out = (struct cache_item){ 0 };
	if (kds_hashstick_name(p, hwid, hwid_len, tcb, rel, sizeof(rel)) < 0 ||
	    kds_hashsticks_path(p, tcb, req, sizeof(req)) < 0 ||
	    kds_hashsticks_body(hwid, hwid_len, body, sizeof(body)) < 0)
		return why_set(why, -ERR_USAGE, "cannot ask KDS for a hashstick of product '%s'",
			       amd_product_name(p) ?: "unknown");
	format_hex(hwid, hwid_len, h);
	amd_tcb_format(p, tcb, t, sizeof(t));
	snprintf(what, sizeof(what), "%s hashstick hwid %.8s... TCB %s", amd_product_name(p), h,
		 t);
	ret = hashstick_lookup(c, rel, &it, why);
	if (ret < 0)
		goto out;
	if (ret > 0) {
		it.from_cache = hashstick_check(it.data, it.len, reason, sizeof(reason)) == 0;
		if (it.from_cache)
			debug("using the cached %s '%s'", what, it.path);
		else
			warn("cached hashstick '%s' is not one: %s; fetching it again", it.path,
			     reason);
	}
	if (!it.from_cache) {
		ret = cache_fetch(c, &c->csp, &it, rel, req, body, false, what, hashstick_reply,
				  NULL, reason, sizeof(reason), why);
		if (ret)
			goto out;
		reply = it.data;
		reply_len = it.len;
		it.data = malloc(KDS_HASHSTICK_LEN);
		if (!it.data) {
			ret = why_set(why, -ENOMEM, "out of memory");
			goto out;
		}
		it.len = KDS_HASHSTICK_LEN;
		r = kds_hashsticks_parse(reply, reply_len, hwid, hwid_len, it.data);
		if (r == -ENOENT) {
			ret = why_set(why, -ERR_KDS, "KDS has no %s (\"not found\")", what);
			goto out;
		}
		if (r < 0) {
			ret = why_set(why, -ERR_VERIFY, "KDS reply for %s is malformed: not a "
				      "hash_sticks result with a %d-byte hashstick for this chip",
				      what, KDS_HASHSTICK_LEN);
			goto out;
		}
		if (hashstick_check(it.data, it.len, reason, sizeof(reason)) < 0) {
			ret = why_set(why, -ERR_VERIFY, "the hashstick KDS sent for %s is not one: %s",
				      what, reason);
			goto out;
		}
		cache_store(it.path, it.data, it.len);
	}
	*out = it;
	it = (struct cache_item){ 0 };
	ret = 0;
out:
	free(reply);
	cache_item_clear(&it);
	return ret;
}
