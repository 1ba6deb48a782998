// SPDX-License-Identifier: GPL-2.0-or-later
/* What every command shares for reporting (cmd.h): usage errors, engine failures. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "json.h"
#include "platform.h"
#include "snpcert.h"
#include "store.h"
#include "table.h"
#include "util.h"

int usage_error(const struct ctx *ctx, const char *fmt, ...)
{
	const char *name = ctx && ctx->cmd ? ctx->cmd->name : NULL;
	char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	if (name)
		err("%s: %s", name, msg ? msg : "out of memory");
	else
		err("%s", msg ? msg : "out of memory");
	free(msg);
	if (name)
		fprintf(stderr, "Try 'snp-certctl %s --help'.\n", name);
	else
		fputs("Try 'snp-certctl --help'.\n", stderr);
	return EXIT_USAGE;
}

bool cmd_has_json(const struct cmd *cmd)
{
	return cmd->json;
}

int cmd_finish(const struct ctx *ctx, int status)
{
	if (status && (ctx->json || ctx->json_errors))
		jout_error_document(status);
	return status;
}

int cmd_error(int rc, const struct why *why)
{
	if (rc && why && why->msg[0])
		err("%s", why->msg);
	return exit_status(rc);
}

int cmd_platform(const struct ctx *ctx, struct platform_id *p)
{
	struct why why;

	return cmd_error(platform_identify(ctx_get(ctx, SET_PRODUCT), p, &why), &why);
}

int cmd_oom(void)
{
	err("out of memory");
	return EXIT_FAIL;
}

int cmd_load_table(struct ctx *ctx, int argc, char **argv, uint8_t **blob, size_t *size,
		   struct ghcb_entry **e, size_t *n)
{
	int ret;

	if (optind != argc - 1)
		return usage_error(ctx, optind == argc ? "no table given" : "give one table");
	ret = ctx_load(ctx);
	if (ret == 0)
		ret = table_file_load(argv[optind], ctx->lock_timeout, blob, size, e, n);
	return ret;
}

int cmd_tables(const struct ctx *ctx, int argc, char **argv, char ***owned, char *const **paths,
	       size_t *n)
{
	struct why why;
	int ret;

	*owned = NULL;
	if (optind < argc) {
		*paths = argv + optind;
		*n = (size_t)(argc - optind);
		return 0;
	}
	ret = store_tables(ctx, owned, n, NULL, &why);
	if (ret)
		return cmd_error(ret, &why);
	*paths = *owned;
	return 0;
}

bool cmd_interrupted(const char *path)
{
	char *jpath = NULL;
	struct stat st;
	bool ret;

	if (snpcert_journal_path(path, &jpath) < 0)
		return false;
	ret = lstat(jpath, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
	free(jpath);
	return ret;
}
