// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The KDS client over OpenSSL 3.0's HTTP client.
 *
 * OSSL_HTTP_exchange() in OpenSSL 3.0 fails on any status but 200 (and
 * redirects) without handing the status or the headers back; only an error
 * queue entry says "code=429".  So the connection BIO carries a callback
 * that records the first bytes of the reply as they are read: the status
 * line and the headers (Retry-After) are parsed from that record, whatever
 * OpenSSL made of them.  Python's http.server, nginx and the KDS send the
 * header block in one write, so the first read holds all of it; when it
 * does not, Retry-After is treated as absent and the backoff applies.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cmd.h"
#include "kds-http.h"
#include "kds.h"
#include "util.h"

#define TAP_MAX 8192

/* What the reply's first bytes said. */
struct tap {
	char buf[TAP_MAX + 1];
	size_t len;
};

/* One connection, as the bio_update_fn sees it. */
struct conn {
	SSL_CTX *ssl_ctx;
	SSL *ssl;         /* owned by the SSL BIO */
	const char *host; /* SNI and the name the certificate must carry */
	const char *port;
	bool via_proxy;   /* HTTPS through a proxy: CONNECT first */
	int timeout;
	struct tap tap;
};

enum outcome {
	OUT_OK,
	OUT_STATUS,   /* an HTTP status other than 200 */
	OUT_TIMEOUT,
	OUT_CONNECT,  /* could not connect (refused, no route, name lookup) */
	OUT_TLS,      /* TLS handshake or certificate check failed: final */
	OUT_IO,       /* the connection broke in the middle */
	OUT_BADREPLY, /* 200, but not what a KDS sends: final, EXIT_VERIFY */
	OUT_TOOBIG,   /* 200, but larger than the cap: final, EXIT_VERIFY */
	OUT_NOMEM,
	OUT_OTHER,    /* anything else OpenSSL failed at: final */
};

struct result {
	enum outcome outcome;
	int status;        /* HTTP status, 0 when none was read */
	long retry_after;  /* seconds, -1 when absent */
	char why[256];     /* detail for messages */
	uint8_t *body;
	size_t len;
};

struct url {
	char *host, *port, *path;
	int ssl;
};

static void url_free(struct url *u)
{
	OPENSSL_free(u->host);
	OPENSSL_free(u->port);
	OPENSSL_free(u->path);
	*u = (struct url){ 0 };
}

static int url_parse(const char *s, struct url *u)
{
	char *query = NULL, *frag = NULL;
	int ok;

	*u = (struct url){ 0 };
	if (!s || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0))
		return -EINVAL;
	ERR_set_mark();
	ok = OSSL_HTTP_parse_url(s, &u->ssl, NULL, &u->host, &u->port, NULL, &u->path, &query,
				 &frag);
	ERR_pop_to_mark();
	if (ok && ((query && *query) || (frag && *frag) || !u->host || !*u->host))
		ok = 0;
	OPENSSL_free(query);
	OPENSSL_free(frag);
	if (!ok) {
		url_free(u);
		return -EINVAL;
	}
	return 0;
}

int kds_url_check(const char *url)
{
	struct url u;
	int r = url_parse(url, &u);

	url_free(&u);
	return r;
}

/* Seconds from the environment; def when unset.  0 or -EINVAL. */
static int env_seconds(const char *name, double def, double *out)
{
	const char *v = getenv(name);

	*out = def;
	if (!v || !*v)
		return 0;
	if (parse_seconds(v, out) < 0 || *out <= 0) {
		err("invalid %s '%s': want seconds greater than 0, e.g. 10 or 0.5", name, v);
		return -EINVAL;
	}
	return 0;
}

int kds_http_opts_init(struct kds_http_opts *o, const char *base_url)
{
	const char *ca = getenv("SNP_CERTCTL_KDS_CA");
	double t, d;

	*o = (struct kds_http_opts){ .base_url = base_url, .max_len = KDS_REPLY_MAX };
	if (env_seconds("SNP_CERTCTL_KDS_TIMEOUT", KDS_DEFAULT_TIMEOUT, &t) < 0 ||
	    env_seconds("SNP_CERTCTL_KDS_DEADLINE", KDS_DEFAULT_DEADLINE, &d) < 0)
		return EXIT_USAGE;
	/* OpenSSL's HTTP client counts whole seconds. */
	o->timeout = t > 3600 ? 3600 : (unsigned int)ceil(t);
	o->deadline = d;
	o->ca_file = ca && *ca ? ca : NULL;
	if (kds_url_check(base_url) < 0) {
		err("invalid KDS URL '%s': want http://HOST[:PORT][/PATH] or https://...",
		    base_url);
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- the connection ------------------------------------------------- */

/* Records what the HTTP client reads (status line and headers). */
static long tap_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
		   size_t *processed)
{
	struct tap *t = (struct tap *)BIO_get_callback_arg(b);
	size_t n;

	(void)len;
	(void)argi;
	(void)argl;
	if (t && ret > 0 && processed && argp &&
	    (oper == (BIO_CB_READ | BIO_CB_RETURN) || oper == (BIO_CB_GETS | BIO_CB_RETURN))) {
		n = *processed;
		if (n > TAP_MAX - t->len)
			n = TAP_MAX - t->len;
		memcpy(t->buf + t->len, argp, n);
		t->len += n;
		t->buf[t->len] = '\0';
	}
	return ret;
}

static void tap_attach(BIO *bio, struct tap *t)
{
	BIO_set_callback_ex(bio, tap_cb);
	BIO_set_callback_arg(bio, (char *)t);
}

static bool is_ip(const char *host)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/*
 * OSSL_HTTP_open()'s bio_update_fn: after connecting, CONNECT through a
 * proxy if there is one, then push an SSL BIO with SNI and the host name
 * check; before closing, shut TLS down and pop the SSL BIO again.
 */
static BIO *bio_update(BIO *bio, void *arg, int connect, int detail)
{
	struct conn *c = arg;
	X509_VERIFY_PARAM *param;
	BIO *sbio = NULL, *next, *ret = NULL;
	SSL *ssl = NULL;

	if (!connect) {
		if (!c->ssl)
			return bio;
		ERR_set_mark();
		BIO_ssl_shutdown(bio);
		next = BIO_pop(bio);
		BIO_free(bio);
		ERR_pop_to_mark();
		c->ssl = NULL;
		return next;
	}
	if (!detail) { /* plain HTTP */
		tap_attach(bio, &c->tap);
		return bio;
	}
	if (c->via_proxy &&
	    !OSSL_HTTP_proxy_connect(bio, c->host, c->port, NULL, NULL, c->timeout, NULL, NULL))
		goto out;
	ssl = SSL_new(c->ssl_ctx);
	sbio = BIO_new(BIO_f_ssl());
	if (!ssl || !sbio)
		goto out;
	param = SSL_get0_param(ssl);
	if (is_ip(c->host)) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(param, c->host))
			goto out;
	} else {
		/* SNI is for names only (RFC 6066). */
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (!SSL_set_tlsext_host_name(ssl, c->host) ||
		    !X509_VERIFY_PARAM_set1_host(param, c->host, 0))
			goto out;
	}
	SSL_set_connect_state(ssl);
	BIO_set_ssl(sbio, ssl, BIO_CLOSE);
	c->ssl = ssl;
	ssl = NULL; /* owned by sbio now */
	ret = BIO_push(sbio, bio);
	sbio = NULL;
	tap_attach(ret, &c->tap);
out:
	BIO_free(sbio);
	SSL_free(ssl);
	return ret;
}

static int ssl_ctx_new(const struct kds_http_opts *o, SSL_CTX **out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	*out = NULL;
	if (!ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* A KDS reply is checked for completeness itself (DER length, PEM). */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		ERR_clear_error(); /* no system store: only the CA file then */
	if (o->ca_file && SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
		SSL_CTX_free(ctx);
		return -EBADMSG;
	}
	*out = ctx;
	return 0;
}

/* ---- reading the reply ---------------------------------------------- */

/* The status line and Retry-After from the recorded reply start. */
static void tap_parse(const struct tap *t, struct result *r)
{
	const char *s = t->buf, *eol, *hdr_end;
	char line[512];
	unsigned long secs;

	if (strncmp(s, "HTTP/1.", 7) != 0 || t->len < 12)
		return;
	eol = strchr(s, '\n');
	if (!eol)
		return;
	if (s[8] != ' ' || s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' ||
	    s[11] < '0' || s[11] > '9')
		return;
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	/* Headers count only when the block is complete. */
	hdr_end = strstr(eol, "\r\n\r\n");
	if (!hdr_end)
		hdr_end = strstr(eol, "\n\n");
	if (!hdr_end)
		return;
	for (s = eol + 1; s < hdr_end; s = eol + 1) {
		size_t n;

		eol = strchr(s, '\n');
		if (!eol || eol > hdr_end + 2)
			break;
		n = (size_t)(eol - s);
		if (n && s[n - 1] == '\r')
			n--;
		if (n >= sizeof(line))
			continue;
		memcpy(line, s, n);
		line[n] = '\0';
		if (strncasecmp(line, "Retry-After:", 12) == 0 &&
		    kds_parse_retry_after(line + 12, time(NULL), &secs) == 0)
			r->retry_after = secs > KDS_RETRY_AFTER_MAX ? KDS_RETRY_AFTER_MAX
								    : (long)secs;
	}
}

/* Sort the OpenSSL error queue into an outcome, and keep a message. */
static void classify(struct result *r, const struct conn *c)
{
	bool timeout = false, connect = false, toobig = false, bad = false, tls = false;
	bool nomem = false, reading = false;
	char sys[128] = "", first[200] = "";
	const char *data = NULL;
	unsigned long e;
	int flags = 0;
	long vr;

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);

		if (lib == ERR_LIB_SYS) {
			if (!sys[0])
				snprintf(sys, sizeof(sys), "%s", strerror(reason));
			continue;
		}
		if (!first[0]) {
			const char *rs = ERR_reason_error_string(e);

			snprintf(first, sizeof(first), "%s%s%s", rs ? rs : "unknown error",
				 data && *data && (flags & ERR_TXT_STRING) ? ": " : "",
				 data && (flags & ERR_TXT_STRING) ? data : "");
		}
		if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
			nomem = true;
		if (lib == ERR_LIB_BIO &&
		    (reason == BIO_R_CONNECT_TIMEOUT || reason == BIO_R_TRANSFER_TIMEOUT))
			timeout = true;
		else if (lib == ERR_LIB_HTTP && reason == HTTP_R_RETRY_TIMEOUT)
			timeout = true;
		else if (lib == ERR_LIB_BIO &&
			 (reason == BIO_R_CONNECT_ERROR || reason == BIO_R_NBIO_CONNECT_ERROR ||
			  reason == BIO_R_LOOKUP_RETURNED_NOTHING))
			connect = true;
		else if (lib == ERR_LIB_HTTP && reason == HTTP_R_CONNECT_FAILURE)
			connect = true;
		else if (lib == ERR_LIB_HTTP && (reason == HTTP_R_MAX_RESP_LEN_EXCEEDED ||
						 reason == HTTP_R_ASN1_LEN_EXCEEDS_MAX_RESP_LEN))
			toobig = true;
		else if (lib == ERR_LIB_HTTP &&
			 (reason == HTTP_R_MISSING_ASN1_ENCODING ||
			  reason == HTTP_R_ERROR_PARSING_ASN1_LENGTH ||
			  reason == HTTP_R_INCONSISTENT_CONTENT_LENGTH ||
			  reason == HTTP_R_ERROR_PARSING_CONTENT_LENGTH ||
			  reason == HTTP_R_RESPONSE_PARSE_ERROR ||
			  reason == HTTP_R_HEADER_PARSE_ERROR ||
			  reason == HTTP_R_RESPONSE_LINE_TOO_LONG))
			bad = true;
		else if (lib == ERR_LIB_HTTP && reason == HTTP_R_FAILED_READING_DATA)
			reading = true;
		else if (lib == ERR_LIB_SSL)
			tls = true;
		else if (lib == ERR_LIB_HTTP && reason == HTTP_R_RECEIVED_ERROR && !r->status &&
			 data && strncmp(data, "code=", 5) == 0)
			r->status = atoi(data + 5);
	}

	if (r->status && r->status != 200) {
		r->outcome = OUT_STATUS;
		return;
	}
	if (nomem) {
		r->outcome = OUT_NOMEM;
		return;
	}
	if (timeout) {
		r->outcome = OUT_TIMEOUT;
		return;
	}
	if (c->ssl && (vr = SSL_get_verify_result(c->ssl)) != X509_V_OK) {
		r->outcome = OUT_TLS;
		snprintf(r->why, sizeof(r->why), "the server certificate does not verify: %s",
			 X509_verify_cert_error_string(vr));
		return;
	}
	if (toobig || bad) {
		r->outcome = toobig ? OUT_TOOBIG : OUT_BADREPLY;
		snprintf(r->why, sizeof(r->why), "%s", first);
		return;
	}
	if (connect && !r->status) {
		r->outcome = OUT_CONNECT;
		snprintf(r->why, sizeof(r->why), "%s", sys[0] ? sys : first);
		return;
	}
	if (tls && !r->status) {
		r->outcome = OUT_TLS;
		snprintf(r->why, sizeof(r->why), "TLS handshake failed: %s", first);
		return;
	}
	if (reading || sys[0] || r->status == 200 || !first[0]) {
		r->outcome = OUT_IO;
		snprintf(r->why, sizeof(r->why), "%s",
			 sys[0] ? sys
			 : reading || !first[0] ? "the connection closed early"
						: first);
		return;
	}
	r->outcome = OUT_OTHER;
	snprintf(r->why, sizeof(r->why), "%s", first);
}

/* Read a text reply to its end (Content-Length, else end of stream). */
static void read_stream(BIO *bio, size_t want, size_t max, time_t max_time, struct result *r)
{
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);

	if (!buf) {
		r->outcome = OUT_NOMEM;
		return;
	}
	for (;;) {
		int k;

		if (want && n == want)
			break;
		if (n == cap) {
			uint8_t *nb;

			if (cap > max) {
				r->outcome = OUT_TOOBIG;
				snprintf(r->why, sizeof(r->why), "more than %zu bytes", max);
				goto out;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				r->outcome = OUT_NOMEM;
				goto out;
			}
			buf = nb;
		}
		k = BIO_read(bio, buf + n, (int)(want && want - n < cap - n ? want - n : cap - n));
		if (k > 0) {
			n += (size_t)k;
			continue;
		}
		if (!BIO_should_retry(bio))
			break;
		if (BIO_wait(bio, max_time, 100) <= 0) {
			r->outcome = OUT_TIMEOUT;
			goto out;
		}
	}
	ERR_clear_error();
	if (n > max) {
		r->outcome = OUT_TOOBIG;
		snprintf(r->why, sizeof(r->why), "more than %zu bytes", max);
		goto out;
	}
	if (want && n != want) {
		r->outcome = OUT_IO;
		snprintf(r->why, sizeof(r->why), "the connection closed after %zu of %zu bytes", n,
			 want);
		goto out;
	}
	r->outcome = OUT_OK;
	r->body = buf;
	r->len = n;
	buf = NULL;
out:
	free(buf);
}

/* One request on a new connection. */
static void attempt(const struct kds_http_opts *o, const struct url *u, SSL_CTX *ssl_ctx,
		    const char *path, bool der, int timeout, struct result *r)
{
	STACK_OF(CONF_VALUE) *headers = NULL;
	OSSL_HTTP_REQ_CTX *rctx = NULL;
	struct conn *c = NULL;
	char *full = NULL;
	const char *proxy;
	time_t max_time = time(NULL) + timeout;
	BIO *resp = NULL;
	const char *data = NULL;
	long n;

	*r = (struct result){ .outcome = OUT_NOMEM, .retry_after = -1 };
	ERR_clear_error();
	/* The tap buffer is large: keep it off the stack. */
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	*c = (struct conn){ .ssl_ctx = ssl_ctx, .host = u->host, .port = u->port,
			    .timeout = timeout };
	/* A mirror may live under a path: "https://mirror/kds" + "/vcek/v1/...". */
	n = (long)strlen(u->path);
	if (asprintf(&full, "%.*s%s", (int)(n > 0 && u->path[n - 1] == '/' ? n - 1 : n), u->path,
		     path) < 0) {
		full = NULL;
		goto out;
	}
	if (!X509V3_add_value("User-Agent", "snp-certctl/" SNPCERT_VERSION, &headers))
		goto out;
	proxy = OSSL_HTTP_adapt_proxy(NULL, NULL, u->host, u->ssl);
	c->via_proxy = proxy && u->ssl;
	debug("GET %s://%s:%s%s%s%s", u->ssl ? "https" : "http", u->host, u->port, full,
	      proxy ? " via proxy " : "", proxy ? proxy : "");
	rctx = OSSL_HTTP_open(u->host, u->port, proxy, NULL, u->ssl, NULL, NULL, bio_update, c, 0,
			      timeout);
	if (!rctx) {
		classify(r, c);
		/*
		 * Failing before a byte was exchanged is failing to connect.
		 * BIO_do_connect_retry() retries a refused connection until the
		 * time-out and drops the system error: say what is known.
		 */
		if (r->outcome == OUT_TIMEOUT)
			snprintf(r->why, sizeof(r->why), "no connection within %d s", timeout);
		if (r->outcome == OUT_OTHER || r->outcome == OUT_IO || r->outcome == OUT_TIMEOUT)
			r->outcome = OUT_CONNECT;
		goto out;
	}
	if (!OSSL_HTTP_set1_request(rctx, full, headers, NULL, NULL, NULL, der, o->max_len, -1, 0))
		goto out;
	resp = OSSL_HTTP_exchange(rctx, NULL);
	tap_parse(&c->tap, r);
	if (!resp) {
		classify(r, c);
		goto out;
	}
	if (r->status && r->status != 200) {
		/* Not reached with OpenSSL 3.0; later versions return error bodies. */
		r->outcome = OUT_STATUS;
		goto out;
	}
	if (der) {
		n = BIO_get_mem_data(resp, &data);
		if (n <= 0 || (size_t)n > o->max_len) {
			r->outcome = n <= 0 ? OUT_BADREPLY : OUT_TOOBIG;
			snprintf(r->why, sizeof(r->why), "%s",
				 n <= 0 ? "empty reply" : "too large");
			goto out;
		}
		r->body = malloc((size_t)n);
		if (!r->body)
			goto out;
		memcpy(r->body, data, (size_t)n);
		r->len = (size_t)n;
		r->outcome = OUT_OK;
	} else {
		read_stream(resp, OSSL_HTTP_REQ_CTX_get_resp_len(rctx), o->max_len, max_time, r);
	}
out:
	BIO_free(resp);
	if (rctx)
		OSSL_HTTP_close(rctx, r->outcome == OUT_OK);
	ERR_clear_error();
	sk_CONF_VALUE_pop_free(headers, X509V3_conf_free);
	free(full);
	free(c);
}

/* ---- retries ---------------------------------------------------------- */

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A uniform random number in [0, 1). */
static double jitter(void)
{
	uint32_t x = 0;

	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != sizeof(x))
		x = (uint32_t)rand();
	return (double)x / 4294967296.0;
}

static void sleep_seconds(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool retryable(const struct result *r)
{
	switch (r->outcome) {
	case OUT_STATUS:
		return r->status == 429 || (r->status >= 500 && r->status <= 599);
	case OUT_TIMEOUT:
	case OUT_CONNECT:
	case OUT_IO:
		return true;
	default:
		return false;
	}
}

/* What went wrong, briefly, for progress messages. */
static void brief(const struct result *r, const struct kds_http_opts *o, char *buf, size_t len)
{
	switch (r->outcome) {
	case OUT_STATUS:
		if (r->status == 429)
			snprintf(buf, len, "rate-limited the request (429)");
		else
			snprintf(buf, len, "answered %d", r->status);
		break;
	case OUT_TIMEOUT:
		snprintf(buf, len, "did not answer within %u s", o->timeout);
		break;
	case OUT_CONNECT:
		snprintf(buf, len, "could not be reached: %s", r->why);
		break;
	default:
		snprintf(buf, len, "broke off the reply: %s", r->why);
		break;
	}
}

/* The final message for a failed request; returns the exit status. */
static int report(const struct kds_http_opts *o, const struct result *r, const char *what,
		  unsigned int attempts, double elapsed, const char *extra)
{
	char tail[128] = "";

	if (attempts > 1)
		snprintf(tail, sizeof(tail), "; gave up after %u attempts over %.0f s", attempts,
			 elapsed);
	switch (r->outcome) {
	case OUT_STATUS:
		if (r->status == 429)
			err("KDS rate-limited the request for %s (429)%s%s", what, extra, tail);
		else
			err("KDS answered %d for %s%s%s", r->status, what, extra, tail);
		return EXIT_KDS;
	case OUT_TIMEOUT:
		err("KDS at '%s' did not answer within %u s%s%s", o->base_url, o->timeout, extra,
		    tail);
		return EXIT_KDS;
	case OUT_CONNECT:
		err("cannot connect to KDS at '%s': %s%s%s", o->base_url, r->why, extra, tail);
		return EXIT_KDS;
	case OUT_TLS:
		err("cannot talk to KDS at '%s' over TLS: %s", o->base_url, r->why);
		return EXIT_KDS;
	case OUT_IO:
		err("KDS at '%s' broke off the reply for %s: %s%s%s", o->base_url, what, r->why,
		    extra, tail);
		return EXIT_KDS;
	case OUT_BADREPLY:
		err("KDS reply for %s is malformed: %s", what, r->why[0] ? r->why : "not DER");
		return EXIT_VERIFY;
	case OUT_TOOBIG:
		err("KDS reply for %s is larger than %zu bytes: not a certificate", what,
		    o->max_len);
		return EXIT_VERIFY;
	case OUT_NOMEM:
		err("out of memory");
		return EXIT_FAIL;
	default:
		err("request to KDS at '%s' for %s failed: %s", o->base_url, what, r->why);
		return EXIT_KDS;
	}
}

int kds_http_get(const struct kds_http_opts *o, const char *path, bool der, const char *what,
		 uint8_t **body, size_t *len)
{
	struct result r = { 0 };
	SSL_CTX *ssl_ctx = NULL;
	struct url u = { 0 };
	unsigned int attempts = 0;
	double start = now_mono(), backoff = 1.0;
	int ret;

	*body = NULL;
	*len = 0;
	if (url_parse(o->base_url, &u) < 0) {
		err("invalid KDS URL '%s': want http://HOST[:PORT][/PATH] or https://...",
		    o->base_url);
		ret = EXIT_USAGE;
		goto out;
	}
	if (u.ssl) {
		ret = ssl_ctx_new(o, &ssl_ctx);
		if (ret == -EBADMSG) {
			err("cannot load KDS CA file '%s': %s", o->ca_file, amd_openssl_error());
			ret = EXIT_FAIL;
			goto out;
		}
		if (ret < 0) {
			err("out of memory");
			ret = EXIT_FAIL;
			goto out;
		}
	}
	for (;;) {
		double left = o->deadline - (now_mono() - start), wait;
		int timeout = (int)o->timeout;
		char extra[160] = "", buf[320];

		if (attempts > 0 && left < 1)
			left = 1; /* never start an attempt shorter than a second */
		if (left < timeout)
			timeout = (int)ceil(left);
		if (timeout < 1)
			timeout = 1;
		attempts++;
		free(r.body);
		attempt(o, &u, ssl_ctx, path, der, timeout, &r);
		if (r.outcome == OUT_OK) {
			*body = r.body;
			*len = r.len;
			r.body = NULL;
			ret = 0;
			goto out;
		}
		if (r.outcome == OUT_STATUS)
			debug("KDS answered %d for %s%s", r.status, what,
			      r.retry_after >= 0 ? " with Retry-After" : "");
		if (!retryable(&r)) {
			ret = report(o, &r, what, attempts, now_mono() - start, "");
			goto out;
		}
		/* Exponential backoff with jitter, or what the server asked for. */
		if (r.retry_after >= 0)
			wait = (double)r.retry_after + 0.1 * jitter() * (double)(r.retry_after + 1);
		else
			wait = backoff * (0.5 + 0.5 * jitter());
		backoff = backoff * 2 > 30 ? 30 : backoff * 2;
		left = o->deadline - (now_mono() - start);
		if (wait >= left) {
			if (r.retry_after >= o->deadline)
				snprintf(extra, sizeof(extra),
					 " and asked to retry after %ld s, past the %.0f s "
					 "deadline", r.retry_after, o->deadline);
			ret = report(o, &r, what, attempts, now_mono() - start, extra);
			goto out;
		}
		brief(&r, o, buf, sizeof(buf));
		/* Long waits are worth a line for a person watching, not for cron. */
		if (wait >= 2 && isatty(STDERR_FILENO))
			info("KDS %s; retrying in %.0f s", buf, wait);
		else
			debug("KDS %s for %s; retrying in %.1f s", buf, what, wait);
		sleep_seconds(wait);
	}
out:
	free(r.body);
	SSL_CTX_free(ssl_ctx);
	url_free(&u);
	return ret;
}
