// SPDX-License-Identifier: GPL-2.0-or-later
/* What every command shares for reporting (cmd.h): usage errors, engine failures. */
#include <stdarg.h>
#include <stdio.h>

#include "cmd.h"
#include "util.h"

int usage_error(const struct ctx *ctx, const char *fmt, ...)
{
	const char *name = ctx && ctx->cmd ? ctx->cmd->name : NULL;
	va_list ap;

	fputs("snp-certctl: ", stderr);
	if (name)
		fprintf(stderr, "%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (name)
		fprintf(stderr, "\nTry 'snp-certctl %s --help'.\n", name);
	else
		fputs("\nTry 'snp-certctl --help'.\n", stderr);
	return EXIT_USAGE;
}

int cmd_error(int rc, const struct why *why)
{
	if (rc && why && why->msg[0])
		err("%s", why->msg);
	return exit_status(rc);
}
