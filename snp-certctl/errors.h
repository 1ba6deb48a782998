/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One error convention for the whole program.
 *
 * Engine code (KDS client, KDS cache, store, hooks runner, lock waits,
 * platform, workflow steps) returns 0 (or a count) on success and a
 * negative code on failure: -errno for what the system said, or -ERR_*
 * below for the project's own failure classes.  With the code comes a
 * struct why holding the whole message, one line, ready to print
 * ("cannot open '/var/lib/x.certs': Permission denied"): the engine never
 * prints an error, never exits and never returns an exit status.
 *
 * Only cmd-*.c and main.c turn a code into an exit status, with
 * exit_status() below: it is the table of EXIT STATUS in snp-certctl(1).
 */
#ifndef SNP_CERTCTL_ERRORS_H
#define SNP_CERTCTL_ERRORS_H

#include <stddef.h>

/* Exit status, as in snp-certctl(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,     /* anything not covered below */
	EXIT_USAGE = 2,    /* bad options or arguments, bad configuration */
	EXIT_LOCK = 3,     /* a lock could not be had in time */
	EXIT_VERIFY = 4,   /* malformed table or certificate, broken chain, mismatch */
	EXIT_PLATFORM = 5, /* /dev/sev missing or an SEV command failed */
	EXIT_KDS = 6,      /* KDS or network */
};

/* The project's failure classes, negated like errno values, above errno's range. */
enum {
	ERR_BASE = 4096,
	ERR_USAGE,    /* bad arguments or configuration: exit 2 */
	ERR_LOCK,     /* a lock not had by the deadline: exit 3 */
	ERR_VERIFY,   /* malformed, does not verify, does not match: exit 4 */
	ERR_PLATFORM, /* /dev/sev or an SEV command failed: exit 5 */
	ERR_KDS,      /* KDS or the network: exit 6 */
	ERR_REFUSED,  /* a file or hook refused (owner, mode, type): exit 1 */
	ERR_HOOK,     /* a hook failed: exit 1 */
	ERR_LAST,
};

/* The message that goes with a failure: one line, complete. */
#define WHY_MAX 768
struct why {
	char msg[WHY_MAX];
};

/* Set w's message (printf).  Returns rc, so `return why_set(w, -ERR_KDS, ...)` reads well. */
int why_set(struct why *w, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The exit status for a code: 0 -> 0; -ERR_* as above; -ETIMEDOUT -> 3;
 * -EBADMSG -> 4; -ENOMEM and every other -errno -> 1.  A positive value
 * is taken to be an exit status already.
 */
int exit_status(int rc);

/* A phrase for an exit status: "verification failed", ... ("stopped by a signal" past 128). */
const char *exit_name(int status);

/*
 * The first failure the program reported (err(), usage_error()), one line
 * without the "snp-certctl: " prefix, for the JSON error document; NULL
 * while there was none.  error_note keeps the first message only.
 */
void error_note(const char *msg);
const char *error_noted(void);

/* A name for a code in messages: strerror() for -errno, a phrase for -ERR_*. */
const char *err_name(int rc);

#endif
