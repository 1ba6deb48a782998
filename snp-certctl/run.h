/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running a command the user named after "--" (lock, fw-update): fork and
 * exec (spawn.h) with the program's stdin, stdout and stderr, SIGTERM,
 * SIGINT and SIGHUP sent to the program passed on to it, and its exit
 * status.  The program's own descriptors are close-on-exec, so the
 * command never inherits a table's lock.
 */
#ifndef SNP_CERTCTL_RUN_H
#define SNP_CERTCTL_RUN_H

#include <stddef.h>

#include "errors.h"

/* The command's stdout goes to our stderr (--json keeps stdout one document). */
#define RUN_STDOUT_TO_STDERR 0x1u

/*
 * The index of the first "--" in argv[from..argc), or -1.  Commands split
 * "[FILE...] [OPTIONS] -- COMMAND [ARG]..." there before parsing options,
 * so getopt's permutation never mixes files and the command.
 */
int run_split(int argc, char **argv, int from);

/*
 * Run cmd (cmd[0] looked up in PATH) and wait for it (spawn_run()).
 * Returns 0 when it ran, *wstatus its wait status.  Otherwise -errno with
 * why: "cannot run 'CMD': ..." when it could not be executed (*wstatus is
 * then an exit with 127, not found, or 126, as a shell reports it) or
 * started (*wstatus 0), "cannot wait for 'CMD': ..." (*wstatus 0).
 */
int run_command(char *const *cmd, unsigned int flags, int *wstatus, struct why *why);

/* The shell's view of a wait status: the exit status, or 128+N for signal N. */
int run_exit_code(int wstatus);

/* "exit status 3" or "killed by signal 9". */
void run_describe(int wstatus, char *buf, size_t len);

#endif
