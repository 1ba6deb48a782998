// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The KDS client over libcurl: one easy handle per attempt, and the retry
 * loop around the attempts.
 *
 * libcurl does the HTTP (status line, Content-Length, chunked bodies), the
 * TLS through OpenSSL (the peer's chain, its host name, SNI), proxies from
 * the environment, and Retry-After (CURLINFO_RETRY_AFTER: delay-seconds or
 * an HTTP-date).  What is left here: the size cap, the DER framing check,
 * sorting failures into final and worth retrying, and the waits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "base.h"
#include "kds-http.h"
#include "util.h"

#if LIBCURL_VERSION_NUM < 0x075500
#error "libcurl 7.85 or later is needed (CURLOPT_PROTOCOLS_STR)"
#endif

/*
 * Retries.  An attempt that failed in a way that may pass (429, 5xx, a
 * time-out, a connection that could not be made or broke) is repeated
 * after a wait: what Retry-After says when the server sent it, else an
 * exponential backoff shortened at random by up to KDS_BACKOFF_JITTER, so
 * that many hosts do not retry in step.  A wait that would end past the
 * deadline is not started.
 */
#define KDS_ATTEMPTS 5          /* attempts of one request, the first one included */
#define KDS_BACKOFF_FIRST 1.0   /* seconds before the second attempt, doubled for each next */
#define KDS_BACKOFF_CAP 30.0    /* seconds: no backoff is longer */
#define KDS_BACKOFF_JITTER 0.5  /* a backoff is cut by up to this fraction of itself */
/* A refused connection (no route, no such host) fails at once: retry it briefly. */
#define KDS_CONNECT_ATTEMPTS 3         /* attempts, the first one included */
#define KDS_CONNECT_BACKOFF_FIRST 0.25 /* seconds, doubled, same jitter */
#define KDS_RETRY_AFTER_MAX 300    /* seconds: a longer Retry-After is cut to this */
#define KDS_RETRY_AFTER_JITTER 0.1 /* up to this fraction of (Retry-After + 1 s) is added */
#define KDS_ATTEMPT_MIN 1.0        /* seconds a retry gets at least (capped by the time-out) */
#define KDS_TIMEOUT_MAX 3600.0     /* seconds: a longer per-attempt time-out is cut to this */

enum outcome {
	OUT_OK,
	OUT_STATUS,   /* an HTTP status other than 200 */
	OUT_TIMEOUT,  /* connected, but no whole reply in time */
	OUT_CONNECT,  /* no connection: refused, no route, no name, or not in time */
	OUT_TLS,      /* TLS handshake or certificate check failed: final */
	OUT_IO,       /* the connection broke in the middle */
	OUT_BADREPLY, /* 200, but not what a KDS sends: final, -ERR_VERIFY */
	OUT_TOOBIG,   /* 200, but larger than the cap: final, -ERR_VERIFY */
	OUT_CAFILE,   /* the CA file cannot be used: final */
	OUT_NOMEM,
	OUT_OTHER,    /* anything else libcurl failed at: final */
};

struct result {
	enum outcome outcome;
	bool at_once;     /* OUT_CONNECT: failed at once (refused), not by time-out */
	long status;      /* HTTP status, 0 when none was read */
	long retry_after; /* seconds, -1 when absent */
	int sys;          /* OUT_CAFILE: the errno to return */
	double timeout;   /* this attempt's time-out, seconds */
	char why[256];    /* detail for messages */
	uint8_t *body;
	size_t len;
};

/* What to send: a GET (data NULL) or a POST of data as ctype. */
struct request {
	const char *url;
	bool der;
	const char *data, *ctype;
};

/* Where the body goes: kept for a 200 only, never more than max bytes. */
struct sink {
	CURL *h;
	uint8_t *data;
	size_t len, cap, max;
	bool toobig, nomem;
};

/* ---- libcurl, once --------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int curl_ready(struct why *why)
{
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return why_set(why, -ENOMEM, "cannot initialise libcurl: %s",
			       curl_easy_strerror(curl_init_rc));
	return 0;
}

/* ---- URLs and settings ----------------------------------------------- */

/* Parse a base URL with libcurl's parser.  0, -EINVAL or -ENOMEM; *ip: the host is an address. */
static int url_parse(const char *s, bool *ip)
{
	char *host = NULL, *query = NULL, *frag = NULL;
	unsigned char addr[16];
	CURLU *u = NULL;
	CURLUcode uc;
	int ret = -EINVAL;

	if (!s || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0))
		return -EINVAL;
	u = curl_url();
	if (!u)
		return -ENOMEM;
	uc = curl_url_set(u, CURLUPART_URL, s, 0);
	if (uc == CURLUE_OUT_OF_MEMORY)
		ret = -ENOMEM;
	if (uc != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		goto out;
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && *query)
		goto out;
	if (curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK && *frag)
		goto out;
	if (ip)
		*ip = host[0] == '[' || inet_pton(AF_INET, host, addr) == 1;
	ret = 0;
out:
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return ret;
}

static int bad_url(const char *url, struct why *why)
{
	return why_set(why, -ERR_USAGE,
		       "invalid KDS URL '%s': want http://HOST[:PORT][/PATH] or https://...",
		       url);
}

int kds_url_check(const char *url)
{
	return url_parse(url, NULL) == 0 ? 0 : -EINVAL;
}

int kds_url_join(const char *base, const char *path, char **out)
{
	size_t n;
	int r = url_parse(base, NULL);

	*out = NULL;
	if (r)
		return r;
	n = strlen(base);
	if (n && base[n - 1] == '/')
		n--;
	if (asprintf(out, "%.*s%s", (int)n, base, path) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Seconds from the environment; def when unset.  0 or -ERR_USAGE with why. */
static int env_seconds(const char *name, double def, double *out, struct why *why)
{
	const char *v = getenv(name);

	*out = def;
	if (!v || !*v)
		return 0;
	if (parse_seconds(v, out) < 0 || *out <= 0)
		return why_set(why, -ERR_USAGE,
			       "invalid %s '%s': want seconds greater than 0, e.g. 10 or 0.5", name,
			       v);
	return 0;
}

/*
 * libcurl opens the CA file itself and would block forever on a FIFO:
 * look first, without blocking.  A missing or unreadable file is left to
 * libcurl's own report.  0 or -ERR_REFUSED with why.
 */
static int ca_file_check(const char *path, struct why *why)
{
	struct stat st;
	int fd, ret = 0;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		ret = why_set(why, -ERR_REFUSED, "refusing '%s': not a regular file", path);
	close(fd);
	return ret;
}

int kds_http_opts_init(struct kds_http_opts *o, const char *base_url, struct why *why)
{
	const char *ca = getenv("SNP_CERTCTL_KDS_CA");
	double t, d;
	int r;

	*o = (struct kds_http_opts){ .base_url = base_url, .max_len = KDS_REPLY_MAX };
	r = env_seconds("SNP_CERTCTL_KDS_TIMEOUT", KDS_DEFAULT_TIMEOUT, &t, why);
	if (r == 0)
		r = env_seconds("SNP_CERTCTL_KDS_DEADLINE", KDS_DEFAULT_DEADLINE, &d, why);
	if (r)
		return r;
	o->timeout = t > KDS_TIMEOUT_MAX ? KDS_TIMEOUT_MAX : t;
	o->deadline = d;
	o->ca_file = ca && *ca ? ca : NULL;
	r = ca_file_check(o->ca_file, why);
	if (r)
		return r;
	r = curl_ready(why);
	if (r)
		return r;
	r = url_parse(base_url, NULL);
	if (r == -ENOMEM)
		return why_set(why, -ENOMEM, "out of memory");
	if (r)
		return bad_url(base_url, why);
	return 0;
}

/* ---- one attempt ------------------------------------------------------ */

/* Seconds for people: "0.4", "1", "2.5", "12". */
static const char *secs(double s, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, s < 9.95 ? "%.1f" : "%.0f", s);
	n = strlen(buf);
	if (n > 2 && strcmp(buf + n - 2, ".0") == 0)
		buf[n - 2] = '\0';
	return buf;
}

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb, cap;
	long status = 0;
	uint8_t *nd;

	/* An error page is not kept: its status is what counts. */
	if (curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200)
		return n;
	if (n > s->max - s->len) {
		s->toobig = true;
		return 0; /* CURLE_WRITE_ERROR */
	}
	if (s->len + n > s->cap) {
		for (cap = s->cap ? s->cap : 4096; cap < s->len + n; cap *= 2)
			;
		if (cap > s->max)
			cap = s->max;
		nd = realloc(s->data, cap);
		if (!nd) {
			s->nomem = true;
			return 0;
		}
		s->data = nd;
		s->cap = cap;
	}
	memcpy(s->data + s->len, ptr, n);
	s->len += n;
	return n;
}

/* Is b exactly one DER SEQUENCE (a certificate, a CRL)?  0, or -EBADMSG with why. */
static int der_whole(const uint8_t *b, size_t n, char *why, size_t wlen)
{
	const unsigned char *p = b;
	long clen = 0;
	int tag = 0, cls = 0, r;

	if (n == 0) {
		snprintf(why, wlen, "the reply is empty");
		return -EBADMSG;
	}
	r = ASN1_get_object(&p, &clen, &tag, &cls, (long)n);
	ERR_clear_error();
	if (r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL) {
		snprintf(why, wlen, "it is not one whole DER SEQUENCE");
		return -EBADMSG;
	}
	if ((size_t)(p - b) + (size_t)clen != n) {
		snprintf(why, wlen, "%zu stray bytes follow the DER SEQUENCE",
			 n - (size_t)(p - b) - (size_t)clen);
		return -EBADMSG;
	}
	return 0;
}

/* Per-attempt milliseconds for libcurl: at least 1 (0 would mean none). */
static long timeout_ms(double seconds)
{
	double ms = ceil(seconds * 1000.0);

	return ms < 1 ? 1 : (long)ms;
}

static CURLcode setup(CURL *h, const struct kds_http_opts *o, const struct request *rq, long ms,
		      char *errbuf, struct sink *s, struct curl_slist **hdrs)
{
	CURLcode cc = CURLE_OK;

#define SET(opt, val)                                         \
	do {                                                  \
		if (cc == CURLE_OK)                           \
			cc = curl_easy_setopt(h, opt, val);   \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, rq->url);
	/* KDS does not redirect: a 3xx is a final answer, and no other protocol. */
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, "snp-certctl/" SNPCERT_VERSION);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_WRITEFUNCTION, sink_write);
	SET(CURLOPT_WRITEDATA, s);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_len);
	SET(CURLOPT_CONNECTTIMEOUT_MS, ms);
	SET(CURLOPT_TIMEOUT_MS, ms);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, o->client_auth ?
		(long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2) :
		(long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file) {
		/* Instead of the system store, not in addition to it. */
		SET(CURLOPT_CAINFO, o->ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}
	if (o->client_cert_pem) {
		/*
		 * Mutual TLS (the CSP endpoint): the PEM certificate and key as
		 * read and checked by the caller, never a path for OpenSSL to
		 * open (it would block on a FIFO and follow any link).  No
		 * passphrase: OpenSSL must not prompt (an encrypted key is refused
		 * before).
		 */
		struct curl_blob cert = { (void *)o->client_cert_pem, o->client_cert_len,
					  CURL_BLOB_COPY };
		struct curl_blob key = { (void *)o->client_key_pem, o->client_key_len,
					 CURL_BLOB_COPY };

		SET(CURLOPT_SSLCERT_BLOB, &cert);
		SET(CURLOPT_SSLCERTTYPE, "PEM");
		SET(CURLOPT_SSLKEY_BLOB, &key);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
		SET(CURLOPT_KEYPASSWD, "");
	}
	if (rq->data) {
		*hdrs = curl_slist_append(NULL, rq->ctype);
		if (!*hdrs && cc == CURLE_OK)
			cc = CURLE_OUT_OF_MEMORY;
		SET(CURLOPT_HTTPHEADER, *hdrs);
		SET(CURLOPT_POSTFIELDS, rq->data);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(rq->data));
	}
	/* No CURLOPT_PROXY: libcurl takes http_proxy, https_proxy, no_proxy from environ. */
#undef SET
	return cc;
}

/*
 * Did a server that wants client certificates refuse the handshake (a TLS
 * alert)?  Then it is for the client certificate, given or not, and final.
 */
static bool client_refused(const struct kds_http_opts *o, const char *errbuf, struct result *r)
{
	const char *alert = strstr(errbuf, "alert ");
	size_t n;

	if (!o->client_auth || !alert)
		return false;
	alert += strlen("alert ");
	n = strcspn(alert, ",;:\n");
	r->outcome = OUT_TLS;
	if (o->client_cert)
		snprintf(r->why, sizeof(r->why),
			 "the server refused the client certificate '%s' (TLS alert: %.*s)",
			 o->client_cert, (int)n, alert);
	else
		snprintf(r->why, sizeof(r->why),
			 "the server wants a client certificate (TLS alert: %.*s): give "
			 "--client-cert and --client-key", (int)n, alert);
	return true;
}

/* A TLS failure, in OpenSSL's words where it has them. */
static void tls_why(CURL *h, CURLcode cc, bool ip_host, const char *errbuf, struct result *r)
{
	long vr = X509_V_OK;

	r->outcome = OUT_TLS;
	if (cc != CURLE_PEER_FAILED_VERIFICATION) {
		snprintf(r->why, sizeof(r->why), "TLS handshake failed: %s",
			 errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return;
	}
	/*
	 * OpenSSL checks the chain during the handshake and libcurl keeps its
	 * verdict; the host name is libcurl's own check, after it, and leaves
	 * the verdict at "unspecified": its message names the subject name.
	 */
	if (curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &vr) != CURLE_OK)
		vr = X509_V_OK;
	if (strstr(errbuf, "subject name"))
		vr = ip_host ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH;
	snprintf(r->why, sizeof(r->why), "the server certificate does not verify: %s",
		 vr != X509_V_OK && vr != X509_V_ERR_UNSPECIFIED ?
			 X509_verify_cert_error_string(vr) :
			 errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

/* Sort a failed transfer (cc) into an outcome. */
static void classify(CURL *h, CURLcode cc, const struct kds_http_opts *o, bool ip_host,
		     const char *errbuf, const struct sink *s, struct result *r)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	curl_off_t got = 0, want = -1, conn_us = 0;
	long os_errno = 0;
	char t[32];
	FILE *f;

	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	if (client_refused(o, errbuf, r))
		return;
	switch (cc) {
	case CURLE_OUT_OF_MEMORY:
		r->outcome = OUT_NOMEM;
		break;
	case CURLE_WRITE_ERROR:
		r->outcome = s->toobig ? OUT_TOOBIG : s->nomem ? OUT_NOMEM : OUT_OTHER;
		snprintf(r->why, sizeof(r->why), "%s", detail);
		break;
	case CURLE_FILESIZE_EXCEEDED:
		r->outcome = OUT_TOOBIG;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &conn_us);
		r->outcome = conn_us > 0 ? OUT_TIMEOUT : OUT_CONNECT;
		if (r->outcome == OUT_CONNECT)
			snprintf(r->why, sizeof(r->why), "no connection within %s s",
				 secs(r->timeout, t, sizeof(t)));
		break;
	case CURLE_COULDNT_CONNECT:
		r->outcome = OUT_CONNECT;
		r->at_once = true;
		snprintf(r->why, sizeof(r->why), "%s",
			 os_errno ? strerror((int)os_errno) : "no connection");
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		r->outcome = OUT_CONNECT;
		r->at_once = true;
		snprintf(r->why, sizeof(r->why), "the host name does not resolve");
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		r->outcome = OUT_CONNECT;
		r->at_once = true;
		snprintf(r->why, sizeof(r->why), "the proxy's host name does not resolve");
		break;
	case CURLE_PARTIAL_FILE:
		curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &got);
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &want);
		r->outcome = OUT_IO;
		if (want >= 0)
			snprintf(r->why, sizeof(r->why),
				 "the connection closed after %" CURL_FORMAT_CURL_OFF_T
				 " of %" CURL_FORMAT_CURL_OFF_T " bytes", got, want);
		else
			snprintf(r->why, sizeof(r->why), "%s", detail);
		break;
	case CURLE_GOT_NOTHING:
		r->outcome = OUT_IO;
		snprintf(r->why, sizeof(r->why), "the connection closed without a reply");
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		r->outcome = OUT_IO;
		snprintf(r->why, sizeof(r->why), "%s",
			 os_errno ? strerror((int)os_errno) : detail);
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		r->outcome = OUT_BADREPLY;
		snprintf(r->why, sizeof(r->why), "it is not HTTP (%s)", detail);
		break;
	case CURLE_SSL_CACERT_BADFILE:
		r->outcome = OUT_CAFILE;
		f = fopen(o->ca_file ? o->ca_file : "", "r");
		r->sys = f ? EINVAL : errno;
		snprintf(r->why, sizeof(r->why), "%s",
			 f ? "it holds no PEM certificates" : strerror(r->sys));
		if (f)
			fclose(f);
		break;
	case CURLE_SSL_CERTPROBLEM:
		r->outcome = OUT_TLS;
		snprintf(r->why, sizeof(r->why), "cannot use the client certificate or key: %s",
			 detail);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
		tls_why(h, cc, ip_host, errbuf, r);
		break;
	default:
		r->outcome = OUT_OTHER;
		snprintf(r->why, sizeof(r->why), "%s", detail);
		break;
	}
}

/* One request on a new handle (and so a new connection). */
static void attempt(const struct kds_http_opts *o, const struct request *rq, bool ip_host,
		    double timeout, struct result *r)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink s = { .max = o->max_len };
	struct curl_slist *hdrs = NULL;
	curl_off_t ra = 0;
	CURL *h = NULL;
	CURLcode cc;

	*r = (struct result){ .outcome = OUT_NOMEM, .retry_after = -1, .timeout = timeout };
	h = curl_easy_init();
	if (!h)
		goto out;
	s.h = h;
	cc = setup(h, o, rq, timeout_ms(timeout), errbuf, &s, &hdrs);
	if (cc != CURLE_OK) {
		r->outcome = cc == CURLE_OUT_OF_MEMORY ? OUT_NOMEM : OUT_OTHER;
		snprintf(r->why, sizeof(r->why), "cannot set up libcurl: %s",
			 curl_easy_strerror(cc));
		goto out;
	}
	debug("%s %s", rq->data ? "POST" : "GET", rq->url);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK)
		debug("libcurl: %s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status != 0 && r->status != 200) {
		/* The status line was read: it is the answer, whatever came after. */
		r->outcome = OUT_STATUS;
		if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
			r->retry_after = ra > KDS_RETRY_AFTER_MAX ? KDS_RETRY_AFTER_MAX : (long)ra;
		goto out;
	}
	if (cc != CURLE_OK) {
		classify(h, cc, o, ip_host, errbuf, &s, r);
		goto out;
	}
	if (r->status != 200) {
		r->outcome = OUT_BADREPLY;
		snprintf(r->why, sizeof(r->why), "it has no HTTP status");
		goto out;
	}
	if (rq->der && der_whole(s.data, s.len, r->why, sizeof(r->why)) < 0) {
		r->outcome = OUT_BADREPLY;
		goto out;
	}
	if (!s.data) {
		/* An empty text reply: still a buffer, so callers need not care. */
		s.data = malloc(1);
		if (!s.data)
			goto out;
	}
	r->outcome = OUT_OK;
	r->body = s.data;
	r->len = s.len;
	s.data = NULL;
out:
	free(s.data);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
}

/* ---- retries ---------------------------------------------------------- */

/* The backoff after the n-th failed attempt (n >= 1), jitter applied. */
static double backoff(double first, unsigned int n)
{
	double d = first;

	for (unsigned int i = 1; i < n && d < KDS_BACKOFF_CAP; i++)
		d *= 2;
	if (d > KDS_BACKOFF_CAP)
		d = KDS_BACKOFF_CAP;
	return d * (1.0 - KDS_BACKOFF_JITTER * sc_random01());
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

/* Who answers, in messages: KDS, or the mirror (kds_http_opts.server). */
#define SRV(o) ((o)->server ? (o)->server : "KDS")

/* Say on stderr that the failed attempt r is retried in wait seconds. */
static void say_retry(const struct kds_http_opts *o, const struct result *r, const char *what,
		      double wait, unsigned int next, unsigned int limit)
{
	const char *as = r->retry_after >= 0 ? " as asked" : "";
	char w[32], t[32];

	secs(wait, w, sizeof(w));
	secs(r->timeout, t, sizeof(t));
	switch (r->outcome) {
	case OUT_STATUS:
		if (r->status == 429)
			info("%s rate-limited the request for %s (429); retrying in %s s%s "
			     "(attempt %u of %u)", SRV(o), what, w, as, next, limit);
		else
			info("%s answered %ld for %s; retrying in %s s%s (attempt %u of %u)",
			     SRV(o), r->status, what, w, as, next, limit);
		break;
	case OUT_TIMEOUT:
		info("%s at '%s' did not answer within %s s; retrying in %s s (attempt %u of %u)",
		     SRV(o), o->base_url, t, w, next, limit);
		break;
	case OUT_CONNECT:
		info("cannot connect to %s at '%s': %s; retrying in %s s (attempt %u of %u)",
		     SRV(o), o->base_url, r->why, w, next, limit);
		break;
	default:
		info("%s at '%s' broke off the reply for %s: %s; retrying in %s s "
		     "(attempt %u of %u)", SRV(o), o->base_url, what, r->why, w, next, limit);
		break;
	}
}

/* The message and code for a request that failed for good. */
static int report(const struct kds_http_opts *o, const struct result *r, const char *what,
		  unsigned int attempts, double elapsed, const char *extra, struct why *why)
{
	char tail[128] = "", e[32], t[32];

	secs(r->timeout, t, sizeof(t));
	if (attempts > 1)
		snprintf(tail, sizeof(tail), "; gave up after %u attempts over %s s", attempts,
			 secs(elapsed, e, sizeof(e)));
	switch (r->outcome) {
	case OUT_STATUS:
		if (r->status == 429)
			return why_set(why, -ERR_KDS,
				       "%s rate-limited the request for %s (429)%s%s", SRV(o), what,
				       extra, tail);
		return why_set(why, -ERR_KDS, "%s answered %ld for %s%s%s", SRV(o), r->status, what, extra,
			       tail);
	case OUT_TIMEOUT:
		return why_set(why, -ERR_KDS, "%s at '%s' did not answer within %s s%s%s",
			       SRV(o), o->base_url, t, extra, tail);
	case OUT_CONNECT:
		return why_set(why, -ERR_KDS, "cannot connect to %s at '%s': %s%s%s", SRV(o), o->base_url,
			       r->why, extra, tail);
	case OUT_TLS:
		return why_set(why, -ERR_KDS, "cannot talk to %s at '%s' over TLS: %s",
			       SRV(o), o->base_url, r->why);
	case OUT_IO:
		return why_set(why, -ERR_KDS, "%s at '%s' broke off the reply for %s: %s%s%s",
			       SRV(o), o->base_url, what, r->why, extra, tail);
	case OUT_BADREPLY:
		return why_set(why, -ERR_VERIFY, "%s reply for %s is malformed: %s", SRV(o), what, r->why);
	case OUT_TOOBIG:
		return why_set(why, -ERR_VERIFY,
			       "%s reply for %s is larger than %zu KiB: not a certificate", SRV(o), what,
			       o->max_len / 1024);
	case OUT_CAFILE:
		return why_set(why, -r->sys, "cannot load KDS CA file '%s': %s", o->ca_file,
			       r->why);
	case OUT_NOMEM:
		return why_set(why, -ENOMEM, "out of memory");
	default:
		return why_set(why, -ERR_KDS, "request to %s at '%s' for %s failed: %s",
			       SRV(o), o->base_url, what, r->why);
	}
}

static int request(const struct kds_http_opts *o, const char *path, struct request *rq,
		   const char *what, uint8_t **body, size_t *len, bool *answered, struct why *why)
{
	struct result r = { 0 };
	unsigned int attempts = 0, limit;
	uint64_t start = sc_now_ns();
	double left, wait, timeout;
	bool ip_host = false;
	char *url = NULL;
	int ret;

	*body = NULL;
	*len = 0;
	ret = curl_ready(why);
	if (ret)
		goto out;
	ret = url_parse(o->base_url, &ip_host);
	if (ret == 0)
		ret = kds_url_join(o->base_url, path, &url);
	if (ret == -EINVAL) {
		ret = bad_url(o->base_url, why);
		goto out;
	}
	if (ret) {
		ret = why_set(why, -ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		char extra[160] = "", d[32];

		left = attempts ? o->deadline - sc_since_s(start) : o->deadline;
		if (attempts > 0 && left < KDS_ATTEMPT_MIN)
			left = KDS_ATTEMPT_MIN; /* a retry that was started gets a fair chance */
		timeout = left < o->timeout ? left : o->timeout;
		attempts++;
		free(r.body);
		rq->url = url;
		attempt(o, rq, ip_host, timeout, &r);
		if (r.outcome == OUT_OK) {
			*body = r.body;
			*len = r.len;
			r.body = NULL;
			ret = 0;
			goto out;
		}
		if (!retryable(&r)) {
			ret = report(o, &r, what, attempts, sc_since_s(start), "", why);
			goto out;
		}
		limit = r.outcome == OUT_CONNECT && r.at_once ? KDS_CONNECT_ATTEMPTS : KDS_ATTEMPTS;
		if (attempts >= limit) {
			ret = report(o, &r, what, attempts, sc_since_s(start), "", why);
			goto out;
		}
		if (r.retry_after >= 0)
			wait = (double)r.retry_after +
			       KDS_RETRY_AFTER_JITTER * sc_random01() * (double)(r.retry_after + 1);
		else
			wait = backoff(r.outcome == OUT_CONNECT && r.at_once ?
					       KDS_CONNECT_BACKOFF_FIRST : KDS_BACKOFF_FIRST,
				       attempts);
		left = o->deadline - sc_since_s(start);
		if (wait >= left) {
			if (r.retry_after >= o->deadline)
				snprintf(extra, sizeof(extra),
					 " and asked to retry after %ld s, past the %s s deadline",
					 r.retry_after, secs(o->deadline, d, sizeof(d)));
			ret = report(o, &r, what, attempts, sc_since_s(start), extra, why);
			goto out;
		}
		say_retry(o, &r, what, wait, attempts + 1, limit);
		sc_sleep_s(wait);
	}
out:
	if (answered)
		*answered = r.outcome == OUT_OK || r.outcome == OUT_STATUS ||
			    r.outcome == OUT_BADREPLY || r.outcome == OUT_TOOBIG;
	free(r.body);
	free(url);
	return ret;
}

int kds_http_get(const struct kds_http_opts *o, const char *path, bool der, const char *what,
		 uint8_t **body, size_t *len, struct why *why)
{
	return kds_http_get_answered(o, path, der, what, body, len, NULL, why);
}

int kds_http_get_answered(const struct kds_http_opts *o, const char *path, bool der,
			  const char *what, uint8_t **body, size_t *len, bool *answered,
			  struct why *why)
{
	struct request rq = { .der = der };

	return request(o, path, &rq, what, body, len, answered, why);
}

int kds_http_post(const struct kds_http_opts *o, const char *path, const char *data,
		  const char *ctype, const char *what, uint8_t **body, size_t *len,
		  struct why *why)
{
	char header[128];
	struct request rq = { .data = data, .ctype = header };

	snprintf(header, sizeof(header), "Content-Type: %s", ctype);
	return request(o, path, &rq, what, body, len, NULL, why);
}
