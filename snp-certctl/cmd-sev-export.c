// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sev-export: the SEV (pre-SNP) platform chain into the store.  What the
 * firmware exports (PDH_CERT_EXPORT: the PDH, and PEK, OCA and a CEK with
 * empty signature slots), the CEK as AMD's KDS signs it (by the chip id of
 * GET_ID2, through the cache), bound to the exported one by key, and the
 * ASK and ARK of the generation (AMD's pinned ones, or the private root's);
 * the whole chain verified, then written as one set in place under the
 * exclusive locks (sev-store.h).  A new PEK or OCA is an endorsement-key
 * change like any other: the hooks run when the set changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "certs.h"
#include "cmd.h"
#include "hooks.h"
#include "json.h"
#include "kds-cache.h"
#include "metrics.h"
#include "sev-store.h"
#include "sev.h"
#include "snpcert.h"
#include "util.h"

enum { OPT_OFFLINE = OPT_COMMON_LAST, OPT_SEV_PRODUCT };

static const char usage[] =
	"Usage: snp-certctl sev-export [-d DIR] [--product P] [--trust-root FILE]\n"
	"                              [--kds-url URL] [--kds-mirror URL] [--cache DIR]\n"
	"                              [--offline]\n"
	"                              [--timeout SEC] [--json]\n"
	"\n"
	"Export the SEV and SEV-ES platform chain into DIR (default: the store's sev/):\n"
	"pek.cert, oca.cert and pdh.cert as the firmware exports them (PDH_CERT_EXPORT),\n"
	"cek.cert as AMD's KDS signs it (fetched by the chip id, cached; bound to the\n"
	"firmware's CEK by its key), ask.cert and ark.cert of the generation.  The whole\n"
	"chain is verified first.  The files that change are written as one set, in\n"
	"place, under the exclusive locks readers (the broker) share; an export that is\n"
	"interrupted is completed or dropped by the next one, or by 'snp-certctl\n"
	"recover'.  When the chain changes (a new PEK or OCA is an endorsement-key\n"
	"change), the hooks run (pre-update, locked, post-update or update-failed).\n"
	"\n"
	"  -d, --dir DIR         the chain's directory (created 0755 when missing)\n"
	"      --product P       the generation: naples, rome, milan, genoa, turin\n"
	"                        (default: the pinned ASK that signed the CEK)\n"
	"      --trust-root FILE trust this ARK too (AMD CA format, or AMD's ASK and ARK\n"
	"                        file, whose ASK is then the chain's), for private test\n"
	"                        chains (setting sev_trust_root)\n"
	HELP_KDS_URL
	HELP_KDS_MIRROR
	HELP_CACHE
	"      --offline         use the cache (and the mirror) only; exit 6 when they\n"
	"                        lack the CEK\n"
	HELP_TIMEOUT
	"      --json            one JSON document on stdout:\n"
	"  {\"dir\", \"generation\", \"chip_id\", \"cek\": {\"path\", \"from_cache\"},\n"
	"   \"changed\", \"recovered\", \"locks_held_us\", \"files\": [{\"file\", \"path\",\n"
	"   \"action\"}], \"checks\": [...], \"error\"}\n"
	"  action: unchanged, updated or created; recovered: clean, replayed or\n"
	"  discarded (an interrupted export found first).\n"
	"\n"
	"Exit status: 0 the chain is stored (changed or not), 1 other failure (also a\n"
	"hook), 3 a lock was not had in time, 4 the chain does not verify (or KDS's\n"
	"CEK is not the platform's), 5 platform error, 6 KDS or network error.  Nothing\n"
	"is changed unless the chain verified and every lock was had.\n";

struct args {
	const char *dir;
	bool offline;
	enum sev_gen gen;
};

/* What the platform and KDS gave, and the set to store. */
struct export {
	uint8_t pdh[SEV_CERT_LEN], chain[SEV_CHAIN_EXPORT_LEN];
	uint8_t *id;
	size_t id_len;
	const uint8_t *chip; /* the socket's 64 bytes of id whose CEK it is */
	struct cache_item cek;
	enum sev_gen gen;
	struct sev_set_file files[SEV_SET_MEMBERS];
	struct amd_check_list checks;
};

static const uint8_t *exported(const struct export *e, enum sev_file f)
{
	/* PDH_CERT_EXPORT's chain: PEK || OCA || CEK. */
	return e->chain + (f == SEV_FILE_PEK ? 0 : f == SEV_FILE_OCA ? 1 : 2) * SEV_CERT_LEN;
}

/* Two SEV certificates of one key: bytes 008-413 (usage, algorithm, key) equal. */
static bool same_key(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a + 8, b + 8, SEV_CERT_SIGNED_LEN - 8) == 0;
}

static int parse_args(struct ctx *ctx, int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_TRUST_ROOT,
		LONGOPT_KDS_URL,
		LONGOPT_KDS_MIRROR,
		LONGOPT_CACHE,
		LONGOPT_TIMEOUT,
		{ "dir", required_argument, NULL, 'd' },
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		{ "product", required_argument, NULL, OPT_SEV_PRODUCT },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, ":" COMMON_SHORTOPTS "d:", longopts, NULL)) != -1) {
		if (common_option(ctx, opt, optarg, argv))
			continue;
		switch (opt) {
		case 'd':
			a->dir = optarg;
			break;
		case OPT_OFFLINE:
			a->offline = true;
			break;
		case OPT_SEV_PRODUCT:
			a->gen = sev_gen_parse(optarg);
			if (a->gen == SEV_GEN_UNKNOWN)
				return usage_error(ctx, "invalid product '%s': want naples, rome, "
						   "milan, genoa or turin", optarg);
			break;
		}
	}
	if (optind < argc)
		return usage_error(ctx, "unexpected argument '%s' (the directory is -d DIR)",
				   argv[optind]);
	return 0;
}

/* PDH_CERT_EXPORT and GET_ID2: 0 or an exit status after the message. */
static int from_firmware(struct export *e)
{
	struct sev_dev *dev = NULL;
	struct why why = { 0 };
	int ret;

	/* O_RDWR: the kernel refuses the export to a read-only descriptor before INIT. */
	ret = sev_open(sev_device_path(), true, &dev, NULL, &why);
	if (ret == 0)
		ret = sev_pdh_export(dev, e->pdh, e->chain, NULL, &why);
	if (ret == 0)
		ret = sev_get_id2_all(dev, &e->id, &e->id_len, NULL, &why);
	sev_close(dev);
	return cmd_error(ret, &why);
}

/*
 * The CEK KDS signed for this platform: for each socket's id in turn (the
 * exporting one is usually the first) until one's CEK is of the exported
 * CEK's key (cache_cek() checks it, wherever the CEK comes from).  0 or an
 * exit status after the message.
 */
static int from_kds(struct export *e, struct cache *c, const struct sev_verify_opts *o)
{
	size_t n = e->id_len / SEV_CHIP_ID_LEN;
	struct why why = { 0 };
	int ret = 0;

	if (n == 0 || e->id_len % SEV_CHIP_ID_LEN) {
		err("GET_ID2 answered %zu bytes: not a chip id of %u bytes per socket", e->id_len,
		    SEV_CHIP_ID_LEN);
		return EXIT_PLATFORM;
	}
	for (size_t k = 0; k < n; k++) {
		cache_item_clear(&e->cek);
		ret = cache_cek(c, e->id + k * SEV_CHIP_ID_LEN, SEV_CHIP_ID_LEN, o,
				exported(e, SEV_FILE_CEK), &e->cek, &e->gen, &why);
		if (ret == 0) {
			e->chip = e->id + k * SEV_CHIP_ID_LEN;
			debug("the CEK %s '%s'", e->cek.from_cache ? "from the cache" :
			      "fetched and cached", e->cek.path);
			return 0;
		}
		if (ret != -ERR_VERIFY)
			break;
	}
	return cmd_error(ret, &why);
}

/*
 * The set to store, verified: the exported PEK, OCA and PDH; KDS's CEK, or
 * the stored one while it is of the same key and still verifies (KDS signs
 * anew each time: bytes that differ are no change); the ASK and ARK of the
 * generation, or the private root's.  0 or an exit status.
 */
static int assemble(struct ctx *ctx, struct export *e, const struct sev_root *root,
		    const struct sev_verify_opts *o, const struct sev_stored *stored, bool quiet)
{
	const uint8_t *ask, *ark, *cek = e->cek.data;
	size_t ask_len = 0, ark_len = 0;
	struct sev_chain ch;
	int r;

	if (e->gen != SEV_GEN_UNKNOWN) {
		ask = sev_builtin_ca(e->gen, false, &ask_len);
		ark = sev_builtin_ca(e->gen, true, &ark_len);
	} else {
		ask = root->ask;
		ask_len = root->ask_len;
		ark = root->ark;
		ark_len = root->ark_len;
	}
	if (!ask || !ark) {
		err("no ASK for the CEK's private root: give the root as AMD's ASK and ARK file "
		    "(--trust-root or sev_trust_root)");
		return EXIT_VERIFY;
	}
	if (stored && same_key(stored->cek, cek))
		cek = stored->cek;
	for (;;) {
		ch = (struct sev_chain){
			.ark = ark, .ark_len = ark_len, .ask = ask, .ask_len = ask_len,
			.cek = cek, .oca = exported(e, SEV_FILE_OCA),
			.pek = exported(e, SEV_FILE_PEK), .pdh = e->pdh,
		};
		amd_check_list_free(&e->checks);
		r = sev_chain_verify(&ch, o, &e->checks, NULL);
		if (r == -ENOMEM)
			return cmd_oom();
		if (r == 0 || cek == e->cek.data)
			break;
		cek = e->cek.data; /* the stored CEK no longer verifies: KDS's */
	}
	if (r < 0) {
		if (!ctx->json && !quiet)
			checks_print(&e->checks, ctx->verbosity);
		err("the platform's SEV chain does not verify: nothing was written");
		return EXIT_VERIFY;
	}
	e->files[SEV_FILE_PEK] = (struct sev_set_file){ ch.pek, SEV_CERT_LEN };
	e->files[SEV_FILE_OCA] = (struct sev_set_file){ ch.oca, SEV_CERT_LEN };
	e->files[SEV_FILE_CEK] = (struct sev_set_file){ ch.cek, SEV_CERT_LEN };
	e->files[SEV_FILE_PDH] = (struct sev_set_file){ ch.pdh, SEV_CERT_LEN };
	e->files[SEV_FILE_ASK] = (struct sev_set_file){ ask, ask_len };
	e->files[SEV_FILE_ARK] = (struct sev_set_file){ ark, ark_len };
	return 0;
}

/* The stored set's member i as sev_store_read() gave it, or NULL when absent. */
static const uint8_t *stored_member(const struct sev_stored *s, int i, size_t *len)
{
	*len = i == SEV_FILE_ASK ? s->ask_len : i == SEV_FILE_ARK ? s->ark_len : SEV_CERT_LEN;
	switch (i) {
	case SEV_FILE_PEK:
		return s->pek;
	case SEV_FILE_OCA:
		return s->oca;
	case SEV_FILE_CEK:
		return s->cek;
	case SEV_FILE_PDH:
		return s->has_pdh ? s->pdh : NULL;
	case SEV_FILE_ASK:
		return s->ask;
	default:
		return s->ark;
	}
}

/* The hooks' view of one export: the members' paths that change. */
struct hooks_arg {
	const struct ctx *ctx;
	char *paths[SEV_SET_MEMBERS];
	size_t n;
};

static int run_hooks(const struct hooks_arg *h, enum hook_event ev, struct why *why)
{
	struct hook_env env = { .command = "sev-export", .tables = h->paths, .n_tables = h->n };

	return hooks_run(h->ctx, ev, &env, why);
}

static int locked_hooks(void *arg, const struct sev_set_result *res, struct why *why)
{
	(void)res;
	return run_hooks(arg, HOOK_LOCKED, why);
}

static const char *action_name(const struct sev_set_result *res, int i)
{
	return res->created[i] ? "created" : res->changed[i] ? "updated" : "unchanged";
}

static const char *recovered_name(int outcome)
{
	return outcome == SNPCERT_RECOVER_REPLAYED ? "replayed" :
	       outcome == SNPCERT_RECOVER_DISCARDED ? "discarded" : "clean";
}

static void print_json(const char *dir, const struct export *e, const struct sev_set_result *res,
		       bool changed, int status)
{
	char hex[2 * SEV_CHIP_ID_LEN + 1] = "";
	struct jout j;

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	jout_string(&j, "dir", dir);
	jout_string(&j, "generation", e->files[SEV_FILE_PEK].data ? sev_gen_name(e->gen) : NULL);
	if (e->chip)
		format_hex(e->chip, SEV_CHIP_ID_LEN, hex);
	jout_string(&j, "chip_id", e->chip ? hex : NULL);
	if (e->cek.path) {
		jout_object_begin(&j, "cek");
		jout_string(&j, "path", e->cek.path);
		jout_bool(&j, "from_cache", e->cek.from_cache);
		jout_object_end(&j);
	}
	jout_bool(&j, "changed", changed);
	jout_string(&j, "recovered", recovered_name(res->recovered));
	jout_int(&j, "locks_held_us", (long long)(res->hold_s * 1e6));
	jout_array_begin(&j, "files");
	for (int i = 0; e->files[SEV_FILE_PEK].data && i < SEV_SET_MEMBERS; i++) {
		char *path = path_join(dir, sev_file_name((enum sev_file)i));

		jout_object_begin(&j, NULL);
		jout_string(&j, "file", sev_file_name((enum sev_file)i));
		jout_string(&j, "path", path);
		jout_string(&j, "action", action_name(res, i));
		jout_object_end(&j);
		free(path);
	}
	jout_array_end(&j);
	checks_json(&j, &e->checks);
	if (status)
		jout_error(&j, status);
	jout_object_end(&j);
	jout_finish(&j);
}

/* Updated chains to syslog when stderr is not a terminal (cron, systemd), as the workflows do. */
static void log_export(const char *dir, const struct sev_set_result *res, int status,
		       const char *msg)
{
	char names[128] = "";

	if (isatty(STDERR_FILENO))
		return;
	for (int i = 0; i < SEV_SET_MEMBERS; i++)
		if (res->changed[i])
			snprintf(names + strlen(names), sizeof(names) - strlen(names), " %s",
				 sev_file_name((enum sev_file)i));
	openlog("snp-certctl", LOG_PID, LOG_DAEMON);
	if (status)
		syslog(LOG_ERR, "sev-export: failed '%s': %s", dir, msg);
	else
		syslog(LOG_NOTICE, "sev-export: updated '%s':%s", dir, names);
	closelog();
}

/*
 * Store the set: compare with what is stored (shared locks), and only when
 * it differs run the hooks around sev_set_write.  0 or an exit status.
 */
static int store(struct ctx *ctx, const char *dir, struct export *e,
		 const struct sev_stored *stored, struct sev_set_result *res, bool *changed)
{
	struct hooks_arg h = { .ctx = ctx };
	struct sc_deadline d;
	struct why why = { 0 };
	int ret = 0, r;

	for (int i = 0; i < SEV_SET_MEMBERS && ret == 0; i++) {
		size_t len = 0;
		const uint8_t *cur = stored ? stored_member(stored, i, &len) : NULL;

		if (cur && len == e->files[i].len && memcmp(cur, e->files[i].data, len) == 0)
			continue;
		h.paths[h.n] = path_join(dir, sev_file_name((enum sev_file)i));
		if (!h.paths[h.n++])
			ret = cmd_oom();
	}
	*changed = h.n > 0;
	if (ret || !*changed)
		goto out;
	ret = run_hooks(&h, HOOK_PRE_UPDATE, &why);
	if (ret) {
		ret = cmd_error(ret, &why);
		goto out;
	}
	sc_deadline_init(&d, ctx->lock_timeout);
	r = sev_set_write(dir, e->files, &d, locked_hooks, &h, res, &why);
	ret = cmd_error(r, &why);
	log_export(dir, res, ret, why.msg);
	if (run_hooks(&h, ret ? HOOK_UPDATE_FAILED : HOOK_POST_UPDATE, &why))
		warn("%s", why.msg);
	/* An unchanged set found by the writer (another export was first) is no change. */
	*changed = false;
	for (int i = 0; i < SEV_SET_MEMBERS; i++)
		*changed |= res->changed[i];
out:
	for (size_t i = 0; i < h.n; i++)
		free(h.paths[i]);
	return ret;
}

static int cmd_sev_export_main(struct ctx *ctx, int argc, char **argv)
{
	struct args a = { .gen = SEV_GEN_UNKNOWN };
	struct sev_verify_opts o = { .gen = SEV_GEN_UNKNOWN };
	struct export e = { .gen = SEV_GEN_UNKNOWN };
	struct sev_set_result res = { 0 };
	struct sev_stored stored = { 0 };
	struct sev_root root = { 0 };
	struct cache cache = { 0 };
	struct why why = { 0 };
	bool have_stored = false, changed = false;
	char *dir = NULL;
	int ret, r;

	ret = parse_args(ctx, argc, argv, &a);
	if (ret)
		return ret;
	ret = ctx_load(ctx);
	if (ret == 0)
		ret = sev_trust_root_load(ctx, &root);
	if (ret)
		goto out;
	sev_root_opts(&root, &o);
	o.gen = a.gen;
	dir = sev_store_dir(ctx, a.dir);
	if (!dir) {
		ret = cmd_oom();
		goto out;
	}
	r = hooks_check(ctx, &why);
	if (r == 0)
		r = cache_init(&cache, ctx, NULL, a.offline, &why);
	ret = cmd_error(r, &why);
	if (ret == 0)
		ret = from_firmware(&e);
	if (ret == 0)
		ret = from_kds(&e, &cache, &o);
	if (ret)
		goto out;
	/* What is stored (an interrupted export: the writer completes or drops it first). */
	r = sev_store_read(dir, seconds_to_ms(ctx->lock_timeout), &stored, &why);
	if (r == 0)
		have_stored = true;
	else if (r != -ENOENT && r != -ERR_VERIFY)
		ret = cmd_error(r, &why);
	if (ret == 0)
		ret = assemble(ctx, &e, &root, &o, have_stored ? &stored : NULL, ctx->json);
	if (ret == 0)
		ret = store(ctx, dir, &e, have_stored ? &stored : NULL, &res, &changed);
	if (ret == 0 && !ctx->json && ctx->verbosity >= 0) {
		for (int i = 0; ctx->verbosity > 0 && i < SEV_SET_MEMBERS; i++)
			tprintf("%s/%s: %s\n", dir, sev_file_name((enum sev_file)i),
				action_name(&res, i));
		tprintf("the SEV chain in '%s' is %s (%s)\n", dir,
			changed ? "updated" : "unchanged",
			e.gen == SEV_GEN_UNKNOWN ? "private root" : sev_gen_title(e.gen));
	}
out:
	/* How a run that started ended, for monitoring, as the workflows record theirs. */
	if (dir) {
		run_state_record(ctx, "sev-export", ret, res.hold_s);
		metrics_write_dir(ctx, NULL, NULL);
	}
	if (ctx->json && ret != EXIT_USAGE)
		print_json(dir, &e, &res, changed, ret);
	amd_check_list_free(&e.checks);
	cache_item_clear(&e.cek);
	cache_fini(&cache);
	sev_stored_clear(&stored);
	sev_root_free(&root);
	free(e.id);
	free(dir);
	return ret;
}

const struct cmd cmd_sev_export = { "sev-export", cmd_sev_export_main,
				    "store the SEV (pre-SNP) platform chain", usage, .json = true };
