// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "cmd.h"
#include "run.h"
#include "spawn.h"

int run_split(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return -1;
}

int run_command(char *const *cmd, unsigned int flags, int *wstatus, struct why *why)
{
	const struct spawn_opts o = {
		.argv = cmd,
		.kind = SPAWN_COMMAND,
		.flags = SPAWN_FORWARD_SIGNALS | SPAWN_SEARCH_PATH |
			 (flags & RUN_STDOUT_TO_STDERR ? SPAWN_STDOUT_TO_STDERR : 0),
	};

	return spawn_run(&o, wstatus, why);
}

int run_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return EXIT_FAIL;
}

void run_describe(int wstatus, char *buf, size_t len)
{
	if (WIFEXITED(wstatus))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(wstatus));
	else
		snprintf(buf, len, "wait status 0x%x", (unsigned int)wstatus);
}
