// SPDX-License-Identifier: LGPL-2.1-or-later
/* The run state document: see runstate.h and run-state.md. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "runstate.h"

bool runstate_name_valid(const char *name)
{
	size_t n;

	if (!name || name[0] < 'a' || name[0] > 'z')
		return false;
	for (n = 0; name[n]; n++)
		if (!((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= '0' && name[n] <= '9') ||
		      name[n] == '-'))
			return false;
	return n <= RUNSTATE_NAME_MAX;
}

static bool time_valid(int64_t t)
{
	return t >= 0 && t <= RUNSTATE_TIME_MAX;
}

static bool entry_valid(const struct runstate_entry *e)
{
	if (!runstate_name_valid(e->workflow) || !time_valid(e->last_run) ||
	    e->exit_status < 0 || e->exit_status > 255 || !isfinite(e->lock_hold_s) ||
	    e->lock_hold_s < 0 || e->lock_hold_s > RUNSTATE_HOLD_MAX)
		return false;
	if (e->exit_status == 0)
		return e->has_last_success && e->last_success == e->last_run;
	return !e->has_last_success || (time_valid(e->last_success) &&
					 e->last_success <= e->last_run);
}

static int __attribute__((format(printf, 3, 4))) bad(char *why, size_t whylen, const char *fmt,
						     ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* A member that is a time: an integer in range. */
static int get_time(json_t *v, int64_t *out)
{
	json_int_t t;

	if (!json_is_integer(v))
		return -1;
	t = json_integer_value(v);
	if (!time_valid((int64_t)t))
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int parse_entry(const char *name, json_t *o, struct runstate_entry *e, char *why,
		       size_t whylen)
{
	json_t *last_run = json_object_get(o, "last_run"), *result = json_object_get(o, "result");
	json_t *status = json_object_get(o, "exit_status"), *hold = json_object_get(o, "lock_hold_s");
	json_t *success = json_object_get(o, "last_success");
	const char *key, *res;
	json_t *v;

	if (!json_is_object(o))
		return bad(why, whylen, "workflow '%s' is not an object", name);
	json_object_foreach(o, key, v) {
		if (strcmp(key, "last_run") != 0 && strcmp(key, "result") != 0 &&
		    strcmp(key, "exit_status") != 0 && strcmp(key, "lock_hold_s") != 0 &&
		    strcmp(key, "last_success") != 0)
			return bad(why, whylen, "workflow '%s': unknown member '%.64s'", name, key);
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->workflow, sizeof(e->workflow), "%s", name);
	if (!last_run || get_time(last_run, &e->last_run) < 0)
		return bad(why, whylen, "workflow '%s': last_run is not a time in Unix seconds",
			   name);
	res = json_string_value(result);
	if (!res || (strcmp(res, "success") != 0 && strcmp(res, "failure") != 0))
		return bad(why, whylen, "workflow '%s': result is not \"success\" or \"failure\"",
			   name);
	if (!json_is_integer(status) || json_integer_value(status) < 0 ||
	    json_integer_value(status) > 255)
		return bad(why, whylen, "workflow '%s': exit_status is not an integer 0..255", name);
	e->exit_status = (int)json_integer_value(status);
	if ((e->exit_status == 0) != (strcmp(res, "success") == 0))
		return bad(why, whylen, "workflow '%s': result \"%s\" with exit_status %d", name,
			   res, e->exit_status);
	if (!json_is_number(hold))
		return bad(why, whylen, "workflow '%s': lock_hold_s is not a number", name);
	e->lock_hold_s = json_number_value(hold);
	if (success) {
		if (get_time(success, &e->last_success) < 0)
			return bad(why, whylen, "workflow '%s': last_success is not a time in Unix "
				   "seconds", name);
		e->has_last_success = true;
	}
	if (!entry_valid(e))
		return bad(why, whylen, "workflow '%s': %s", name,
			   e->exit_status == 0 && e->last_success != e->last_run ?
				   "a success whose last_success is not its last_run" :
			   e->has_last_success && e->last_success > e->last_run ?
				   "last_success is after last_run" :
				   "lock_hold_s is out of range");
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct runstate_entry *)a)->workflow,
		      ((const struct runstate_entry *)b)->workflow);
}

int runstate_parse(const void *buf, size_t len, struct runstate *out, char *why, size_t whylen)
{
	json_t *root = NULL, *version, *workflows, *v;
	json_error_t jerr;
	const char *key;
	int ret;

	if (!buf || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (why && whylen)
		why[0] = '\0';
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		ret = bad(why, whylen, "not JSON: %s at byte %d", jerr.text, jerr.position);
		goto out;
	}
	version = json_object_get(root, "version");
	workflows = json_object_get(root, "workflows");
	if (!json_is_object(root) || !version || !workflows || json_object_size(root) != 2) {
		ret = bad(why, whylen, "not an object of exactly \"version\" and \"workflows\"");
		goto out;
	}
	if (!json_is_integer(version) || json_integer_value(version) != 1) {
		ret = bad(why, whylen, "version is not 1");
		goto out;
	}
	if (!json_is_object(workflows)) {
		ret = bad(why, whylen, "workflows is not an object");
		goto out;
	}
	if (json_object_size(workflows) > RUNSTATE_MAX) {
		ret = bad(why, whylen, "more than %d workflows", RUNSTATE_MAX);
		goto out;
	}
	json_object_foreach(workflows, key, v) {
		if (!runstate_name_valid(key)) {
			ret = bad(why, whylen, "'%.40s' is not a workflow name", key);
			goto out;
		}
		ret = parse_entry(key, v, &out->v[out->n], why, whylen);
		if (ret)
			goto out;
		out->n++;
	}
	qsort(out->v, out->n, sizeof(out->v[0]), by_name);
	ret = 0;
out:
	json_decref(root);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

/* json_object_set_new() that owns v whatever happens: 0 or -1. */
static int set(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

int runstate_encode(const struct runstate *s, char **out, size_t *len)
{
	json_t *root = NULL, *workflows = NULL;
	char *text = NULL;
	int ret = -ENOMEM;

	if (!s || !out || !len || s->n > RUNSTATE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < s->n; i++)
		if (!entry_valid(&s->v[i]) || (i && by_name(&s->v[i - 1], &s->v[i]) >= 0))
			return -EINVAL;
	root = json_object();
	workflows = json_object();
	if (!root || !workflows || set(root, "version", json_integer(1)) < 0)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		const struct runstate_entry *e = &s->v[i];
		const char *res = e->exit_status ? "failure" : "success";
		json_t *o = json_object();

		if (!o || set(workflows, e->workflow, o) < 0 ||
		    set(o, "last_run", json_integer(e->last_run)) < 0 ||
		    set(o, "result", json_string(res)) < 0 ||
		    set(o, "exit_status", json_integer(e->exit_status)) < 0 ||
		    set(o, "lock_hold_s", json_real(e->lock_hold_s)) < 0 ||
		    (e->has_last_success && set(o, "last_success", json_integer(e->last_success)) < 0))
			goto out;
	}
	if (set(root, "workflows", workflows) < 0) {
		workflows = NULL;
		goto out;
	}
	workflows = NULL;
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		goto out;
	*len = strlen(text) + 1;
	*out = realloc(text, *len + 1);
	if (!*out)
		goto out;
	text = NULL;
	(*out)[*len - 1] = '\n';
	(*out)[*len] = '\0';
	ret = 0;
out:
	free(text);
	json_decref(workflows);
	json_decref(root);
	return ret;
}

const struct runstate_entry *runstate_find(const struct runstate *s, const char *workflow)
{
	for (size_t i = 0; s && workflow && i < s->n; i++)
		if (strcmp(s->v[i].workflow, workflow) == 0)
			return &s->v[i];
	return NULL;
}

int runstate_record(struct runstate *s, const char *workflow, int64_t when, int exit_status,
		    double lock_hold_s)
{
	struct runstate_entry e = { 0 }, *old = NULL;

	if (!s || s->n > RUNSTATE_MAX || !runstate_name_valid(workflow))
		return -EINVAL;
	snprintf(e.workflow, sizeof(e.workflow), "%s", workflow);
	e.last_run = when;
	e.exit_status = exit_status;
	e.lock_hold_s = lock_hold_s;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].workflow, workflow) == 0)
			old = &s->v[i];
	if (exit_status == 0) {
		e.has_last_success = true;
		e.last_success = when;
	} else if (old && old->has_last_success && old->last_success <= when) {
		e.has_last_success = true;
		e.last_success = old->last_success;
	}
	if (!entry_valid(&e))
		return -EINVAL;
	if (old) {
		*old = e;
		return 0;
	}
	if (s->n == RUNSTATE_MAX)
		return -ENOSPC;
	s->v[s->n++] = e;
	qsort(s->v, s->n, sizeof(s->v[0]), by_name);
	return 0;
}
