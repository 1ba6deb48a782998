// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Settings: command line > environment (SNP_CERTCTL_*) > configuration
 * file > built-in defaults.  The file is "key = value" lines; '#' starts a
 * comment line; an unknown key is an error naming the file and line.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amdtcb.h"
#include "cmd.h"
#include "confsyntax.h"
#include "kds-http.h"
#include "util.h"

static const struct {
	const char *key;
	const char *env;
	const char *fallback;
} settings[SET_COUNT] = {
	[SET_STORE] = { "store", "SNP_CERTCTL_STORE", DEFAULT_STORE },
	[SET_CACHE_DIR] = { "cache_dir", "SNP_CERTCTL_CACHE_DIR", DEFAULT_CACHE },
	[SET_KDS_URL] = { "kds_url", "SNP_CERTCTL_KDS_URL", DEFAULT_KDS_URL },
	[SET_HOOKS_DIR] = { "hooks_dir", "SNP_CERTCTL_HOOKS_DIR", DEFAULT_HOOKS },
	[SET_LOCK_TIMEOUT] = { "lock_timeout", "SNP_CERTCTL_LOCK_TIMEOUT", "10" },
	[SET_HOOK_TIMEOUT] = { "hook_timeout", "SNP_CERTCTL_HOOK_TIMEOUT", "30" },
	[SET_PRODUCT] = { "product", "SNP_CERTCTL_PRODUCT", NULL },
	[SET_TRUST_ROOT] = { "trust_root", "SNP_CERTCTL_TRUST_ROOT", NULL },
	[SET_KDS_CSP_URL] = { "kds_csp_url", "SNP_CERTCTL_KDS_CSP_URL", DEFAULT_KDS_CSP_URL },
	[SET_SEV_TRUST_ROOT] = { "sev_trust_root", "SNP_CERTCTL_SEV_TRUST_ROOT", NULL },
	[SET_KDS_MIRROR] = { "kds_mirror", "SNP_CERTCTL_KDS_MIRROR", NULL },
	[SET_METRICS_DIR] = { "metrics_dir", "SNP_CERTCTL_METRICS_DIR", NULL },
	[SET_BROKER_QMP_DIR] = { "broker_qmp_dir", "SNP_CERTCTL_BROKER_QMP_DIR", DEFAULT_BROKER_QMP_DIR },
};

/* Largest configuration file read. */
#define CONFIG_MAX (64 * 1024)

/* Checks a value wherever it came from; where names the source. */
static int check_value(enum setting s, const char *value, const char *where)
{
	double secs;

	if (s == SET_LOCK_TIMEOUT && parse_seconds(value, &secs) < 0) {
		err("%s: invalid lock_timeout '%s': want seconds, e.g. 10 or 0.5", where, value);
		return EXIT_USAGE;
	}
	if (s == SET_HOOK_TIMEOUT && parse_seconds(value, &secs) < 0) {
		err("%s: invalid hook_timeout '%s': want seconds, e.g. 30 or 0.5", where, value);
		return EXIT_USAGE;
	}
	if (s == SET_PRODUCT && amd_product_parse(value) == AMD_PRODUCT_UNKNOWN) {
		err("%s: invalid product '%s': want Milan, Genoa or Turin", where, value);
		return EXIT_USAGE;
	}
	if (s == SET_KDS_MIRROR && *value && kds_url_check(value) < 0) {
		err("%s: invalid kds_mirror '%s': want an http:// or https:// URL without a query",
		    where, value);
		return EXIT_USAGE;
	}
	if (*value == '\0' && s != SET_PRODUCT && s != SET_TRUST_ROOT &&
	    s != SET_SEV_TRUST_ROOT && s != SET_KDS_MIRROR &&
	    s != SET_METRICS_DIR) {
		err("%s: empty value for '%s'", where, settings[s].key);
		return EXIT_USAGE;
	}
	return 0;
}

struct file_state {
	const char *path;
	char **from_file;
};

static int file_setting(void *arg, unsigned int line, const char *key, const char *value)
{
	struct file_state *fs = arg;
	char where[PATH_MAX + 32];
	int i, ret;

	snprintf(where, sizeof(where), "%s:%u", fs->path, line);
	for (i = 0; i < SET_COUNT; i++)
		if (strcmp(key, settings[i].key) == 0)
			break;
	if (i == SET_COUNT) {
		err("%s: unknown key '%s'", where, key);
		return -EXIT_USAGE;
	}
	ret = check_value(i, value, where);
	if (ret)
		return -ret;
	free(fs->from_file[i]);
	fs->from_file[i] = strdup(value);
	if (!fs->from_file[i]) {
		err("out of memory");
		return -EXIT_FAIL;
	}
	return 0;
}

static int load_file(struct ctx *ctx, char *from_file[SET_COUNT])
{
	struct file_state fs = { ctx->config_path, from_file };
	unsigned int bad_line = 0;
	uint8_t *text = NULL;
	size_t len = 0;
	char bad[512] = "";
	int ret;

	/* Whoever can write it chooses the trust roots and the hooks: the one rule. */
	ret = read_trusted_file(ctx->config_path, CONFIG_MAX, &text, &len, bad, sizeof(bad));
	if (ret == -ENOENT && !ctx->config_explicit)
		return 0;
	if (ret == -EPERM && *bad) {
		err("refusing configuration '%s': %s", ctx->config_path, bad);
		return EXIT_USAGE;
	}
	if (ret < 0) {
		if (ret == -ERR_REFUSED)
			err("refusing '%s': not a regular file", ctx->config_path);
		else if (ret == -EFBIG)
			err("cannot open configuration '%s': larger than %d KiB", ctx->config_path,
			    CONFIG_MAX / 1024);
		else
			err("cannot open configuration '%s': %s", ctx->config_path,
			    strerror(-ret));
		return ret == -ENOENT ? EXIT_USAGE : EXIT_FAIL;
	}
	ret = conf_parse((const char *)text, len, file_setting, &fs, &bad_line);
	free(text);
	if (ret == -EINVAL) {
		err("%s:%u: expected 'key = value'", ctx->config_path, bad_line);
		return EXIT_USAGE;
	}
	if (ret == -ENOMEM) {
		err("out of memory");
		return EXIT_FAIL;
	}
	return -ret; /* 0, or the exit status file_setting returned */
}

int ctx_load(struct ctx *ctx)
{
	char *from_file[SET_COUNT] = { NULL };
	int ret;

	if (ctx->loaded)
		return 0;
	if (ctx->quiet_opt && ctx->verbose_opt)
		return usage_error(ctx, "-q (--quiet) and -v (--verbose) cannot be given together");
	log_verbosity = ctx->verbosity;
	if (!ctx->config_path) {
		const char *env = getenv("SNP_CERTCTL_CONFIG");

		ctx->config_path = env && *env ? env : DEFAULT_CONFIG;
		ctx->config_explicit = env && *env;
	}
	ret = load_file(ctx, from_file);
	if (ret)
		goto out;
	for (int i = 0; i < SET_COUNT; i++) {
		const char *env = getenv(settings[i].env);
		const char *v = settings[i].fallback;
		char where[64];

		if (ctx->cli[i]) {
			v = ctx->cli[i];
			snprintf(where, sizeof(where), "command line");
		} else if (env && *env) {
			v = env;
			snprintf(where, sizeof(where), "%s", settings[i].env);
		} else if (from_file[i]) {
			v = from_file[i];
		}
		if (v && v != from_file[i]) {
			ret = check_value(i, v, where);
			if (ret)
				goto out;
		}
		if (v && *v) {
			ctx->value[i] = strdup(v);
			if (!ctx->value[i]) {
				err("out of memory");
				ret = EXIT_FAIL;
				goto out;
			}
		}
	}
	parse_seconds(ctx->value[SET_LOCK_TIMEOUT], &ctx->lock_timeout);
	ctx->loaded = true;
out:
	for (int i = 0; i < SET_COUNT; i++)
		free(from_file[i]);
	return ret;
}

void ctx_free(struct ctx *ctx)
{
	for (int i = 0; i < SET_COUNT; i++) {
		free(ctx->value[i]);
		ctx->value[i] = NULL;
	}
}

const char *ctx_get(const struct ctx *ctx, enum setting s)
{
	return ctx->value[s];
}

unsigned int seconds_to_ms(double seconds)
{
	double ms = seconds * 1000.0;

	if (ms >= (double)UINT_MAX)
		return UINT_MAX;
	return (unsigned int)(ms + 0.5);
}
