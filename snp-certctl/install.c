// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "holders.h"
#include "install.h"
#include "snpcert.h"
#include "util.h"

static void describe_holders(int fd, char *buf, size_t len)
{
	struct lock_holder *h = NULL;
	struct stat st;
	size_t n = 0;

	if (fstat(fd, &st) < 0 || lock_holders(st.st_dev, st.st_ino, &h, &n) < 0)
		snprintf(buf, len, "unknown processes");
	else
		lock_holders_describe(h, n, buf, len);
	free(h);
}

static int writer_error(const char *path, int ret, double timeout_s)
{
	switch (ret) {
	case -ETIMEDOUT:
	case -EAGAIN:
		err("cannot lock '%s' within %gs: another update of it is in progress", path,
		    timeout_s);
		return EXIT_LOCK;
	case -ELOOP:
		err("refusing '%s': it is a symbolic link", path);
		break;
	case -EINVAL:
	case -EISDIR:
		err("refusing '%s': not a regular file", path);
		break;
	case -EPERM:
		err("refusing '%s' (or its journal): writable by group or others, or owned by "
		    "another user", path);
		break;
	case -EBADMSG:
		err("'%s' is not a well-formed certificate table", path);
		return EXIT_VERIFY;
	default:
		err("cannot update '%s': %s", path, snpcert_strerror(ret));
	}
	return EXIT_FAIL;
}

static unsigned int owner_flags(void)
{
	return geteuid() == 0 ? SNPCERT_WRITER_STRICT_OWNER : 0;
}

int writer_open_report(struct ctx *ctx, const char *path, struct snpcert_writer **out)
{
	int ret = snpcert_writer_open(path, owner_flags(), seconds_to_ms(ctx->lock_timeout), out);

	return ret < 0 ? writer_error(path, ret, ctx->lock_timeout) : 0;
}

int writer_lock_report(struct ctx *ctx, struct snpcert_writer *w, const char *path,
		       double timeout_s)
{
	char who[512];
	double first = timeout_s < 1.0 ? timeout_s : 1.0;
	int ret;

	(void)ctx;
	ret = snpcert_writer_lock(w, seconds_to_ms(first));
	if (ret == -ETIMEDOUT && timeout_s > first) {
		describe_holders(snpcert_writer_fd(w), who, sizeof(who));
		info("waiting for the lock on '%s', held by %s", path, who);
		ret = snpcert_writer_lock(w, seconds_to_ms(timeout_s - first));
	}
	if (ret == -ETIMEDOUT || ret == -EAGAIN) {
		describe_holders(snpcert_writer_fd(w), who, sizeof(who));
		err("cannot lock '%s' within %gs: held by %s", path, timeout_s, who);
		return EXIT_LOCK;
	}
	return ret < 0 ? writer_error(path, ret, timeout_s) : 0;
}

int table_install_path(struct ctx *ctx, const char *path, const uint8_t *buf, size_t len,
		       bool create)
{
	struct snpcert_writer *w = NULL;
	struct stat st;
	int ret;

	if (create && lstat(path, &st) < 0 && errno == ENOENT) {
		ret = write_file_atomic(path, buf, len, 0644, false);
		if (ret != -EEXIST) {
			if (ret < 0)
				err("cannot write '%s': %s", path, strerror(-ret));
			return ret < 0 ? EXIT_FAIL : 0;
		}
	}
	/* Everything up to the journal happens before the exclusive lock. */
	ret = writer_open_report(ctx, path, &w);
	if (ret)
		goto out;
	ret = snpcert_writer_prepare(w, buf, len);
	if (ret < 0) {
		ret = writer_error(path, ret, ctx->lock_timeout);
		goto out;
	}
	ret = writer_lock_report(ctx, w, path, ctx->lock_timeout);
	if (ret)
		goto out;
	ret = snpcert_writer_commit(w);
	if (ret == 0)
		ret = snpcert_writer_unlock(w);
	if (ret == 0)
		ret = snpcert_writer_finish(w);
	if (ret < 0)
		ret = writer_error(path, ret, ctx->lock_timeout);
out:
	snpcert_writer_close(w);
	return ret;
}
