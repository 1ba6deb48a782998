// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

int why_set(struct why *w, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!w)
		return rc;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int exit_status(int rc)
{
	if (rc >= 0)
		return rc;
	switch (-rc) {
	case ERR_USAGE:
		return EXIT_USAGE;
	case ERR_LOCK:
	case ETIMEDOUT:
		return EXIT_LOCK;
	case ERR_VERIFY:
	case EBADMSG:
		return EXIT_VERIFY;
	case ERR_PLATFORM:
		return EXIT_PLATFORM;
	case ERR_KDS:
		return EXIT_KDS;
	default:
		return EXIT_FAIL;
	}
}

const char *err_name(int rc)
{
	switch (-rc) {
	case ERR_USAGE:
		return "usage error";
	case ERR_LOCK:
		return "lock not had in time";
	case ERR_VERIFY:
		return "verification failed";
	case ERR_PLATFORM:
		return "platform error";
	case ERR_KDS:
		return "KDS or network error";
	case ERR_REFUSED:
		return "refused";
	case ERR_HOOK:
		return "hook failed";
	default:
		return rc < 0 && -rc < ERR_BASE ? strerror(-rc) : "unknown error";
	}
}

/* The class of an exit status, as a code for err_name(); 0 for none. */
static int exit_class(int status)
{
	switch (status) {
	case EXIT_USAGE:
		return -ERR_USAGE;
	case EXIT_LOCK:
		return -ERR_LOCK;
	case EXIT_VERIFY:
		return -ERR_VERIFY;
	case EXIT_PLATFORM:
		return -ERR_PLATFORM;
	case EXIT_KDS:
		return -ERR_KDS;
	default:
		return 0;
	}
}

const char *exit_name(int status)
{
	if (status == EXIT_OK)
		return "success";
	if (exit_class(status))
		return err_name(exit_class(status));
	return status > 128 ? "stopped by a signal" : "failed";
}

static char noted[WHY_MAX];

void error_note(const char *msg)
{
	if (!noted[0] && msg)
		snprintf(noted, sizeof(noted), "%s", msg);
}

const char *error_noted(void)
{
	return noted[0] ? noted : NULL;
}
