/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The run state: how each workflow (refresh, fw-update, vlek-load, ...)
 * last ended, as the program records it in <store>/.snp-certctl-state.json
 * and `snp-certctl metrics` reports it.  The JSON document, decoded
 * strictly and encoded; no I/O.  See formats/run-state.md.
 */
#ifndef SNPCERT_FORMATS_RUNSTATE_H
#define SNPCERT_FORMATS_RUNSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Workflows in one document, the length of a name, the size of a document read. */
#define RUNSTATE_MAX 16
#define RUNSTATE_NAME_MAX 32
#define RUNSTATE_FILE_MAX (64 * 1024)
/* The latest time accepted: 9999-12-31T23:59:59Z. */
#define RUNSTATE_TIME_MAX INT64_C(253402300799)
/* The longest lock hold accepted, in seconds (a year). */
#define RUNSTATE_HOLD_MAX 31536000.0

/* How one workflow last ended. */
struct runstate_entry {
	char workflow[RUNSTATE_NAME_MAX + 1]; /* [a-z][a-z0-9-]* */
	int64_t last_run;      /* the end of the last run, Unix seconds */
	int exit_status;       /* its exit status, 0..255; 0 is "success", else "failure" */
	double lock_hold_s;    /* how long it held the exclusive locks (0: none taken) */
	bool has_last_success; /* it ever succeeded: */
	int64_t last_success;  /* the end of the last run that did */
};

struct runstate {
	struct runstate_entry v[RUNSTATE_MAX]; /* sorted by workflow (strcmp) */
	size_t n;
};

/* Is name a workflow name ([a-z][a-z0-9-]*, at most RUNSTATE_NAME_MAX bytes)? */
bool runstate_name_valid(const char *name);

/*
 * Decode a document of len bytes (no NUL needed):
 *   {"version": 1, "workflows": {"NAME": {"last_run": T, "result":
 *    "success"|"failure", "exit_status": N, "lock_hold_s": S,
 *    "last_success": T}, ...}}
 * Every member is required but last_success (absent: it never succeeded);
 * no other member, no duplicate; result is "success" exactly when
 * exit_status is 0, and then last_success is last_run; last_success is
 * never after last_run.  0 and *out, or -EBADMSG with one phrase in why
 * (whylen bytes; may be NULL), -ENOMEM, -EINVAL (NULL arguments).
 */
int runstate_parse(const void *buf, size_t len, struct runstate *out, char *why, size_t whylen);

/*
 * Encode s (valid entries only, as runstate_parse() accepts them) as one
 * line of JSON with a final newline, in a malloc'd *out of *len bytes (a
 * NUL follows).  0, -EINVAL (an entry runstate_parse() would refuse), or
 * -ENOMEM.
 */
int runstate_encode(const struct runstate *s, char **out, size_t *len);

/* The entry of workflow, or NULL. */
const struct runstate_entry *runstate_find(const struct runstate *s, const char *workflow);

/*
 * Record that workflow ended at when (Unix seconds) with exit_status
 * (0..255), having held its locks lock_hold_s seconds: its entry replaced
 * (last_success kept unless this run succeeded), or added in order.  0,
 * -EINVAL (a bad name, time, status or hold), -ENOSPC (RUNSTATE_MAX
 * workflows already, none of them this one).
 */
int runstate_record(struct runstate *s, const char *workflow, int64_t when, int exit_status,
		    double lock_hold_s);

#endif
