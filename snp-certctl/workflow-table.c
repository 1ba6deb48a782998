// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One table of a workflow (see workflow.h): membership, reading it as a
 * reader or as its writer, and staging its new contents.  The driver's
 * sequence is in workflow.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockwait.h"
#include "snpcert.h"
#include "util.h"
#include "workflow.h"

void wf_clear_contents(struct wf_table *t)
{
	free(t->cur);
	t->cur = NULL;
	t->cur_len = 0;
	table_free(&t->t);
	t->has_key = t->vlek = false;
	memset(&t->key, 0, sizeof(t->key));
	t->old_tcb[0] = '\0';
}

void wf_drop(struct wf_table *t)
{
	snpcert_writer_close(t->w);
	t->w = NULL;
	t->member = false;
	t->locked = false;
	t->prepared = false;
}

void wf_join(struct wf_table *t)
{
	t->member = true;
}

/* ---- reading a table -------------------------------------------------- */

/* Take over buf as t's contents and decode them. */
static int decode(struct wf_table *t, uint8_t *buf, size_t len, struct why *why)
{
	struct ghcb_diag diag;
	int r;

	wf_clear_contents(t);
	t->cur = buf;
	t->cur_len = len;
	r = table_from_blob(buf, len, GHCB_ALLOW_LARGE, &t->t, &diag);
	if (r == -ENOMEM)
		return why_set(why, r, "out of memory");
	if (r < 0)
		return why_set(why, -ERR_VERIFY, "'%s' is malformed at byte %zu: %s", t->path,
			       diag.offset, ghcb_strerror(diag.code));
	t->vlek = !table_find(&t->t, GHCB_KIND_VCEK) && table_find(&t->t, GHCB_KIND_VLEK);
	r = table_endorsement_key(&t->t, &t->key);
	if (r == -ENOMEM)
		return why_set(why, r, "out of memory");
	/* A key that does not decode is no key: it will be replaced. */
	t->has_key = r == 0 && t->key.product != AMD_PRODUCT_UNKNOWN && t->key.has_tcb;
	if (t->has_key)
		amd_tcb_format(t->key.product, &t->key.tcb, t->old_tcb, sizeof(t->old_tcb));
	return 0;
}

int wf_peek(struct workflow *wf, struct wf_table *t, struct why *why)
{
	struct snpcert_file *f = NULL;
	uint8_t *buf = NULL;
	size_t size = 0;
	int ret;

	ret = snpcert_open(t->path, &f);
	if (ret < 0) {
		ret = lockwait_why(t->path, ret, workflow_deadline(wf), why);
		goto out;
	}
	ret = lockwait_reader_lock(f, t->path, workflow_deadline(wf), why);
	if (ret)
		goto out;
	ret = snpcert_read(f, NULL, 0, &size);
	if (ret == -ENOSPC) {
		buf = malloc(size ? size : 1);
		if (!buf) {
			ret = why_set(why, -ENOMEM, "out of memory");
			goto out;
		}
		ret = snpcert_read(f, buf, size, &size);
	}
	if (ret < 0) {
		/* Malformed, or left half-written by a writer that died. */
		ret = lockwait_why(t->path, ret, workflow_deadline(wf), why);
		goto out;
	}
	snpcert_close(f);
	f = NULL;
	ret = decode(t, buf, size, why);
	buf = NULL;
out:
	snpcert_close(f);
	free(buf);
	return ret;
}

int wf_read(struct workflow *wf, struct wf_table *t, struct why *why)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	if (!t->w) {
		ret = lockwait_writer_open(t->path, workflow_deadline(wf), &t->w, why);
		if (ret)
			return ret;
	}
	ret = snpcert_writer_read(t->w, &buf, &len);
	if (ret < 0)
		return lockwait_why(t->path, ret, workflow_deadline(wf), why);
	return decode(t, buf, len, why);
}

int wf_look(struct workflow *wf, struct wf_table *t, struct why *why)
{
	int rc = wf_peek(wf, t, why);

	/* Malformed, or half-written by a writer that died: read it as its writer. */
	if (rc == -ERR_VERIFY)
		rc = wf_read(wf, t, why);
	return rc;
}

int wf_look_all(struct workflow *wf, const char *not_done, struct why *why)
{
	for (size_t i = 0; i < workflow_n(wf); i++) {
		struct wf_table *t = workflow_table(wf, i);
		int rc = wf_look(wf, t, why);

		if (rc) {
			workflow_fail_pending(wf, rc, "%s: '%s' cannot be read", not_done, t->path);
			return rc;
		}
	}
	return 0;
}

/* ---- staging ------------------------------------------------------------ */

static void stage_bytes(struct wf_table *t, uint8_t *blob, size_t len)
{
	free(t->next);
	t->next = NULL;
	t->next_len = 0;
	t->prepared = false;
	if (len == t->cur_len && memcmp(blob, t->cur, len) == 0) {
		free(blob);
		t->action = WF_UNCHANGED;
		return;
	}
	t->next = blob;
	t->next_len = len;
	t->action = WF_UPDATE;
}

int wf_stage_blob(struct wf_table *t, const uint8_t *blob, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy) {
		wf_set(t, WF_FAILED, -ENOMEM, "out of memory");
		return t->rc;
	}
	memcpy(copy, blob, len);
	stage_bytes(t, copy, len);
	return 0;
}

int wf_stage(struct wf_table *t, const struct table *next, const struct verify_opts *vo)
{
	struct amd_check_list checks = { 0 };
	const char *first = NULL;
	struct ghcb_diag diag;
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	if (table_encode(next, &blob, &len, &diag) < 0) {
		if (diag.code == GHCB_ERR_NOMEM) {
			err("out of memory");
			wf_set(t, WF_FAILED, -ENOMEM, "out of memory");
		} else {
			err("cannot lay out the new table for '%s': %s", t->path,
			    ghcb_strerror(diag.code));
			wf_set(t, WF_FAILED, -ERR_VERIFY, "the new table cannot be laid out: %s",
			       ghcb_strerror(diag.code));
		}
		goto out;
	}
	r = vo ? table_verify(next, vo, &checks) : 0;
	if (r == -ENOMEM) {
		err("out of memory");
		wf_set(t, WF_FAILED, -ENOMEM, "out of memory");
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
		wf_set(t, WF_FAILED, -ERR_VERIFY, "the new table does not verify: %s",
		       first ? first : "the chain does not verify");
		goto out;
	}
	stage_bytes(t, blob, len);
	blob = NULL;
out:
	amd_check_list_free(&checks);
	free(blob);
	return t->rc;
}
