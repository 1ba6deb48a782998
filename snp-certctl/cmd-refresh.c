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
#include <time.h>
#include <unistd.h>

#include "kds-cache.h"
#include "certs.h"
#include "cmd.h"
#include "json.h"
#include "kds.h"
#include "platform.h"
#include "sev.h"
#include "util.h"
#include "workflow.h"

enum { OPT_OFFLINE = OPT_COMMON_LAST, OPT_DRY_RUN, OPT_SPLAY };

static const char usage[] =
	"Usage: snp-certctl refresh [FILE...] [--kds-url URL] [--kds-mirror URL]\n"
	"                           [--cache DIR] [--offline]\n"
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
	HELP_KDS_URL
	HELP_KDS_MIRROR
	HELP_CACHE
	"      --offline         never ask KDS: the cache and the mirror only; exit 6\n"
	"                        when they lack the VCEK\n"
	"      --dry-run         say what would be done; no request, no lock, no change\n"
	"      --splay SEC       first wait a random time below SEC seconds (fleets;\n"
	"                        not with --dry-run)\n"
	HELP_PRODUCT
	HELP_TRUST_ROOT
	HELP_TIMEOUT
	"      --json            one JSON document on stdout:\n"
	"  {\"platform\": {\"product\", \"reported_tcb\", \"chip_id\", \"vlek_loaded\"},\n"
	"   \"dry_run\", \"locks_held_us\", \"tables\": [{\"file\", \"path\", \"action\",\n"
	"   \"reason\", \"exit_status\", \"old_tcb\", \"new_tcb\"}], \"error\"}\n"
	"  action: unchanged, updated, skipped, failed or would-update; exit_status\n"
	"  only for failed tables; locks_held_us: how long readers were kept out (0:\n"
	"  nothing was locked).\n"
	HELP_JSON_WORKFLOW
	"\n"
	"Exit status: 0 every table is right (changed or not), else that of the first\n"
	"table that is not: 3 its lock was not had in time, 4 verification failed (or a\n"
	"VLEK table without a loaded VLEK), 5 platform error (also: the chip id is\n"
	"masked), 6 KDS or network error (tables and cache untouched), 1 other.\n";

struct refresh_args {
	bool offline, dry_run;
	double splay_s;
};

/* A random wait in [0, secs): fleets do not all ask KDS at once.  Not for a dry run. */
static void splay(double secs, bool dry_run)
{
	double s;

	if (secs <= 0)
		return;
	if (dry_run) {
		debug("not waiting first (--splay %g): a dry run", secs);
		return;
	}
	s = secs * sc_random01();
	debug("waiting %.3f s first (--splay %g)", s, secs);
	sc_sleep_s(s);
}

struct refresh {
	struct refresh_args a;
	struct amd_trust *trust;
	struct platform_id plat;
	struct amd_tcb rep;
	char rep_spec[WF_TCB_LEN];
	struct cache cache;
	struct wf_vcek src;
	struct sev_dev *dev; /* to confirm the reported TCB under the locks */
};

/* What t needs, from its current contents: true when it is to be updated. */
static bool judge(struct wf_table *t, const struct refresh *r)
{
	const struct platform_id *p = &r->plat;
	char why[WF_REASON_LEN];

	wf_set_new_tcb(t, p->product, NULL);
	if (t->vlek) {
		if (p->st.features & SNP_FEATURE_VLEK_EN) {
			wf_set(t, WF_SKIPPED, 0, "a VLEK is loaded; refresh leaves VLEK tables alone");
		} else {
			err("'%s' carries a VLEK but none is loaded: run 'snp-certctl vlek-load'",
			    t->path);
			wf_set(t, WF_FAILED, -ERR_VERIFY,
			       "carries a VLEK but none is loaded: run 'snp-certctl vlek-load'");
		}
		return false;
	}
	if (!p->chip_id_known) {
		wf_set(t, WF_FAILED, -ERR_PLATFORM, "the firmware masks the chip id, so no VCEK "
		       "can be matched or fetched: use a VLEK ('snp-certctl vlek-load')");
		return false;
	}
	if (wf_vcek_matches(t, p, &r->rep, why, sizeof(why))) {
		wf_set(t, WF_UNCHANGED, 0, "%s", why);
		return false;
	}
	wf_set(t, WF_PENDING, 0, "%s", why);
	wf_set_new_tcb(t, p->product, r->rep_spec);
	return true;
}

/* The old TCB all members share, for the hooks; "" when they differ or none is known. */
static const char *common_old_tcb(struct workflow *wf)
{
	const char *tcb = NULL;

	for (size_t i = 0; i < workflow_n(wf); i++) {
		const struct wf_table *t = workflow_table(wf, i);

		if (!t->member)
			continue;
		if (!t->old_tcb[0] || (tcb && strcmp(tcb, t->old_tcb) != 0))
			return "";
		tcb = t->old_tcb;
	}
	return tcb ? tcb : "";
}

/* Read every table as a reader does and decide which need the VCEK. */
static int survey(struct workflow *wf, void *arg, struct why *unused)
{
	struct refresh *r = arg;
	bool masked_said = false;
	char req[KDS_PATH_MAX] = "?";

	(void)unused;
	if (workflow_n(wf) == 0)
		info("no tables in the store '%s': nothing to do",
		     ctx_get(workflow_ctx(wf), SET_STORE));
	for (size_t i = 0; i < workflow_n(wf); i++) {
		struct wf_table *t = workflow_table(wf, i);
		struct why why;
		int rc = wf_look(wf, t, &why);

		if (rc) {
			err("%s", why.msg);
			wf_set(t, WF_FAILED, rc, "cannot be read; unchanged");
			wf_drop(t);
			continue;
		}
		if (!judge(t, r))
			wf_drop(t);
		if (t->action == WF_FAILED && t->rc == -ERR_PLATFORM && !masked_said) {
			err("cannot refresh '%s': the firmware masks the chip id (mask_chip_id), so "
			    "this chip's VCEK cannot be matched or fetched; use a VLEK "
			    "('snp-certctl vlek-load')", t->path);
			masked_said = true;
		}
	}
	workflow_set_tcbs(wf, common_old_tcb(wf), r->rep_spec);
	if (!r->a.dry_run)
		return 0;
	{
		struct kds_vcek_id id = { .product = r->plat.product,
					  .hwid_len = SEV_CHIP_ID_LEN, .tcb = r->rep };

		memcpy(id.hwid, r->plat.chip_id, SEV_CHIP_ID_LEN);
		kds_vcek_id_normalize(&id);
		kds_vcek_path(&id, req, sizeof(req));
	}
	for (size_t i = 0; i < workflow_n(wf); i++) {
		struct wf_table *t = workflow_table(wf, i);
		char was[WF_REASON_LEN];

		if (!t->member)
			continue;
		snprintf(was, sizeof(was), "%s", t->reason);
		wf_set(t, WF_WOULD_UPDATE, 0, "%s: would install the VCEK for the reported TCB %s "
		       "(KDS request GET %s)", was, r->rep_spec, req);
		wf_drop(t);
	}
	return 0;
}

/* The VCEK, cache first, before any hook or lock. */
static int prepare(struct workflow *wf, void *arg, struct why *why)
{
	struct refresh *r = arg;
	struct kds_vcek_id id = { .product = r->plat.product, .hwid_len = SEV_CHIP_ID_LEN,
				  .tcb = r->rep };
	int ret;

	memcpy(id.hwid, r->plat.chip_id, SEV_CHIP_ID_LEN);
	ret = sev_open(sev_device_path(), false, &r->dev, NULL, why);
	if (ret) {
		workflow_fail_pending(wf, ret, "the SEV device cannot be opened; unchanged");
		return ret;
	}
	ret = cache_init(&r->cache, workflow_ctx(wf), r->trust, r->a.offline, why);
	if (ret == 0)
		ret = wf_vcek_fetch(&r->cache, &id, &r->src, why);
	if (ret)
		workflow_fail_pending(wf, ret, "%s; unchanged",
				      ret == -ERR_KDS ? "the VCEK could not be had from KDS" :
				      ret == -ERR_VERIFY ? "KDS sent a VCEK that does not verify" :
							   "the VCEK could not be had");
	return ret;
}

/* Build, verify and stage every member; drop the ones that need nothing or failed. */
static int stage(struct workflow *wf, void *arg, struct why *unused)
{
	struct refresh *r = arg;
	struct verify_opts vo;

	(void)unused;
	wf_verify_opts(&vo, r->trust, &r->plat, r->rep_spec, true);
	for (size_t i = 0; i < workflow_n(wf); i++) {
		struct wf_table *t = workflow_table(wf, i);
		struct table next = { 0 };
		char was[WF_REASON_LEN];
		struct why why;
		int rc;

		if (!t->member)
			continue;
		/* Judged again on what the writer read: another refresh may have been first. */
		if (!judge(t, r)) {
			wf_drop(t);
			continue;
		}
		snprintf(was, sizeof(was), "%s", t->old_tcb[0] ? t->old_tcb : "no VCEK");
		rc = wf_build_vcek(t, &r->src, &next, &why);
		if (rc == 0) {
			rc = wf_stage(t, &next, &vo);
		} else {
			err("%s", why.msg);
			wf_set(t, WF_FAILED, rc, "the new table could not be built; unchanged");
		}
		table_free(&next);
		if (rc || t->action != WF_UPDATE) {
			if (t->action == WF_UNCHANGED)
				wf_set(t, WF_UNCHANGED, 0, "already holds this VCEK");
			wf_drop(t);
			continue;
		}
		wf_set(t, WF_UPDATE, 0, "installed the VCEK for the reported TCB %s (was %s)",
		       r->rep_spec, was);
	}
	return 0;
}

/*
 * Under the locks: the firmware still reports the TCB the new tables are
 * for.  Whatever changed it meanwhile (a firmware update outside
 * snp-certctl), a VCEK for the TCB before it is never installed.
 */
static int confirm(struct workflow *wf, void *arg, struct why *why)
{
	struct refresh *r = arg;
	struct snp_platform_status st;
	char now[WF_TCB_LEN];
	int rc;

	rc = sev_platform_status(r->dev, &st, NULL, why);
	if (rc) {
		workflow_fail_pending(wf, rc, "the reported TCB could not be confirmed; unchanged");
		return rc;
	}
	if (st.reported_tcb == r->plat.st.reported_tcb)
		return 0;
	wf_tcb_spec(r->plat.product, st.reported_tcb, now, sizeof(now));
	workflow_fail_pending(wf, -ERR_PLATFORM, "the reported TCB changed to %s meanwhile; "
			      "unchanged", now);
	return why_set(why, -ERR_PLATFORM, "the platform's reported TCB changed to %s while "
		       "refreshing for %s: nothing installed; run 'snp-certctl refresh' again", now,
		       r->rep_spec);
}

static void json_extra(struct workflow *wf, void *arg, struct jout *j)
{
	const struct refresh *r = arg;
	const struct platform_id *p = &r->plat;
	char hex[2 * SEV_CHIP_ID_LEN + 1];

	(void)wf;
	jout_object_begin(j, "platform");
	jout_string(j, "product", amd_product_name(p->product));
	jout_tcb(j, "reported_tcb", p->product, &r->rep, amd_tcb_to_raw(p->product, &r->rep));
	if (p->chip_id_known) {
		format_hex(p->chip_id, SEV_CHIP_ID_LEN, hex);
		jout_string(j, "chip_id", hex);
	} else {
		jout_string(j, "chip_id", NULL);
	}
	jout_bool(j, "vlek_loaded", p->st.features & SNP_FEATURE_VLEK_EN);
	jout_object_end(j);
	jout_bool(j, "dry_run", r->a.dry_run);
	jout_int(j, "locks_held_us", workflow_held_us(wf));
}

static const struct workflow_ops refresh_ops = {
	.command = "refresh",
	.survey = survey,
	.prepare = prepare,
	.stage = stage,
	.under_locks = confirm,
	.json = json_extra,
};

static int cmd_refresh_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		LONGOPT_KDS_URL,
		LONGOPT_KDS_MIRROR,
		LONGOPT_CACHE,
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "splay", required_argument, NULL, OPT_SPLAY },
		LONGOPT_PRODUCT,
		LONGOPT_TRUST_ROOT,
		LONGOPT_TIMEOUT,
		{ NULL, 0, NULL, 0 },
	};
	struct workflow_ops ops = refresh_ops;
	struct refresh r = { 0 };
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_OFFLINE:
			r.a.offline = true;
			break;
		case OPT_DRY_RUN:
			r.a.dry_run = true;
			break;
		case OPT_SPLAY:
			if (parse_seconds(optarg, &r.a.splay_s) < 0)
				return usage_error(ctx, "invalid --splay '%s': want seconds, e.g. "
						   "3600", optarg);
			break;
		}
	}
	ret = ctx_load(ctx);
	if (ret)
		return ret;
	splay(r.a.splay_s, r.a.dry_run);

	ret = trust_load(ctx, &r.trust);
	if (ret)
		goto out;
	ret = cmd_platform(ctx, &r.plat);
	if (ret)
		goto out;
	amd_tcb_from_raw(r.plat.product, r.plat.st.reported_tcb, &r.rep);
	amd_tcb_format(r.plat.product, &r.rep, r.rep_spec, sizeof(r.rep_spec));
	if (r.a.dry_run)
		ops.flags |= WF_NO_RECORD;
	ret = workflow_run(ctx, &ops, &r, argv + optind, (size_t)(argc - optind));
out:
	sev_close(r.dev);
	wf_vcek_clear(&r.src);
	amd_trust_free(r.trust);
	return ret;
}

const struct cmd cmd_refresh = { "refresh", cmd_refresh_main,
				 "install the VCEK for the reported TCB in every table (cron)",
				 usage, .json = true };
