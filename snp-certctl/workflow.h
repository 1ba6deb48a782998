/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The update workflows (refresh, fw-update, vlek-load) share one engine:
 * the set of tables, their current contents, the new tables built and
 * verified before any lock, the journals prepared, every exclusive lock
 * taken in one fixed order within one deadline, the hooks, the in-place
 * commits, and the per-table report.
 *
 * A workflow goes, in order:
 *
 *   workflow_init()      the tables: the files named, or the whole store;
 *                        sorted by real path (the order `lock` uses too)
 *   workflow_peek()      (refresh) a table's contents under the readers'
 *                        shared lock, without becoming its writer
 *   workflow_open()      become a table's writer (journal lock; recovery of
 *                        an interrupted update) and read its contents
 *   workflow_stage()     encode and verify a table's new contents; equal to
 *                        the current ones: unchanged
 *   workflow_prepare()   write the journals (before the exclusive locks)
 *   workflow_hooks()     pre-update, locked, post-update, update-failed
 *   workflow_lock()      every member's exclusive lock, in order, in time
 *   workflow_commit()    the in-place writes, then unlock all, then make
 *                        them durable and clear the journals
 *   workflow_free()      release everything; journals prepared but not
 *                        committed are cleared, tables stay as they were
 *
 * Only what must happen under the exclusive locks happens under them
 * (lock-protocol.md, property 6): the caller's firmware step and the
 * in-place writes.  How long the locks were held is measured.
 *
 * Implemented in workflow.c (the tables, locks, hooks, reports) and
 * workflow-build.c (matching keys, fetching the VCEK, building new tables).
 */
#ifndef SNP_CERTCTL_WORKFLOW_H
#define SNP_CERTCTL_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kds-cache.h"
#include "certs.h"
#include "cmd.h"
#include "hooks.h"
#include "install.h"
#include "json.h"
#include "platform.h"
#include "table.h"

struct snpcert_writer;

/* What happened (or would happen) to one table. */
enum wf_action {
	WF_PENDING = 0,   /* not decided yet */
	WF_UNCHANGED,     /* already right */
	WF_UPDATE,        /* new contents staged (next), to be written */
	WF_UPDATED,       /* written */
	WF_SKIPPED,       /* left alone on purpose */
	WF_FAILED,        /* not right, not changed (status says why) */
	WF_WOULD_UPDATE,  /* --dry-run */
};

/* "unchanged", "updated", "updated" (staged), "skipped", "failed", "would-update". */
const char *wf_action_name(enum wf_action a);

#define WF_TCB_LEN 64

struct wf_table {
	char *path;                  /* as given, or the store's path */
	char *real;                  /* realpath: the lock order */
	struct snpcert_writer *w;    /* while we are its writer */
	bool member;                 /* locked and written by this workflow; in the hooks' list */
	uint8_t *cur;                /* the current contents */
	size_t cur_len;
	struct table t;              /* ... parsed */
	bool has_key, vlek;          /* the current endorsement key, decoded */
	struct amd_cert_info key;
	uint8_t *next;               /* WF_UPDATE: the new contents, verified */
	size_t next_len;
	bool prepared, locked;
	enum wf_action action;
	int status;                  /* WF_FAILED: the exit status */
	char reason[384];            /* one phrase for the report */
	char old_tcb[WF_TCB_LEN];    /* TCB SPEC of the old key, or "" */
	char new_tcb[WF_TCB_LEN];    /* TCB SPEC of the new key, or "" */
};

struct workflow {
	struct ctx *ctx;
	const char *command;         /* "refresh", "fw-update", "vlek-load" */
	struct wf_table *v;
	size_t n;
	double timeout_s;            /* for the locks */
	struct lock_deadline d;
	bool deadline_started;
	bool pre_update_ran;         /* then post-update or update-failed follows */
	char old_tcb[WF_TCB_LEN];    /* for the hooks: TCB SPECs, "" when not known */
	char new_tcb[WF_TCB_LEN];
	struct timespec locked_at;   /* when the last exclusive lock was had */
	double held_ms;              /* how long the exclusive locks were held */
	bool locks_held;
};

/*
 * The tables: files (n of them), or with n == 0 every table in the store.
 * Sorted by real path, duplicates dropped.  The lock timeout is
 * ctx->lock_timeout (--timeout, else the setting lock_timeout).  0 or an
 * exit status after printing why (a missing file: EXIT_FAIL).
 */
int workflow_init(struct workflow *wf, struct ctx *ctx, const char *command, char *const *files,
		  size_t n);
/* Close every writer (clearing uncommitted journals), free everything. */
void workflow_free(struct workflow *wf);

/* Mark t (printf reason); WF_FAILED takes status, others ignore it. */
void wf_set(struct wf_table *t, enum wf_action a, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Read t's contents as a reader does (shared lock, within the deadline)
 * and decode its endorsement key.  0 or an exit status after printing why;
 * the caller decides what a failure means for the table.
 */
int workflow_peek(struct workflow *wf, struct wf_table *t);
/* Become t's writer and read (and decode) its contents.  0 or an exit status. */
int workflow_open(struct workflow *wf, struct wf_table *t);
/* Leave t out: no longer a member; its writer closed (an unused journal cleared). */
void workflow_drop(struct wf_table *t);

/* What a new VCEK table is built from. */
struct wf_vcek {
	struct cache *cache;         /* for the CA chain when a table lacks ASK/ARK */
	enum amd_product product;
	struct amd_tcb tcb;
	struct cache_item vcek;      /* cache_vcek()'s answer */
	uint8_t *vcek_der;           /* its DER */
	size_t vcek_der_len;
	bool have_roots;             /* ask/ark below loaded */
	uint8_t *ask, *ark;          /* DER, for tables that lack them */
	size_t ask_len, ark_len;
};

/*
 * Fetch (cache first) and verify the VCEK for id into src.  Nothing is
 * changed on failure.  0 or an exit status after printing why (EXIT_KDS,
 * EXIT_VERIFY, ...).
 */
int wf_vcek_fetch(struct cache *c, const struct kds_vcek_id *id, struct wf_vcek *src);
void wf_vcek_clear(struct wf_vcek *src);

/*
 * t's table with the VCEK of src: the VCEK replaced in its place, every
 * other entry kept byte for byte; an ASK or ARK the table lacks is added
 * (the built-in ones when the trusted ARK is AMD's, else the product's CA
 * chain); a table without an endorsement key gets VCEK, ASK and ARK first.
 * 0 or an exit status after printing why.
 */
int wf_build_vcek(const struct wf_table *t, struct wf_vcek *src, struct table *out);

/*
 * t's table switched to a VLEK: the VCEK removed, VLEK, ASVK (in the ASK
 * slot) and ARK first, the CRL and opaque entries kept byte for byte.
 */
int wf_build_vlek(const struct wf_table *t, const struct cert_input *vlek,
		  const struct cert_input *asvk, const struct cert_input *ark, struct table *out);

/*
 * Encode next and verify it (trust, now, the product and TCB of vo, the
 * chip id when given).  Equal to t's contents: WF_UNCHANGED.  Else the
 * bytes are kept in t->next and t is WF_UPDATE.  A table that does not
 * encode or verify is WF_FAILED (the checks printed).  Returns t's
 * status: 0 or the exit status of its failure.
 */
int workflow_stage(struct workflow *wf, struct wf_table *t, const struct table *next,
		   const struct verify_opts *vo);

/*
 * Write the journal of every WF_UPDATE member not prepared with these
 * contents yet.  A table whose journal cannot be written is WF_FAILED (the
 * others go on).  0 or the exit status of the first failure.
 */
int workflow_prepare(struct workflow *wf);

/* Open the writer of every member that has none.  0 or an exit status. */
int workflow_open_members(struct workflow *wf);

/*
 * Take every member's exclusive lock, in order, within the deadline.  On
 * failure every lock taken is released again: 0 or an exit status (EXIT_LOCK
 * naming the holders).
 */
int workflow_lock(struct workflow *wf);

/*
 * Commit every WF_UPDATE member in place (WF_UPDATED), release every
 * exclusive lock, then make the writes durable and clear the journals.
 * 0 or the exit status of the first failure (the table is marked).
 */
int workflow_commit(struct workflow *wf);

/* Release every exclusive lock (held time measured). */
void workflow_unlock(struct workflow *wf);

/*
 * Run the hooks of ev for the members, with wf->old_tcb/new_tcb.  At
 * pre-update and locked: 0 or EXIT_FAIL (see hooks.h); else 0.
 */
int workflow_hooks(struct workflow *wf, enum hook_event ev);

/* Members, tables in a state: counts. */
size_t workflow_count(const struct workflow *wf, enum wf_action a);
size_t workflow_members(const struct workflow *wf);

/* The exit status of the first failed table, or 0. */
int workflow_status(const struct workflow *wf);

/* Mark every member still pending or staged as failed (status, reason). */
void workflow_fail_pending(struct workflow *wf, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line per table on stdout: "<action> <path>: <reason>" (not with -q). */
void workflow_print(const struct workflow *wf);
/* The "tables" array of the JSON reports. */
void workflow_json_tables(const struct workflow *wf, struct json *j);
/* Log updated and failed tables to syslog when stderr is not a terminal. */
void workflow_syslog(const struct workflow *wf);

/*
 * Does t carry the VCEK for platform p (product, chip id: the first 8 bytes
 * on Turin) and TCB tcb?  When not, why says why in one phrase.
 */
bool wf_vcek_matches(const struct wf_table *t, const struct platform_id *p,
		     const struct amd_tcb *tcb, char *why, size_t len);

/* The verify_opts for a new table on platform p: trust, now, product, TCB (spec), chip id. */
void wf_verify_opts(struct verify_opts *vo, const struct amd_trust *trust,
		    const struct platform_id *p, const char *tcb_spec, bool chip);

/* A TCB as a TCB SPEC in product p's layout ("" for an unknown product). */
void wf_tcb_spec(enum amd_product p, uint64_t raw, char *buf, size_t len);

#endif
