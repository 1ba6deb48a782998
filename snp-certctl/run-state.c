// SPDX-License-Identifier: GPL-2.0-or-later
/* The run state file in the store: see metrics.h and formats/run-state.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "metrics.h"
#include "util.h"

bool run_state_recorded(const char *command)
{
	static const char *const recorded[] = { "refresh", "fw-update", "vlek-load", "sev-export" };

	for (size_t i = 0; command && i < sizeof(recorded) / sizeof(recorded[0]); i++)
		if (strcmp(command, recorded[i]) == 0)
			return true;
	return false;
}

/* Read path: 0 (*have false when missing), -EBADMSG with why, or another -errno. */
static int load(const char *path, struct runstate *s, bool *have, char *why, size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	*have = false;
	memset(s, 0, sizeof(*s));
	ret = read_file(path, RUNSTATE_FILE_MAX, &buf, &len);
	if (ret == -ENOENT)
		return 0;
	if (ret == -EFBIG)
		snprintf(why, whylen, "larger than %d KiB", RUNSTATE_FILE_MAX / 1024);
	else if (ret == -ERR_REFUSED)
		snprintf(why, whylen, "not a regular file");
	else if (ret < 0)
		snprintf(why, whylen, "%s", strerror(-ret));
	if (ret < 0)
		return ret == -ENOMEM ? ret : -EBADMSG;
	ret = runstate_parse(buf, len, s, why, whylen);
	free(buf);
	*have = ret == 0;
	return ret;
}

int run_state_load(const char *dir, struct runstate *s, bool *have)
{
	char *path = path_join(dir, RUN_STATE_NAME), why[256] = "";
	int ret;

	*have = false;
	if (!path)
		return cmd_oom(), -ENOMEM;
	ret = load(path, s, have, why, sizeof(why));
	if (ret == -ENOMEM) {
		free(path);
		return cmd_oom(), -ENOMEM;
	}
	if (ret < 0)
		warn("ignoring the state file '%s': %s", path, why);
	free(path);
	return 0;
}

/* An exclusive flock of the directory fd by the deadline d: 0 or -errno (-ETIMEDOUT). */
static int lock_dir(int fd, const struct sc_deadline *d)
{
	unsigned int step = 1000;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (sc_backoff(d->end_ns, &step, 50000) < 0)
			return -ETIMEDOUT;
	}
}

void run_state_record(const struct ctx *ctx, const char *command, int status, double hold_s)
{
	const char *store = ctx_get(ctx, SET_STORE);
	struct runstate s;
	struct sc_deadline d;
	char *path = NULL, *text = NULL, why[256] = "";
	struct why w;
	size_t len = 0;
	bool have;
	char bad[160] = "";
	struct stat st;
	int fd, ret;

	fd = open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			warn("cannot record the %s run in the store '%s': %s", command, store,
			     strerror(errno));
		return;
	}
	/* A store others may write is no place for what monitoring believes. */
	if (fstat(fd, &st) < 0 || sc_trust_check_dir(&st, bad, sizeof(bad)) < 0) {
		warn("not recording the %s run in the store '%s': %s", command, store,
		     bad[0] ? bad : strerror(errno));
		goto out;
	}
	sc_deadline_init(&d, ctx->lock_timeout);
	ret = lock_dir(fd, &d);
	if (ret < 0) {
		warn("cannot record the %s run in the store '%s': %s", command, store,
		     ret == -ETIMEDOUT ? "another run held its state file past the lock timeout" :
					 strerror(-ret));
		goto out;
	}
	path = path_join(store, RUN_STATE_NAME);
	if (!path) {
		cmd_oom();
		goto out;
	}
	ret = load(path, &s, &have, why, sizeof(why));
	if (ret == -ENOMEM) {
		cmd_oom();
		goto out;
	}
	if (ret < 0)
		warn("replacing the state file '%s': %s", path, why);
	ret = runstate_record(&s, command, (int64_t)time(NULL), status, hold_s);
	if (ret == -ENOSPC) {
		/* Full of names no release records: start again with this one. */
		memset(&s, 0, sizeof(s));
		ret = runstate_record(&s, command, (int64_t)time(NULL), status, hold_s);
	}
	if (ret == 0)
		ret = runstate_encode(&s, &text, &len);
	if (ret == -ENOMEM) {
		cmd_oom();
		goto out;
	}
	if (ret < 0) {
		warn("cannot record the %s run in '%s': %s", command, path, strerror(-ret));
		goto out;
	}
	if (write_file_atomic(path, text, len, 0644, WRITE_REPLACE, &w) < 0)
		warn("%s", w.msg);
	else
		debug("recorded the %s run (exit status %d) in '%s'", command, status, path);
out:
	free(text);
	free(path);
	close(fd); /* the flock goes with it */
}
