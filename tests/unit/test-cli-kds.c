// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The KDS client and cache (snp-certctl/kds-http.c, kds-cache.c) as the
 * engine they are: base URLs, the SNP_CERTCTL_KDS_* knobs, and failures
 * that come back as a code and a one-line message, never printed (only
 * the retries are said, and only when not quiet).  A refused connection
 * is a bound socket that does not listen.  Replies, faults and TLS are in
 * tests/cli/fetch.bats, against the loopback KDS stand-in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "kds-cache.h"
#include "kds-http.h"
#include "tap.h"
#include "util.h"

static char base[] = "/tmp/test-cli-kds.XXXXXX";
static char errbuf[8192];
static int saved_err = -1;

static void die(const char *what)
{
	perror(what);
	exit(99);
}

/* Redirect stderr into a file around a call. */
static void capture_begin(void)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/stderr", base);
	fflush(stderr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved_err = dup(STDERR_FILENO);
	if (fd < 0 || saved_err < 0)
		die("capture");
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void capture_end(void)
{
	char path[256];
	FILE *f;
	size_t n = 0;

	fflush(stderr);
	dup2(saved_err, STDERR_FILENO);
	close(saved_err);
	snprintf(path, sizeof(path), "%s/stderr", base);
	errbuf[0] = '\0';
	f = fopen(path, "re");
	if (f) {
		n = fread(errbuf, 1, sizeof(errbuf) - 1, f);
		errbuf[n] = '\0';
		fclose(f);
	}
	for (char *l = errbuf, *e; *l; l = e + 1) {
		e = strchr(l, '\n');
		if (!e)
			break;
		printf("# stderr: %.*s\n", (int)(e - l), l);
	}
}

static int lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *l = s, *e; *l; l = e + 1) {
		e = strchr(l, '\n');
		if (!e)
			break;
		if (!needle || memmem(l, (size_t)(e - l), needle, strlen(needle)))
			n++;
	}
	return n;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_urls(void)
{
	CHECK_EQ(kds_url_check("https://kdsintf.amd.com"), 0, "the KDS URL");
	CHECK_EQ(kds_url_check("https://mirror.example/kds/"), 0, "a mirror under a path");
	CHECK_EQ(kds_url_check("http://127.0.0.1:8080"), 0, "plain http with a port");
	CHECK_EQ(kds_url_check("http://[::1]:8080"), 0, "an IPv6 address");
	CHECK_EQ(kds_url_check("ftp://127.0.0.1/"), -EINVAL, "ftp is refused");
	CHECK_EQ(kds_url_check("HTTPS://kdsintf.amd.com"), -EINVAL, "the scheme in lower case");
	CHECK_EQ(kds_url_check("http://"), -EINVAL, "no host");
	CHECK_EQ(kds_url_check("http://h/?x=1"), -EINVAL, "a query");
	CHECK_EQ(kds_url_check("http://h/#frag"), -EINVAL, "a fragment");
	CHECK_EQ(kds_url_check("http://h:99999/"), -EINVAL, "a port out of range");
	CHECK_EQ(kds_url_check(NULL), -EINVAL, "NULL");
}

static void test_opts(void)
{
	struct kds_http_opts o;
	struct why why = { "" };

	unsetenv("SNP_CERTCTL_KDS_TIMEOUT");
	unsetenv("SNP_CERTCTL_KDS_DEADLINE");
	unsetenv("SNP_CERTCTL_KDS_CA");
	CHECK_EQ(kds_http_opts_init(&o, "https://kdsintf.amd.com", &why), 0, "defaults");
	CHECK(o.timeout == KDS_DEFAULT_TIMEOUT && o.deadline == KDS_DEFAULT_DEADLINE &&
	      o.max_len == KDS_REPLY_MAX && !o.ca_file, "the default time-out, deadline and cap");

	setenv("SNP_CERTCTL_KDS_TIMEOUT", "0.25", 1);
	setenv("SNP_CERTCTL_KDS_DEADLINE", "1.5", 1);
	setenv("SNP_CERTCTL_KDS_CA", "/x/ca.pem", 1);
	CHECK_EQ(kds_http_opts_init(&o, "http://127.0.0.1:1", &why), 0, "knobs");
	CHECK(o.timeout == 0.25 && o.deadline == 1.5, "a fractional time-out is kept as it is");
	CHECK_STR(o.ca_file, "/x/ca.pem", "SNP_CERTCTL_KDS_CA");
	setenv("SNP_CERTCTL_KDS_TIMEOUT", "99999", 1);
	CHECK(kds_http_opts_init(&o, "http://127.0.0.1:1", &why) == 0 && o.timeout == 3600,
	      "a time-out over an hour is cut to an hour");

	setenv("SNP_CERTCTL_KDS_TIMEOUT", "soon", 1);
	CHECK_EQ(kds_http_opts_init(&o, "http://127.0.0.1:1", &why), -ERR_USAGE, "a bad time-out");
	CHECK_STR(why.msg, "invalid SNP_CERTCTL_KDS_TIMEOUT 'soon': want seconds greater than 0, "
		  "e.g. 10 or 0.5", "  says which knob and what it wants");
	setenv("SNP_CERTCTL_KDS_TIMEOUT", "0", 1);
	CHECK_EQ(kds_http_opts_init(&o, "http://127.0.0.1:1", &why), -ERR_USAGE, "a time-out of 0");
	unsetenv("SNP_CERTCTL_KDS_TIMEOUT");
	setenv("SNP_CERTCTL_KDS_DEADLINE", "-1", 1);
	CHECK_EQ(kds_http_opts_init(&o, "http://127.0.0.1:1", &why), -ERR_USAGE,
		 "a negative deadline");
	unsetenv("SNP_CERTCTL_KDS_DEADLINE");
	unsetenv("SNP_CERTCTL_KDS_CA");
	CHECK_EQ(kds_http_opts_init(&o, "ftp://x/", &why), -ERR_USAGE, "a bad URL");
	CHECK_STR(why.msg, "invalid KDS URL 'ftp://x/': want http://HOST[:PORT][/PATH] or "
		  "https://...", "  names the URL");
}

/* A TCP port on 127.0.0.1 that refuses connections: bound, not listening. */
static int refusing_port(int *fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(a);

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(*fd, (struct sockaddr *)&a, &n) < 0)
		die("socket");
	return ntohs(a.sin_port);
}

static void test_refused(void)
{
	struct kds_http_opts o;
	struct why why = { "" };
	char url[64], want[256];
	uint8_t *body = (uint8_t *)"x";
	size_t len = 7;
	double t0, took;
	int fd = -1, port, r;

	port = refusing_port(&fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	setenv("SNP_CERTCTL_KDS_TIMEOUT", "10", 1);
	setenv("SNP_CERTCTL_KDS_DEADLINE", "60", 1);
	CHECK_EQ(kds_http_opts_init(&o, url, &why), 0, "a refusing KDS");

	log_verbosity = 0;
	t0 = now();
	capture_begin();
	r = kds_http_get(&o, "/vcek/v1/Milan/cert_chain", false, "Milan VCEK CA chain", &body,
			 &len, &why);
	capture_end();
	took = now() - t0;
	CHECK_EQ(r, -ERR_KDS, "refused: -ERR_KDS");
	CHECK_EQ(exit_status(r), EXIT_KDS, "  which is exit 6");
	snprintf(want, sizeof(want),
		 "cannot connect to KDS at '%s': Connection refused; gave up after 3 attempts", url);
	CHECK(starts_with(why.msg, want), "  the message says refused, and after how many tries");
	printf("# why: %s\n", why.msg);
	CHECK(!strchr(why.msg, '\n'), "  on one line");
	CHECK(!body && len == 0, "  no body");
	CHECK(took < 5.0, "  in well under 5 s, not the 60 s deadline (a sanity bound)");
	CHECK_EQ(lines(errbuf, NULL), 2, "  two lines on stderr");
	CHECK_EQ(lines(errbuf, "Connection refused; retrying in "), 2, "  both say the retry");
	CHECK(strstr(errbuf, "(attempt 2 of 3)\n") && strstr(errbuf, "(attempt 3 of 3)\n"),
	      "  with the attempt coming up");
	CHECK_EQ(lines(errbuf, "gave up"), 0, "  the error itself is not printed");

	log_verbosity = -1;
	capture_begin();
	r = kds_http_get(&o, "/vcek/v1/Milan/crl", true, "Milan VCEK CRL", &body, &len, &why);
	capture_end();
	CHECK_EQ(r, -ERR_KDS, "refused, quiet: -ERR_KDS");
	CHECK_STR(errbuf, "", "  quiet: nothing on stderr");

	/* A deadline shorter than the first backoff: one attempt, said as such. */
	setenv("SNP_CERTCTL_KDS_DEADLINE", "0.1", 1);
	CHECK_EQ(kds_http_opts_init(&o, url, &why), 0, "a short deadline");
	log_verbosity = 0;
	capture_begin();
	r = kds_http_get(&o, "/vcek/v1/Milan/crl", true, "Milan VCEK CRL", &body, &len, &why);
	capture_end();
	snprintf(want, sizeof(want), "cannot connect to KDS at '%s': Connection refused", url);
	CHECK(r == -ERR_KDS && strcmp(why.msg, want) == 0, "  one attempt, no retry");
	CHECK_STR(errbuf, "", "  and nothing said");
	unsetenv("SNP_CERTCTL_KDS_TIMEOUT");
	unsetenv("SNP_CERTCTL_KDS_DEADLINE");
	close(fd);
}

static void test_cache(void)
{
	struct ctx ctx = { 0 };
	struct cache c;
	struct cache_item it = { 0 };
	struct kds_vcek_id id = { .product = AMD_PRODUCT_MILAN, .hwid_len = 3 };
	struct why why = { "" };
	char dir[300], want[512];
	int r;

	ctx.value[SET_KDS_URL] = (char *)"http://127.0.0.1:1";
	ctx.value[SET_CACHE_DIR] = (char *)"";
	CHECK_EQ(cache_init(&c, &ctx, NULL, true, &why), -ERR_USAGE, "cache_init: no directory");
	CHECK_STR(why.msg, "no cache directory: set cache_dir or give --cache DIR", "  says so");
	snprintf(dir, sizeof(dir), "%s/cache", base);
	ctx.value[SET_CACHE_DIR] = dir;
	ctx.value[SET_KDS_URL] = (char *)"http://h/?q";
	CHECK_EQ(cache_init(&c, &ctx, NULL, true, &why), -ERR_USAGE, "cache_init: a bad URL");
	ctx.value[SET_KDS_URL] = (char *)"http://127.0.0.1:1";
	CHECK_EQ(cache_init(&c, &ctx, NULL, true, &why), 0, "cache_init, offline");

	log_verbosity = 0;
	capture_begin();
	r = cache_chain(&c, AMD_PRODUCT_MILAN, KDS_FAMILY_VCEK, &it, &why);
	capture_end();
	CHECK_EQ(r, -ERR_KDS, "offline and not cached: -ERR_KDS");
	snprintf(want, sizeof(want), "no usable Milan VCEK CA chain in the cache '%s', and "
		 "--offline forbids asking KDS", dir);
	CHECK_STR(why.msg, want, "  the message");
	CHECK_STR(errbuf, "", "  nothing printed");
	CHECK(!it.data && !it.path, "  nothing returned");

	capture_begin();
	r = cache_vcek(&c, &id, &it, &why);
	capture_end();
	CHECK_EQ(r, -ERR_USAGE, "a VCEK request with a 3-byte chip id: -ERR_USAGE");
	CHECK_STR(why.msg, "cannot ask KDS for a VCEK of product 'Milan' with a 3-byte chip id",
		  "  the message");
	CHECK_STR(errbuf, "", "  nothing printed");
	cache_item_clear(&it);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(base))
		die("mkdtemp");
	test_urls();
	test_opts();
	test_refused();
	test_cache();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", base);
	return tap_done();
}
