// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fetch: a VCEK, a CA chain or a CRL from the AMD KDS, through the cache;
 * a VLEK or a hashstick from KDS's endpoint for cloud providers, with a
 * client certificate.
 * Whatever comes back is verified before it is cached, written or printed;
 * on any failure the cache and the output file are left as they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kds-cache.h"
#include "certs.h"
#include "cmd.h"
#include "json.h"
#include "kds.h"
#include "platform.h"
#include "sev-store.h"
#include "sev.h"
#include "util.h"

enum {
	OPT_HWID = OPT_COMMON_LAST,
	OPT_TCB,
	OPT_VLEK,
	OPT_OFFLINE,
	OPT_PLATFORM,
	OPT_CLIENT_CERT,
	OPT_CLIENT_KEY,
	OPT_CSP_URL,
	OPT_ID,
	OPT_FETCH_PRODUCT,
};

enum what { WHAT_VCEK, WHAT_CA, WHAT_CRL, WHAT_VLEK, WHAT_HASHSTICKS, WHAT_CEK };

static const char usage[] =
	"Usage: snp-certctl fetch [vcek|ca|crl] [--product P] [--hwid HEX] [--tcb SPEC]\n"
	"                         [--vlek] [--platform] [-o PATH] [--kds-url URL]\n"
	"                         [--kds-mirror URL] [--cache DIR] [--offline]\n"
	"                         [--trust-root PEM]... [--json]\n"
	"       snp-certctl fetch vlek|hashsticks [--client-cert PEM] [--client-key PEM]\n"
	"                         [--csp-url URL] [--product P] [--tcb SPEC]\n"
	"                         [--hwid HEX] [--platform] [-o PATH] [--cache DIR]\n"
	"                         [--offline] [--trust-root PEM]... [--json]\n"
	"       snp-certctl fetch cek [--platform | --id HEX] [-o PATH] [--product P]\n"
	"                         [--trust-root FILE] [--kds-url URL] [--cache DIR]\n"
	"                         [--offline] [--json]\n"
	"\n"
	"Get a VCEK (the default), the CA chain (ASK or ASVK, then ARK) or the CRL of a\n"
	"product from the AMD KDS, through the cache.  Everything is verified before it\n"
	"is cached, written or printed: a VCEK must be for the product, chip id and TCB\n"
	"asked for and chain to a trusted ARK; a CA chain must end in a trusted ARK; a\n"
	"CRL must be signed by it.  A cached VCEK is used without asking KDS.\n"
	"\n"
	"vlek and hashsticks come from KDS's endpoint for cloud providers, which wants\n"
	"the client certificate AMD issued to the provider (mutual TLS).  A VLEK (for\n"
	"the product and reported TCB) must chain to a trusted ARK through the ASVK;\n"
	"a hashstick (the wrapped VLEK for a chip and TCB, written as its 432 binary\n"
	"bytes; -o needed) is checked as verify --hashstick does.  Both are cached.\n"
	"\n"
	"cek is the legacy SEV (pre-SNP) CEK of a chip (/cek/id/<id>): the 2084 bytes\n"
	"KDS sends, signed by the ASK, verified against AMD's pinned ASK of --product\n"
	"(naples, rome, milan, genoa, turin; default: each in turn) or a --trust-root\n"
	"(an ASK then its ARK in AMD's CA format), cached for good; -o needed.\n"
	"\n"
	"Output: with -o, a VCEK or CRL is written as DER (PEM when PATH ends in .pem),\n"
	"a CA chain as PEM; without -o, PEM goes to stdout (with --json, a description\n"
	"of what was fetched and where it is cached instead).\n"
	"\n"
	"      --product P       Milan, Genoa or Turin (default: the setting 'product')\n"
	"      --hwid HEX        the chip id: 128 hex digits (Turin: 16, or 128 of which\n"
	"                        the first 16 count)\n"
	"      --tcb SPEC        the reported TCB: bl=N,tee=N,snp=N,ucode=N[,fmc=N]\n"
	"                        or 0x...\n"
	"      --platform        the VCEK of this platform: the chip id and reported TCB\n"
	"                        from the SEV device (" DEFAULT_DEVICE ", or\n"
	"                        $SNP_CERTCTL_DEVICE),\n"
	"                        the product detected unless --product says (vlek:\n"
	"                        the reported TCB; hashsticks: and the chip id)\n"
	"      --id HEX          cek: the chip id, the whole GET_ID2 answer (128 hex\n"
	"                        digits per socket); --platform: this platform's\n"
	"      --vlek            ca, crl: the VLEK chain (ASVK), not the VCEK chain\n"
	"      --client-cert PEM vlek, hashsticks: the provider's client certificate\n"
	"      --client-key PEM  its private key (default: in the --client-cert file)\n"
	"      --csp-url URL     the endpoint for providers (default\n"
	"                        " DEFAULT_KDS_CSP_URL "; setting kds_csp_url)\n"
	"  -o, --output PATH     write the result to PATH (replaced whole)\n"
	"      --kds-url URL     KDS or a mirror (default https://kdsintf.amd.com;\n"
	"                        plain http:// allowed)\n"
	HELP_KDS_MIRROR
	HELP_CACHE
	"      --offline         never ask KDS: the cache and the mirror only; exit 6\n"
	"                        when they lack the answer\n"
	HELP_TRUST_ROOT
	"      --json            describe the result as JSON on stdout\n"
	"\n"
	"Retries (429, 5xx, time-outs, failed connections) are said on stderr unless -q.\n"
	"Environment: SNP_CERTCTL_KDS_TIMEOUT (seconds per attempt, default 10, may be\n"
	"fractional), SNP_CERTCTL_KDS_DEADLINE (seconds for all retries, default 60),\n"
	"SNP_CERTCTL_KDS_CA (the CA certificates for HTTPS, PEM, instead of the system\n"
	"store), http_proxy, https_proxy, no_proxy.\n"
	"\n"
	"Exit status: 0 fetched (or cached), 4 KDS sent something that does not\n"
	"verify, 5 platform error (--platform: no SEV device, a command failed, the\n"
	"chip id masked), 6 KDS or network error (or --offline and not cached; a\n"
	"client certificate missing or refused; no hashstick for the chip).\n";

struct fetch_args {
	enum what what;
	enum kds_family family;
	const char *hwid, *tcb, *out;
	const char *client_cert, *client_key;
	const char *id, *product;
	enum sev_gen gen;
	bool offline, platform, vlek;
};

/* Is w from the endpoint for cloud providers? */
static bool csp_object(enum what w)
{
	return w == WHAT_VLEK || w == WHAT_HASHSTICKS;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The bytes to write or print: DER as cached, or PEM. 0 or -ENOMEM/-EBADMSG. */
static int render(enum what w, const struct cache_item *it, bool pem, uint8_t **out, size_t *len)
{
	X509_CRL *crl = NULL;
	const unsigned char *p;
	BIO *bio = NULL;
	char *data;
	long n;
	int r = -ENOMEM;

	*out = NULL;
	if (w == WHAT_CEK || w == WHAT_CA || w == WHAT_HASHSTICKS || !pem) {
		/* The CA chain is PEM as KDS sends it; DER and the CEK stay as they are. */
		*out = malloc(it->len);
		if (!*out)
			return -ENOMEM;
		memcpy(*out, it->data, it->len);
		*len = it->len;
		return 0;
	}
	bio = BIO_new(BIO_s_mem());
	if (!bio)
		goto out;
	if (w == WHAT_VCEK || w == WHAT_VLEK) {
		if (!PEM_write_bio_X509(bio, it->cert))
			goto out;
	} else {
		p = it->data;
		crl = d2i_X509_CRL(NULL, &p, (long)it->len);
		r = -EBADMSG;
		if (!crl || !PEM_write_bio_X509_CRL(bio, crl))
			goto out;
	}
	r = -ENOMEM;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto out;
	*out = malloc((size_t)n);
	if (!*out)
		goto out;
	memcpy(*out, data, (size_t)n);
	*len = (size_t)n;
	r = 0;
out:
	X509_CRL_free(crl);
	BIO_free(bio);
	return r;
}

static void print_json(const struct fetch_args *a, enum amd_product p,
		       const struct kds_vcek_id *id, const struct cache_item *it,
		       const struct cache *c)
{
	static const char *const kinds[] = { "vcek", "ca", "crl", "vlek", "hashsticks" };
	unsigned char md[32];
	char hex[2 * AMD_HWID_MAX + 1], buf[KDS_PATH_MAX], t[32];
	struct amd_cert_info info;
	struct jout j;

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_string(&j, "kind", kinds[a->what]);
	jout_string(&j, "product", amd_product_name(p));
	if (a->what == WHAT_VCEK) {
		format_hex(id->hwid, amd_hwid_len(p), hex);
		jout_string(&j, "hwid", hex);
		jout_tcb(&j, "tcb", p, &id->tcb, amd_tcb_to_raw(p, &id->tcb));
		if (kds_vcek_path(id, buf, sizeof(buf)) == 0)
			jout_string(&j, "request", buf);
	} else if (csp_object(a->what)) {
		if (a->what == WHAT_HASHSTICKS) {
			format_hex(id->hwid, id->hwid_len, hex);
			jout_string(&j, "hwid", hex);
		}
		jout_tcb(&j, "tcb", p, &id->tcb, amd_tcb_to_raw(p, &id->tcb));
		if ((a->what == WHAT_VLEK ? kds_vlek_path(p, &id->tcb, buf, sizeof(buf))
					  : kds_hashsticks_path(p, &id->tcb, buf, sizeof(buf))) == 0)
			jout_string(&j, "request", buf);
	} else {
		jout_string(&j, "family", a->family == KDS_FAMILY_VLEK ? "vlek" : "vcek");
		if ((a->what == WHAT_CA ? kds_chain_path(p, a->family, buf, sizeof(buf))
					: kds_crl_path(p, a->family, buf, sizeof(buf))) == 0)
			jout_string(&j, "request", buf);
	}
	jout_string(&j, "kds_url", csp_object(a->what) ? c->csp.base_url : c->http.base_url);
	jout_string(&j, "cache", it->path);
	jout_bool(&j, "from_cache", it->from_cache);
	jout_string(&j, "output", a->out);
	if (EVP_Digest(it->data, it->len, md, NULL, EVP_sha256(), NULL) == 1) {
		format_hex(md, sizeof(md), hex);
		jout_string(&j, "sha256", hex);
	}
	if (it->cert && amd_cert_info(it->cert, &info) == 0) {
		format_time(info.not_after, t, sizeof(t));
		jout_string(&j, "not_after", t);
	}
	if (it->fresh_until) {
		format_time(it->fresh_until, t, sizeof(t));
		jout_string(&j, "fresh_until", t);
	}
	jout_object_end(&j);
	jout_finish(&j);
}

/*
 * The request from the options, in product p's layout: chip id and TCB
 * (a VCEK, a hashstick) or the TCB alone (a VLEK).
 */
static int request_id(const struct ctx *ctx, const struct fetch_args *a, enum amd_product p,
		      struct kds_vcek_id *id)
{
	static const char *const names[] = { [WHAT_VCEK] = "a VCEK", [WHAT_VLEK] = "a VLEK",
					     [WHAT_HASHSTICKS] = "hashsticks" };
	uint8_t *hw = NULL;
	size_t n = 0;

	*id = (struct kds_vcek_id){ .product = p };
	if (a->what == WHAT_VLEK && a->hwid)
		return usage_error(ctx, "a VLEK is not for one chip: --hwid is for vcek and "
				   "hashsticks");
	if (a->what == WHAT_VLEK && !a->tcb)
		return usage_error(ctx, "fetching a VLEK needs --tcb (or --platform)");
	if (a->what != WHAT_VLEK && (!a->hwid || !a->tcb))
		return usage_error(ctx, "fetching %s needs --hwid and --tcb (or --platform)",
				   names[a->what]);
	if (a->hwid && (parse_hex(a->hwid, &hw, &n) < 0 || !amd_chip_id_len_valid(p, n))) {
		free(hw);
		return usage_error(ctx, "invalid chip id '%s': want 128 hex digits%s", a->hwid,
				   p == AMD_PRODUCT_TURIN ? " (or 16 on Turin)" : "");
	}
	if (hw)
		memcpy(id->hwid, hw, n);
	id->hwid_len = n;
	free(hw);
	if (amd_tcb_parse(a->tcb, p, &id->tcb) < 0)
		return usage_error(ctx, "invalid TCB '%s' for %s: want bl=N,tee=N,snp=N,ucode=N%s "
				   "or 0x...", a->tcb, amd_product_name(p),
				   p == AMD_PRODUCT_TURIN ? "[,fmc=N]" : "");
	if (a->what == WHAT_VCEK && kds_vcek_id_normalize(id) < 0)
		return usage_error(ctx, "invalid chip id '%s' for %s", a->hwid,
				   amd_product_name(p));
	return 0;
}

/*
 * The request of this platform: product, reported TCB and (a VCEK, a
 * hashstick: the whole GET_ID2 chip id, as snphost sends it; a VCEK then
 * reduced to what KDS uses) the chip id.
 */
static int platform_id(const struct ctx *ctx, enum what w, struct kds_vcek_id *id)
{
	struct platform_id plat;
	char spec[64];
	int ret;

	ret = cmd_platform(ctx, &plat);
	if (ret)
		return ret;
	if (!plat.chip_id_known && w != WHAT_VLEK) {
		err("cannot fetch this platform's %s: the firmware masks the chip id "
		    "(mask_chip_id)%s", w == WHAT_VCEK ? "VCEK" : "hashstick",
		    w == WHAT_VCEK ? "; use a VLEK instead" : "");
		return EXIT_PLATFORM;
	}
	*id = (struct kds_vcek_id){ .product = plat.product };
	if (w != WHAT_VLEK) {
		id->hwid_len = SEV_CHIP_ID_LEN;
		memcpy(id->hwid, plat.chip_id, SEV_CHIP_ID_LEN);
	}
	amd_tcb_from_raw(plat.product, plat.st.reported_tcb, &id->tcb);
	if (w == WHAT_VCEK && kds_vcek_id_normalize(id) < 0) {
		err("cannot ask KDS for this platform's VCEK (%s)", amd_product_name(plat.product));
		return EXIT_PLATFORM;
	}
	amd_tcb_format(plat.product, &id->tcb, spec, sizeof(spec));
	debug("this platform: %s, reported TCB %s", amd_product_name(plat.product), spec);
	return 0;
}

/* fetch cek's options.  0 or EXIT_USAGE after saying why. */
static int cek_args(const struct ctx *ctx, struct fetch_args *a)
{
	if (a->product) {
		a->gen = sev_gen_parse(a->product);
		if (a->gen == SEV_GEN_UNKNOWN)
			return usage_error(ctx, "invalid product '%s' for a CEK: want naples, rome, "
					   "milan, genoa or turin", a->product);
	}
	if (a->platform == !!a->id)
		return usage_error(ctx, a->id ? "--platform conflicts with --id: the platform says "
				   "its chip id" : "fetching a CEK needs --id HEX or --platform");
	if (a->hwid || a->tcb || a->vlek || a->client_cert || a->client_key ||
	    ctx->cli[SET_KDS_CSP_URL])
		return usage_error(ctx, "--%s is not for 'cek'", a->hwid ? "hwid" : a->tcb ? "tcb" :
				   a->vlek ? "vlek" : a->client_cert ? "client-cert" :
				   a->client_key ? "client-key" : "csp-url");
	if (!a->out && !ctx->json)
		return usage_error(ctx, "a CEK is binary: give -o PATH");
	if (a->out && !*a->out)
		return usage_error(ctx, "empty output path");
	return 0;
}

/* The options and the object, checked against each other.  0 or EXIT_USAGE after saying why. */
static int parse_args(struct ctx *ctx, int argc, char **argv, struct fetch_args *a)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "product", required_argument, NULL, OPT_FETCH_PRODUCT },
		{ "id", required_argument, NULL, OPT_ID },
		{ "hwid", required_argument, NULL, OPT_HWID },
		{ "tcb", required_argument, NULL, OPT_TCB },
		{ "vlek", no_argument, NULL, OPT_VLEK },
		{ "output", required_argument, NULL, 'o' },
		LONGOPT_KDS_URL,
		LONGOPT_KDS_MIRROR,
		LONGOPT_CACHE,
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		LONGOPT_TRUST_ROOT,
		{ "platform", no_argument, NULL, OPT_PLATFORM },
		{ "client-cert", required_argument, NULL, OPT_CLIENT_CERT },
		{ "client-key", required_argument, NULL, OPT_CLIENT_KEY },
		{ "csp-url", required_argument, NULL, OPT_CSP_URL },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const objects[] = { [WHAT_VCEK] = "vcek", [WHAT_CA] = "ca",
					       [WHAT_CRL] = "crl", [WHAT_VLEK] = "vlek",
					       [WHAT_HASHSTICKS] = "hashsticks", [WHAT_CEK] = "cek" };
	int c;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS "o:", longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_HWID:
			a->hwid = optarg;
			break;
		case OPT_TCB:
			a->tcb = optarg;
			break;
		case OPT_VLEK:
			a->vlek = true;
			break;
		case 'o':
			a->out = optarg;
			break;
		case OPT_OFFLINE:
			a->offline = true;
			break;
		case OPT_PLATFORM:
			a->platform = true;
			break;
		case OPT_CLIENT_CERT:
			a->client_cert = optarg;
			break;
		case OPT_CLIENT_KEY:
			a->client_key = optarg;
			break;
		case OPT_CSP_URL:
			ctx->cli[SET_KDS_CSP_URL] = optarg;
			break;
		case OPT_ID:
			a->id = optarg;
			break;
		case OPT_FETCH_PRODUCT:
			a->product = optarg;
			break;
		}
	}
	if (optind < argc) {
		size_t i = 0;

		while (i < sizeof(objects) / sizeof(objects[0]) && strcmp(argv[optind], objects[i]))
			i++;
		if (i == sizeof(objects) / sizeof(objects[0]))
			return usage_error(ctx, "unknown object '%s': want vcek, ca, crl, vlek, "
					   "hashsticks or cek", argv[optind]);
		a->what = (enum what)i;
		optind++;
	}
	if (optind < argc)
		return usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	a->gen = SEV_GEN_UNKNOWN;
	if (a->what == WHAT_CEK)
		return cek_args(ctx, a);
	if (a->id)
		return usage_error(ctx, "--id is for 'cek' (a VCEK's chip id: --hwid)");
	if (a->product) {
		if (amd_product_parse(a->product) == AMD_PRODUCT_UNKNOWN)
			return usage_error(ctx, "invalid product '%s': want Milan, Genoa or Turin",
					   a->product);
		ctx->cli[SET_PRODUCT] = a->product;
	}
	if (a->platform && (a->what == WHAT_CA || a->what == WHAT_CRL))
		return usage_error(ctx, "--platform is for fetching a VCEK, a VLEK or hashsticks");
	if (a->platform && (a->hwid || a->tcb))
		return usage_error(ctx, "--platform conflicts with --%s: the platform says its "
				   "chip id and reported TCB", a->hwid ? "hwid" : "tcb");
	if ((a->what == WHAT_CA || a->what == WHAT_CRL) && (a->hwid || a->tcb))
		return usage_error(ctx, "--hwid and --tcb are for fetching a VCEK, a VLEK or "
				   "hashsticks");
	if (a->vlek && a->what != WHAT_CA && a->what != WHAT_CRL)
		return usage_error(ctx, "--vlek is for 'ca' and 'crl' (a VLEK itself: fetch vlek)");
	if (!csp_object(a->what) && (a->client_cert || a->client_key || ctx->cli[SET_KDS_CSP_URL]))
		return usage_error(ctx, "--client-cert, --client-key and --csp-url are for "
				   "'vlek' and 'hashsticks'");
	if (a->client_key && !a->client_cert)
		return usage_error(ctx, "--client-key needs --client-cert");
	if (a->what == WHAT_HASHSTICKS && !a->out && !ctx->json)
		return usage_error(ctx, "hashsticks are binary: give -o PATH");
	if (a->out && !*a->out)
		return usage_error(ctx, "empty output path");
	a->family = a->vlek ? KDS_FAMILY_VLEK : KDS_FAMILY_VCEK;
	return 0;
}

/* The product, and for a VCEK its id: from the platform or the options.  0 or an exit status. */
static int what_to_ask(struct ctx *ctx, const struct fetch_args *a, enum amd_product *p,
		       struct kds_vcek_id *id)
{
	int ret;

	if (a->platform) {
		ret = platform_id(ctx, a->what, id);
		if (ret)
			return ret;
		*p = id->product;
	} else {
		*p = amd_product_parse(ctx_get(ctx, SET_PRODUCT));
	}
	if (*p == AMD_PRODUCT_UNKNOWN)
		return usage_error(ctx, "no product: give --product Milan, Genoa or Turin "
				   "(or set 'product')");
	if ((a->what == WHAT_VCEK || csp_object(a->what)) && !a->platform)
		return request_id(ctx, a, *p, id);
	return 0;
}

/* The object, verified, from the cache or KDS. */
static int get(struct cache *cache, const struct fetch_args *a, enum amd_product p,
	       const struct kds_vcek_id *id, struct cache_item *it, struct why *why)
{
	switch (a->what) {
	case WHAT_VCEK:
		return cache_vcek(cache, id, it, why);
	case WHAT_CA:
		return cache_chain(cache, p, a->family, it, why);
	case WHAT_CRL:
		return cache_crl(cache, p, a->family, it, why);
	case WHAT_VLEK:
		return cache_vlek(cache, p, &id->tcb, it, why);
	case WHAT_HASHSTICKS:
		return cache_hashstick(cache, p, id->hwid, id->hwid_len, &id->tcb, it, why);
	case WHAT_CEK:
		break; /* fetch_cek() */
	}
	return why_set(why, -EINVAL, "nothing to fetch");
}

/* The object to -o FILE (PEM when it ends in .pem, else DER) or, as PEM, to stdout. */
static int output(const struct ctx *ctx, const struct fetch_args *a, const struct cache_item *it)
{
	uint8_t *bytes = NULL;
	struct why why;
	size_t len = 0;
	int ret;

	if (!a->out && ctx->json)
		return 0;
	ret = render(a->what, it, a->out ? ends_with(a->out, ".pem") : true, &bytes, &len);
	if (ret == -ENOMEM) {
		ret = cmd_oom();
	} else if (ret < 0) {
		err("cannot encode '%s' as PEM", it->path);
		ret = EXIT_FAIL;
	} else if (a->out) {
		ret = write_file_atomic(a->out, bytes, len, 0644, WRITE_REPLACE | WRITE_DEVICE,
					&why);
		if (ret < 0) {
			err("%s", why.msg);
			ret = EXIT_FAIL;
		}
	} else if (fwrite(bytes, 1, len, stdout) != len) {
		err("cannot write to stdout: %s", strerror(errno));
		ret = EXIT_FAIL;
	}
	free(bytes);
	return ret;
}

/* The chip id for a CEK: --id, or all of GET_ID2 (--platform).  0 or an exit status. */
static int cek_id(const struct ctx *ctx, const struct fetch_args *a, uint8_t **id, size_t *len)
{
	struct sev_dev *dev = NULL;
	struct why why = { 0 };
	bool zero = true;
	int r;

	if (a->id) {
		if (parse_hex(a->id, id, len) < 0 || *len == 0 || *len % SEV_CHIP_ID_LEN ||
		    *len > KDS_CEK_ID_MAX) {
			free(*id);
			*id = NULL;
			return usage_error(ctx, "invalid chip id '%s': want %d hex digits per socket "
					   "(the whole GET_ID2 answer)", a->id, 2 * SEV_CHIP_ID_LEN);
		}
		return 0;
	}
	r = sev_open(sev_device_path(), false, &dev, NULL, &why);
	if (r == 0)
		r = sev_get_id2_all(dev, id, len, NULL, &why);
	sev_close(dev);
	if (r) {
		err("%s", why.msg);
		return EXIT_PLATFORM;
	}
	for (size_t i = 0; i < *len; i++)
		zero = zero && (*id)[i] == 0;
	if (zero || *len > KDS_CEK_ID_MAX) {
		err(zero ? "cannot fetch this platform's CEK: the firmware masks the chip id "
		    "(mask_chip_id)" : "cannot fetch this platform's CEK: a %zu-byte chip id", *len);
		free(*id);
		*id = NULL;
		return EXIT_PLATFORM;
	}
	return 0;
}

static void print_cek_json(const struct fetch_args *a, const uint8_t *id, size_t id_len,
			   enum sev_gen gen, const struct cache_item *it, const struct cache *c)
{
	unsigned char md[32];
	char buf[KDS_CEK_PATH_MAX], hex[2 * 32 + 1];
	struct jout j;

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_string(&j, "kind", "cek");
	if (kds_cek_path(id, id_len, buf, sizeof(buf)) == 0) {
		jout_string(&j, "id", buf + strlen("/cek/id/"));
		jout_string(&j, "request", buf);
	}
	jout_string(&j, "generation", sev_gen_name(gen));
	jout_string(&j, "kds_url", c->http.base_url);
	jout_string(&j, "cache", it->path);
	jout_bool(&j, "from_cache", it->from_cache);
	jout_string(&j, "output", a->out);
	if (EVP_Digest(it->data, it->len, md, NULL, EVP_sha256(), NULL) == 1) {
		format_hex(md, sizeof(md), hex);
		jout_string(&j, "sha256", hex);
	}
	jout_object_end(&j);
	jout_finish(&j);
}

/* fetch cek: the chip id, the trust root, the CEK verified, written. */
static int fetch_cek(struct ctx *ctx, const struct fetch_args *a)
{
	struct sev_verify_opts o = { .gen = a->gen };
	struct cache_item it = { 0 };
	struct cache cache = { 0 };
	struct why why = { 0 };
	enum sev_gen gen = SEV_GEN_UNKNOWN;
	struct sev_root root = { 0 };
	uint8_t *id = NULL;
	size_t id_len = 0;
	int ret;

	ret = cek_id(ctx, a, &id, &id_len);
	if (ret == 0)
		ret = sev_trust_root_load(ctx, &root);
	if (ret)
		goto out;
	sev_root_opts(&root, &o);
	ret = cache_init(&cache, ctx, NULL, a->offline, &why);
	if (ret == 0)
		ret = cache_cek(&cache, id, id_len, &o, NULL, &it, &gen, &why);
	if (ret) {
		ret = cmd_error(ret, &why);
		goto out;
	}
	debug("%s '%s'", it.from_cache ? "from the cache" : "fetched and cached", it.path);
	ret = output(ctx, a, &it);
	if (ret == 0 && ctx->json)
		print_cek_json(a, id, id_len, gen, &it, &cache);
out:
	cache_item_clear(&it);
	cache_fini(&cache);
	sev_root_free(&root);
	free(id);
	return ret;
}

static int cmd_fetch_main(struct ctx *ctx, int argc, char **argv)
{
	struct fetch_args a = { .what = WHAT_VCEK, .family = KDS_FAMILY_VCEK };
	struct cache_item it = { 0 };
	struct kds_vcek_id id = { 0 };
	struct amd_trust *trust = NULL;
	struct cache cache = { 0 };
	struct why why = { 0 };
	enum amd_product p = AMD_PRODUCT_UNKNOWN;
	int ret;

	ret = parse_args(ctx, argc, argv, &a);
	if (ret == 0)
		ret = ctx_load(ctx);
	if (ret == 0 && a.what == WHAT_CEK)
		return fetch_cek(ctx, &a);
	if (ret == 0)
		ret = what_to_ask(ctx, &a, &p, &id);
	if (ret == 0)
		ret = trust_load(ctx, &trust);
	if (ret)
		goto out;
	ret = cache_init(&cache, ctx, trust, a.offline, &why);
	if (ret == 0 && csp_object(a.what))
		ret = cache_csp_init(&cache, ctx, a.client_cert, a.client_key, &why);
	if (ret == 0)
		ret = get(&cache, &a, p, &id, &it, &why);
	if (ret) {
		ret = cmd_error(ret, &why);
		goto out;
	}
	debug("%s '%s'", it.from_cache ? "from the cache" : "fetched and cached", it.path);
	ret = output(ctx, &a, &it);
	if (ret == 0 && ctx->json)
		print_json(&a, p, &id, &it, &cache);
out:
	cache_item_clear(&it);
	cache_fini(&cache);
	amd_trust_free(trust);
	return ret;
}

const struct cmd cmd_fetch = { "fetch", cmd_fetch_main,
			       "get a VCEK, CA chain, CRL, VLEK, hashstick or CEK (verified)",
			       usage, .json = true };
