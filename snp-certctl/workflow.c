// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The workflow driver: see workflow.h.  The order of the steps, the locks,
 * the hooks, failures and the report are decided here, once; a command
 * supplies only the steps that differ.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "lockwait.h"
#include "metrics.h"
#include "snpcert.h"
#include "store.h"
#include "util.h"
#include "workflow.h"

/* Descriptors beyond the writers': stdio, the device, KDS, hooks' pipes, the store. */
#define WF_SPARE_FDS 64

struct workflow {
	struct ctx *ctx;
	const struct workflow_ops *ops;
	void *arg;
	struct wf_table *v;
	size_t n;
	struct sc_deadline d;        /* every lock wait of the run */
	bool pre_update_ran;         /* then post-update or update-failed follows */
	char old_tcb[WF_TCB_LEN];    /* for the hooks: TCB SPECs, "" when not known */
	char new_tcb[WF_TCB_LEN];
	size_t unmanaged;            /* store entries that are not tables (warned about) */
	int store_fd;                /* the store lock, held from the first read to the last write */
	uint64_t locked_at;          /* when the first exclusive lock was had */
	long long held_us;           /* how long the exclusive locks were held */
	bool locks_held;
	int cancelled;               /* the signal that stopped it before the locks, or 0 */
	int step_rc;                 /* the first failed step's code (a run with no table) */
	bool no_firmware_step;       /* survey() found it not needed */
};

const char *wf_action_name(enum wf_action a)
{
	static const char *const names[] = {
		[WF_PENDING] = "pending",     [WF_UNCHANGED] = "unchanged",
		[WF_UPDATE] = "staged",       [WF_UPDATED] = "updated",
		[WF_SKIPPED] = "skipped",     [WF_FAILED] = "failed",
		[WF_WOULD_UPDATE] = "would-update",
	};

	return (size_t)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}

void wf_set(struct wf_table *t, enum wf_action a, int rc, const char *fmt, ...)
{
	va_list ap;

	t->action = a;
	t->rc = a == WF_FAILED ? (rc ? rc : -EIO) : 0;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
	va_end(ap);
}

void wf_set_new_tcb(struct wf_table *t, enum amd_product p, const char *tcb)
{
	t->new_tcb_product = p;
	snprintf(t->new_tcb, sizeof(t->new_tcb), "%s", tcb ? tcb : "");
}

void wf_tcb_spec(enum amd_product p, uint64_t raw, char *buf, size_t len)
{
	struct amd_tcb tcb;

	if (p == AMD_PRODUCT_UNKNOWN) {
		snprintf(buf, len, "0x%016llx", (unsigned long long)raw);
		return;
	}
	amd_tcb_from_raw(p, raw, &tcb);
	amd_tcb_format(p, &tcb, buf, len);
}

struct ctx *workflow_ctx(const struct workflow *wf)
{
	return wf->ctx;
}

size_t workflow_n(const struct workflow *wf)
{
	return wf->n;
}

struct wf_table *workflow_table(struct workflow *wf, size_t i)
{
	return i < wf->n ? &wf->v[i] : NULL;
}

void workflow_set_tcbs(struct workflow *wf, const char *old_tcb, const char *new_tcb)
{
	if (old_tcb)
		snprintf(wf->old_tcb, sizeof(wf->old_tcb), "%s", old_tcb);
	if (new_tcb)
		snprintf(wf->new_tcb, sizeof(wf->new_tcb), "%s", new_tcb);
}

const struct sc_deadline *workflow_deadline(const struct workflow *wf)
{
	return &wf->d;
}

long long workflow_held_us(const struct workflow *wf)
{
	return wf->held_us;
}

size_t workflow_members(const struct workflow *wf)
{
	size_t n = 0;

	for (size_t i = 0; i < wf->n; i++)
		n += wf->v[i].member;
	return n;
}

size_t workflow_count(const struct workflow *wf, enum wf_action a)
{
	size_t n = 0;

	for (size_t i = 0; i < wf->n; i++)
		n += wf->v[i].action == a;
	return n;
}

void workflow_fail_pending(struct workflow *wf, int rc, const char *fmt, ...)
{
	char why[WF_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		if (t->member && (t->action == WF_PENDING || t->action == WF_UPDATE))
			wf_set(t, WF_FAILED, rc, "%s", why);
	}
}

/* The code of the first failed table, or 0. */
static int first_failure(const struct workflow *wf)
{
	for (size_t i = 0; i < wf->n; i++)
		if (wf->v[i].action == WF_FAILED)
			return wf->v[i].rc;
	/* With no table, nothing is marked: the step that failed says. */
	return wf->n ? 0 : wf->step_rc;
}

/*
 * No table at all, and a firmware step: it still runs (an empty store is
 * no reason to skip a firmware update, SNP_COMMIT, SNP_SET_CONFIG or
 * SNP_VLEK_LOAD), with the hooks, and nothing to lock.
 */
static bool firmware_only(const struct workflow *wf)
{
	return wf->n == 0 && wf->ops->under_locks && (wf->ops->flags & WF_FIRMWARE_STEP) &&
	       !wf->no_firmware_step;
}

void workflow_skip_firmware_step(struct workflow *wf)
{
	wf->no_firmware_step = true;
}

static void event(struct workflow *wf, enum wf_event ev)
{
	if (wf->ops->event)
		wf->ops->event(wf, wf->arg, ev);
}

/* ---- the set of tables ------------------------------------------------ */

static int tables_init(struct workflow *wf, char *const *files, size_t n, struct why *why)
{
	struct lock_ref *refs = NULL;
	size_t n_store = 0, kept = 0, bad = 0;
	char **store = NULL;
	int ret;

	if (n == 0) {
		ret = store_tables(wf->ctx, &store, &n_store, &wf->unmanaged, why);
		if (ret)
			goto out;
		files = store;
		n = n_store;
	}
	/* One order for every command, so two of them cannot deadlock. */
	ret = lock_order(files, n, &refs, &kept, &bad);
	if (ret) {
		ret = ret == -ENOMEM ? why_set(why, ret, "out of memory") :
		      why_set(why, ret, "cannot open '%s': %s", files[bad], strerror(-ret));
		goto out;
	}
	wf->v = calloc(kept ? kept : 1, sizeof(*wf->v));
	if (!wf->v) {
		ret = why_set(why, -ENOMEM, "out of memory");
		goto out;
	}
	for (; wf->n < kept; wf->n++) {
		struct wf_table *t = &wf->v[wf->n];

		t->path = strdup(refs[wf->n].path);
		if (!t->path) {
			ret = why_set(why, -ENOMEM, "out of memory");
			goto out;
		}
		t->real = refs[wf->n].real;
		refs[wf->n].real = NULL;
		t->member = true;
	}
	ret = 0;
out:
	lock_order_free(refs, kept);
	store_free(store, n_store);
	return ret;
}

static void tables_free(struct workflow *wf)
{
	for (size_t i = 0; wf->v && i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		snpcert_writer_close(t->w);
		wf_clear_contents(t);
		free(t->next);
		free(t->path);
		free(t->real);
	}
	free(wf->v);
	wf->v = NULL;
	wf->n = 0;
}

/* ---- the driver's steps ------------------------------------------------ */

/* Open every member's writer and read its contents. */
static int open_members(struct workflow *wf, struct why *why)
{
	int ret = 0;

	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];
		struct why w;
		int r;

		if (!t->member || t->w)
			continue;
		r = wf_read(wf, t, &w);
		if (r == 0)
			continue;
		if (r == -EINTR) {
			why_set(why, r, "%s", w.msg);
			return r;
		}
		err("%s", w.msg);
		wf_set(t, WF_FAILED, r, "cannot be opened for the update; unchanged");
		if (wf->ops->flags & WF_ALL_OR_NOTHING) {
			why_set(why, r, "%s", "");
			return r;
		}
		wf_drop(t);
	}
	return ret;
}

/* A libsnpcert write step (journal, commit, finish) failed with r on t: say why, mark t. */
static int step_failed(struct wf_table *t, int r, const char *reason)
{
	struct why w;

	/* strerror: libsnpcert's own text for -ENOSPC is its reader's "buffer too small". */
	r = why_set(&w, r, "cannot update '%s': %s", t->path, strerror(-r));
	err("%s", w.msg);
	wf_set(t, WF_FAILED, r, "%s", reason);
	return r;
}

/* Write the journal of every staged member not prepared with these contents. */
static int journal_members(struct workflow *wf)
{
	int ret = 0;

	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];
		int r;

		if (!t->member || t->action != WF_UPDATE || t->prepared)
			continue;
		r = snpcert_writer_prepare(t->w, t->next, t->next_len);
		if (r < 0) {
			r = step_failed(t, r, "its journal could not be written; unchanged");
			ret = ret ? ret : r;
			continue;
		}
		t->prepared = true;
	}
	return ret;
}

static void unlock_all(struct workflow *wf)
{
	bool any = false;

	for (size_t i = wf->n; i-- > 0;) {
		struct wf_table *t = &wf->v[i];

		if (!t->locked)
			continue;
		if (snpcert_writer_unlock(t->w) < 0)
			warn("cannot release the lock on '%s'", t->path);
		t->locked = false;
		any = true;
	}
	if (wf->locks_held) {
		wf->held_us = (long long)(sc_since_s(wf->locked_at) * 1e6);
		wf->locks_held = false;
		debug("the exclusive locks were held %.3f ms", (double)wf->held_us / 1e3);
	}
	if (any)
		event(wf, WF_EV_UNLOCKED);
}

static int lock_all(struct workflow *wf, struct why *why)
{
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];
		int ret;

		if (!t->member || t->locked)
			continue;
		ret = lockwait_writer_lock(t->w, t->path, &wf->d, why);
		if (ret) {
			unlock_all(wf);
			return ret;
		}
		if (!wf->locks_held) {
			wf->locked_at = sc_now_ns();
			wf->locks_held = true;
		}
		t->locked = true;
		debug("locked '%s' (exclusive)", t->path);
	}
	event(wf, WF_EV_LOCKED);
	return 0;
}

/* The in-place writes, every lock released, then durability.  0 or the first failure. */
static int commit_all(struct workflow *wf)
{
	int ret = journal_members(wf), r;

	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		if (!t->member || t->action != WF_UPDATE)
			continue;
		r = t->locked ? snpcert_writer_commit(t->w) : -ENOLCK;
		if (r < 0) {
			r = step_failed(t, r, "the in-place write failed; 'snp-certctl recover' "
					"completes it");
			ret = ret ? ret : r;
			continue;
		}
		t->action = WF_UPDATED;
	}
	unlock_all(wf);
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		if (!t->member || t->action != WF_UPDATED)
			continue;
		r = snpcert_writer_finish(t->w);
		if (r < 0) {
			r = step_failed(t, r, "written, but not made durable; 'snp-certctl "
					"recover' completes it");
			ret = ret ? ret : r;
		}
	}
	return ret;
}

static int hooks(struct workflow *wf, enum hook_event ev, struct why *why)
{
	struct hook_env env = { .command = wf->ops->command };
	char **paths = NULL;
	int ret;

	if (wf->ops->flags & WF_NO_HOOKS)
		return 0;
	paths = calloc(wf->n ? wf->n : 1, sizeof(*paths));
	if (!paths)
		return why_set(why, -ENOMEM, "out of memory");
	for (size_t i = 0; i < wf->n; i++)
		if (wf->v[i].member)
			paths[env.n_tables++] = wf->v[i].path;
	env.tables = paths;
	env.old_tcb = wf->old_tcb[0] ? wf->old_tcb : NULL;
	env.new_tcb = wf->new_tcb[0] ? wf->new_tcb : NULL;
	if (ev == HOOK_PRE_UPDATE)
		wf->pre_update_ran = true;
	ret = hooks_run(wf->ctx, ev, &env, why);
	free(paths);
	return ret;
}

/* A step failed with rc: say why (when the step did not), mark what is left. */
static int failed_step(struct workflow *wf, int rc, const struct why *why, const char *reason)
{
	if (!wf->step_rc)
		wf->step_rc = rc;
	if (why->msg[0])
		err("%s", why->msg);
	workflow_fail_pending(wf, rc, "%s", reason);
	return rc;
}

/* Drop the members with nothing to write (unless every member stays locked). */
static void keep_staged(struct workflow *wf)
{
	if (wf->ops->flags & WF_ALL_OR_NOTHING)
		return;
	for (size_t i = 0; i < wf->n; i++)
		if (wf->v[i].member && wf->v[i].action != WF_UPDATE)
			wf_drop(&wf->v[i]);
}

/*
 * Close every writer: its journal lock goes, and a journal prepared but
 * never committed is rolled back.  Before post-update and update-failed,
 * which must run with no lock of ours held (a hook may well run
 * `snp-certctl refresh` or `recover` on these tables).  The tables stay
 * members: the hooks are told about them.
 */
static void close_writers(struct workflow *wf)
{
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		snpcert_writer_close(t->w);
		t->w = NULL;
		t->locked = false;
		t->prepared = false;
	}
}

/*
 * A signal asked us to stop, and no exclusive lock was had yet: every lock
 * is let go and the writers closed, which clears the journals they wrote
 * (workflow_run() then exits 128+signal).  Once the locks are held, the
 * update goes on: a journal is the promise of the documented roll-forward.
 */
static bool cancel(struct workflow *wf, const struct why *why)
{
	int sig = lockwait_signal;

	if (!sig)
		return false;
	unlock_all(wf);
	wf->cancelled = sig;
	if (why->msg[0])
		err("%s", why->msg);
	err("%s: cancelled; no table was changed", strsignal(sig));
	workflow_fail_pending(wf, -EINTR, "cancelled by %s; unchanged", strsignal(sig));
	return true;
}

/*
 * Everything from the hooks check to the last hook.  Returns the first
 * failure (the tables are marked).
 */
static int run_steps(struct workflow *wf)
{
	const struct workflow_ops *ops = wf->ops;
	bool all = ops->flags & WF_ALL_OR_NOTHING;
	struct why why = { "" };
	size_t fds = 2 * workflow_members(wf) + WF_SPARE_FDS;
	int rc;

	/* Every member's writer at once: its table and its journal, each locked. */
	if (nofile_reserve(fds) < 0) {
		why_set(&why, -EMFILE, "cannot update %zu tables at once: that needs %zu open "
			"files, more than RLIMIT_NOFILE allows", workflow_members(wf), fds);
		return failed_step(wf, -EMFILE, &why, "too many tables to lock at once; unchanged");
	}
	if (!(ops->flags & WF_NO_HOOKS)) {
		rc = hooks_check(wf->ctx, &why);
		if (rc)
			return failed_step(wf, rc, &why, "a hook was refused; unchanged");
	}
	if (ops->prepare) {
		rc = ops->prepare(wf, wf->arg, &why);
		if (cancel(wf, &why))
			return -EINTR;
		if (rc)
			return failed_step(wf, rc, &why, "unchanged");
	}
	rc = hooks(wf, HOOK_PRE_UPDATE, &why);
	event(wf, WF_EV_PRE_UPDATE);
	if (cancel(wf, &why))
		goto out;
	if (rc) {
		failed_step(wf, rc, &why, "a hook failed at pre-update; unchanged");
		goto out;
	}
	/*
	 * The lock waits of the update start now: the fetch in prepare() and
	 * the hooks at pre-update (draining guests: slow work belongs there)
	 * must not use up the timeout before anything was waited for.
	 */
	sc_deadline_init(&wf->d, wf->ctx->lock_timeout);
	rc = open_members(wf, &why);
	if (cancel(wf, &why))
		goto out;
	if (rc) {
		failed_step(wf, rc, &why, "not updated: another table cannot be opened; unchanged");
		goto out;
	}
	rc = ops->stage(wf, wf->arg, &why);
	event(wf, WF_EV_STAGED);
	if (cancel(wf, &why))
		goto out;
	if (rc || (all && first_failure(wf))) {
		rc = rc ? rc : first_failure(wf);
		failed_step(wf, rc, &why, "not updated: another table failed; unchanged");
		goto out;
	}
	keep_staged(wf);
	if (!(ops->flags & WF_JOURNAL_UNDER_LOCKS)) {
		rc = journal_members(wf);
		if (rc && all) {
			workflow_fail_pending(wf, rc, "not updated: another journal could not be "
					      "written; unchanged");
			goto out;
		}
		keep_staged(wf);
	}
	if (workflow_members(wf) == 0 && !firmware_only(wf))
		goto out;
	rc = lock_all(wf, &why);
	if (cancel(wf, &why))
		goto out;
	if (rc) {
		failed_step(wf, rc, &why, "the exclusive lock was not had in time; unchanged");
		goto out;
	}
	rc = hooks(wf, HOOK_LOCKED, &why);
	if (rc) {
		unlock_all(wf);
		failed_step(wf, rc, &why, "a hook failed at locked; unchanged");
		goto out;
	}
	if (ops->under_locks) {
		rc = ops->under_locks(wf, wf->arg, &why);
		event(wf, WF_EV_UNDER_LOCKS);
		if (rc == WF_RESTAGE) {
			rc = ops->stage(wf, wf->arg, &why);
			event(wf, WF_EV_STAGED);
		}
		if (rc) {
			unlock_all(wf);
			failed_step(wf, rc, &why, "not updated; unchanged");
			goto out;
		}
	}
	commit_all(wf);
out:
	rc = first_failure(wf);
	unlock_all(wf);
	close_writers(wf);
	/* The hooks from now on may run workflows themselves (refresh, recover). */
	sc_close(wf->store_fd);
	wf->store_fd = -1;
	if (wf->pre_update_ran) {
		hooks(wf, rc ? HOOK_UPDATE_FAILED : HOOK_POST_UPDATE, &why);
		event(wf, rc ? WF_EV_UPDATE_FAILED : WF_EV_POST_UPDATE);
	}
	return rc;
}

/* ---- the report ------------------------------------------------------ */

static void print_tables(const struct workflow *wf)
{
	if (wf->ctx->verbosity < 0)
		return;
	for (size_t i = 0; i < wf->n; i++) {
		const struct wf_table *t = &wf->v[i];

		tprintf("%s %s: %s\n", wf_action_name(t->action), t->path, t->reason);
	}
}

/* The first failed table's "file: reason", for a report with no error noted. */
static void note_first_failure(const struct workflow *wf)
{
	char msg[WHY_MAX];

	for (size_t i = 0; i < wf->n; i++) {
		if (wf->v[i].action == WF_FAILED) {
			snprintf(msg, sizeof(msg), "%s: %s", wf->v[i].path, wf->v[i].reason);
			error_note(msg);
			return;
		}
	}
}

/* The report; status: the exit status, and when not 0 the member "error". */
static void print_json(struct workflow *wf, int status)
{
	struct jout j;

	jout_init(&j, stdout);
	jout_object_begin(&j, NULL);
	if (wf->ops->json)
		wf->ops->json(wf, wf->arg, &j);
	jout_array_begin(&j, "tables");
	for (size_t i = 0; i < wf->n; i++) {
		const struct wf_table *t = &wf->v[i];

		jout_object_begin(&j, NULL);
		jout_table(&j, t->path);
		jout_string(&j, "action", wf_action_name(t->action));
		jout_string(&j, "reason", t->reason);
		if (t->action == WF_FAILED)
			jout_int(&j, "exit_status", exit_status(t->rc));
		if (t->old_tcb[0])
			jout_tcb_spec(&j, "old_tcb", t->key.product, t->old_tcb);
		if (t->new_tcb[0])
			jout_tcb_spec(&j, "new_tcb", t->new_tcb_product, t->new_tcb);
		jout_object_end(&j);
	}
	jout_array_end(&j);
	if (status) {
		note_first_failure(wf);
		jout_error(&j, status);
	}
	jout_object_end(&j);
	jout_finish(&j);
}

/* Updated and failed tables to syslog when stderr is not a terminal (cron, systemd). */
static void log_tables(const struct workflow *wf)
{
	bool opened = false;

	if (isatty(STDERR_FILENO))
		return;
	for (size_t i = 0; i < wf->n; i++) {
		const struct wf_table *t = &wf->v[i];

		if (t->action != WF_UPDATED && t->action != WF_FAILED)
			continue;
		if (!opened) {
			openlog("snp-certctl", LOG_PID, LOG_DAEMON);
			opened = true;
		}
		syslog(t->action == WF_UPDATED ? LOG_NOTICE : LOG_ERR, "%s: %s '%s': %s",
		       wf->ops->command, wf_action_name(t->action), t->path, t->reason);
	}
	if (opened)
		closelog();
}

/*
 * Complete (or roll back) every interrupted update among the tables first:
 * a writer that died leaves its table empty for stock readers until then,
 * and the refresh timer is what comes by without an operator.  Tables with
 * an empty journal (the usual case) cost a stat.
 */
static void repair(struct workflow *wf)
{
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];
		int outcome = SNPCERT_RECOVER_CLEAN;
		char *jpath = NULL;
		struct stat st;
		struct why w;
		bool pending;

		if (snpcert_journal_path(t->path, &jpath) < 0)
			continue;
		pending = lstat(jpath, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
		free(jpath);
		if (!pending)
			continue;
		if (lockwait_recover(t->path, &wf->d, &outcome, &w) < 0)
			warn("%s", w.msg); /* its writer will say so again, in its place */
		else if (outcome == SNPCERT_RECOVER_REPLAYED)
			info("'%s': completed an interrupted update first", t->path);
		else if (outcome == SNPCERT_RECOVER_DISCARDED)
			info("'%s': dropped a torn journal first; the table was not touched", t->path);
	}
}

static void on_signal(int sig)
{
	lockwait_signal = sig;
}

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define N_STOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

/*
 * SIGTERM, SIGINT and SIGHUP only set lockwait_signal: without SA_RESTART,
 * so that a lock wait's sleep ends early and the wait notices (lockwait.c);
 * the driver looks between the steps (cancel()).  A signal ignored when we
 * started (nohup, a shell's background job) stays ignored.
 */
static void catch_signals(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_STOP; i++) {
		sigaction(stop_signals[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &sa, NULL);
	}
}

static void restore_signals(const struct sigaction *old)
{
	for (size_t i = 0; i < N_STOP; i++)
		sigaction(stop_signals[i], &old[i], NULL);
}

int workflow_run(struct ctx *ctx, const struct workflow_ops *ops, void *arg, char *const *files,
		 size_t n)
{
	struct workflow wf = { .ctx = ctx, .ops = ops, .arg = arg, .store_fd = -1 };
	struct sigaction old[N_STOP];
	struct why why = { "" };
	int rc, status;

	catch_signals(old);
	sc_deadline_init(&wf.d, ctx->lock_timeout);
	rc = store_lock(ctx, &wf.d, &wf.store_fd, &why);
	if (rc == 0)
		rc = tables_init(&wf, files, n, &why);
	if (rc == 0)
		repair(&wf);
	if (rc) {
		if (why.msg[0])
			err("%s", why.msg);
		goto out;
	}
	if (ops->survey) {
		rc = ops->survey(&wf, arg, &why);
		if (cancel(&wf, &why))
			rc = -EINTR;
		else if (rc)
			failed_step(&wf, rc, &why, "unchanged");
	}
	if (rc == 0 && (workflow_members(&wf) || firmware_only(&wf)))
		run_steps(&wf);
	/* Whatever a step left undecided did not happen. */
	for (size_t i = 0; i < wf.n; i++)
		if (wf.v[i].action == WF_UPDATE || wf.v[i].action == WF_PENDING)
			wf_set(&wf.v[i], WF_FAILED, -EIO, "not updated");
	rc = first_failure(&wf);
	/* Something in the store is never refreshed: not a success. */
	if (rc == 0 && wf.unmanaged) {
		err("the store '%s' holds %zu %s that %s not managed (see above)",
		    ctx_get(ctx, SET_STORE), wf.unmanaged, wf.unmanaged == 1 ? "entry" : "entries",
		    wf.unmanaged == 1 ? "is" : "are");
		rc = -ERR_REFUSED;
	}
	if (ops->finish)
		ops->finish(&wf, arg, rc);
	log_tables(&wf);
	if (ops->print)
		ops->print(&wf, arg);
	else if (ctx->json)
		print_json(&wf, wf.cancelled ? 128 + wf.cancelled : exit_status(rc));
	else
		print_tables(&wf);
out:
	sc_close(wf.store_fd);
	tables_free(&wf);
	restore_signals(old);
	status = wf.cancelled ? 128 + wf.cancelled : exit_status(rc);
	/* Every lock released: how the run ended, for monitoring (never its exit status). */
	if (!(ops->flags & WF_NO_RECORD) && run_state_recorded(ops->command)) {
		run_state_record(ctx, ops->command, status, (double)wf.held_us / 1e6);
		metrics_write_dir(ctx, NULL, NULL);
	}
	return status;
}
