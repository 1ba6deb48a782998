/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every command shares: the exit codes, the resolved settings, the
 * command descriptor and the option handling common to all commands.
 */
#ifndef SNP_CERTCTL_CMD_H
#define SNP_CERTCTL_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define DEFAULT_CONFIG "/etc/snp-certctl/snp-certctl.conf"
#define DEFAULT_STORE "/var/lib/snp-certctl"
#define DEFAULT_CACHE "/var/cache/snp-certctl"
#define DEFAULT_KDS_URL "https://kdsintf.amd.com"
/* KDS's endpoint for cloud providers (virtee/snphost src/cert/fetch/vek.rs). */
#define DEFAULT_KDS_CSP_URL "https://kdsintf.amd.com:444"
#define DEFAULT_HOOKS "/etc/snp-certctl/hooks.d"
#define DEFAULT_LOCK_TIMEOUT 10.0
#define DEFAULT_DEVICE "/dev/sev"
#define DEFAULT_BROKER_QMP_DIR "/run/snp-certctl/qmp"

/* One setting, remembered from each source so precedence is applied once. */
enum setting {
	SET_STORE,
	SET_CACHE_DIR,
	SET_KDS_URL,
	SET_HOOKS_DIR,
	SET_LOCK_TIMEOUT,
	SET_HOOK_TIMEOUT,
	SET_PRODUCT,
	SET_TRUST_ROOT,
	SET_KDS_CSP_URL, /* the CSP endpoint: VLEKs and hashsticks (fetch vlek, hashsticks) */
	SET_SEV_TRUST_ROOT, /* a private SEV ARK (AMD CA format): sev-verify */
	SET_KDS_MIRROR,     /* a KDS mirror asked first (formats/mirror-layout.md); NULL: none */
	SET_METRICS_DIR, /* where workflows, status and check write snp-certctl.prom */
	SET_BROKER_QMP_DIR, /* broker: vsock guests' QMP sockets, <CID>.sock */
	SET_COUNT,
};

/* How many --trust-root options a command takes. */
#define CTX_MAX_TRUST_ROOTS 16

struct ctx {
	const char *config_path; /* -C, SNP_CERTCTL_CONFIG, or the default */
	bool config_explicit;    /* a missing named file is an error */
	const char *cli[SET_COUNT];  /* from the command line */
	const char *trust_roots[CTX_MAX_TRUST_ROOTS]; /* --trust-root, in order */
	size_t n_trust_roots;
	char *value[SET_COUNT];      /* resolved: cli > env > config > default */
	double lock_timeout;         /* seconds, resolved */
	bool json;
	bool json_errors;            /* --json on the command line: failures as the error document */
	int verbosity;               /* -1 quiet, 0 normal, 1 verbose */
	bool quiet_opt, verbose_opt; /* -q and -v given: together, a usage error */
	const struct cmd *cmd;
	bool loaded;
};

struct cmd {
	const char *name;
	int (*main)(struct ctx *ctx, int argc, char **argv);
	const char *summary;  /* one line for `snp-certctl help` */
	const char *usage;    /* synopsis and options, printed by --help */
	bool json;            /* has JSON output: --json accepted (its --help says so) */
};

/*
 * Options common_option() handles.  Every command accepts COMMON_LONGOPTS
 * after its name, too; the shared options below only where the command puts
 * their LONGOPT_* into its own longopts[] (a command without them rejects
 * them as unknown).
 */
enum {
	OPT_JSON = 0x100,
	OPT_STORE,
	OPT_KDS_URL,    /* --kds-url URL: the setting kds_url */
	OPT_CACHE,      /* --cache DIR: the setting cache_dir */
	OPT_PRODUCT,    /* --product P: the setting product, checked */
	OPT_TRUST_ROOT, /* --trust-root PEM: ctx->trust_roots, repeatable */
	OPT_TIMEOUT,    /* --timeout SEC: the setting lock_timeout, checked */
	OPT_KDS_MIRROR, /* --kds-mirror URL: the setting kds_mirror */
	OPT_COMMON_LAST,
};
#define COMMON_SHORTOPTS "hqvC:"
#define COMMON_LONGOPTS                                                                      \
	{ "help", no_argument, NULL, 'h' }, { "json", no_argument, NULL, OPT_JSON },         \
	{ "quiet", no_argument, NULL, 'q' }, { "verbose", no_argument, NULL, 'v' },          \
	{ "config", required_argument, NULL, 'C' },                                          \
	{ "store", required_argument, NULL, OPT_STORE }
#define LONGOPT_KDS_URL { "kds-url", required_argument, NULL, OPT_KDS_URL }
#define LONGOPT_CACHE { "cache", required_argument, NULL, OPT_CACHE }
#define LONGOPT_PRODUCT { "product", required_argument, NULL, OPT_PRODUCT }
#define LONGOPT_TRUST_ROOT { "trust-root", required_argument, NULL, OPT_TRUST_ROOT }
#define LONGOPT_TIMEOUT { "timeout", required_argument, NULL, OPT_TIMEOUT }
#define LONGOPT_KDS_MIRROR { "kds-mirror", required_argument, NULL, OPT_KDS_MIRROR }

/* The help lines of the shared options, the same in every command's --help. */
#define HELP_TRUST_ROOT "      --trust-root PEM  also trust this AMD root (repeatable)\n"
#define HELP_TIMEOUT                                                                        \
	"      --timeout SEC     wait at most SEC seconds for the locks (fractions\n"          \
	"                        allowed; 0: try once; default: lock_timeout, 10)\n"
#define HELP_PRODUCT "      --product P       Milan, Genoa or Turin instead of detecting it\n"
#define HELP_KDS_URL "      --kds-url URL     KDS or a mirror (default " DEFAULT_KDS_URL ")\n"
#define HELP_KDS_MIRROR                                                                     \
	"      --kds-mirror URL  ask this mirror first, then KDS (setting kds_mirror)\n"
#define HELP_CACHE "      --cache DIR       the cache directory (default " DEFAULT_CACHE ")\n"

/*
 * The JSON conventions, after a workflow's document in its --help (the rest
 * in JSON OUTPUT, snp-certctl(1)).
 */
#define HELP_JSON_WORKFLOW                                                                  \
	"  A TCB is {\"bl\", \"tee\", \"snp\", \"ucode\", \"fmc\" (Turin), \"raw\"};"        \
	" a table is\n"                                                                      \
	"  \"file\" (as given or found in the store) and \"path\" (absolute).  When it\n"    \
	"  failed part way, \"error\": {\"message\", \"exit\"} follows what was done.\n"

/*
 * Handle one of the common or shared options (returns 1), or not (0).
 * --help prints the command's usage and exits 0; '?' and ':', an invalid
 * --product or --timeout and more than CTX_MAX_TRUST_ROOTS --trust-root
 * report a usage error and exit 2.  --timeout sets the setting lock_timeout,
 * so after ctx_load() ctx->lock_timeout is the timeout to use (command line >
 * SNP_CERTCTL_LOCK_TIMEOUT > lock_timeout in the file > 10).
 */
int common_option(struct ctx *ctx, int c, const char *arg, char **argv);
/*
 * An engine failure rc (errors.h) with its why: print the message (when
 * there is one) and return the exit status for rc (0 for 0).
 */
int cmd_error(int rc, const struct why *why);
/* This platform (product override: the setting product), or an exit status after saying why. */
struct platform_id;
int cmd_platform(const struct ctx *ctx, struct platform_id *p);
/*
 * The one table operand argv[optind] of show, verify and extract: the
 * settings loaded, the table read and parsed (table_file_load).  0 or an
 * exit status after saying why (a usage error without exactly one operand).
 */
struct ghcb_entry;
int cmd_load_table(struct ctx *ctx, int argc, char **argv, uint8_t **blob, size_t *size,
		   struct ghcb_entry **e, size_t *n);
/*
 * The tables a command works on: the operands argv[optind..), or with none
 * every table in the store (then in *owned, for store_free(*owned, *n)).
 * 0 or an exit status after saying why.
 */
int cmd_tables(const struct ctx *ctx, int argc, char **argv, char ***owned, char *const **paths,
	       size_t *n);
/* "out of memory", and EXIT_FAIL. */
int cmd_oom(void);
/* Has path a journal with something in it: an update that did not finish? */
bool cmd_interrupted(const char *path);

/*
 * Does cmd have JSON output (cmd->json)?  Without, --json is a usage error.
 * Its --help offers --json exactly then (tests/cli/json.bats).
 */
bool cmd_has_json(const struct cmd *cmd);
/*
 * The end of every run (main(), and the exits of common_option()): under
 * --json (anywhere before "--", even after an option at fault) a failure
 * that wrote no document on stdout writes the error document there
 * ({"error": {"message", "exit"}}, json.h).  Returns status.
 */
int cmd_finish(const struct ctx *ctx, int status);

/* Report a usage error for the current command and return EXIT_USAGE. */
int usage_error(const struct ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Resolve the settings (command line > SNP_CERTCTL_* > config file >
 * defaults).  Commands call it after their option loop.  Returns 0 or an
 * exit status (the error has been printed).
 */
int ctx_load(struct ctx *ctx);
void ctx_free(struct ctx *ctx);
const char *ctx_get(const struct ctx *ctx, enum setting s);

/* The lock timeout in milliseconds, saturating. */
unsigned int seconds_to_ms(double seconds);

#define CMD(n) extern const struct cmd cmd_##n
CMD(build);
CMD(show);
CMD(verify);
CMD(sev_export);
CMD(broker);
CMD(sev_verify);
CMD(extract);
CMD(status);
CMD(check);
CMD(fetch);
CMD(update);
CMD(lock);
CMD(locks);
CMD(recover);
CMD(refresh);
CMD(fw_update);
CMD(vlek_load);
CMD(config);
CMD(mirror);
CMD(metrics);
#undef CMD

#endif
