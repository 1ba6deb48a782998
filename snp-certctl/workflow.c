// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine of the update workflows: see workflow.h.  The order of the
 * steps is the caller's; what each step may touch is decided here: nothing
 * but the in-place writes happens under the exclusive locks.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "snpcert.h"
#include "store.h"
#include "util.h"
#include "workflow.h"

const char *wf_action_name(enum wf_action a)
{
	switch (a) {
	case WF_PENDING:
		return "pending";
	case WF_UNCHANGED:
		return "unchanged";
	case WF_UPDATE:
		return "staged";
	case WF_UPDATED:
		return "updated";
	case WF_SKIPPED:
		return "skipped";
	case WF_FAILED:
		return "failed";
	case WF_WOULD_UPDATE:
		return "would-update";
	}
	return "unknown";
}

void wf_set(struct wf_table *t, enum wf_action a, int status, const char *fmt, ...)
{
	va_list ap;

	t->action = a;
	t->status = a == WF_FAILED ? (status ? status : EXIT_FAIL) : 0;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
	va_end(ap);
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

/* ---- the set of tables ------------------------------------------------ */

static int by_real(const void *a, const void *b)
{
	return strcmp(((const struct wf_table *)a)->real, ((const struct wf_table *)b)->real);
}

int workflow_init(struct workflow *wf, struct ctx *ctx, const char *command, char *const *files,
		  size_t n)
{
	char **store = NULL;
	size_t n_store = 0, kept = 0;
	struct why why;
	int ret;

	*wf = (struct workflow){ .ctx = ctx, .command = command, .timeout_s = ctx->lock_timeout };
	if (n == 0) {
		ret = store_tables(ctx, &store, &n_store, &why);
		if (ret) {
			err("%s", why.msg);
			ret = exit_status(ret);
			goto out;
		}
		files = store;
		n = n_store;
	}
	wf->v = calloc(n ? n : 1, sizeof(*wf->v));
	if (!wf->v) {
		err("out of memory");
		ret = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct wf_table *t = &wf->v[wf->n];

		t->path = strdup(files[i]);
		if (!t->path) {
			err("out of memory");
			ret = EXIT_FAIL;
			goto out;
		}
		wf->n++;
		t->real = realpath(files[i], NULL);
		if (!t->real) {
			err("cannot open '%s': %s", files[i], strerror(errno));
			ret = EXIT_FAIL;
			goto out;
		}
		t->member = true;
	}
	/* One order for every command, so two of them cannot deadlock. */
	if (wf->n)
		qsort(wf->v, wf->n, sizeof(*wf->v), by_real);
	for (size_t i = 0; i < wf->n; i++) {
		if (kept && strcmp(wf->v[kept - 1].real, wf->v[i].real) == 0) {
			free(wf->v[i].path);
			free(wf->v[i].real);
			continue;
		}
		wf->v[kept++] = wf->v[i];
	}
	wf->n = kept;
	ret = 0;
out:
	store_free(store, n_store);
	return ret;
}

static void table_clear_contents(struct wf_table *t)
{
	free(t->cur);
	t->cur = NULL;
	t->cur_len = 0;
	table_free(&t->t);
	t->has_key = t->vlek = false;
	memset(&t->key, 0, sizeof(t->key));
	t->old_tcb[0] = '\0';
}

void workflow_free(struct workflow *wf)
{
	for (size_t i = 0; wf->v && i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		snpcert_writer_close(t->w);
		table_clear_contents(t);
		free(t->next);
		free(t->path);
		free(t->real);
	}
	free(wf->v);
	wf->v = NULL;
	wf->n = 0;
}

static const struct lock_deadline *deadline(struct workflow *wf)
{
	if (!wf->deadline_started) {
		lock_deadline_init(&wf->d, wf->timeout_s);
		wf->deadline_started = true;
	}
	return &wf->d;
}

/* ---- reading a table -------------------------------------------------- */

/* Take over buf as t's contents and decode them.  0 or EXIT_VERIFY/EXIT_FAIL. */
static int decode(struct wf_table *t, uint8_t *buf, size_t len)
{
	struct ghcb_diag diag;
	int r;

	table_clear_contents(t);
	t->cur = buf;
	t->cur_len = len;
	r = table_from_blob(buf, len, GHCB_ALLOW_LARGE, &t->t, &diag);
	if (r == -ENOMEM) {
		err("out of memory");
		return EXIT_FAIL;
	}
	if (r < 0) {
		err("'%s' is malformed at byte %zu: %s", t->path, diag.offset,
		    ghcb_strerror(diag.code));
		return EXIT_VERIFY;
	}
	t->vlek = !table_find(&t->t, GHCB_KIND_VCEK) && table_find(&t->t, GHCB_KIND_VLEK);
	r = table_endorsement_key(&t->t, &t->key);
	if (r == -ENOMEM) {
		err("out of memory");
		return EXIT_FAIL;
	}
	/* A key that does not decode is no key: it will be replaced. */
	t->has_key = r == 0 && t->key.product != AMD_PRODUCT_UNKNOWN && t->key.has_tcb;
	if (t->has_key)
		amd_tcb_format(t->key.product, &t->key.tcb, t->old_tcb, sizeof(t->old_tcb));
	return 0;
}

int workflow_peek(struct workflow *wf, struct wf_table *t)
{
	const struct lock_deadline *d = deadline(wf);
	struct snpcert_file *f = NULL;
	uint8_t *buf = NULL;
	size_t size = 0;
	int ret;

	ret = snpcert_open(t->path, &f);
	if (ret < 0) {
		ret = writer_error(t->path, ret, d);
		goto out;
	}
	ret = reader_lock_report(f, t->path, d);
	if (ret)
		goto out;
	ret = snpcert_read(f, NULL, 0, &size);
	if (ret == -ENOSPC) {
		buf = malloc(size ? size : 1);
		if (!buf) {
			err("out of memory");
			ret = EXIT_FAIL;
			goto out;
		}
		ret = snpcert_read(f, buf, size, &size);
	}
	if (ret == -EBADMSG) {
		/* Malformed, or left half-written by a writer that died: quietly. */
		ret = EXIT_VERIFY;
		goto out;
	}
	if (ret < 0) {
		ret = writer_error(t->path, ret, d);
		goto out;
	}
	snpcert_close(f);
	f = NULL;
	ret = decode(t, buf, size);
	buf = NULL;
out:
	snpcert_close(f);
	free(buf);
	return ret;
}

int workflow_open(struct workflow *wf, struct wf_table *t)
{
	const struct lock_deadline *d = deadline(wf);
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	if (!t->w) {
		ret = writer_open_report(t->path, d, &t->w);
		if (ret)
			return ret;
	}
	ret = snpcert_writer_read(t->w, &buf, &len);
	if (ret < 0)
		return writer_error(t->path, ret, d);
	return decode(t, buf, len);
}

void workflow_drop(struct wf_table *t)
{
	snpcert_writer_close(t->w);
	t->w = NULL;
	t->member = false;
	t->locked = false;
	t->prepared = false;
}

int workflow_open_members(struct workflow *wf)
{
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];
		int ret;

		if (!t->member || t->w)
			continue;
		ret = workflow_open(wf, t);
		if (ret) {
			wf_set(t, WF_FAILED, ret, "cannot be read for the update");
			return ret;
		}
	}
	return 0;
}

/* ---- staging, journals, locks, commits -------------------------------- */

int workflow_stage(struct workflow *wf, struct wf_table *t, const struct table *next,
		   const struct verify_opts *vo)
{
	struct amd_check_list checks = { 0 };
	const char *first = NULL;
	struct ghcb_diag diag;
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	(void)wf;
	if (table_encode(next, &blob, &len, &diag) < 0) {
		if (diag.code == GHCB_ERR_NOMEM) {
			err("out of memory");
			wf_set(t, WF_FAILED, EXIT_FAIL, "out of memory");
		} else {
			err("cannot lay out the new table for '%s': %s", t->path,
			    ghcb_strerror(diag.code));
			wf_set(t, WF_FAILED, EXIT_VERIFY, "the new table cannot be laid out: %s",
			       ghcb_strerror(diag.code));
		}
		goto out;
	}
	r = table_verify(next, vo, &checks);
	if (r == -ENOMEM) {
		err("out of memory");
		wf_set(t, WF_FAILED, EXIT_FAIL, "out of memory");
		goto out;
	}
	if (r < 0) {
		for (size_t i = 0; i < checks.n; i++) {
			if (checks.v[i].ok)
				continue;
			err("not updating '%s': %s: %s", t->path, checks.v[i].name,
			    checks.v[i].detail);
			if (!first)
				first = checks.v[i].detail;
		}
		wf_set(t, WF_FAILED, EXIT_VERIFY, "the new table does not verify: %s",
		       first ? first : "the chain does not verify");
		goto out;
	}
	free(t->next);
	t->next = NULL;
	t->next_len = 0;
	t->prepared = false;
	if (len == t->cur_len && memcmp(blob, t->cur, len) == 0) {
		t->action = WF_UNCHANGED;
		goto out;
	}
	t->next = blob;
	t->next_len = len;
	blob = NULL;
	t->action = WF_UPDATE;
out:
	amd_check_list_free(&checks);
	free(blob);
	return t->status;
}

int workflow_prepare(struct workflow *wf)
{
	int ret = 0;

	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];
		int r;

		if (!t->member || t->action != WF_UPDATE || t->prepared)
			continue;
		r = snpcert_writer_prepare(t->w, t->next, t->next_len);
		if (r < 0) {
			r = writer_error(t->path, r, deadline(wf));
			wf_set(t, WF_FAILED, r, "its journal could not be written; unchanged");
			ret = ret ? ret : r;
			continue;
		}
		t->prepared = true;
	}
	return ret;
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

void workflow_unlock(struct workflow *wf)
{
	for (size_t i = wf->n; i-- > 0;) {
		struct wf_table *t = &wf->v[i];

		if (!t->locked)
			continue;
		if (snpcert_writer_unlock(t->w) < 0)
			warn("cannot release the lock on '%s'", t->path);
		t->locked = false;
	}
	if (wf->locks_held) {
		wf->held_ms = ms_since(&wf->locked_at);
		wf->locks_held = false;
		debug("the exclusive locks were held %.3f ms", wf->held_ms);
	}
}

int workflow_lock(struct workflow *wf)
{
	const struct lock_deadline *d = deadline(wf);

	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];
		int ret;

		if (!t->member || t->locked)
			continue;
		ret = writer_lock_report(t->w, t->path, d);
		if (ret) {
			workflow_unlock(wf);
			return ret;
		}
		if (!wf->locks_held) {
			clock_gettime(CLOCK_MONOTONIC, &wf->locked_at);
			wf->locks_held = true;
		}
		t->locked = true;
		debug("locked '%s' (exclusive)", t->path);
	}
	return 0;
}

int workflow_commit(struct workflow *wf)
{
	int ret = workflow_prepare(wf), r;

	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		if (!t->member || t->action != WF_UPDATE)
			continue;
		r = t->locked ? snpcert_writer_commit(t->w) : -ENOLCK;
		if (r < 0) {
			r = writer_error(t->path, r, deadline(wf));
			wf_set(t, WF_FAILED, r, "the in-place write failed; 'snp-certctl recover' "
			       "completes it");
			ret = ret ? ret : r;
			continue;
		}
		t->action = WF_UPDATED;
	}
	workflow_unlock(wf);
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		if (!t->member || t->action != WF_UPDATED)
			continue;
		r = snpcert_writer_finish(t->w);
		if (r < 0) {
			r = writer_error(t->path, r, deadline(wf));
			wf_set(t, WF_FAILED, r, "written, but not made durable; 'snp-certctl "
			       "recover' completes it");
			ret = ret ? ret : r;
		}
	}
	return ret;
}

/* ---- hooks and reports ------------------------------------------------ */

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

int workflow_hooks(struct workflow *wf, enum hook_event ev)
{
	struct hook_env env = { .command = wf->command };
	struct why why;
	char **paths = calloc(wf->n ? wf->n : 1, sizeof(*paths));
	int ret;

	if (!paths) {
		err("out of memory");
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < wf->n; i++)
		if (wf->v[i].member)
			paths[env.n_tables++] = wf->v[i].path;
	env.tables = paths;
	env.old_tcb = wf->old_tcb[0] ? wf->old_tcb : NULL;
	env.new_tcb = wf->new_tcb[0] ? wf->new_tcb : NULL;
	if (ev == HOOK_PRE_UPDATE)
		wf->pre_update_ran = true;
	ret = hooks_run(wf->ctx, ev, &env, &why);
	if (ret) {
		err("%s", why.msg);
		ret = exit_status(ret);
	}
	free(paths);
	return ret;
}

int workflow_status(const struct workflow *wf)
{
	for (size_t i = 0; i < wf->n; i++)
		if (wf->v[i].action == WF_FAILED)
			return wf->v[i].status;
	return 0;
}

void workflow_fail_pending(struct workflow *wf, int status, const char *fmt, ...)
{
	char why[sizeof(wf->v[0].reason)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < wf->n; i++) {
		struct wf_table *t = &wf->v[i];

		if (t->member && (t->action == WF_PENDING || t->action == WF_UPDATE))
			wf_set(t, WF_FAILED, status, "%s", why);
	}
}

void workflow_print(const struct workflow *wf)
{
	if (wf->ctx->verbosity < 0)
		return;
	for (size_t i = 0; i < wf->n; i++) {
		const struct wf_table *t = &wf->v[i];

		printf("%s %s: %s\n", wf_action_name(t->action), t->path, t->reason);
	}
}

void workflow_json_tables(const struct workflow *wf, struct json *j)
{
	json_array_begin(j, "tables");
	for (size_t i = 0; i < wf->n; i++) {
		const struct wf_table *t = &wf->v[i];

		json_object_begin(j, NULL);
		json_string(j, "file", t->path);
		json_string(j, "action", wf_action_name(t->action));
		json_string(j, "reason", t->reason);
		if (t->action == WF_FAILED)
			json_int(j, "exit_status", t->status);
		if (t->old_tcb[0])
			json_string(j, "old_tcb", t->old_tcb);
		if (t->new_tcb[0])
			json_string(j, "new_tcb", t->new_tcb);
		json_object_end(j);
	}
	json_array_end(j);
}

void workflow_syslog(const struct workflow *wf)
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
		       wf->command, wf_action_name(t->action), t->path, t->reason);
	}
	if (opened)
		closelog();
}
