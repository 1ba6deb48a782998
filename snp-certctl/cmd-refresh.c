// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * refresh: the cron job.  Make every table carry the VCEK for the
 * platform's reported TCB and chip: fetch it (cache first) only when a
 * table lacks it, verify, and install it in place under the exclusive
 * locks, every other entry kept byte for byte.  A table that is right is
 * only read (the readers' shared lock): no request, no exclusive lock, so a
 * second run changes nothing and asks nothing.  Tables carrying a VLEK are
 * left alone while the firmware has a VLEK loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "certs.h"
#include "cmd.h"
#include "json.h"
#include "kds.h"
#include "platform.h"
#include "util.h"
#include "workflow.h"

enum { OPT_OFFLINE = OPT_COMMON_LAST, OPT_DRY_RUN, OPT_SPLAY };

static const char usage[] =
	"Usage: snp-certctl refresh [FILE...] [--kds-url URL] [--cache DIR] [--offline]\n"
	"                           [--dry-run] [--splay SEC] [--product P]\n"
	"                           [--trust-root PEM]... [--timeout SEC] [--json]\n"
	"\n"
	"Make every table FILE (default: every table in the store) carry the VCEK for\n"
	"the platform's reported TCB and chip id.  A table that already does is left\n"
	"alone: no KDS request, no exclusive lock (run it as often as you like).  For\n"
	"the others the VCEK is fetched once (the cache first), verified, and installed\n"
	"in place under the exclusive locks, which are taken together in a fixed order;\n"
	"every other entry keeps its bytes.  A table without an endorsement key gets\n"
	"VCEK, ASK and ARK.  Tables carrying a VLEK are left alone while a VLEK is\n"
	"loaded, and fail (exit 4) when none is.  The hooks (pre-update, locked,\n"
	"post-update or update-failed) run only when a table is to be updated.\n"
	"Updated and failed tables are logged to syslog when stderr is not a terminal.\n"
	"\n"
	"      --kds-url URL     KDS or a mirror (default https://kdsintf.amd.com)\n"
	"      --cache DIR       the cache directory (default " DEFAULT_CACHE ")\n"
	"      --offline         use the cache only; exit 6 when it lacks the VCEK\n"
	"      --dry-run         say what would be done; no request, no lock, no change\n"
	"      --splay SEC       first wait a random time below SEC seconds (fleets)\n"
	"      --product P       Milan, Genoa or Turin instead of detecting it\n"
	"      --trust-root PEM  also trust this AMD root (repeatable)\n"
	"      --timeout SEC     wait at most SEC seconds for the locks (fractions allowed;\n"
	"                        0: try once; default: lock_timeout, 10)\n"
	"      --json            one JSON document on stdout:\n"
	"  {\"platform\": {\"product\", \"reported_tcb\", \"chip_id\"},\n"
	"   \"dry_run\", \"tables\": [{\"file\", \"action\", \"reason\", \"exit_status\",\n"
	"   \"old_tcb\", \"new_tcb\"}]}\n"
	"  action: unchanged, updated, skipped, failed or would-update; TCBs in TCB SPEC\n"
	"  form; exit_status only for failed tables.\n"
	"\n"
	"Exit status: 0 every table is right (changed or not), else that of the first\n"
	"table that is not: 3 its lock was not had in time, 4 verification failed (or a\n"
	"VLEK table without a loaded VLEK), 5 platform error (also: the chip id is\n"
	"masked), 6 KDS or network error (tables and cache untouched), 1 other.\n";

struct refresh_args {
	bool offline, dry_run;
	double splay_s;
};

/* A random wait in [0, secs): fleets do not all ask KDS at once. */
static void splay(double secs)
{
	struct timespec ts;
	uint64_t r = 0;
	double s;

	if (secs <= 0)
		return;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	s = secs * ((double)(r >> 11) / 9007199254740992.0); /* [0, 1) */
	debug("waiting %.3f s first (--splay %g)", s, secs);
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* What t needs, from its current contents.  Members are the tables to update. */
static void judge(struct wf_table *t, const struct platform_id *p, const struct amd_tcb *rep,
		  const char *rep_spec)
{
	char why[sizeof(t->reason)];

	t->member = false;
	t->new_tcb[0] = '\0';
	if (t->vlek) {
		if (p->st.features & SNP_FEATURE_VLEK_EN) {
			wf_set(t, WF_SKIPPED, 0, "a VLEK is loaded; refresh leaves VLEK tables alone");
		} else {
			err("'%s' carries a VLEK but none is loaded: run 'snp-certctl vlek-load'",
			    t->path);
			wf_set(t, WF_FAILED, EXIT_VERIFY,
			       "carries a VLEK but none is loaded: run 'snp-certctl vlek-load'");
		}
		return;
	}
	if (!p->chip_id_known) {
		wf_set(t, WF_FAILED, EXIT_PLATFORM, "the firmware masks the chip id, so no VCEK "
		       "can be matched or fetched: use a VLEK ('snp-certctl vlek-load')");
		return;
	}
	if (wf_vcek_matches(t, p, rep, why, sizeof(why))) {
		wf_set(t, WF_UNCHANGED, 0, "%s", why);
		return;
	}
	wf_set(t, WF_PENDING, 0, "%s", why);
	snprintf(t->new_tcb, sizeof(t->new_tcb), "%s", rep_spec);
	t->member = true;
}

/* The old TCB all members share, for the hooks; "" when they differ or none is known. */
static void common_old_tcb(struct workflow *wf)
{
	const char *tcb = NULL;

	wf->old_tcb[0] = '\0';
	for (size_t i = 0; i < wf->n; i++) {
		if (!wf->v[i].member)
			continue;
		if (!wf->v[i].old_tcb[0] || (tcb && strcmp(tcb, wf->v[i].old_tcb) != 0))
			return;
		tcb = wf->v[i].old_tcb;
	}
	if (tcb)
		snprintf(wf->old_tcb, sizeof(wf->old_tcb), "%s", tcb);
}

/* Build, verify and stage every member; drop the ones that need nothing or failed. */
static void stage_members(struct workflow *wf, struct wf_vcek *src, const struct amd_trust *trust,
			  const struct platform_id *p, const struct amd_tcb *rep,
			  const char *rep_spec)
{
	struct verify_opts vo;

	wf_verify_opts(&vo, trust, p, rep_spec, true);
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];
		struct table next = { 0 };
		char was[sizeof(t->reason)];
		int r;

		if (!t->member)
			continue;
		/* Judged again on what the writer read: another refresh may have been first. */
		judge(t, p, rep, rep_spec);
		if (!t->member) {
			workflow_drop(t);
			continue;
		}
		snprintf(was, sizeof(was), "%s", t->old_tcb[0] ? t->old_tcb : "no VCEK");
		r = wf_build_vcek(t, src, &next);
		if (r == 0)
			r = workflow_stage(wf, t, &next, &vo);
		else
			wf_set(t, WF_FAILED, r, "the new table could not be built; unchanged");
		table_free(&next);
		if (r || t->action != WF_UPDATE) {
			if (t->action == WF_UNCHANGED)
				wf_set(t, WF_UNCHANGED, 0, "already holds this VCEK");
			workflow_drop(t);
			continue;
		}
		wf_set(t, WF_UPDATE, 0, "installed the VCEK for the reported TCB %s (was %s)",
		       rep_spec, was);
	}
}

/* Everything from the fetch to the last hook, for the members.  Failures mark the tables. */
static void update(struct workflow *wf, const struct refresh_args *a,
		   const struct amd_trust *trust, const struct platform_id *p,
		   const struct amd_tcb *rep, const char *rep_spec)
{
	struct kds_vcek_id id = { .product = p->product, .hwid_len = SEV_CHIP_ID_LEN,
				  .tcb = *rep };
	struct wf_vcek src = { 0 };
	struct cache cache = { 0 };
	int ret;

	memcpy(id.hwid, p->chip_id, SEV_CHIP_ID_LEN);
	if (a->dry_run) {
		char req[KDS_PATH_MAX] = "?";

		kds_vcek_id_normalize(&id);
		kds_vcek_path(&id, req, sizeof(req));
		for (size_t i = 0; i < wf->n; i++) {
			struct wf_table *t = &wf->v[i];
			char why[sizeof(t->reason)];

			if (!t->member)
				continue;
			snprintf(why, sizeof(why), "%s", t->reason);
			wf_set(t, WF_WOULD_UPDATE, 0, "%s: would install the VCEK for the reported "
			       "TCB %s (KDS request GET %s)", why, rep_spec, req);
		}
		return;
	}
	ret = hooks_check_report(wf->ctx);
	if (ret) {
		workflow_fail_pending(wf, ret, "a hook was refused; unchanged");
		return;
	}
	ret = cache_init(&cache, wf->ctx, trust, a->offline);
	if (ret == 0)
		ret = wf_vcek_fetch(&cache, &id, &src);
	if (ret) {
		workflow_fail_pending(wf, ret, "%s; unchanged",
				      ret == EXIT_KDS ? "the VCEK could not be had from KDS" :
				      ret == EXIT_VERIFY ? "KDS sent a VCEK that does not verify" :
							   "the VCEK could not be had");
		goto out;
	}
	common_old_tcb(wf);
	ret = workflow_hooks(wf, HOOK_PRE_UPDATE);
	if (ret) {
		workflow_fail_pending(wf, ret, "a hook failed at pre-update; unchanged");
		goto failed;
	}
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		if (t->member && (ret = workflow_open(wf, t)) != 0) {
			wf_set(t, WF_FAILED, ret, "cannot be opened for the update; unchanged");
			workflow_drop(t);
		}
	}
	stage_members(wf, &src, trust, p, rep, rep_spec);
	workflow_prepare(wf);
	for (size_t i = 0; i < wf->n; i++)
		if (wf->v[i].member && wf->v[i].action != WF_UPDATE)
			workflow_drop(&wf->v[i]);
	if (workflow_members(wf) == 0)
		goto done;
	ret = workflow_lock(wf);
	if (ret) {
		workflow_fail_pending(wf, ret, "the exclusive lock was not had in time; unchanged");
		goto failed;
	}
	ret = workflow_hooks(wf, HOOK_LOCKED);
	if (ret) {
		workflow_unlock(wf);
		workflow_fail_pending(wf, ret, "a hook failed at locked; unchanged");
		goto failed;
	}
	workflow_commit(wf);
done:
	if (workflow_status(wf) == 0) {
		workflow_hooks(wf, HOOK_POST_UPDATE);
		goto out;
	}
failed:
	workflow_hooks(wf, HOOK_UPDATE_FAILED);
out:
	wf_vcek_clear(&src);
}

static void print_json(const struct workflow *wf, const struct platform_id *p,
		       const char *rep_spec, bool dry_run)
{
	char hex[2 * SEV_CHIP_ID_LEN + 1];
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_object_begin(&j, "platform");
	json_string(&j, "product", amd_product_name(p->product));
	json_string(&j, "reported_tcb", rep_spec);
	if (p->chip_id_known) {
		format_hex(p->chip_id, SEV_CHIP_ID_LEN, hex);
		json_string(&j, "chip_id", hex);
	} else {
		json_string(&j, "chip_id", NULL);
	}
	json_bool(&j, "vlek_loaded", p->st.features & SNP_FEATURE_VLEK_EN);
	json_object_end(&j);
	json_bool(&j, "dry_run", dry_run);
	workflow_json_tables(wf, &j);
	json_object_end(&j);
	json_finish(&j);
}

static int cmd_refresh_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_KDS_URL,
		LONGOPT_CACHE,
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "splay", required_argument, NULL, OPT_SPLAY },
		LONGOPT_PRODUCT,
		LONGOPT_TRUST_ROOT,
		LONGOPT_TIMEOUT,
		{ NULL, 0, NULL, 0 },
	};
	struct refresh_args a = { 0 };
	struct workflow wf = { 0 };
	struct amd_trust *trust = NULL;
	struct platform_id plat;
	struct why why;
	struct amd_tcb rep;
	char rep_spec[WF_TCB_LEN];
	bool masked_said = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_OFFLINE:
			a.offline = true;
			break;
		case OPT_DRY_RUN:
			a.dry_run = true;
			break;
		case OPT_SPLAY:
			if (parse_seconds(optarg, &a.splay_s) < 0)
				return usage_error(ctx, "invalid --splay '%s': want seconds, e.g. "
						   "3600", optarg);
			break;
		}
	}
	ret = ctx_load(ctx);
	if (ret)
		return ret;
	splay(a.splay_s);

	ret = trust_load(ctx, &trust);
	if (ret)
		goto out;
	ret = platform_identify(ctx_get(ctx, SET_PRODUCT), &plat, &why);
	if (ret) {
		err("%s", why.msg);
		ret = exit_status(ret);
		goto out;
	}
	amd_tcb_from_raw(plat.product, plat.st.reported_tcb, &rep);
	amd_tcb_format(plat.product, &rep, rep_spec, sizeof(rep_spec));
	ret = workflow_init(&wf, ctx, "refresh", argv + optind, (size_t)(argc - optind));
	if (ret)
		goto out;
	snprintf(wf.new_tcb, sizeof(wf.new_tcb), "%s", rep_spec);
	if (wf.n == 0)
		info("no tables in the store '%s': nothing to do", ctx_get(ctx, SET_STORE));

	for (size_t i = 0; i < wf.n; i++) {
		struct wf_table *t = &wf.v[i];
		int r = workflow_peek(&wf, t);

		/* Malformed, or half-written by a writer that died: read it as its writer. */
		if (r == EXIT_VERIFY)
			r = workflow_open(&wf, t);
		if (r) {
			wf_set(t, WF_FAILED, r, "cannot be read; unchanged");
			workflow_drop(t);
			continue;
		}
		judge(t, &plat, &rep, rep_spec);
		if (!t->member)
			workflow_drop(t);
		if (t->action == WF_FAILED && t->status == EXIT_PLATFORM && !masked_said) {
			err("cannot refresh '%s': the firmware masks the chip id (mask_chip_id), so "
			    "this chip's VCEK cannot be matched or fetched; use a VLEK "
			    "('snp-certctl vlek-load')", t->path);
			masked_said = true;
		}
	}
	if (workflow_members(&wf))
		update(&wf, &a, trust, &plat, &rep, rep_spec);
	for (size_t i = 0; i < wf.n; i++)
		if (wf.v[i].action == WF_UPDATE || wf.v[i].action == WF_PENDING)
			wf_set(&wf.v[i], WF_FAILED, EXIT_FAIL, "not updated");
	workflow_syslog(&wf);
	if (ctx->json)
		print_json(&wf, &plat, rep_spec, a.dry_run);
	else
		workflow_print(&wf);
	ret = workflow_status(&wf);
out:
	workflow_free(&wf);
	amd_trust_free(trust);
	return ret;
}

const struct cmd cmd_refresh = { "refresh", cmd_refresh_main,
				 "install the VCEK for the reported TCB in every table (cron)",
				 usage };
