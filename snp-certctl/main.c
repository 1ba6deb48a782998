// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snp-certctl: manage AMD SEV-SNP certificate tables.  Global options,
 * then a command from the table below; each command lives in cmd-<name>.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amdcert.h"
#include "cmd.h"
#include "util.h"

static int cmd_help_main(struct ctx *ctx, int argc, char **argv);

static const struct cmd cmd_help = {
	"help", cmd_help_main, "list the commands, or show one command's options",
	"Usage: snp-certctl help [COMMAND]\n"
	"\n"
	"List the commands, or print the usage of COMMAND as COMMAND --help does.\n",
	.json = false,
};

/*
 * The commands: dispatch, `help` and, through the hidden `help --commands`
 * (one "NAME<TAB>SUMMARY" line each, like git's --list-cmds), the shell
 * completions and the tests that hold the man page to the program all come
 * from this table.  A new command is one line here.
 */
static const struct cmd *const commands[] = {
	&cmd_build,
	&cmd_show,
	&cmd_verify,
	&cmd_sev_export,
	&cmd_broker,
	&cmd_sev_verify,
	&cmd_extract,
	&cmd_status,
	&cmd_check,
	&cmd_fetch,
	&cmd_update,
	&cmd_lock,
	&cmd_locks,
	&cmd_recover,
	&cmd_refresh,
	&cmd_fw_update,
	&cmd_vlek_load,
	&cmd_config,
	&cmd_mirror,
	&cmd_metrics,
	&cmd_help,
};

static const char global_usage[] =
	"Usage: snp-certctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"Global options:\n"
	"  -C, --config FILE   configuration file\n"
	"                      (default " DEFAULT_CONFIG ")\n"
	"      --store DIR     directory of managed tables\n"
	"                      (default " DEFAULT_STORE ")\n"
	"      --json          machine-readable output on stdout\n"
	"  -q, --quiet         only errors on stderr\n"
	"  -v, --verbose       more detail on stderr\n"
	"  -h, --help          this help; 'snp-certctl help COMMAND' for a command\n"
	"      --version       print the version\n";

static const struct cmd *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void list_commands(FILE *f)
{
	fputs(global_usage, f);
	fputs("\nCommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s  %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nExit status: 0 success, 1 failure, 2 usage, 3 lock busy, 4 verification failed,\n"
	      "5 platform error, 6 KDS or network error.  See snp-certctl(1).\n",
	      f);
}

/* help --commands: the table, for programs (not in help's usage). */
static void print_command_table(FILE *f)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "%s\t%s\n", commands[i]->name, commands[i]->summary);
}

static int cmd_help_main(struct ctx *ctx, int argc, char **argv)
{
	enum { OPT_COMMANDS = OPT_COMMON_LAST };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "commands", no_argument, NULL, OPT_COMMANDS },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *cmd;
	bool table = false;
	int c;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == OPT_COMMANDS)
			table = true;
		else
			common_option(ctx, c, optarg, argv);
	}
	if (table) {
		if (optind != argc)
			return usage_error(ctx, "--commands takes no COMMAND");
		print_command_table(stdout);
		return 0;
	}
	if (argc - optind > 1)
		return usage_error(ctx, "too many arguments");
	if (optind == argc) {
		list_commands(stdout);
		return 0;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		err("unknown command '%s'; 'snp-certctl help' lists them", argv[optind]);
		return EXIT_USAGE;
	}
	fputs(cmd->usage, stdout);
	return 0;
}

/* Report a usage error (the error document too, under --json) and exit 2. */
#define USAGE_EXIT(ctx, ...) exit(cmd_finish((ctx), usage_error((ctx), __VA_ARGS__)))

/* --json for a command without JSON output. */
static int no_json(const struct ctx *ctx)
{
	return usage_error(ctx, "no JSON output; --json is not accepted");
}

int common_option(struct ctx *ctx, int c, const char *arg, char **argv)
{
	double secs;

	switch (c) {
	case 'h':
		if (ctx->cmd)
			fputs(ctx->cmd->usage, stdout);
		else
			list_commands(stdout);
		exit(close_stdout() ? EXIT_FAIL : EXIT_OK);
	case OPT_JSON:
		ctx->json = true;
		if (ctx->cmd && !cmd_has_json(ctx->cmd))
			exit(cmd_finish(ctx, no_json(ctx)));
		return 1;
	case 'q':
		ctx->verbosity = -1;
		ctx->quiet_opt = true;
		return 1;
	case 'v':
		ctx->verbosity = 1;
		ctx->verbose_opt = true;
		return 1;
	case 'C':
		ctx->config_path = arg;
		ctx->config_explicit = true;
		return 1;
	case OPT_STORE:
		ctx->cli[SET_STORE] = arg;
		return 1;
	case OPT_KDS_URL:
		ctx->cli[SET_KDS_URL] = arg;
		return 1;
	case OPT_CACHE:
		ctx->cli[SET_CACHE_DIR] = arg;
		return 1;
	case OPT_KDS_MIRROR:
		ctx->cli[SET_KDS_MIRROR] = arg;
		return 1;
	case OPT_PRODUCT:
		if (amd_product_parse(arg) == AMD_PRODUCT_UNKNOWN)
			USAGE_EXIT(ctx, "invalid product '%s': want Milan, Genoa or Turin", arg);
		ctx->cli[SET_PRODUCT] = arg;
		return 1;
	case OPT_TRUST_ROOT:
		if (ctx->n_trust_roots == CTX_MAX_TRUST_ROOTS)
			USAGE_EXIT(ctx, "too many --trust-root options");
		ctx->trust_roots[ctx->n_trust_roots++] = arg;
		return 1;
	case OPT_TIMEOUT:
		if (parse_seconds(arg, &secs) < 0)
			USAGE_EXIT(ctx, "invalid --timeout '%s': want seconds, e.g. 10 or 0.5", arg);
		ctx->cli[SET_LOCK_TIMEOUT] = arg;
		return 1;
	case ':':
		USAGE_EXIT(ctx, "option '%s' needs an argument", argv[optind - 1]);
	case '?':
		if (optopt && optopt < 0x100)
			USAGE_EXIT(ctx, "unknown option '-%c'", optopt);
		USAGE_EXIT(ctx, "unknown option '%s'", argv[optind - 1]);
	}
	return 0;
}

/*
 * Is --json on the command line (before "--", after which the words are a
 * COMMAND's)?  Then a usage error in an option before it is the error
 * document too; the option itself takes effect where it is parsed.
 */
static bool json_on_command_line(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx ctx = { 0 };
	int c, ret;

	/*
	 * A store of many per-guest tables is locked whole by fw-update (and
	 * by refresh when each needs the VCEK): two descriptors per table (the
	 * table and its journal, each holding its lock) for the whole update.
	 * The default soft limit of 1024 ends that at about 500 tables, with
	 * "Too many open files" and nothing changed.  The soft limit exists
	 * only for select() users; we use none, and the children get it back
	 * (nofile_restore in spawn.c).  The workflow driver reserves what a
	 * run needs beyond this (nofile_reserve).
	 */
	nofile_raise();
	ctx.json_errors = json_on_command_line(argc, argv);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == 'V') {
			printf("snp-certctl %s\n", SNPCERT_VERSION);
			return close_stdout() ? EXIT_FAIL : EXIT_OK;
		}
		common_option(&ctx, c, optarg, argv);
	}
	log_verbosity = ctx.verbosity;
	if (optind >= argc)
		return cmd_finish(&ctx, usage_error(NULL, "no command given"));
	ctx.cmd = find_command(argv[optind]);
	if (!ctx.cmd) {
		err("unknown command '%s'; 'snp-certctl help' lists them", argv[optind]);
		return cmd_finish(&ctx, EXIT_USAGE);
	}
	if (ctx.json && !cmd_has_json(ctx.cmd))
		return cmd_finish(&ctx, no_json(&ctx));
	/* The command sees its own name as argv[0]. */
	argc -= optind;
	argv += optind;
	optind = 0;
	ret = cmd_finish(&ctx, ctx.cmd->main(&ctx, argc, argv));
	ctx_free(&ctx);
	if (close_stdout() && ret == 0)
		ret = EXIT_FAIL;
	return ret;
}
