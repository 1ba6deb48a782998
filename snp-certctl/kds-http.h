/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KDS client: one HTTP(S) GET with OpenSSL 3's OSSL_HTTP_* functions,
 * retried on rate limits (429), server errors (5xx), time-outs and failed
 * connections with exponential backoff and jitter, honouring Retry-After,
 * all within an overall deadline.  See formats/kds-protocol.md.
 *
 * HTTPS verifies the server against the system store (plus
 * SNP_CERTCTL_KDS_CA, a test knob) and checks its host name; plain http://
 * is allowed for mirrors and tests.  http_proxy/https_proxy/no_proxy are
 * honoured.
 */
#ifndef SNP_CERTCTL_KDS_HTTP_H
#define SNP_CERTCTL_KDS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest KDS reply accepted (a VCEK is ~1.3 KiB, a cert_chain ~4 KiB). */
#define KDS_REPLY_MAX (64 * 1024)
#define KDS_DEFAULT_TIMEOUT 10  /* seconds per attempt */
#define KDS_DEFAULT_DEADLINE 60 /* seconds for all attempts */
#define KDS_RETRY_AFTER_MAX 300 /* a longer Retry-After is cut to this */

struct kds_http_opts {
	const char *base_url; /* "https://kdsintf.amd.com", or a mirror (may have a path) */
	unsigned int timeout; /* seconds per attempt, >= 1 (OpenSSL counts whole seconds) */
	double deadline;      /* seconds for all attempts and waits together */
	size_t max_len;       /* reply size cap */
	const char *ca_file;  /* extra CA certificates (PEM) to trust, or NULL */
};

/*
 * Defaults and the environment: SNP_CERTCTL_KDS_TIMEOUT (seconds per
 * attempt, default 10, fractions rounded up), SNP_CERTCTL_KDS_DEADLINE
 * (seconds overall, default 60), SNP_CERTCTL_KDS_CA (a PEM file of extra
 * CAs to trust for HTTPS).  base_url is kept, not copied.  Returns 0 or
 * EXIT_USAGE after printing why.
 */
int kds_http_opts_init(struct kds_http_opts *o, const char *base_url);

/* Check a KDS base URL: http:// or https://, a host, no query.  0 or -EINVAL. */
int kds_url_check(const char *url);

/*
 * GET o->base_url + path (a path from formats/kds.h).  der: the reply is
 * one DER object (VCEK, CRL), read with expect_asn1; otherwise text (PEM).
 * what names the request in messages ("Milan VCEK hwid ... TCB ...",
 * "Milan CA chain").  Returns 0 with the body in *body (malloc'd) and
 * *len, or an exit status after printing why: EXIT_KDS (network, HTTP
 * status, time-out, gave up), EXIT_VERIFY (KDS answered 200 with something
 * that is not a reply: not DER, too large), EXIT_FAIL (out of memory).
 * Nothing is verified here beyond the framing: see kds-cache.h.
 */
int kds_http_get(const struct kds_http_opts *o, const char *path, bool der, const char *what,
		 uint8_t **body, size_t *len);

#endif
