// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fw-update: hold the exclusive lock on every table while the firmware
 * changes (the operator's COMMAND, SNP_COMMIT, SNP_SET_CONFIG), then
 * install the VCEK for the resulting reported TCB and release.
 *
 * Whatever can happen before the locks happens before them: when the
 * resulting reported TCB is known in advance (--reported-tcb SPEC, or
 * `current` or nothing without a COMMAND), its VCEK is fetched, every new
 * table built, verified and journaled first, so the locks are held only
 * for the firmware step and the in-place writes.  Otherwise the VCEK can
 * only be fetched once the firmware has said what it reports, under the
 * locks, and the program says so.  Tables are never torn: when anything
 * fails after the firmware changed, every table still holds its old
 * contents and the program says what state the platform is in and what to
 * run next.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kds-cache.h"
#include "certs.h"
#include "cmd.h"
#include "json.h"
#include "kds.h"
#include "platform.h"
#include "run.h"
#include "sev.h"
#include "util.h"
#include "workflow.h"

enum { OPT_COMMIT = OPT_COMMON_LAST, OPT_REPORTED_TCB, OPT_OFFLINE, OPT_FORCE };

/*
 * Seconds each KDS request may take, retries included, while the locks are
 * held: readers (guests' certificate requests) are blocked meanwhile, and
 * guests give up on a busy host after 60 s, for good (facts.md, section 5).
 * SNP_CERTCTL_KDS_DEADLINE (default 60) is cut to this under the locks.
 */
#define KDS_LOCKED_DEADLINE 8.0

static const char usage[] =
	"Usage: snp-certctl fw-update [FILE...] [--commit [--force]]\n"
	"                             [--reported-tcb SPEC|current]\n"
	"                             [--timeout SEC] [--kds-url URL]\n"
	"                             [--kds-mirror URL] [--cache DIR] [--offline]\n"
	"                             [--product P] [--trust-root PEM]... [--json]\n"
	"                             [-- COMMAND [ARG]...]\n"
	"\n"
	"Hold the exclusive lock on every table FILE (default: every table in the store)\n"
	"while the firmware changes, then install the VCEK for the resulting reported\n"
	"TCB in every table and release the locks.  In order: the hooks at pre-update;\n"
	"every lock, in a fixed order; the hooks at locked; COMMAND (the firmware step,\n"
	"if given; it inherits stdin, stdout and stderr); SNP_COMMIT (--commit);\n"
	"SNP_SET_CONFIG (--reported-tcb, keeping the chip id and key masks); the new\n"
	"tables, written in place; release; the hooks at post-update (or update-failed).\n"
	"\n"
	"When the resulting reported TCB is known in advance (--reported-tcb SPEC, or\n"
	"'current' or no --reported-tcb without COMMAND) its VCEK is fetched and every\n"
	"new table verified and journaled before any lock is taken.  Otherwise the VCEK\n"
	"is fetched under the locks, once the firmware has said what it reports, with\n"
	"at most 8 s per request (readers are blocked meanwhile).\n"
	"Tables carrying a VLEK are not changed; they fail (exit 4) when their VLEK no\n"
	"longer matches the reported TCB: load a new one with 'snp-certctl vlek-load'.\n"
	"\n"
	"      --commit          SNP_COMMIT after COMMAND: the running firmware becomes\n"
	"                        the minimum (no rollback); refused while a table\n"
	"                        does not match the platform already, unless --force\n"
	"      --force           --commit even so\n"
	"      --reported-tcb SPEC|current\n"
	"                        SNP_SET_CONFIG: report this TCB\n"
	"                        (bl=N,tee=N,snp=N,ucode=N[,fmc=N] or 0x...), or the\n"
	"                        current TCB after COMMAND;\n"
	"                        a SPEC above the current TCB is refused (no COMMAND)\n"
	HELP_TIMEOUT
	HELP_KDS_URL
	HELP_KDS_MIRROR
	HELP_CACHE
	"      --offline         use the cache (and the mirror) only\n"
	HELP_PRODUCT
	HELP_TRUST_ROOT
	"      --json            one JSON document on stdout (COMMAND's stdout goes to\n"
	"                        stderr):\n"
	"  {\"platform\": {\"product\", \"old_reported_tcb\", \"new_reported_tcb\",\n"
	"                \"current_tcb\", \"committed\", \"reported_tcb_set\"},\n"
	"   \"firmware_step\", \"vcek_fetched_under_locks\", \"locks_held_us\",\n"
	"   \"tables\": [{\"file\", \"path\", \"action\", \"reason\", \"exit_status\",\n"
	"   \"old_tcb\", \"new_tcb\"}], \"error\"}\n"
	HELP_JSON_WORKFLOW
	"\n"
	"Exit status: 0 done, every table right; 1 failure (a hook at pre-update or\n"
	"locked failed: nothing changed), 2 usage, 3 a lock was not had in time (nothing\n"
	"changed), 4 verification failed, 5 platform error (COMMAND, SNP_COMMIT or\n"
	"SNP_SET_CONFIG failed), 6 KDS or network error.  After a failure the tables\n"
	"hold their old contents, never a mix, and stderr says what to run next.\n";

struct fw_args {
	char **cmd;            /* after "--", or NULL */
	const char *reported;  /* --reported-tcb as given */
	bool commit, offline, force;
};

/* What happened to the platform, for the report. */
struct fw_state {
	struct platform_id old;      /* before anything */
	const char *dev_path;
	bool known;                  /* the resulting reported TCB is known in advance */
	uint64_t target;             /* ... and is this */
	bool cmd_ok, committed, config_set;
	const char *failed;          /* the step that failed, or NULL */
	bool have_new;
	struct snp_platform_status now; /* after the firmware step */
	bool fetched_locked;         /* the VCEK was fetched under the locks */
	char cmdline[256];
};

static void join_command(char *const *cmd, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; cmd && cmd[i] && used + 1 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", cmd[i]);
}

static const char *step_state(bool asked, bool done, const char *failed, const char *name)
{
	if (failed && strcmp(failed, name) == 0)
		return "failed";
	if (!asked)
		return "not asked";
	return done ? "done" : "not reached";
}

/*
 * After a failure once the firmware may have changed: the platform's state
 * as far as known, every table's, and what to run next.
 */
static void report_state(const struct fw_state *s, const struct fw_args *a,
			 struct workflow *wf, const char *next)
{
	struct snp_platform_status st = s->now;
	struct sev_dev *dev = NULL;
	char cur[WF_TCB_LEN] = "unknown", rep[WF_TCB_LEN] = "unknown", was[WF_TCB_LEN];
	enum amd_product p = s->old.product;
	bool have = s->have_new;

	if (!have && sev_open(s->dev_path, false, &dev, NULL, NULL) == 0)
		have = sev_platform_status(dev, &st, NULL, NULL) == 0;
	sev_close(dev);
	if (have) {
		wf_tcb_spec(p, st.current_tcb, cur, sizeof(cur));
		wf_tcb_spec(p, st.reported_tcb, rep, sizeof(rep));
	}
	wf_tcb_spec(p, s->old.st.reported_tcb, was, sizeof(was));
	err("the platform now: current TCB %s, reported TCB %s (was %s); SNP_COMMIT %s, "
	    "SNP_SET_CONFIG %s", cur, rep, was, step_state(a->commit, s->committed, s->failed,
							   "SNP_COMMIT"),
	    step_state(a->reported != NULL, s->config_set, s->failed, "SNP_SET_CONFIG"));
	for (size_t i = 0; i < workflow_n(wf); i++) {
		const struct wf_table *t = workflow_table(wf, i);

		if (t->action == WF_UPDATED || t->action == WF_UNCHANGED)
			continue;
		err("'%s' still holds its old %s%s%s%s, whole (never torn)", t->path,
		    t->vlek ? "VLEK" : "VCEK", t->old_tcb[0] ? " (TCB " : "", t->old_tcb,
		    t->old_tcb[0] ? ")" : "");
	}
	err("next: %s", next);
}

/*
 * Stage the pending VCEK tables (vcek) with src's VCEK for the reported
 * TCB rep_raw, and judge the VLEK tables (vlek) against it.  Returns the
 * first failure.
 */
static int stage_all(struct workflow *wf, struct wf_vcek *src, const struct amd_trust *trust,
		     const struct platform_id *p, uint64_t rep_raw, bool vcek, bool vlek)
{
	struct verify_opts vo;
	char spec[WF_TCB_LEN];
	struct amd_tcb rep;
	int ret = 0;

	amd_tcb_from_raw(p->product, rep_raw, &rep);
	amd_tcb_format(p->product, &rep, spec, sizeof(spec));
	wf_verify_opts(&vo, trust, p, spec, true);
	for (size_t i = 0; i < workflow_n(wf); i++) {
		struct wf_table *t = workflow_table(wf, i);
		struct table next = { 0 };
		struct why why;
		int r;

		if (t->vlek && vlek) {
			if (t->has_key && amd_tcb_equal(p->product, &t->key.tcb, &rep)) {
				wf_set(t, WF_UNCHANGED, 0, "carries a VLEK for the reported TCB %s",
				       spec);
				continue;
			}
			wf_set(t, WF_FAILED, -ERR_VERIFY, "carries a VLEK for TCB %s, the platform "
			       "reports %s: load a VLEK for %s with 'snp-certctl vlek-load'",
			       t->old_tcb, spec, spec);
			err("'%s' %s", t->path, t->reason);
			ret = ret ? ret : -ERR_VERIFY;
		}
		if (t->vlek || !vcek || t->action != WF_PENDING)
			continue;
		wf_set_new_tcb(t, p->product, spec);
		r = wf_build_vcek(t, src, &next, &why);
		if (r == 0) {
			r = wf_stage(t, &next, &vo);
		} else {
			err("%s", why.msg);
			wf_set(t, WF_FAILED, r, "the new table could not be built");
		}
		table_free(&next);
		if (r) {
			ret = ret ? ret : r;
			continue;
		}
		if (t->action == WF_UNCHANGED)
			wf_set(t, WF_UNCHANGED, 0, "already holds the VCEK for the reported TCB %s",
			       spec);
		else
			wf_set(t, WF_UPDATE, 0, "installed the VCEK for the reported TCB %s (was %s)",
			       spec, t->old_tcb[0] ? t->old_tcb : "no VCEK");
	}
	return ret;
}

/* COMMAND, SNP_COMMIT, SNP_SET_CONFIG, then the new status.  0 or EXIT_PLATFORM. */
static int firmware_step(const struct ctx *ctx, const struct fw_args *a, struct fw_state *s,
			 struct sev_dev **dev)
{
	struct snp_platform_status st;
	char why[64];
	struct why w;
	int wstatus = 0, r;

	if (a->cmd) {
		debug("running the firmware step '%s'", s->cmdline);
		r = run_command(a->cmd, ctx->json ? RUN_STDOUT_TO_STDERR : 0, &wstatus, &w);
		if (r)
			err("%s", w.msg);
		if (wstatus != 0) {
			run_describe(wstatus, why, sizeof(why));
			err("firmware step '%s' failed: %s; the tables are unchanged", s->cmdline,
			    why);
		}
		if (r || wstatus != 0) {
			s->failed = "COMMAND";
			return EXIT_PLATFORM;
		}
		s->cmd_ok = true;
		/* The step may have reloaded the driver: the device anew. */
		sev_close(*dev);
		*dev = NULL;
	}
	if (!*dev) {
		r = sev_open(s->dev_path, a->commit || a->reported, dev, NULL, &w);
		if (r < 0) {
			err("%s", w.msg);
			s->failed = "open";
			return EXIT_PLATFORM;
		}
	}
	if (a->commit) {
		r = sev_commit(*dev, NULL, &w);
		if (r < 0) {
			err("%s", w.msg);
			s->failed = "SNP_COMMIT";
			return EXIT_PLATFORM;
		}
		s->committed = true;
	}
	if (a->reported) {
		uint64_t value = s->target;

		r = sev_platform_status(*dev, &st, NULL, &w);
		if (r < 0) {
			err("%s", w.msg);
			s->failed = "SNP_SET_CONFIG";
			return EXIT_PLATFORM;
		}
		if (strcmp(a->reported, "current") == 0)
			value = st.current_tcb;
		r = sev_set_config(*dev, value, st.features & SNP_FEATURE_MASK_CHIP_ID,
				   st.features & SNP_FEATURE_MASK_CHIP_KEY, NULL, &w);
		if (r < 0) {
			err("%s", w.msg);
			s->failed = "SNP_SET_CONFIG";
			return EXIT_PLATFORM;
		}
		s->config_set = true;
	}
	r = sev_platform_status(*dev, &s->now, NULL, &w);
	if (r < 0) {
		err("%s", w.msg);
		s->failed = "SNP_PLATFORM_STATUS";
		return EXIT_PLATFORM;
	}
	s->have_new = true;
	return 0;
}

/* Everything a run of fw-update needs, for the driver's steps. */
struct fw {
	struct fw_args a;
	struct fw_state s;
	struct amd_trust *trust;
	struct cache cache;
	struct sev_dev *dev;
	struct kds_vcek_id id;
	struct wf_vcek pre, post, *src;
	bool need_vcek;
	bool fw_done;     /* the firmware step ran: stage() judges against its result */
	bool restage;     /* ... and some VCEK table needs a VCEK fetched under the locks */
	const char *next; /* after a failure once the firmware may have changed: what to run */
	char next_buf[256];
	char old_spec[WF_TCB_LEN], new_spec[WF_TCB_LEN]; /* reported TCBs for the hooks */
};

static void json_extra(struct workflow *wf, void *arg, struct jout *j)
{
	const struct fw *f = arg;
	const struct fw_state *s = &f->s;
	enum amd_product p = s->old.product;

	jout_object_begin(j, "platform");
	jout_string(j, "product", amd_product_name(p));
	jout_tcb_raw(j, "old_reported_tcb", p, s->old.st.reported_tcb);
	if (s->have_new)
		jout_tcb_raw(j, "new_reported_tcb", p, s->now.reported_tcb);
	else
		jout_string(j, "new_reported_tcb", NULL);
	jout_tcb_raw(j, "current_tcb", p, s->have_new ? s->now.current_tcb : s->old.st.current_tcb);
	jout_bool(j, "committed", s->committed);
	jout_bool(j, "reported_tcb_set", s->config_set);
	jout_object_end(j);
	jout_string(j, "firmware_step", f->a.cmd ? s->cmdline : NULL);
	if (s->failed)
		jout_string(j, "failed_step", s->failed);
	jout_bool(j, "vcek_fetched_under_locks", s->fetched_locked);
	jout_int(j, "locks_held_us", workflow_held_us(wf));
}

static int parse_args(struct ctx *ctx, int argc, char **argv, struct fw_args *a, int *first_file,
		      int *last_file)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "commit", no_argument, NULL, OPT_COMMIT },
		{ "reported-tcb", required_argument, NULL, OPT_REPORTED_TCB },
		LONGOPT_TIMEOUT,
		LONGOPT_KDS_URL,
		LONGOPT_KDS_MIRROR,
		LONGOPT_CACHE,
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		{ "force", no_argument, NULL, OPT_FORCE },
		LONGOPT_PRODUCT,
		LONGOPT_TRUST_ROOT,
		{ NULL, 0, NULL, 0 },
	};
	int dd = run_split(argc, argv, 1), end = dd < 0 ? argc : dd, c;

	while ((c = getopt_long(end, argv, ":" COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (common_option(ctx, c, optarg, argv))
			continue;
		switch (c) {
		case OPT_COMMIT:
			a->commit = true;
			break;
		case OPT_REPORTED_TCB:
			if (strcmp(optarg, "current") != 0 && amd_tcb_spec_check(optarg) < 0)
				return usage_error(ctx, "invalid --reported-tcb '%s': want "
						   "bl=N,tee=N,snp=N,ucode=N[,fmc=N], 0x... or "
						   "'current'", optarg);
			a->reported = optarg;
			break;
		case OPT_OFFLINE:
			a->offline = true;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		}
	}
	if (a->force && !a->commit)
		return usage_error(ctx, "--force goes with --commit");
	if (dd >= 0 && dd + 1 >= argc)
		return usage_error(ctx, "no command after '--'");
	a->cmd = dd >= 0 ? argv + dd + 1 : NULL;
	*first_file = optind;
	*last_file = end;
	return 0;
}

/* What the tables hold (readers' view) and whether a VCEK is needed. */
/*
 * --commit makes the running firmware the minimum for good: not while a
 * VCEK table is already wrong for the platform (another chip, or not the
 * reported TCB), which the update could be blamed for, unless --force.
 */
static int commit_check(struct workflow *wf, const struct fw *f, struct why *why)
{
	const struct platform_id *p = &f->s.old;
	char reason[WF_REASON_LEN];
	struct amd_tcb rep;

	if (!f->a.commit || f->a.force || !p->chip_id_known)
		return 0;
	amd_tcb_from_raw(p->product, p->st.reported_tcb, &rep);
	for (size_t i = 0; i < workflow_n(wf); i++) {
		const struct wf_table *t = workflow_table(wf, i);

		if (t->vlek || wf_vcek_matches(t, p, &rep, reason, sizeof(reason)))
			continue;
		workflow_fail_pending(wf, -ERR_VERIFY, "not updated: '%s' does not match the "
				      "platform already; nothing was done", t->path);
		return why_set(why, -ERR_VERIFY, "refusing --commit: '%s' does not match the "
			       "platform already (%s), and SNP_COMMIT cannot be undone; run "
			       "'snp-certctl refresh' first, or give --force", t->path, reason);
	}
	return 0;
}

static int survey(struct workflow *wf, void *arg, struct why *why)
{
	struct fw *f = arg;
	int rc;

	workflow_set_tcbs(wf, f->old_spec, f->new_spec);
	rc = wf_look_all(wf, "not updated", why);
	if (rc)
		return rc;
	for (size_t i = 0; i < workflow_n(wf); i++)
		f->need_vcek |= !workflow_table(wf, i)->vlek;
	rc = commit_check(wf, f, why);
	if (rc)
		return rc;
	if (f->need_vcek && !f->s.old.chip_id_known) {
		workflow_fail_pending(wf, -ERR_PLATFORM, "not updated: the chip id is masked");
		return why_set(why, -ERR_PLATFORM, "cannot update the VCEK tables: the firmware "
			       "masks the chip id (mask_chip_id), so this chip's VCEK cannot be "
			       "fetched; use a VLEK ('snp-certctl vlek-load')");
	}
	return 0;
}

/* The device usable for what is asked, the cache, the VCEK when its TCB is known: no lock yet. */
static int prepare(struct workflow *wf, void *arg, struct why *why)
{
	struct fw *f = arg;
	int rc;

	why->msg[0] = '\0'; /* the steps below say why themselves */
	rc = sev_open(f->s.dev_path, f->a.commit || f->a.reported, &f->dev, NULL, why);
	if (rc < 0) {
		workflow_fail_pending(wf, -ERR_PLATFORM, "not updated: the SEV device cannot be "
				      "opened");
		return -ERR_PLATFORM;
	}
	rc = cache_init(&f->cache, workflow_ctx(wf), f->trust, f->a.offline, why);
	if (rc) {
		workflow_fail_pending(wf, rc, "not updated");
		return rc;
	}
	if (f->s.known && f->need_vcek) {
		amd_tcb_from_raw(f->s.old.product, f->s.target, &f->id.tcb);
		rc = wf_vcek_fetch(&f->cache, &f->id, &f->pre, why);
		if (rc) {
			workflow_fail_pending(wf, rc, "not updated: the VCEK for the reported TCB "
					      "%s could not be had; the firmware was not touched",
					      f->new_spec);
			return rc;
		}
		f->src = &f->pre;
	}
	return 0;
}

/*
 * Before the locks: the VCEK tables with the prefetched VCEK.  After the
 * firmware step (under the locks): the VCEK tables with the VCEK for the
 * TCB it reports (when restaging), and the VLEK tables judged against it;
 * a table failing then does not stop the others.
 */
static int stage(struct workflow *wf, void *arg, struct why *why)
{
	struct fw *f = arg;
	int rc;

	why->msg[0] = '\0'; /* each table's failure was said */
	if (!f->fw_done)
		return f->src ? stage_all(wf, f->src, f->trust, &f->s.old, f->s.target, true,
					  false) : 0;
	rc = stage_all(wf, f->src, f->trust, &f->s.old, f->s.now.reported_tcb, f->restage,
		       true);
	if (rc)
		f->next = "fix what is reported above, then run 'snp-certctl refresh' (for VCEK "
			  "tables) or 'snp-certctl vlek-load' (for VLEK tables)";
	return 0;
}

/* What to run after the firmware step failed: naming only the steps that ran. */
static void next_after_step(struct fw *f)
{
	const char *step = strcmp(f->s.failed, "open") == 0 ? "opening the SEV device" :
							     f->s.failed;

	if (strcmp(f->s.failed, "COMMAND") == 0)
		snprintf(f->next_buf, sizeof(f->next_buf), "find out why the firmware step "
			 "failed ('snp-certctl status' shows the TCBs), then run fw-update again");
	else if (f->s.cmd_ok || f->s.committed)
		snprintf(f->next_buf, sizeof(f->next_buf), "check 'snp-certctl status', then "
			 "repeat %s (fw-update without COMMAND does SNP_COMMIT and "
			 "SNP_SET_CONFIG alone) and run 'snp-certctl refresh'", step);
	else
		snprintf(f->next_buf, sizeof(f->next_buf), "find out why %s failed ('snp-certctl "
			 "status' shows the platform), then run fw-update again", step);
	f->next = f->next_buf;
}

/* The firmware step, then which tables need another VCEK. */
static int under_locks(struct workflow *wf, void *arg, struct why *why)
{
	struct fw *f = arg;
	const struct platform_id *p = &f->s.old;
	char spec[WF_TCB_LEN];
	struct amd_tcb now;
	int rc;

	why->msg[0] = '\0'; /* the steps below say why themselves */
	rc = firmware_step(workflow_ctx(wf), &f->a, &f->s, &f->dev);
	if (rc) {
		workflow_fail_pending(wf, rc, "not updated: %s failed", f->s.failed);
		next_after_step(f);
		return rc;
	}
	f->fw_done = true;
	wf_tcb_spec(p->product, f->s.now.reported_tcb, spec, sizeof(spec));
	workflow_set_tcbs(wf, NULL, spec);
	/* Unless the prefetched VCEK is the one, see which tables need another. */
	if (!f->src || f->s.now.reported_tcb != f->s.target) {
		char reason[WF_REASON_LEN];

		amd_tcb_from_raw(p->product, f->s.now.reported_tcb, &now);
		for (size_t i = 0; i < workflow_n(wf); i++) {
			struct wf_table *t = workflow_table(wf, i);

			if (t->vlek || t->action == WF_FAILED)
				continue;
			if (wf_vcek_matches(t, p, &now, reason, sizeof(reason))) {
				wf_set(t, WF_UNCHANGED, 0, "already holds the VCEK for the reported "
				       "TCB %s", spec);
			} else {
				wf_set(t, WF_PENDING, 0, "%s", reason);
				f->restage = true;
			}
		}
	}
	if (f->restage) {
		info("the reported TCB is now %s, which was not known before the firmware step: "
		     "fetching its VCEK while holding the locks", spec);
		f->s.fetched_locked = true;
		/* Also for the CA chain fetched by the restage below. */
		if (f->cache.http.deadline > KDS_LOCKED_DEADLINE)
			f->cache.http.deadline = KDS_LOCKED_DEADLINE;
		if (f->cache.http.timeout > KDS_LOCKED_DEADLINE)
			f->cache.http.timeout = KDS_LOCKED_DEADLINE;
		amd_tcb_from_raw(p->product, f->s.now.reported_tcb, &f->id.tcb);
		rc = wf_vcek_fetch(&f->cache, &f->id, &f->post, why);
		if (rc) {
			workflow_fail_pending(wf, rc, "not updated: no VCEK for the reported TCB %s",
					      spec);
			f->next = rc == -ERR_KDS ?
				  "run 'snp-certctl refresh' when KDS is reachable" :
				  "run 'snp-certctl refresh' once KDS serves a VCEK that verifies";
			return rc;
		}
		f->src = &f->post;
	}
	return WF_RESTAGE;
}

/* After a failure once the firmware may have changed: the platform's state and what next. */
static void finish(struct workflow *wf, void *arg, int rc)
{
	struct fw *f = arg;

	if (rc && f->next)
		report_state(&f->s, &f->a, wf, f->next);
}

/*
 * Without a firmware step the current TCB is what the firmware will run:
 * it reports no TCB above it.  0, or EXIT_PLATFORM after saying which part.
 */
static int above_current(const struct platform_id *p, const struct amd_tcb *want)
{
	static const char *const names[] = { "bl", "tee", "snp", "ucode", "fmc" };
	char spec[WF_TCB_LEN];
	struct amd_tcb cur;

	amd_tcb_from_raw(p->product, p->st.current_tcb, &cur);
	wf_tcb_spec(p->product, p->st.current_tcb, spec, sizeof(spec));
	const uint8_t w[] = { want->bl, want->tee, want->snp, want->ucode, want->fmc };
	const uint8_t c[] = { cur.bl, cur.tee, cur.snp, cur.ucode, cur.fmc };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (w[i] > c[i]) {
			err("refusing --reported-tcb: %s=%u is above the current TCB %s, which "
			    "the firmware would refuse; nothing was done", names[i], w[i], spec);
			return EXIT_PLATFORM;
		}
	return 0;
}

static int cmd_fw_update_main(struct ctx *ctx, int argc, char **argv)
{
	static const struct workflow_ops base_ops = {
		.command = "fw-update",
		.flags = WF_ALL_OR_NOTHING | WF_FIRMWARE_STEP,
		.survey = survey,
		.prepare = prepare,
		.stage = stage,
		.under_locks = under_locks,
		.finish = finish,
		.json = json_extra,
	};
	struct workflow_ops ops = base_ops;
	struct fw f = { 0 };
	int first = 0, last = 0, ret;

	ret = parse_args(ctx, argc, argv, &f.a, &first, &last);
	if (ret)
		return ret;
	ret = ctx_load(ctx);
	if (ret)
		return ret;
	join_command(f.a.cmd, f.s.cmdline, sizeof(f.s.cmdline));
	f.s.dev_path = sev_device_path();

	ret = trust_load(ctx, &f.trust);
	if (ret)
		goto out;
	ret = cmd_platform(ctx, &f.s.old);
	if (ret)
		goto out;
	if (f.a.reported && strcmp(f.a.reported, "current") != 0) {
		struct amd_tcb tcb;

		if (amd_tcb_parse(f.a.reported, f.s.old.product, &tcb) < 0) {
			ret = usage_error(ctx, "invalid --reported-tcb '%s' for %s: want "
					  "bl=N,tee=N,snp=N,ucode=N%s, 0x... or 'current'",
					  f.a.reported, amd_product_name(f.s.old.product),
					  f.s.old.product == AMD_PRODUCT_TURIN ? "[,fmc=N]" : "");
			goto out;
		}
		f.s.target = amd_tcb_to_raw(f.s.old.product, &tcb);
		f.s.known = true;
		if (!f.a.cmd) {
			ret = above_current(&f.s.old, &tcb);
			if (ret)
				goto out;
		}
	} else if (!f.a.cmd) {
		f.s.target = f.a.reported ? f.s.old.st.current_tcb : f.s.old.st.reported_tcb;
		f.s.known = true;
	}
	f.id = (struct kds_vcek_id){ .product = f.s.old.product, .hwid_len = SEV_CHIP_ID_LEN };
	memcpy(f.id.hwid, f.s.old.chip_id, SEV_CHIP_ID_LEN);
	wf_tcb_spec(f.s.old.product, f.s.old.st.reported_tcb, f.old_spec, sizeof(f.old_spec));
	if (f.s.known)
		wf_tcb_spec(f.s.old.product, f.s.target, f.new_spec, sizeof(f.new_spec));
	/* A firmware step: the journals only after it, under the locks (see workflow.h). */
	if (f.a.cmd || f.a.commit || f.a.reported)
		ops.flags |= WF_JOURNAL_UNDER_LOCKS;
	ret = workflow_run(ctx, &ops, &f, argv + first, (size_t)(last - first));
out:
	sev_close(f.dev);
	wf_vcek_clear(&f.pre);
	wf_vcek_clear(&f.post);
	amd_trust_free(f.trust);
	return ret;
}

const struct cmd cmd_fw_update = { "fw-update", cmd_fw_update_main,
				   "update the firmware with every table locked, then its VCEK",
				   usage, .json = true };
