/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KDS client: one HTTP(S) GET with libcurl (its OpenSSL flavour, so
 * TLS is verified by OpenSSL), retried on rate limits (429), server errors
 * (5xx), time-outs and failed connections with exponential backoff and
 * jitter, honouring Retry-After, all within an overall deadline.  Every
 * retry is announced with info().  See formats/kds-protocol.md.
 *
 * HTTPS verifies the server against the system store (or SNP_CERTCTL_KDS_CA,
 * a test knob) and its host name; plain http:// is allowed for mirrors and
 * tests.  libcurl reads http_proxy, https_proxy, all_proxy and no_proxy.
 *
 * Errors follow errors.h: 0 or a negative code with the message in a
 * struct why; nothing here prints an error.
 */
#ifndef SNP_CERTCTL_KDS_HTTP_H
#define SNP_CERTCTL_KDS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

/* Largest KDS reply accepted (a VCEK is ~1.3 KiB, a cert_chain ~4 KiB). */
#define KDS_REPLY_MAX (64 * 1024)
#define KDS_DEFAULT_TIMEOUT 10.0  /* seconds per attempt */
#define KDS_DEFAULT_DEADLINE 60.0 /* seconds for all attempts and waits */

struct kds_http_opts {
	const char *base_url; /* "https://kdsintf.amd.com", or a mirror (may have a path) */
	double timeout;       /* seconds per attempt, > 0 (connecting included) */
	double deadline;      /* seconds for all attempts and waits together, > 0 */
	size_t max_len;       /* reply size cap */
	const char *ca_file;  /* CA certificates (PEM) trusted instead of the system's, or NULL */
	const char *server;   /* who answers, in messages: NULL "KDS", or "the mirror" */
	/*
	 * TLS client authentication (the CSP endpoint): the server wants a
	 * client certificate; PEM files, or NULL (the server will refuse).
	 * Such a connection is TLS 1.2: under TLS 1.3 the server refuses a
	 * client certificate after the handshake, and a client already sending
	 * its request sees only a broken pipe, not why.
	 */
	bool client_auth;
	const char *client_cert, *client_key; /* their names, for messages */
	/* Their contents, as read (cache_csp_init): libcurl never opens them. */
	const uint8_t *client_cert_pem, *client_key_pem;
	size_t client_cert_len, client_key_len;
};

/*
 * Defaults and the environment: SNP_CERTCTL_KDS_TIMEOUT (seconds per
 * attempt, default 10, fractions allowed), SNP_CERTCTL_KDS_DEADLINE
 * (seconds overall, default 60), SNP_CERTCTL_KDS_CA (a PEM file of the CAs
 * to trust for HTTPS instead of the system store).  base_url is kept, not
 * copied.  Returns 0 or -ERR_USAGE (a bad knob or URL) with why.
 */
int kds_http_opts_init(struct kds_http_opts *o, const char *base_url, struct why *why);

/* Check a KDS base URL: http:// or https://, a host, no query.  0 or -EINVAL. */
int kds_url_check(const char *url);

/*
 * The URL of path (a path from formats/kds.h) under the base URL base, as
 * requests are made: a mirror may live under a path ("https://mirror/kds"
 * + "/vcek/v1/..."), a trailing '/' of base is dropped.  0 with *out
 * (malloc'd), -EINVAL (base is not a KDS URL) or -ENOMEM.
 */
int kds_url_join(const char *base, const char *path, char **out);

/*
 * GET o->base_url + path (a path from formats/kds.h).  der: the reply must
 * be one DER SEQUENCE (VCEK, CRL), nothing before or after it; otherwise
 * it is text (PEM).  what names the request in messages ("Milan VCEK hwid
 * ... TCB ...", "Milan VCEK CA chain").  Returns 0 with the body in *body
 * (malloc'd) and *len, or with why: -ERR_KDS (network, TLS, an HTTP status
 * other than 200, time-out, gave up), -ERR_VERIFY (KDS answered 200 with
 * something that is not a reply: not DER, too large), -ERR_USAGE (a bad
 * URL), -ENOMEM, -EINVAL or -errno (the CA file of SNP_CERTCTL_KDS_CA
 * cannot be used).  Retries are said on stderr with info(), quiet under -q.
 * Nothing is verified here beyond the framing: see kds-cache.h.
 */
int kds_http_get(const struct kds_http_opts *o, const char *path, bool der, const char *what,
		 uint8_t **body, size_t *len, struct why *why);

/*
 * kds_http_get, saying in *answered whether the server answered at all
 * (an HTTP reply of any status, even one that is not a KDS reply), as
 * opposed to no connection, none in time, a failed TLS handshake or a
 * reply broken off: a server that did not answer will not soon.
 */
int kds_http_get_answered(const struct kds_http_opts *o, const char *path, bool der,
			  const char *what, uint8_t **body, size_t *len, bool *answered,
			  struct why *why);

/*
 * The same as a POST of data (NUL-terminated, sent as Content-Type ctype),
 * with the same retries; the reply is text.  A server that asks for a
 * client certificate and gets none, or refuses the one o->client_cert
 * names, fails at once with -ERR_KDS and says so.
 */
int kds_http_post(const struct kds_http_opts *o, const char *path, const char *data,
		  const char *ctype, const char *what, uint8_t **body, size_t *len,
		  struct why *why);

#endif
