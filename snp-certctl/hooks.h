/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hooks runner: the executables in hooks_dir (default
 * /etc/snp-certctl/hooks.d) run in name order at each event of refresh,
 * fw-update, vlek-load and sev-export.
 *
 * Which files run.  The entries of hooks_dir sorted by name, bytewise
 * (strcmp, as `LC_ALL=C ls`: use two-digit prefixes, 10-x before 9-x).
 * Skipped, with a message under --verbose: names starting with '.', backup
 * and package-manager leftovers (ending in '~', '.swp', or with a last
 * suffix '.dpkg-*', '.ucf-*', '.rpm*'), entries that are not regular files,
 * and files that are not executable.
 *
 * Which files are refused.  The directory and every hook must be owned by
 * root (when running as root) or by root or the running user (otherwise),
 * and not be writable by group or others; so must every directory above
 * hooks_dir, except that a sticky one (/tmp) may be writable by others.
 * A symlink above hooks_dir is followed and the directories of its target
 * are checked the same way; hooks_dir itself must not be a symlink.  A hook
 * that is a symlink is refused, whatever it points to (copy the file into
 * hooks_dir instead).  A missing hooks directory means no hooks.  A refusal
 * is an error: a hook that was meant to run (to drain guests, say) must not
 * be skipped silently.
 *
 * How a hook runs.  The file checked is the file run: each hook is opened
 * from the descriptor of hooks_dir, checked on its descriptor and executed
 * through it (fexecve), so nothing put at its name after the check runs.
 * fork and fexecve with the environment of the program
 * plus SNP_CERTCTL_EVENT, SNP_CERTCTL_COMMAND, SNP_CERTCTL_TABLES
 * (space-separated paths), SNP_CERTCTL_OLD_TCB and SNP_CERTCTL_NEW_TCB (TCB
 * SPEC form, only when known; never inherited) and SNP_CERTCTL_HOOK (the
 * hook's path in hooks_dir; a script's $0 is "/dev/fd/N", the descriptor it
 * is read through).  No arguments; stdin is /dev/null; stdout goes to
 * stderr, so --json output on stdout stays one document; besides the hook's
 * own descriptor (O_PATH, kept open for the interpreter), no descriptor of
 * the program is inherited (a table's descriptor would carry its OFD lock
 * along).  The hook is the leader of a new process group; once
 * it exits (or times out) whatever is left in that group is killed with
 * SIGKILL: a hook that must leave something running hands it to
 * systemd-run or setsid.
 *
 * Timeouts.  Each hook may take hook_timeout seconds (default 30; 0: no
 * limit), then its process group is killed and the hook has failed.  At
 * `locked` the exclusive locks are held and readers (VMMs serving guests'
 * certificate requests) are blocked, so all locked hooks together get at
 * most HOOK_LOCKED_BUDGET seconds (or hook_timeout, if smaller), whatever
 * hook_timeout says: slow work belongs in pre-update.
 *
 * Failures.  At pre-update and locked the first failing or refused hook
 * stops the event (later hooks do not run) and hooks_run returns -ERR_HOOK
 * (or -ERR_REFUSED) with why; the caller then aborts before the firmware is
 * touched.  At post-update and update-failed every hook runs, failures and
 * refusals are warnings, and hooks_run returns 0: the update has already
 * happened (or failed) and the exit status must say that, not the hooks'.
 */
#ifndef SNP_CERTCTL_HOOKS_H
#define SNP_CERTCTL_HOOKS_H

#include <stddef.h>

#include "cmd.h"
#include "errors.h"

#define HOOK_DEFAULT_TIMEOUT 30.0
/* Seconds all hooks of the locked event may take together. */
#define HOOK_LOCKED_BUDGET 5.0

enum hook_event {
	HOOK_PRE_UPDATE,    /* before any lock is taken */
	HOOK_LOCKED,        /* every exclusive lock held, before the firmware step */
	HOOK_POST_UPDATE,   /* after the locks are released, on success */
	HOOK_UPDATE_FAILED, /* after the locks are released, on failure */
};

struct hook_env {
	const char *command;     /* "refresh", "fw-update", "vlek-load" or "sev-export" */
	char *const *tables;     /* the tables' paths */
	size_t n_tables;
	const char *old_tcb;     /* TCB SPEC, or NULL when not known */
	const char *new_tcb;     /* TCB SPEC, or NULL when not known */
};

/* "pre-update", "locked", "post-update", "update-failed". */
const char *hook_event_name(enum hook_event ev);

/*
 * Check the hooks directory and every hook in it without running any.
 * The workflow driver calls it before a workflow starts.  Returns 0 (also
 * when the directory does not exist) or -ERR_REFUSED (or -errno) with why,
 * e.g. "refusing hook '/etc/snp-certctl/hooks.d/10-x': writable by group or
 * others".
 */
int hooks_check(const struct ctx *ctx, struct why *why);

/*
 * Run the hooks for ev (checking each again first).  At pre-update and
 * locked: 0, or -ERR_HOOK / -ERR_REFUSED / -errno with why, e.g. "hook
 * '/etc/snp-certctl/hooks.d/10-x' failed at pre-update: exit status 3"
 * ("killed by signal 9", "timed out after 30s").  At post-update and
 * update-failed the same messages are warnings on stderr and the return
 * is 0.
 */
int hooks_run(const struct ctx *ctx, enum hook_event ev, const struct hook_env *env,
	      struct why *why);

#endif
