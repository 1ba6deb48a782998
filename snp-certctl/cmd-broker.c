// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * broker: the attestation evidence broker for SEV and SEV-ES guests, the
 * ttrpc protocol the librats SEV attester speaks (formats/aeb-protocol.md)
 * over vsock (or a unix socket, for hybrid vsock and tests).  Each
 * connection has its thread, its deadline and its own failures: the
 * guest's report comes from its QEMU over QMP (qmp.h), the chain from the
 * store (sev-store.h, under the shared locks), and the report is verified
 * against the chain's PEK, with the mnonce asked for, before it is handed
 * out.  A guest is who its socket says (the vsock CID, or the one VM behind
 * a unix socket); its guest_handle must be the handle its QEMU reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "aeb.h"
#include "base.h"
#include "cmd.h"
#include "qmp.h"
#include "sev-store.h"
#include "util.h"

#define BROKER_DEFAULT_PORT 5577
#define BROKER_MAX_LISTENERS 16
#define BROKER_TIMEOUT_MAX 3600 /* seconds: a connection's deadline at most */
#define BROKER_GUESTS_MAX 1024 /* rate-limit buckets kept */
#define BROKER_GUEST_SHARE 8     /* one guest holds at most 1/8 of the connections */
#define BROKER_LOG_BURST 64      /* log lines of one guest at once */
#define BROKER_GUEST_LEN 128     /* "unix:" and a sun_path, or "vsock:" and a CID */
/* A connection's descriptors at most: its socket, QMP's and its directory, the set and its mark. */
#define BROKER_FDS_PER_CONN (3 + SEV_SET_MEMBERS + 1)
#define BROKER_FDS_RESERVED 64 /* stdio, listeners, the stop pipe, syslog, roots */

/* The error_code values of the evidence reply (also in snp-certctl(1)). */
enum {
	AEB_ERR_HANDLE = 1,   /* guest_handle is not the handle QEMU reports */
	AEB_ERR_VM = 2,       /* the VM's QMP failed, hung or lied */
	AEB_ERR_REPORT = 3,   /* the report does not verify against the stored PEK */
	AEB_ERR_CHAIN = 4,    /* no usable stored chain */
	AEB_ERR_RATE = 5,     /* rate limited */
	AEB_ERR_SIZE = 6,     /* evidence_size is not AEB_EVIDENCE_SIZE */
	AEB_ERR_UNKNOWN = 7,  /* no QMP socket for this guest */
};

enum { OPT_LISTEN = OPT_COMMON_LAST, OPT_QMP, OPT_QMP_DIR, OPT_MAX_CONN, OPT_RATE, OPT_BTIMEOUT,
       OPT_SYSLOG };

static const char usage[] =
	"Usage: snp-certctl broker [--listen ADDR]... [--qmp SOCKET]\n"
	"                          [--qmp-dir DIR] [-d DIR] [--trust-root FILE]\n"
	"                          [--max-connections N] [--rate N] [--timeout SEC]\n"
	"                          [--syslog]\n"
	"\n"
	"Serve SEV and SEV-ES guests their attestation evidence (the report and the\n"
	"PEK, OCA and CEK) over the protocol of the librats SEV attester: ttrpc,\n"
	"service aeb.Aeb (or aeb.AEB).  The report comes from the guest's QEMU over\n"
	"QMP (query-sev-attestation-report, with the guest's mnonce or a random one),\n"
	"the chain from the store (sev-export), and every report is verified against\n"
	"the stored PEK first.  A vsock guest is its CID: its QEMU's QMP socket is\n"
	"DIR/<CID>.sock; behind a unix listener is the one VM of --qmp.  Sockets from\n"
	"systemd (ListenStream=) are used when there are any.  Runs until SIGTERM.\n"
	"\n"
	"      --listen ADDR     vsock:PORT (default vsock:5577) or unix:PATH (made\n"
	"                        0660; repeatable)\n"
	"      --qmp SOCKET      the QMP socket of the VM behind the unix listeners\n"
	"      --qmp-dir DIR     vsock guests' QMP sockets, <CID>.sock (default\n"
	"                        " DEFAULT_BROKER_QMP_DIR "; setting broker_qmp_dir)\n"
	"  -d, --dir DIR         the SEV chain (default: the store's sev/)\n"
	"      --trust-root FILE trust this ARK too (AMD CA format, or ASK and ARK;\n"
	"                        setting sev_trust_root)\n"
	"      --max-connections N  at most N at once (default 64), N/8 (at least 2)\n"
	"                        of one guest\n"
	"      --rate N          evidence requests per minute per guest (default 60)\n"
	"      --timeout SEC     each connection's time (default 10, at most 3600)\n"
	"      --syslog          log to syslog (LOG_DAEMON) instead of stderr\n"
	"\n"
	"Exit status: 0 after SIGTERM or SIGINT, 2 usage, 1 when it cannot listen.\n";

struct listener {
	int fd;
	bool vsock;
	char *path; /* unix: made here, removed at exit */
};

struct bucket {
	char guest[BROKER_GUEST_LEN];
	double tokens;
	uint64_t last_ns;
	uint64_t dropped; /* log lines not logged */
};

struct broker {
	struct ctx *ctx;
	struct listener l[BROKER_MAX_LISTENERS];
	size_t n;
	const char *qmp, *qmp_dir;
	char *dir;
	struct sev_root root;
	struct sev_verify_opts o;
	unsigned int max_conn, max_guest; /* at once: in all, of one guest */
	double rate, timeout;
	bool use_syslog;
	atomic_uint active;
	pthread_mutex_t lock; /* buckets, conns, the log */
	struct conn *conns;   /* the connections being served */
	struct bucket *buckets, *log_buckets;
	size_t n_buckets, n_log_buckets;
};

struct conn {
	struct broker *b;
	int fd;
	bool vsock;
	unsigned int cid;
	char guest[BROKER_GUEST_LEN];
	uint64_t deadline_ns;
	struct conn *next, **pprev; /* in b->conns */
};

static volatile sig_atomic_t stopping;
static int stop_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int e = errno;

	(void)sig;
	stopping = 1;
	if (write(stop_pipe[1], "x", 1) < 0) {
		/* the flag is enough */
	}
	errno = e;
}

/* One line out, under b->lock. */
static void vlog_line(struct broker *b, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void vlog_line(struct broker *b, int prio, const char *fmt, va_list ap)
{
	char line[768];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (b->use_syslog)
		syslog(prio, "%s", line);
	else
		fprintf(stderr, "snp-certctl broker: %s\n", line);
}

static void log_line(struct broker *b, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void log_line(struct broker *b, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(b, prio, fmt, ap);
	va_end(ap);
}

/* One line out, taking b->lock. */
static void logf_(struct broker *b, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logf_(struct broker *b, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&b->lock);
	vlog_line(b, prio, fmt, ap);
	pthread_mutex_unlock(&b->lock);
	va_end(ap);
}

/* ---- listening ----------------------------------------------------------- */

static int listen_unix(struct broker *b, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r = -1, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		err("the socket path '%s' is too long", path);
		return EXIT_USAGE;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		int probe;

		/* Only a stale socket (nobody listening) is replaced. */
		if (!S_ISSOCK(st.st_mode)) {
			err("refusing to replace '%s': %s, not a socket", path,
			    file_type_name(st.st_mode));
			return EXIT_FAIL;
		}
		/* Not blocking: a listener whose backlog is full is in use, not a wait. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (probe >= 0 && (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
				   errno == EAGAIN || errno == EINPROGRESS)) {
			close(probe);
			err("'%s' is in use: another broker listens there", path);
			return EXIT_FAIL;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	/*
	 * Made 0660 by bind() itself, never by a chmod() of the path: whoever
	 * may write the directory (a VMM's own hybrid vsock directory) could
	 * have put a symbolic link there by then (no thread runs yet: umask
	 * is the process's).
	 */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0) {
		mode_t old = umask(0117);

		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		e = errno;
		umask(old);
		errno = e;
	}
	if (fd < 0 || r < 0 || listen(fd, 64) < 0) {
		err("cannot listen on 'unix:%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	b->l[b->n].fd = fd;
	b->l[b->n].path = strdup(path);
	b->l[b->n++].vsock = false;
	return 0;
}

static int listen_vsock(struct broker *b, unsigned int port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		err("cannot listen on 'vsock:%u': %s", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	b->l[b->n].fd = fd;
	b->l[b->n++].vsock = true;
	return 0;
}

static int listen_spec(struct broker *b, const char *spec)
{
	uint64_t port;

	if (b->n == BROKER_MAX_LISTENERS)
		return usage_error(b->ctx, "at most %d --listen", BROKER_MAX_LISTENERS);
	if (strncmp(spec, "unix:", 5) == 0 && spec[5])
		return listen_unix(b, spec + 5);
	if (strncmp(spec, "vsock:", 6) == 0 && parse_u64(spec + 6, &port) == 0 && port > 0 &&
	    port < 0xffffffffu)
		return listen_vsock(b, (unsigned int)port);
	return usage_error(b->ctx, "invalid --listen '%s': want vsock:PORT or unix:PATH", spec);
}

/* systemd's sockets (sd_listen_fds(3), by hand): how many were taken, or -1 said. */
static int listen_systemd(struct broker *b)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	uint64_t p, n;

	if (!pid || !fds || parse_u64(pid, &p) < 0 || p != (uint64_t)getpid() ||
	    parse_u64(fds, &n) < 0 || n == 0)
		return 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n > BROKER_MAX_LISTENERS) {
		err("systemd passed %llu sockets: at most %d", (unsigned long long)n,
		    BROKER_MAX_LISTENERS);
		return -1;
	}
	for (int fd = 3; fd < 3 + (int)n; fd++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
		    (ss.ss_family != AF_VSOCK && ss.ss_family != AF_UNIX)) {
			err("systemd's socket %d is not a vsock or unix socket", fd);
			return -1;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		b->l[b->n].fd = fd;
		b->l[b->n++].vsock = ss.ss_family == AF_VSOCK;
	}
	return (int)n;
}

/* ---- one request --------------------------------------------------------- */

/* The guest's bucket in v (n of BROKER_GUESTS_MAX), made full when new. */
static struct bucket *bucket_get(struct bucket *v, size_t *n, const char *guest, double full,
				 uint64_t now)
{
	struct bucket *k;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(v[i].guest, guest) == 0)
			return &v[i];
	i = *n < BROKER_GUESTS_MAX ? (*n)++ : 0;
	/* Full: the bucket idle longest goes (a refilled bucket loses nothing). */
	for (size_t j = 0; *n == BROKER_GUESTS_MAX && j < *n; j++)
		if (v[j].last_ns < v[i].last_ns)
			i = j;
	k = &v[i];
	memset(k, 0, sizeof(*k));
	snprintf(k->guest, sizeof(k->guest), "%s", guest);
	k->tokens = full;
	k->last_ns = now;
	return k;
}

/* Refill k at per_minute up to burst; take a token if there is one. */
static bool bucket_take(struct bucket *k, double per_minute, double burst, uint64_t now)
{
	k->tokens += (double)(now - k->last_ns) / 1e9 * per_minute / 60.0;
	if (k->tokens > burst)
		k->tokens = burst;
	k->last_ns = now;
	if (k->tokens < 1)
		return false;
	k->tokens -= 1;
	return true;
}

/* Take one of the guest's tokens: rate per minute, a burst of rate / 6 (at least 1). */
static bool rate_ok(struct broker *b, const char *guest)
{
	double burst = b->rate / 6 < 1 ? 1 : b->rate / 6;
	uint64_t now = sc_now_ns();
	bool ok;

	pthread_mutex_lock(&b->lock);
	ok = bucket_take(bucket_get(b->buckets, &b->n_buckets, guest, burst, now), b->rate, burst,
			 now);
	pthread_mutex_unlock(&b->lock);
	return ok;
}

/*
 * A line about guest, within its budget: BROKER_LOG_BURST lines, refilled
 * at twice the rate plus one a second (a size and an evidence request per
 * evidence token, and the refusals).  A line over budget is counted, and
 * the count logged before the guest's next line that is.
 */
static void logg_(struct broker *b, const char *guest, int prio, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void logg_(struct broker *b, const char *guest, int prio, const char *fmt, ...)
{
	uint64_t now = sc_now_ns();
	struct bucket *k;
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&b->lock);
	k = bucket_get(b->log_buckets, &b->n_log_buckets, guest, BROKER_LOG_BURST, now);
	if (!bucket_take(k, 2 * b->rate + 60, BROKER_LOG_BURST, now)) {
		k->dropped++;
	} else {
		if (k->dropped)
			log_line(b, LOG_WARNING, "guest=%s: %llu lines not logged (too many)", guest,
				 (unsigned long long)k->dropped);
		k->dropped = 0;
		log_line(b, prio, "%s", line);
	}
	pthread_mutex_unlock(&b->lock);
}

/*
 * The QMP socket of the guest: 0 with path (malloc'd) and *dirfd (vsock:
 * the QMP directory, open while path is used, see qmp_dir_socket(); -1
 * else), or AEB_ERR_UNKNOWN with why.
 */
static int guest_qmp(const struct conn *c, char **path, int *dirfd, struct why *why)
{
	const struct broker *b = c->b;
	char buf[QMP_DIR_PATH_MAX];

	*dirfd = -1;
	if (!c->vsock) {
		*path = strdup(b->qmp);
		return *path ? 0 : why_set(why, AEB_ERR_VM, "out of memory");
	}
	if (qmp_dir_socket(b->qmp_dir, c->cid, dirfd, buf, why) < 0)
		return AEB_ERR_UNKNOWN;
	*path = strdup(buf);
	if (!*path) {
		close(*dirfd);
		*dirfd = -1;
		return why_set(why, AEB_ERR_VM, "out of memory");
	}
	return 0;
}

/* The stored chain, verified: 0 with s and gen, or AEB_ERR_CHAIN with why. */
static int chain_read(struct conn *c, struct sev_stored *s, enum sev_gen *gen, struct why *why)
{
	struct amd_check_list checks = { 0 };
	uint64_t now = sc_now_ns();
	unsigned int ms = now < c->deadline_ns ? (unsigned int)((c->deadline_ns - now) / 1000000) : 0;
	struct sev_chain ch;
	int r;

	r = sev_store_read(c->b->dir, ms, s, why);
	if (r < 0)
		return AEB_ERR_CHAIN; /* why says it */
	ch = (struct sev_chain){ .ark = s->ark, .ark_len = s->ark_len, .ask = s->ask,
				 .ask_len = s->ask_len, .cek = s->cek, .oca = s->oca,
				 .pek = s->pek, .pdh = s->has_pdh ? s->pdh : NULL };
	r = sev_chain_verify(&ch, &c->b->o, &checks, gen);
	if (r < 0) {
		const char *bad = "out of memory";

		for (size_t i = 0; i < checks.n && r != -ENOMEM; i++)
			if (!checks.v[i].ok) {
				bad = checks.v[i].detail;
				break;
			}
		why_set(why, AEB_ERR_CHAIN, "the stored SEV chain does not verify: %s", bad);
		amd_check_list_free(&checks);
		sev_stored_clear(s);
		return AEB_ERR_CHAIN;
	}
	amd_check_list_free(&checks);
	return 0;
}

/*
 * The evidence for req: 0 with *json, or an error_code with why.  The
 * chain first (no stored chain: QEMU is not bothered), then the report;
 * one that does not verify against the PEK is tried against the chain read
 * anew (an export may have rotated the PEK meanwhile), never handed out.
 */
static int evidence(struct conn *c, const struct aeb_request *req, const uint8_t *mnonce,
		    char **json, size_t *len, struct why *why)
{
	uint8_t report[SEV_REPORT_LEN];
	struct sev_stored s = { 0 };
	enum sev_gen gen = SEV_GEN_UNKNOWN;
	char *qmp = NULL, bad[160];
	int qmp_dirfd = -1;
	int r;

	if (req->evidence_size != AEB_EVIDENCE_SIZE)
		return why_set(why, AEB_ERR_SIZE, "evidence_size %u, not %u", req->evidence_size,
			       AEB_EVIDENCE_SIZE);
	if (!rate_ok(c->b, c->guest))
		return why_set(why, AEB_ERR_RATE, "rate limited (%g per minute)", c->b->rate);
	r = guest_qmp(c, &qmp, &qmp_dirfd, why);
	if (r == 0)
		r = chain_read(c, &s, &gen, why);
	if (r == 0) {
		r = qmp_attest(qmp, req->guest_handle, mnonce, c->deadline_ns, stop_pipe[0],
			       report, why);
		if (r < 0)
			r = r == -EPERM ? AEB_ERR_HANDLE : AEB_ERR_VM; /* why says it */
	}
	for (int again = 0; r == 0; again++) {
		if (sev_report_verify(s.pek, report, mnonce, bad, sizeof(bad)) == 0)
			break;
		sev_stored_clear(&s);
		if (again || chain_read(c, &s, &gen, why) != 0) {
			r = why_set(why, AEB_ERR_REPORT, "the report does not verify against the "
				    "stored PEK: %s", bad);
			break;
		}
	}
	if (r == 0 && aeb_evidence_json(report, s.cek, s.pek, s.oca, gen, json, len) < 0)
		r = why_set(why, AEB_ERR_VM, "out of memory");
	sev_stored_clear(&s);
	free(qmp);
	if (qmp_dirfd >= 0)
		close(qmp_dirfd);
	return r;
}

/* A line about the connection's guest. */
#define logc(c, prio, ...) logg_((c)->b, (c)->guest, (prio), __VA_ARGS__)

/* ---- a connection --------------------------------------------------------- */

static int io_wait(const struct conn *c, short ev)
{
	struct pollfd p = { .fd = c->fd, .events = ev };

	for (;;) {
		uint64_t now = sc_now_ns();
		int r;

		if (now >= c->deadline_ns || stopping)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)((c->deadline_ns - now) / 1000000 + 1));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Exactly n bytes: 0, 1 at a clean end before any byte, or -errno. */
static int read_exact(const struct conn *c, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(c->fd, buf + got, n - got, 0);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			return got ? -EPROTO : 1;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		r = io_wait(c, POLLIN);
		if (r < 0)
			return (int)r;
	}
	return 0;
}

static int write_all(const struct conn *c, const uint8_t *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = send(c->fd, buf + off, n - off, MSG_NOSIGNAL);

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (io_wait(c, POLLOUT) < 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* Serve one request: 0 to go on, < 0 to drop the connection. */
static int serve_one(struct conn *c)
{
	uint8_t head[TTRPC_HEADER_LEN], data[AEB_MAX_REQUEST], mnonce[SEV_MNONCE_LEN];
	struct ttrpc_header h;
	struct aeb_request req;
	struct why why = { 0 };
	char bad[128] = "";
	uint8_t *frame = NULL;
	char *json = NULL;
	size_t flen = 0, jlen = 0;
	uint64_t t0;
	int r, code = 0;

	r = read_exact(c, head, sizeof(head));
	if (r)
		return r > 0 ? -1 : r;
	t0 = sc_now_ns();
	ttrpc_header_decode(head, &h);
	if (ttrpc_header_check(&h, bad, sizeof(bad)) < 0) {
		logc(c, LOG_WARNING, "guest=%s dropped: %s", c->guest, bad);
		return -EPROTO;
	}
	r = read_exact(c, data, h.length);
	if (r) {
		logc(c, LOG_WARNING, "guest=%s dropped: the frame was cut short", c->guest);
		return -EPROTO;
	}
	r = aeb_request_parse(data, h.length, &req, bad, sizeof(bad));
	if (r == -ENOENT) {
		logc(c, LOG_WARNING, "guest=%s unimplemented: %s", c->guest, bad);
		r = ttrpc_status_response(h.stream_id, TTRPC_CODE_UNIMPLEMENTED, bad, &frame, &flen);
		goto send;
	}
	if (r < 0) {
		logc(c, LOG_WARNING, "guest=%s dropped: %s", c->guest, bad);
		return -EPROTO;
	}
	if (req.method == AEB_METHOD_SIZE) {
		r = aeb_size_response(h.stream_id, 0, AEB_EVIDENCE_SIZE, &frame, &flen);
		logc(c, LOG_INFO, "guest=%s handle=%u method=size result=ok ms=%.0f", c->guest,
		      req.guest_handle, sc_since_s(t0) * 1e3);
		goto send;
	}
	if (req.has_mnonce)
		memcpy(mnonce, req.mnonce, sizeof(mnonce));
	else if (RAND_bytes(mnonce, sizeof(mnonce)) != 1)
		code = why_set(&why, AEB_ERR_VM, "no random mnonce");
	if (code == 0)
		code = evidence(c, &req, mnonce, &json, &jlen, &why);
	r = aeb_evidence_response(h.stream_id, (uint32_t)code, code ? NULL : json, code ? 0 : jlen,
				  &frame, &flen);
	if (code)
		logc(c, LOG_WARNING, "guest=%s handle=%u method=evidence result=refused "
		     "error_code=%d (%s) mnonce=%s ms=%.0f", c->guest, req.guest_handle, code,
		     why.msg, req.has_mnonce ? "guest" : "random", sc_since_s(t0) * 1e3);
	else
		logc(c, LOG_INFO, "guest=%s handle=%u method=evidence result=ok mnonce=%s "
		      "ms=%.0f", c->guest, req.guest_handle, req.has_mnonce ? "guest" : "random",
		      sc_since_s(t0) * 1e3);
send:
	free(json);
	if (r == 0)
		r = write_all(c, frame, flen);
	free(frame);
	return r;
}

/* Out of b->conns. */
static void conn_unlink(struct conn *c)
{
	pthread_mutex_lock(&c->b->lock);
	if (c->next)
		c->next->pprev = c->pprev;
	*c->pprev = c->next;
	pthread_mutex_unlock(&c->b->lock);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;

	while (serve_one(c) == 0)
		;
	/* The slot is free before the peer can see the close and come back. */
	conn_unlink(c);
	atomic_fetch_sub(&c->b->active, 1);
	close(c->fd);
	free(c);
	return NULL;
}

/* 0, or -errno when accept failed for want of descriptors or memory. */
static int accept_one(struct broker *b, const struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	pthread_attr_t attr;
	pthread_t t;
	struct conn *c;
	unsigned int same = 0;
	int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM ?
		       -errno : 0;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->b = b;
	c->fd = fd;
	c->vsock = l->vsock;
	c->deadline_ns = sc_now_ns() + (uint64_t)(b->timeout * 1e9);
	if (l->vsock) {
		c->cid = ((struct sockaddr_vm *)&ss)->svm_cid;
		snprintf(c->guest, sizeof(c->guest), "vsock:%u", c->cid);
	} else {
		snprintf(c->guest, sizeof(c->guest), "unix:%s", l->path ? l->path : "systemd");
	}
	if (atomic_load(&b->active) >= b->max_conn) {
		logg_(b, c->guest, LOG_WARNING, "guest=%s refused a connection: %u at once already",
		      c->guest, b->max_conn);
		close(fd);
		free(c);
		return 0;
	}
	/* One guest holding every slot (idle till its deadline, again and again) starves all. */
	pthread_mutex_lock(&b->lock);
	for (const struct conn *o = b->conns; o && same < b->max_guest; o = o->next)
		same += strcmp(o->guest, c->guest) == 0;
	if (same < b->max_guest) {
		c->next = b->conns;
		c->pprev = &b->conns;
		if (b->conns)
			b->conns->pprev = &c->next;
		b->conns = c;
	}
	pthread_mutex_unlock(&b->lock);
	if (same >= b->max_guest) {
		logg_(b, c->guest, LOG_WARNING,
		      "guest=%s refused a connection: %u of its own at once already", c->guest,
		      b->max_guest);
		close(fd);
		free(c);
		return 0;
	}
	atomic_fetch_add(&b->active, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	if (pthread_create(&t, &attr, conn_main, c) != 0) {
		conn_unlink(c);
		atomic_fetch_sub(&b->active, 1);
		close(fd);
		free(c);
	}
	pthread_attr_destroy(&attr);
	return 0;
}

/*
 * Descriptors for max_conn connections at once: the soft limit raised
 * towards the hard one if need be (EMFILE at accept() would leave the
 * listener readable, and the daemon spinning on it).  0, or a usage error.
 */
static int fd_budget(struct broker *b)
{
	rlim_t need = (rlim_t)b->max_conn * BROKER_FDS_PER_CONN + BROKER_FDS_RESERVED;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		struct rlimit up = { .rlim_cur = need, .rlim_max = rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return 0;
	}
	return usage_error(b->ctx, "--max-connections %u needs %llu file descriptors, the limit "
			   "is %llu (ulimit -n, LimitNOFILE=)", b->max_conn,
			   (unsigned long long)need, (unsigned long long)rl.rlim_cur);
}

/* ---- the command ------------------------------------------------------------ */

static int parse_args(struct broker *b, int argc, char **argv, const char **specs, size_t *n)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_TRUST_ROOT,
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ "qmp-dir", required_argument, NULL, OPT_QMP_DIR },
		{ "dir", required_argument, NULL, 'd' },
		{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "timeout", required_argument, NULL, OPT_BTIMEOUT },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t u;
	int opt;

	while ((opt = getopt_long(argc, argv, ":" COMMON_SHORTOPTS "d:", longopts, NULL)) != -1) {
		if (common_option(b->ctx, opt, optarg, argv))
			continue;
		switch (opt) {
		case OPT_LISTEN:
			if (*n == BROKER_MAX_LISTENERS)
				return usage_error(b->ctx, "at most %d --listen",
						   BROKER_MAX_LISTENERS);
			specs[(*n)++] = optarg;
			break;
		case OPT_QMP:
			b->qmp = optarg;
			break;
		case OPT_QMP_DIR:
			b->ctx->cli[SET_BROKER_QMP_DIR] = optarg;
			break;
		case 'd':
			b->dir = optarg;
			break;
		case OPT_MAX_CONN:
			if (parse_u64(optarg, &u) < 0 || u == 0 || u > 65536)
				return usage_error(b->ctx, "invalid --max-connections '%s'", optarg);
			b->max_conn = (unsigned int)u;
			break;
		case OPT_RATE:
			if (parse_seconds(optarg, &b->rate) < 0 || b->rate <= 0)
				return usage_error(b->ctx, "invalid --rate '%s': want requests per "
						   "minute, above 0", optarg);
			break;
		case OPT_BTIMEOUT:
			if (parse_seconds(optarg, &b->timeout) < 0 || b->timeout <= 0 ||
			    b->timeout > BROKER_TIMEOUT_MAX)
				return usage_error(b->ctx, "invalid --timeout '%s': want seconds, "
						   "above 0 and at most %d", optarg, BROKER_TIMEOUT_MAX);
			break;
		case OPT_SYSLOG:
			b->use_syslog = true;
			break;
		}
	}
	if (optind < argc)
		return usage_error(b->ctx, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int cmd_broker_main(struct ctx *ctx, int argc, char **argv)
{
	struct broker b = { .ctx = ctx, .max_conn = 64,
			    .rate = 60, .timeout = 10, .o = { .gen = SEV_GEN_UNKNOWN } };
	const char *specs[BROKER_MAX_LISTENERS], *dir_opt;
	struct pollfd p[BROKER_MAX_LISTENERS + 1];
	struct sigaction sa = { .sa_handler = on_signal };
	size_t n_specs = 0;
	bool has_unix = false;
	int ret;

	pthread_mutex_init(&b.lock, NULL);
	ret = parse_args(&b, argc, argv, specs, &n_specs);
	dir_opt = b.dir;
	b.dir = NULL;
	if (ret == 0)
		ret = ctx_load(ctx);
	/*
	 * At least 2: a librats guest asks the size, closes, and connects at
	 * once for the evidence, maybe before its first connection's end is
	 * seen here.
	 */
	b.max_guest = b.max_conn / BROKER_GUEST_SHARE > 2 ? b.max_conn / BROKER_GUEST_SHARE : 2;
	if (b.max_guest > b.max_conn)
		b.max_guest = b.max_conn;
	if (ret == 0)
		ret = fd_budget(&b);
	if (ret == 0)
		ret = sev_trust_root_load(ctx, &b.root);
	if (ret)
		goto out;
	sev_root_opts(&b.root, &b.o);
	b.qmp_dir = ctx_get(ctx, SET_BROKER_QMP_DIR);
	b.dir = sev_store_dir(ctx, dir_opt);
	b.buckets = calloc(BROKER_GUESTS_MAX, sizeof(*b.buckets));
	b.log_buckets = calloc(BROKER_GUESTS_MAX, sizeof(*b.log_buckets));
	if (!b.dir || !b.buckets || !b.log_buckets || pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		ret = cmd_oom();
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Nothing to reload: the chain and the QMP sockets are found anew per request. */
	signal(SIGHUP, SIG_IGN);
	ret = listen_systemd(&b) < 0 ? EXIT_FAIL : 0;
	/* systemd's sockets, when there are any, stand for all of --listen. */
	for (size_t i = 0, systemd = b.n; ret == 0 && !systemd && i < n_specs; i++)
		ret = listen_spec(&b, specs[i]);
	if (ret == 0 && b.n == 0)
		ret = listen_vsock(&b, BROKER_DEFAULT_PORT);
	for (size_t i = 0; i < b.n; i++)
		has_unix |= !b.l[i].vsock;
	if (ret == 0 && has_unix && !b.qmp)
		ret = usage_error(ctx, "a unix listener needs --qmp SOCKET: the VM behind it");
	if (ret)
		goto out;
	if (b.use_syslog)
		openlog("snp-certctl-broker", LOG_PID, LOG_DAEMON);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (size_t i = 0; i < b.n; i++)
		logf_(&b, LOG_INFO, "listening on %s%s", b.l[i].vsock ? "vsock" : "unix:",
		      b.l[i].vsock ? "" : b.l[i].path ? b.l[i].path : "(systemd)");
	logf_(&b, LOG_INFO, "chain '%s', %s", b.dir, has_unix ? b.qmp : b.qmp_dir);
	while (!stopping) {
		int starved = 0;

		for (size_t i = 0; i < b.n; i++)
			p[i] = (struct pollfd){ .fd = b.l[i].fd, .events = POLLIN };
		p[b.n] = (struct pollfd){ .fd = stop_pipe[0], .events = POLLIN };
		if (poll(p, b.n + 1, -1) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < b.n && !stopping && !starved; i++)
			if (p[i].revents & POLLIN)
				starved = accept_one(&b, &b.l[i]);
		if (starved) {
			/* The backlog keeps the connection; try again in a while, not at once. */
			logf_(&b, LOG_WARNING, "cannot accept a connection: %s", strerror(-starved));
			poll(&p[b.n], 1, 100);
		}
	}
	logf_(&b, LOG_INFO, "stopping");
	/*
	 * Connections see stopping at their next wait (the socket's, QMP's:
	 * the stop pipe is readable from now on), log their request and end;
	 * none outlives its deadline.  Only then is what they use freed.
	 */
	while (atomic_load(&b.active) > 0)
		usleep(10000);
	ret = 0;
out:
	for (size_t i = 0; i < b.n; i++) {
		close(b.l[i].fd);
		if (b.l[i].path)
			unlink(b.l[i].path);
		free(b.l[i].path);
	}
	free(b.buckets);
	free(b.log_buckets);
	pthread_mutex_destroy(&b.lock);
	sev_root_free(&b.root);
	free(b.dir);
	return ret;
}

const struct cmd cmd_broker = { "broker", cmd_broker_main,
				"serve SEV(-ES) guests their attestation evidence", usage,
				.json = false };
