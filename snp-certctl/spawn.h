/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One fork and exec for the whole program: the command after "--" (lock,
 * fw-update: run.c) and the hooks (hooks.c).  What differs between them is
 * chosen by flags: stdin, stdout, a process group of its own, signal
 * forwarding, a clean slate of signals and descriptors, PATH lookup, and a
 * time-out.
 *
 * Exec failures come back through a close-on-exec pipe: the child writes
 * execve's errno and exits 127 (ENOENT) or 126, so the caller has both the
 * errno for its message and the status a shell would report.
 */
#ifndef SNP_CERTCTL_SPAWN_H
#define SNP_CERTCTL_SPAWN_H

#include "errors.h"

/* What is run, for the wording of messages. */
enum spawn_kind {
	SPAWN_COMMAND, /* "cannot run 'NAME': ...", "cannot wait for 'NAME': ..." */
	SPAWN_HOOK,    /* "cannot run hook 'NAME': ...", "cannot wait for hook 'NAME': ..." */
};

/* stdin is /dev/null (else inherited); then, with no stderr, stderr is /dev/null too. */
#define SPAWN_STDIN_NULL 0x01u
/* stdout goes to our stderr (else inherited): --json keeps stdout one document. */
#define SPAWN_STDOUT_TO_STDERR 0x02u
/*
 * The child leads a new process group; once it exits or times out,
 * whatever is left in the group is killed with SIGKILL.
 */
#define SPAWN_PGROUP 0x04u
/*
 * SIGTERM, SIGINT and SIGHUP sent to the program while the child runs are
 * passed on to it (to its group with SPAWN_PGROUP; without, a signal from
 * the terminal is not passed on: it reached the child's group already).
 * The child starts with the signal mask and dispositions the program had.
 */
#define SPAWN_FORWARD_SIGNALS 0x08u
/*
 * A clean slate: default dispositions for SIGPIPE, SIGINT, SIGQUIT,
 * SIGTERM, SIGHUP and SIGCHLD, an empty signal mask, and every descriptor
 * from 3 up closed at exec (a table's descriptor would carry its OFD lock).
 */
#define SPAWN_CLEAN 0x10u
/* argv[0] without a '/' is looked up in PATH, and a file without "#!" runs with /bin/sh. */
#define SPAWN_SEARCH_PATH 0x20u
/*
 * The file executed is the one open at exec_fd (fexecve), not a path:
 * nothing can be put in its place after the caller checked it.  argv[0] is
 * only the child's argv[0].  exec_fd stays open across exec (without
 * close-on-exec), even with SPAWN_CLEAN: a script's interpreter reads the
 * script through /dev/fd/N, which the kernel hands it as the script's name.
 */
#define SPAWN_EXEC_FD 0x40u

struct spawn_opts {
	char *const *argv; /* argv[0] is what is executed */
	char *const *envp; /* NULL: the program's environment */
	const char *name;  /* the subject of messages; NULL: argv[0] */
	enum spawn_kind kind;
	unsigned int flags;  /* SPAWN_* */
	double timeout;      /* seconds; 0: none.  Then the child (and its group) is killed. */
	int exec_fd;         /* with SPAWN_EXEC_FD: what is executed */
};

/*
 * Run o->argv and wait for it.  Returns 0 when it ran, with *wstatus its
 * wait status.  Otherwise a negative code with why:
 *   -ETIMEDOUT: it ran past o->timeout and was killed (*wstatus says how);
 *   -errno from execve: it could not be executed, *wstatus is the child's
 *   exit with 127 (ENOENT) or 126;
 *   -errno from pipe, fork or waitid: it could not be started or waited
 *   for, *wstatus is 0.
 */
int spawn_run(const struct spawn_opts *o, int *wstatus, struct why *why);

#endif
