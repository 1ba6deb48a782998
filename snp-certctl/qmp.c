// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The broker's QMP client.  See qmp.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base.h"
#include "qmp.h"
#include "trustpath.h"
#include "util.h"

struct conn {
	int fd;
	uint64_t deadline_ns;
	int cancel_fd;
	char buf[QMP_LINE_MAX + 1];
	size_t len;
	char line[QMP_LINE_MAX + 1];
};

/* Milliseconds left, at least 1 while any is: 0 once the deadline passed. */
static int left_ms(const struct conn *c)
{
	uint64_t now = sc_now_ns();

	if (now >= c->deadline_ns)
		return 0;
	return (int)((c->deadline_ns - now) / 1000000 + 1);
}

static int wait_for(struct conn *c, short events, struct why *why)
{
	struct pollfd p[2] = { { .fd = c->fd, .events = events },
			       { .fd = c->cancel_fd, .events = POLLIN } };
	int r, ms;

	for (;;) {
		ms = left_ms(c);
		if (ms == 0)
			return why_set(why, -ETIMEDOUT, "QEMU did not answer in time");
		r = poll(p, c->cancel_fd >= 0 ? 2 : 1, ms);
		if (r > 0 && p[1].revents)
			return why_set(why, -ECANCELED, "the broker is stopping");
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return why_set(why, -errno, "poll: %s", strerror(errno));
	}
}

static int send_all(struct conn *c, const char *s, struct why *why)
{
	size_t n = strlen(s), off = 0;
	int r;

	while (off < n) {
		ssize_t w = send(c->fd, s + off, n - off, MSG_NOSIGNAL);

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return why_set(why, -errno, "cannot write to QMP: %s", strerror(errno));
		if ((r = wait_for(c, POLLOUT, why)) < 0)
			return r;
	}
	return 0;
}

/* The next line (without its end), NUL-terminated into line (QMP_LINE_MAX + 1). */
static int read_line(struct conn *c, char *line, struct why *why)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t r;

		if (nl) {
			size_t n = (size_t)(nl - c->buf);

			memcpy(line, c->buf, n);
			line[n] = '\0';
			if (n && line[n - 1] == '\r')
				line[n - 1] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return 0;
		}
		if (c->len == QMP_LINE_MAX)
			return why_set(why, -EPROTO, "QEMU sent a line of more than %d bytes",
				       QMP_LINE_MAX);
		r = read(c->fd, c->buf + c->len, QMP_LINE_MAX - c->len);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		if (r == 0)
			return why_set(why, -EPROTO, "QEMU closed the QMP connection");
		if (errno != EAGAIN && errno != EINTR)
			return why_set(why, -errno, "cannot read from QMP: %s", strerror(errno));
		if ((r = wait_for(c, POLLIN, why)) < 0)
			return (int)r;
	}
}

/* The next message that is not an event: a JSON object (json_decref it). */
static int next_message(struct conn *c, json_t **out, struct why *why)
{
	char *line = c->line;

	for (int i = 0; i < QMP_LINES_MAX; i++) {
		json_error_t e;
		json_t *j;
		int r = read_line(c, line, why);

		if (r < 0)
			return r;
		if (!line[0])
			continue;
		j = json_loads(line, JSON_REJECT_DUPLICATES, &e);
		if (!j || !json_is_object(j)) {
			json_decref(j);
			return why_set(why, -EPROTO, "QEMU sent something that is not a JSON object%s%s",
				       j ? "" : ": ", j ? "" : e.text);
		}
		if (json_object_get(j, "event")) {
			json_decref(j);
			continue;
		}
		*out = j;
		return 0;
	}
	return why_set(why, -EPROTO, "QEMU sent more than %d events without answering",
		       QMP_LINES_MAX);
}

/* Send cmd and take its "return" (borrowed from *reply, which the caller frees). */
static int command(struct conn *c, const char *cmd, const char *name, json_t **reply,
		   json_t **ret, struct why *why)
{
	json_t *err;
	int r = send_all(c, cmd, why);

	if (r == 0)
		r = next_message(c, reply, why);
	if (r < 0)
		return r;
	err = json_object_get(*reply, "error");
	if (err) {
		const char *cls = json_string_value(json_object_get(err, "class"));
		const char *desc = json_string_value(json_object_get(err, "desc"));

		return why_set(why, -EPROTO, "QMP %s failed: %s%s%s", name, cls ? cls : "error",
			       desc ? ": " : "", desc ? desc : "");
	}
	*ret = json_object_get(*reply, "return");
	if (!*ret)
		return why_set(why, -EPROTO, "QEMU's answer to %s has no \"return\"", name);
	return 0;
}

/* Strict base64 of exactly n bytes into out. */
static int base64_exact(const char *s, uint8_t *out, size_t n)
{
	size_t len = strlen(s), pad = 0;
	unsigned char *tmp;
	int got;

	if (len == 0 || len % 4 || len > 4 * (n / 3 + 1))
		return -1;
	pad = (s[len - 1] == '=') + (len > 1 && s[len - 2] == '=');
	if (len / 4 * 3 - pad != n)
		return -1;
	tmp = malloc(len / 4 * 3);
	if (!tmp)
		return -1;
	got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
	if (got == (int)(len / 4 * 3))
		memcpy(out, tmp, n);
	free(tmp);
	return got == (int)(len / 4 * 3) ? 0 : -1;
}

static int conversation(struct conn *c, uint32_t handle, const uint8_t *mnonce, uint8_t *report,
			struct why *why)
{
	char b64[32], cmd[160];
	json_t *reply = NULL, *ret = NULL, *v;
	const char *s;
	int r;

	r = next_message(c, &reply, why);
	if (r == 0 && !json_is_object(json_object_get(reply, "QMP")))
		r = why_set(why, -EPROTO, "QEMU's QMP greeting is missing");
	json_decref(reply);
	reply = NULL;
	if (r == 0)
		r = command(c, "{\"execute\":\"qmp_capabilities\"}\n", "qmp_capabilities", &reply,
			    &ret, why);
	json_decref(reply);
	reply = NULL;
	if (r == 0)
		r = command(c, "{\"execute\":\"query-sev\"}\n", "query-sev", &reply, &ret, why);
	if (r < 0)
		goto out;
	if (!json_is_true(json_object_get(ret, "enabled"))) {
		r = why_set(why, -ENOTSUP, "QEMU says SEV is not enabled for this guest");
		goto out;
	}
	s = json_string_value(json_object_get(ret, "sev-type"));
	if (json_object_get(ret, "sev-type") && (!s || strcmp(s, "sev") != 0)) {
		r = why_set(why, -ENOTSUP, "the guest is not a SEV or SEV-ES guest (sev-type %s)",
			    s ? s : "not a string");
		goto out;
	}
	v = json_object_get(ret, "handle");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX) {
		r = why_set(why, -EPROTO, "QEMU's query-sev has no valid handle");
		goto out;
	}
	if ((uint32_t)json_integer_value(v) != handle) {
		r = why_set(why, -EPERM, "the guest asked as handle %u, but its QEMU reports handle %lld",
			    handle, (long long)json_integer_value(v));
		goto out;
	}
	json_decref(reply);
	reply = NULL;
	EVP_EncodeBlock((unsigned char *)b64, mnonce, SEV_MNONCE_LEN);
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"query-sev-attestation-report\",\"arguments\":{\"mnonce\":\"%s\"}}\n",
		 b64);
	r = command(c, cmd, "query-sev-attestation-report", &reply, &ret, why);
	if (r < 0)
		goto out;
	s = json_string_value(json_object_get(ret, "data"));
	if (!s || base64_exact(s, report, SEV_REPORT_LEN) < 0)
		r = why_set(why, -EPROTO, "QEMU's attestation report is not %u bytes of base64",
			    SEV_REPORT_LEN);
out:
	json_decref(reply);
	return r;
}

int qmp_attest(const char *path, uint32_t handle, const uint8_t mnonce[SEV_MNONCE_LEN],
	       uint64_t deadline_ns, int cancel_fd, uint8_t report[SEV_REPORT_LEN],
	       struct why *why)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct conn *c;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return why_set(why, -ENAMETOOLONG, "the QMP socket path '%s' is too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c = malloc(sizeof(*c));
	if (!c)
		return why_set(why, -ENOMEM, "out of memory");
	c->len = 0;
	c->deadline_ns = deadline_ns;
	c->cancel_fd = cancel_fd;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		r = why_set(why, -errno, "socket: %s", strerror(errno));
		goto out;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = why_set(why, -errno, "cannot connect to QMP '%s': %s", path, strerror(errno));
		goto out;
	}
	r = conversation(c, handle, mnonce, report, why);
out:
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return r;
}

int qmp_dir_socket(const char *dir, uint32_t cid, int *dirfd, char path[QMP_DIR_PATH_MAX],
		   struct why *why)
{
	char last[NAME_MAX + 1], bad[PATH_MAX + 64], reason[160], name[32];
	struct stat st;
	int up, fd;

	*dirfd = -1;
	up = trust_path_walk(dir, false, last, bad, sizeof(bad));
	if (up < 0)
		return why_set(why, -1, "the QMP directory '%s': %s", dir,
			       up == -EPERM ? bad : strerror(-up));
	fd = openat(up, last, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (fstatat(up, last, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
			why_set(why, -1, "the QMP directory '%s' is %s, not a directory", dir,
				file_type_name(st.st_mode));
		else
			why_set(why, -1, "the QMP directory '%s': %s", dir, strerror(e));
		close(up);
		return -1;
	}
	close(up);
	if (fstat(fd, &st) < 0) {
		why_set(why, -1, "the QMP directory '%s': %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	/* Not even a sticky one: anyone could add a socket for a CID there. */
	if (sc_trust_check(&st, reason, sizeof(reason)) < 0) {
		why_set(why, -1, "the QMP directory '%s' is %s", dir, reason);
		close(fd);
		return -1;
	}
	snprintf(name, sizeof(name), "%u.sock", cid);
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		why_set(why, -1, "no QMP socket '%s/%s' for CID %u: %s", dir, name, cid,
			strerror(errno));
	else if (!S_ISSOCK(st.st_mode))
		why_set(why, -1, "the QMP socket '%s/%s' for CID %u is %s, not a socket", dir, name,
			cid, file_type_name(st.st_mode));
	else {
		snprintf(path, QMP_DIR_PATH_MAX, "/proc/self/fd/%d/%s", fd, name);
		*dirfd = fd;
		return 0;
	}
	close(fd);
	return -1;
}
