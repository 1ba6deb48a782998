/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "snpcert-internal.h"

SNPCERT_EXPORT const char *snpcert_strerror(int err)
{
	const char *s;

	if (err == INT_MIN)
		return "unknown error"; /* -INT_MIN overflows */
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case EAGAIN:
		return "lock busy";
	case ETIMEDOUT:
		return "lock not obtained within the timeout";
	case EALREADY:
		return "lock already held by this handle";
	case ENOLCK:
		return "lock not held";
	case EBADMSG:
		return "malformed or half-written certificate table";
	case ENOSPC:
		return "buffer too small for the certificate table";
	case EFBIG:
		return "certificate table too large";
	case ELOOP:
		return "refusing to follow a symbolic link";
	case EPERM:
		return "file writable by others or owned by another user";
	case ESTALE:
		return "table replaced by another file while being updated";
	}
	/* glibc: a static string, or NULL for an unknown value. */
	s = strerrordesc_np(err);
	return s ? s : "unknown error";
}
