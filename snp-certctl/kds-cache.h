/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KDS cache: VCEKs, CA chains and CRLs fetched from the AMD KDS (or a
 * mirror), kept under the cache directory (setting cache_dir, default
 * /var/cache/snp-certctl) with the names of formats/kds.h:
 *
 *   vcek/<Product>/<hwid>/<TCB_VERSION hex>.der   a VCEK, forever
 *   {vcek,vlek}/<Product>/cert_chain.pem          ASK/ASVK + ARK, 7 days
 *   {vcek,vlek}/<Product>/crl.der                 1 day, at most to nextUpdate
 *   vlek/<Product>/cert/<TCB_VERSION hex>.der     a VLEK, forever
 *   vlek/<Product>/hash_sticks/<hwid>/<TCB>.bin   a hashstick, forever
 *   cek/id/<chip id HEX>.cert                     a legacy SEV CEK, forever
 *
 * Nothing unverified is ever cached or returned: a reply is verified before
 * it is written, and a cached entry again when it is read (one that no
 * longer verifies is ignored and fetched anew; it is only replaced once a
 * good reply is in hand).  Entries are written whole (temporary file,
 * fsync, rename), mode 0644, directories 0755.
 */
#ifndef SNP_CERTCTL_KDS_CACHE_H
#define SNP_CERTCTL_KDS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "amdcert.h"
#include "cmd.h"
#include "errors.h"
#include "kds-http.h"
#include "kds.h"
#include "sevcert.h"

#define CACHE_CHAIN_MAX_AGE (7 * 24 * 3600)
#define CACHE_CRL_MAX_AGE (24 * 3600)

struct cache {
	const char *dir;               /* the cache directory */
	bool offline;                  /* never ask KDS: the cache or nothing */
	/*
	 * Never ask anyone, and say nothing: the cached entry, verified, or
	 * -ENOENT (none) or -ERR_VERIFY (it does not verify, why says how),
	 * whatever its age (mirror: what the cache holds that verifies now).
	 */
	bool lookup_only;
	struct kds_http_opts http;     /* where KDS is and how to ask it */
	struct kds_http_opts csp;      /* the CSP endpoint (setting kds_csp_url): VLEK, hashsticks */
	const struct amd_trust *trust; /* the trusted ARKs (borrowed) */
	time_t now;                    /* validity is checked at this time */
	/*
	 * A mirror (setting kds_mirror, formats/mirror-layout.md): asked first
	 * for every VCEK, CA chain and CRL, at its URL + "/" + the cache name;
	 * its reply is verified as KDS's is, and on a miss or a reply that does
	 * not verify (said on stderr) KDS is asked, unless offline.  Each
	 * request to it has one attempt's time-out for all its attempts, and
	 * once it has not answered (no connection, none in time) it is not
	 * asked again in this run (mirror_down).
	 */
	bool have_mirror, mirror_down;
	struct kds_http_opts mirror;
	/* Called before every request (mirror or KDS), e.g. a rate limit; NULL: none. */
	void (*before_request)(void *arg);
	void *before_arg;
	unsigned long kds_requests, mirror_requests; /* requests made so far */
};

/*
 * Set c up from the resolved settings cache_dir, kds_url and kds_mirror
 * (commands put --cache, --kds-url and --kds-mirror into ctx->cli before
 * ctx_load()) and the
 * SNP_CERTCTL_KDS_* knobs of kds-http.h.  trust stays owned by the caller.
 * Returns 0, or -ERR_USAGE (a bad URL or knob, no cache directory) or
 * -ENOMEM with why.
 */
int cache_init(struct cache *c, const struct ctx *ctx, const struct amd_trust *trust,
	       bool offline, struct why *why);

/* One verified object, from the cache or just fetched (and then cached). */
struct cache_item {
	uint8_t *data;   /* as cached: DER (VCEK, CRL) or PEM (CA chain) */
	size_t len;
	char *path;      /* its place in the cache */
	bool from_cache; /* true: no request was made for it */
	X509 *cert;      /* VCEK: the VCEK; CA chain: the ASK or ASVK; CRL: NULL */
	X509 *ark;       /* CA chain: the ARK; else NULL */
	time_t fresh_until; /* CA chain, CRL: when it will be fetched anew */
};
void cache_item_clear(struct cache_item *it);

/*
 * The VCEK for id (product, chip id, reported TCB), verified: the AMD
 * extensions present, product, chip id and TCB equal to id, the chain
 * VCEK <- ASK <- ARK to a trusted ARK (the built-in ASK when the trusted
 * ARK for the product is the built-in one, else the product's CA chain,
 * itself from the cache or KDS, and then cached only if the VCEK is good).
 * Returns 0, or with why: -ERR_KDS (KDS unreachable or refused, or
 * --offline and not cached), -ERR_VERIFY (KDS sent something that does not
 * verify), -ERR_USAGE (id is not a valid request), -ENOMEM, or another
 * negative code from kds_http_get().  Nothing is printed but warnings
 * (a cached entry that no longer verifies, a cache that cannot be
 * written) and kds_http_get()'s retries.  On failure the cache is unchanged.
 */
int cache_vcek(struct cache *c, const struct kds_vcek_id *id, struct cache_item *out,
	       struct why *why);

/* The CA chain for (p, f): ASK (or ASVK) + ARK, the ARK trusted.  As above. */
int cache_chain(struct cache *c, enum amd_product p, enum kds_family f, struct cache_item *out,
		struct why *why);

/* The CRL for (p, f), signed by the trusted ARK of p.  As above. */
int cache_crl(struct cache *c, enum amd_product p, enum kds_family f, struct cache_item *out,
	      struct why *why);

/*
 * After cache_init(), for cache_vlek() and cache_hashstick(): the CSP
 * endpoint from the setting kds_csp_url, and the client certificate and
 * key (PEM files; NULL: none, and KDS will refuse; key NULL: in the
 * certificate's file).  They are read now, as trusted files are
 * (read_trusted_file: regular files only, never blocking; as root, root's
 * and written by no one else along the whole path); an encrypted key is
 * refused, one readable by others warned about.  0, or -ERR_USAGE (a bad
 * URL), -ERR_REFUSED, -errno or -ENOMEM with why.  cache_fini() frees them.
 */
int cache_csp_init(struct cache *c, const struct ctx *ctx, const char *cert, const char *key,
		   struct why *why);
void cache_fini(struct cache *c);

/*
 * The VLEK of this provider for (p, reported TCB tcb) from the CSP endpoint,
 * verified: CN SEV-VLEK, product and TCB equal, VLEK <- ASVK <- ARK to a
 * trusted ARK (the built-in ASVK for AMD's roots, else the product's vlek
 * cert_chain, cached only once the VLEK is good).  As cache_vcek().
 */
int cache_vlek(struct cache *c, enum amd_product p, const struct amd_tcb *tcb,
	       struct cache_item *out, struct why *why);

/*
 * The hashstick (wrapped VLEK) for chip hwid at (p, tcb) from the CSP
 * endpoint, checked as far as it can be without the firmware
 * (hashstick_check()); it->data holds its KDS_HASHSTICK_LEN bytes.
 * -ERR_KDS also when KDS answers "not found".  As cache_vcek().
 */
int cache_hashstick(struct cache *c, enum amd_product p, const uint8_t *hwid, size_t hwid_len,
		    const struct amd_tcb *tcb, struct cache_item *out, struct why *why);

/*
 * The legacy SEV (pre-SNP) CEK of the chip id (the whole GET_ID2 answer,
 * id_len bytes) from KDS (/cek/id/<HEX>), verified before it is cached
 * and again when read (sev_cek_verify(): it parses, holds a CEK key, is
 * signed by the ASK of o->gen, or of each pinned generation when o->gen is
 * SEV_GEN_UNKNOWN, ASK <- ARK; o->trust_ask under o->trust_ark trusted
 * too).  out->data is the 2084-byte CEK; *gen_out (may be NULL) the
 * generation whose ASK signed it.  A CEK names no chip, so nothing binds it
 * to id but who answered: with key (a 2084-byte SEV certificate, may be
 * NULL: the CEK the firmware exports) the CEK must also be of that key
 * (bytes 008-413), from the cache, the mirror or KDS, so a mirror serving
 * another chip's CEK is not believed and none is cached under the wrong id.
 * Kept forever: a good cached copy means no request.  Returns as
 * cache_vcek() (-ERR_USAGE: an empty id or one of more than KDS_CEK_ID_MAX
 * bytes).
 */
int cache_cek(struct cache *c, const uint8_t *id, size_t id_len, const struct sev_verify_opts *o,
	      const uint8_t *key, struct cache_item *out, enum sev_gen *gen_out,
	      struct why *why);

#endif
