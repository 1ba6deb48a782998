/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The update workflows: one driver, workflow_run(), for every command that
 * changes tables in place (refresh, fw-update, vlek-load, update,
 * build --force).  The driver owns the whole sequence:
 *
 *   the tables      the files named, or every table in the store, sorted
 *                   by real path: the one lock order, so that no two
 *                   commands can deadlock (none at all: only a command
 *                   with a firmware step, WF_FIRMWARE_STEP, goes on, with
 *                   nothing to lock)
 *   survey()        the command reads the tables (wf_peek()) and decides
 *                   which need a change: the members (default: all)
 *   hooks check     nothing runs if a hook would be refused
 *   prepare()       work before the hooks and locks: fetch, open a device
 *   pre-update      hooks
 *   writers         the members' writers opened (journal lock, recovery of
 *                   an interrupted update) and their contents read
 *   stage()         the members' new contents built and verified
 *                   (wf_stage()), before any lock
 *   journals        written before the locks, unless the command has a
 *                   firmware step (WF_JOURNAL_UNDER_LOCKS): a journal
 *                   written before a firmware step that never happened
 *                   would be replayed by recovery
 *   locks           every member's exclusive lock, in order, one deadline
 *                   (with the writers' journal locks; it starts after
 *                   pre-update, so slow hooks do not use it up)
 *   locked          hooks
 *   under_locks()   the firmware step; may return WF_RESTAGE, and the
 *                   driver calls stage() again, still under the locks
 *   commit          the in-place writes, then every lock released, then
 *                   made durable, journals cleared
 *   post-update     hooks after success, or update-failed after any
 *                   failure once pre-update ran (exactly once), never with
 *                   a lock held
 *   report          syslog, then JSON (ops->json adds members) or text
 *   record          refresh, fw-update, vlek-load: the run's end in the
 *                   run state, then metrics_dir's file (metrics.h); not
 *                   for a dry run (WF_NO_RECORD)
 *
 * Every failure path releases every lock.  Only the firmware step and the
 * in-place writes happen under the exclusive locks (lock-protocol.md,
 * property 6); how long they were held is measured.
 *
 * Implemented in workflow.c (the driver: the steps, locks, hooks, reports),
 * workflow-table.c (one table: reading, staging) and workflow-build.c
 * (matching keys, fetching the VCEK, new tables).
 */
#ifndef SNP_CERTCTL_WORKFLOW_H
#define SNP_CERTCTL_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "kds-cache.h"
#include "certs.h"
#include "cmd.h"
#include "errors.h"
#include "hooks.h"
#include "json.h"
#include "platform.h"
#include "table.h"

struct snpcert_writer;
struct workflow; /* the driver's: opaque */

/* What happened (or would happen) to one table. */
enum wf_action {
	WF_PENDING = 0,   /* not decided yet */
	WF_UNCHANGED,     /* already right */
	WF_UPDATE,        /* new contents staged, to be written */
	WF_UPDATED,       /* written */
	WF_SKIPPED,       /* left alone on purpose */
	WF_FAILED,        /* not right, not changed (reason says why) */
	WF_WOULD_UPDATE,  /* --dry-run */
};

/* "pending", "unchanged", "staged", "updated", "skipped", "failed", "would-update". */
const char *wf_action_name(enum wf_action a);

#define WF_TCB_LEN 64
#define WF_REASON_LEN 384

/*
 * One table.  The commands read these fields; they change them only
 * through the wf_*() functions below.
 */
struct wf_table {
	char *path;                  /* as given, or the store's path */
	char *real;                  /* realpath: the lock order */
	bool member;                 /* to be locked and written by this workflow */
	struct table t;              /* the current contents, parsed (after wf_peek/the writer) */
	size_t cur_len;
	bool has_key, vlek;          /* the current endorsement key, decoded */
	struct amd_cert_info key;
	enum wf_action action;
	int rc;                      /* WF_FAILED: the code (errors.h) */
	char reason[WF_REASON_LEN];  /* one phrase for the report */
	char old_tcb[WF_TCB_LEN];    /* TCB SPEC of the old key, or "" */
	char new_tcb[WF_TCB_LEN];    /* TCB SPEC of the new key, or "" */
	enum amd_product new_tcb_product; /* its layout */
	/* The driver's. */
	struct snpcert_writer *w;
	uint8_t *cur, *next;
	size_t next_len;
	bool prepared, locked;
};

/* under_locks(): call stage() again, still under the locks (not an exit status). */
#define WF_RESTAGE 0x7fff

/* What the driver tells an observer (ops->event), in order. */
enum wf_event {
	WF_EV_PRE_UPDATE,    /* the pre-update hooks ran */
	WF_EV_STAGED,        /* stage() returned */
	WF_EV_LOCKED,        /* every member's exclusive lock is held */
	WF_EV_UNDER_LOCKS,   /* under_locks() returned */
	WF_EV_UNLOCKED,      /* every lock released */
	WF_EV_POST_UPDATE,   /* the post-update hooks ran */
	WF_EV_UPDATE_FAILED, /* the update-failed hooks ran */
};

/* ops->flags */
#define WF_ALL_OR_NOTHING 0x1u     /* one table failing fails all; every member stays locked */
#define WF_JOURNAL_UNDER_LOCKS 0x2u /* a firmware step: journals after it, under the locks */
#define WF_NO_HOOKS 0x4u            /* update, build --force: no hooks */
/* under_locks() is a firmware step: it runs, with the hooks, even when there is no table. */
#define WF_FIRMWARE_STEP 0x8u
/* A dry run: not recorded in the run state, no metrics written (metrics.h). */
#define WF_NO_RECORD 0x10u

/*
 * What a command supplies.  Each step returns 0 or a negative code
 * (errors.h) with why set; the driver prints why, marks the members still
 * pending as failed (reason: fail_reason, or the step's own), runs
 * update-failed if pre-update ran, and reports.  A step may mark tables
 * itself (wf_set) before failing.  Every callback but stage may be NULL.
 */
struct workflow_ops {
	const char *command;     /* "refresh", "fw-update", ...: hooks, syslog */
	unsigned int flags;
	int (*survey)(struct workflow *wf, void *arg, struct why *why);
	int (*prepare)(struct workflow *wf, void *arg, struct why *why);
	int (*stage)(struct workflow *wf, void *arg, struct why *why);
	int (*under_locks)(struct workflow *wf, void *arg, struct why *why);
	/* After everything (locks released, hooks run), before the report: rc is the result. */
	void (*finish)(struct workflow *wf, void *arg, int rc);
	/* The report's members before "tables" (JSON). */
	void (*json)(struct workflow *wf, void *arg, struct jout *j);
	/*
	 * The report, text and JSON; NULL: one line per table, "<action> <path>:
	 * <reason>", or the JSON document of ops->json and "tables".
	 */
	void (*print)(struct workflow *wf, void *arg);
	void (*event)(struct workflow *wf, void *arg, enum wf_event ev);
};

/*
 * Run the workflow on the tables files[0..n) (n == 0: every table in the
 * store).  Returns the exit status: 0 when every table is right, else that
 * of the first failure.
 */
int workflow_run(struct ctx *ctx, const struct workflow_ops *ops, void *arg, char *const *files,
		 size_t n);

/* For the ops. */
struct ctx *workflow_ctx(const struct workflow *wf);
size_t workflow_n(const struct workflow *wf);
struct wf_table *workflow_table(struct workflow *wf, size_t i);
/* The hooks' SNP_CERTCTL_OLD_TCB / _NEW_TCB (TCB SPECs; NULL or "": not known). */
void workflow_set_tcbs(struct workflow *wf, const char *old_tcb, const char *new_tcb);
/* The deadline of the run's lock waits (the driver's; wf_peek() and wf_read() wait by it). */
const struct sc_deadline *workflow_deadline(const struct workflow *wf);
/* Forget t's current contents (the driver's, and wf_read()'s before reading anew). */
void wf_clear_contents(struct wf_table *t);
/*
 * survey(): the firmware step is not needed after all (already done): with
 * no member left, nothing more runs, not even the hooks, table or not.
 */
void workflow_skip_firmware_step(struct workflow *wf);
/* Microseconds the exclusive locks were held (0 before they were released). */
long long workflow_held_us(const struct workflow *wf);
/* Members in state a; all members. */
size_t workflow_count(const struct workflow *wf, enum wf_action a);
size_t workflow_members(const struct workflow *wf);
/* Mark every member still pending or staged as failed (rc, reason). */
void workflow_fail_pending(struct workflow *wf, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Mark t (printf reason); WF_FAILED takes rc (errors.h), others ignore it. */
void wf_set(struct wf_table *t, enum wf_action a, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void wf_set_new_tcb(struct wf_table *t, enum amd_product p, const char *tcb);
/* Leave t out (not locked, not written), or take it in. */
void wf_drop(struct wf_table *t);
void wf_join(struct wf_table *t);

/*
 * Read t's contents as a reader does (shared lock, within the deadline)
 * and decode its endorsement key.  0, -ERR_VERIFY when it is malformed (or
 * half-written by a writer that died: wf_read() reads it as its writer,
 * recovering it), or another code with why.
 */
int wf_peek(struct workflow *wf, struct wf_table *t, struct why *why);
/* Become t's writer (journal lock; recovery) and read and decode its contents. */
int wf_read(struct workflow *wf, struct wf_table *t, struct why *why);
/* wf_peek(), and wf_read() when t is malformed or half-written. */
int wf_look(struct workflow *wf, struct wf_table *t, struct why *why);
/*
 * wf_look() at every table; at the first that cannot be read, the pending
 * ones fail with "NOT_DONE: 'T' cannot be read" and its code is returned.
 */
int wf_look_all(struct workflow *wf, const char *not_done, struct why *why);

/*
 * Encode next and verify it against vo (NULL: no verification; the caller
 * verified it).  Equal to t's contents: WF_UNCHANGED.  Else the bytes are
 * kept and t is WF_UPDATE.  A table that does not encode or verify is
 * WF_FAILED (each failed check printed).  0 or t's code.
 */
int wf_stage(struct wf_table *t, const struct table *next, const struct verify_opts *vo);
/* The same with the encoded bytes (build --force). */
int wf_stage_blob(struct wf_table *t, const uint8_t *blob, size_t len);

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
 * changed on failure.  0 or a code with why (-ERR_KDS, -ERR_VERIFY, ...).
 */
int wf_vcek_fetch(struct cache *c, const struct kds_vcek_id *id, struct wf_vcek *src,
		  struct why *why);
void wf_vcek_clear(struct wf_vcek *src);

/*
 * t's table with the VCEK of src: the VCEK replaced in its place, every
 * other entry kept byte for byte; an ASK or ARK the table lacks is added
 * (the built-in ones when the trusted ARK is AMD's, else the product's CA
 * chain); a table without an endorsement key gets VCEK, ASK and ARK first.
 * 0 or a code with why (-ENOMEM; the CA chain's failures).
 */
int wf_build_vcek(const struct wf_table *t, struct wf_vcek *src, struct table *out,
		  struct why *why);

/*
 * t's table switched to a VLEK: the VCEK removed, VLEK, ASVK (in the ASK
 * slot) and ARK first, the CRL and opaque entries kept byte for byte.
 */
int wf_build_vlek(const struct wf_table *t, const struct cert_input *vlek,
		  const struct cert_input *asvk, const struct cert_input *ark, struct table *out,
		  struct why *why);

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
