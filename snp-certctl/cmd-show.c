// SPDX-License-Identifier: GPL-2.0-or-later
/* show: every entry of a certificate table, as text or JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <openssl/x509.h>

#include "amdcert.h"
#include "cmd.h"
#include "ghcb.h"
#include "json.h"
#include "show-url.h"
#include "table.h"
#include "util.h"

enum { OPT_URL = OPT_COMMON_LAST };

static const char usage[] =
	"Usage: snp-certctl show FILE [--json]\n"
	"       snp-certctl show --url [--product P] [--json]\n"
	"\n"
	"Print every entry of a GHCB certificate table: GUID, type, place, SHA-256, and\n"
	"for certificates the subject, issuer, validity, product, TCB and chip id.\n"
	"A malformed table exits 4 and names the byte offset at fault.\n"
	"With --url, print instead the KDS URLs of this host's VCEK (its chip id and\n"
	"reported TCB), of the VCEK and VLEK CA chains and CRLs, and of its provider's\n"
	"VLEK (settings kds_url, kds_csp_url); exit 5 without a SEV device or on\n"
	"Venice (AMD has published no KDS endpoint for it).\n"
	"\n"
	"      --url             the KDS URLs of this host, not a table\n"
	HELP_PRODUCT
	"      --json            one JSON document on stdout\n";

/* What one entry holds, decoded as far as it goes. */
struct shown {
	size_t index;
	struct ghcb_entry e;
	const char *type;
	char guid[37];
	char sha256[65];
	bool is_cert, is_crl, bad;
	struct amd_cert_info info;
	char crl_issuer[512];
	time_t this_update, next_update;
	bool has_next_update;
};

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm = { 0 };

	return t && ASN1_TIME_to_tm(t, &tm) ? timegm(&tm) : (time_t)0;
}

static void decode_crl(const uint8_t *data, size_t len, struct shown *s)
{
	const unsigned char *p = data;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	BIO *bio = NULL;
	int n;

	if (!crl || p != data + len) {
		s->bad = true;
		goto out;
	}
	s->is_crl = true;
	bio = BIO_new(BIO_s_mem());
	if (bio && X509_NAME_print_ex(bio, X509_CRL_get_issuer(crl), 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(bio, s->crl_issuer, sizeof(s->crl_issuer) - 1);
		s->crl_issuer[n > 0 ? n : 0] = '\0';
	}
	s->this_update = asn1_time(X509_CRL_get0_lastUpdate(crl));
	s->has_next_update = X509_CRL_get0_nextUpdate(crl) != NULL;
	s->next_update = asn1_time(X509_CRL_get0_nextUpdate(crl));
out:
	BIO_free(bio);
	X509_CRL_free(crl);
}

static void decode(const uint8_t *blob, size_t index, const struct ghcb_entry *e,
		   struct shown *s)
{
	const uint8_t *data = blob + e->offset;
	enum ghcb_kind kind = ghcb_guid_kind(e->guid);
	unsigned char digest[SHA256_DIGEST_LENGTH];
	X509 *x = NULL;

	memset(s, 0, sizeof(*s));
	s->index = index;
	s->e = *e;
	s->type = ghcb_kind_name(kind);
	ghcb_guid_format(e->guid, s->guid);
	SHA256(data, e->length, digest);
	format_hex(digest, sizeof(digest), s->sha256);

	if (kind == GHCB_KIND_CRL) {
		decode_crl(data, e->length, s);
		return;
	}
	if (kind == GHCB_KIND_OTHER)
		return;
	if (amd_cert_load(data, e->length, &x) < 0 || amd_cert_info(x, &s->info) < 0) {
		s->bad = true;
	} else {
		s->is_cert = true;
		/* The ASK slot may hold an ASVK. */
		if (kind == GHCB_KIND_ASK && s->info.kind == AMD_CERT_ASVK)
			s->type = "asvk";
	}
	X509_free(x);
}

static void tcb_text(const struct amd_cert_info *in, char *buf, size_t len)
{
	char spec[64];

	amd_tcb_format(in->product, &in->tcb, spec, sizeof(spec));
	snprintf(buf, len, "%s (0x%016llx)", spec,
		 (unsigned long long)amd_tcb_to_raw(in->product, &in->tcb));
}

static void print_text(const char *path, size_t size, const struct shown *v, size_t n)
{
	char when[2][32], buf[128], hex[2 * AMD_HWID_MAX + 1];

	tprintf("%s: %zu %s, %zu bytes\n", path, n, n == 1 ? "entry" : "entries", size);
	for (size_t i = 0; i < n; i++) {
		const struct shown *s = &v[i];
		const struct amd_cert_info *in = &s->info;

		tprintf("[%zu] %-5s %s  offset %u  length %u\n", s->index, s->type, s->guid,
		       s->e.offset, s->e.length);
		if (s->bad)
			tprintf("    error       not a valid %s\n",
			       strcmp(s->type, "crl") == 0 ? "DER CRL" : "certificate");
		if (s->is_cert) {
			format_time(in->not_before, when[0], sizeof(when[0]));
			format_time(in->not_after, when[1], sizeof(when[1]));
			tprintf("    subject     %s\n", in->subject);
			tprintf("    issuer      %s\n", in->issuer);
			tprintf("    valid       %s .. %s\n", when[0], when[1]);
			if (in->product != AMD_PRODUCT_UNKNOWN)
				tprintf("    product     %s%s%s%s\n", amd_product_name(in->product),
				       in->has_product_name ? " (" : "",
				       in->has_product_name ? in->product_name : "",
				       in->has_product_name ? ")" : "");
			if (in->has_tcb) {
				tcb_text(in, buf, sizeof(buf));
				tprintf("    tcb         %s\n", buf);
			}
			if (in->has_hwid) {
				format_hex(in->hwid, in->hwid_len, hex);
				tprintf("    hwid        %s\n", hex);
			}
			if (in->has_csp_id)
				tprintf("    csp_id      %s\n", in->csp_id);
		}
		if (s->is_crl) {
			format_time(s->this_update, when[0], sizeof(when[0]));
			tprintf("    issuer      %s\n", s->crl_issuer);
			tprintf("    this_update %s\n", when[0]);
			if (s->has_next_update) {
				format_time(s->next_update, when[1], sizeof(when[1]));
				tprintf("    next_update %s\n", when[1]);
			}
		}
		tprintf("    sha256      %s\n", s->sha256);
	}
}

static void print_json(const char *path, size_t size, const struct shown *v, size_t n)
{
	char when[32], hex[2 * AMD_HWID_MAX + 1];
	struct jout j;

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_table(&j, path);
	jout_uint(&j, "size", size);
	jout_array_begin(&j, "entries");
	for (size_t i = 0; i < n; i++) {
		const struct shown *s = &v[i];
		const struct amd_cert_info *in = &s->info;

		jout_object_begin(&j, NULL);
		jout_uint(&j, "index", s->index);
		jout_string(&j, "guid", s->guid);
		jout_string(&j, "type", s->type);
		jout_uint(&j, "offset", s->e.offset);
		jout_uint(&j, "length", s->e.length);
		jout_string(&j, "sha256", s->sha256);
		if (s->bad)
			jout_string(&j, "error", strcmp(s->type, "crl") == 0 ?
				    "not a valid DER CRL" : "not a valid certificate");
		if (s->is_cert) {
			jout_string(&j, "subject", in->subject);
			jout_string(&j, "issuer", in->issuer);
			format_time(in->not_before, when, sizeof(when));
			jout_string(&j, "not_before", when);
			format_time(in->not_after, when, sizeof(when));
			jout_string(&j, "not_after", when);
			if (in->product != AMD_PRODUCT_UNKNOWN)
				jout_string(&j, "product", amd_product_name(in->product));
			if (in->has_product_name)
				jout_string(&j, "product_name", in->product_name);
			if (in->has_tcb)
				jout_tcb(&j, "tcb", in->product, &in->tcb,
					 amd_tcb_to_raw(in->product, &in->tcb));
			if (in->has_hwid) {
				format_hex(in->hwid, in->hwid_len, hex);
				jout_string(&j, "hwid", hex);
			}
			if (in->has_csp_id)
				jout_string(&j, "csp_id", in->csp_id);
		}
		if (s->is_crl) {
			jout_string(&j, "issuer", s->crl_issuer);
			format_time(s->this_update, when, sizeof(when));
			jout_string(&j, "this_update", when);
			if (s->has_next_update) {
				format_time(s->next_update, when, sizeof(when));
				jout_string(&j, "next_update", when);
			}
		}
		jout_object_end(&j);
	}
	jout_array_end(&j);
	jout_object_end(&j);
	jout_finish(&j);
}

static int cmd_show_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "url", no_argument, NULL, OPT_URL },
		LONGOPT_PRODUCT,
		{ NULL, 0, NULL, 0 },
	};
	struct ghcb_entry *e = NULL;
	struct shown *v = NULL;
	uint8_t *blob = NULL;
	size_t size = 0, n = 0;
	bool bad = false, url = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1)
		if (!common_option(ctx, c, optarg, argv) && c == OPT_URL)
			url = true;
	if (url && optind < argc)
		return usage_error(ctx, "--url shows this host's KDS URLs: no table");
	if (!url && ctx->cli[SET_PRODUCT])
		return usage_error(ctx, "--product is for --url");
	if (url)
		return show_urls(ctx);
	ret = cmd_load_table(ctx, argc, argv, &blob, &size, &e, &n);
	if (ret)
		return ret;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		ret = cmd_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		decode(blob, i, &e[i], &v[i]);
		if (v[i].bad) {
			err("'%s': entry %zu (%s) at byte %u is not a valid %s", argv[optind], i,
			    v[i].type, e[i].offset,
			    strcmp(v[i].type, "crl") == 0 ? "DER CRL" : "certificate");
			bad = true;
		}
	}
	if (ctx->json)
		print_json(argv[optind], size, v, n);
	else
		print_text(argv[optind], size, v, n);
	ret = bad ? EXIT_VERIFY : 0;
out:
	free(v);
	free(e);
	free(blob);
	return ret;
}

const struct cmd cmd_show = { "show", cmd_show_main, "print every entry of a table", usage, .json = true };
