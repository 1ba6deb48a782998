/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Metrics for Prometheus: what status and check know (status-read.h) and
 * how each workflow last ended (the run state, <store>/.snp-certctl-state.json,
 * formats/runstate.h), in the text exposition format 0.0.4, for
 * `snp-certctl metrics` and for the metrics_dir setting (node_exporter's
 * textfile collector).  Implemented in metrics.c (the writer and the
 * series) and run-state.c (the state file).
 */
#ifndef SNP_CERTCTL_METRICS_H
#define SNP_CERTCTL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cmd.h"
#include "errors.h"
#include "runstate.h"
#include "status-read.h"

/* The state file in the store ('.': not a table), and the file metrics_dir gets. */
#define RUN_STATE_NAME ".snp-certctl-state.json"
#define METRICS_FILE_NAME "snp-certctl.prom"

/* ---- the run state (run-state.c) ----------------------------------------- */

/* Is command a workflow whose runs are recorded (refresh, fw-update, vlek-load, sev-export)? */
bool run_state_recorded(const char *command);
/*
 * The state of the store dir: 0 with *have (false: there is none, or it
 * is corrupt or unreadable, which is warned about), or -ENOMEM (said).
 */
int run_state_load(const char *dir, struct runstate *s, bool *have);
/*
 * Record that command ended now with exit status status, having held its
 * exclusive locks hold_s seconds: read, changed and written atomically
 * (mode 0644) under an exclusive flock(2) of the store directory, waited
 * for by the lock timeout.  A store that does not exist is left alone.
 * Failures are warnings: the command's exit status never changes.
 */
void run_state_record(const struct ctx *ctx, const char *command, int status, double hold_s);

/* ---- the exposition (metrics.c) -------------------------------------------- */

/*
 * The metrics of platform p and store s (as status_read() made them), with
 * the run state of the store (st, NULL: none) at time now, in a malloc'd
 * NUL-terminated *text of *len bytes.  0 or -ENOMEM.
 */
int metrics_render(const struct status_platform *p, const struct status_store *s,
		   const struct runstate *st, time_t now, char **text, size_t *len);
/*
 * The same as the settings say: the platform and store read (status_read())
 * when p is NULL (then quietly: the command said its warnings), the run
 * state loaded.  0 or -ENOMEM (said).
 */
int metrics_collect(const struct ctx *ctx, const struct status_platform *p,
		    const struct status_store *s, char **text, size_t *len);
/*
 * With the setting metrics_dir, write metrics_dir/snp-certctl.prom
 * (metrics_collect(), then atomically, mode 0644); a failure is a warning.
 * Without it, nothing.
 */
void metrics_write_dir(const struct ctx *ctx, const struct status_platform *p,
		       const struct status_store *s);

#endif
