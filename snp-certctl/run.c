// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "run.h"
#include "util.h"

static volatile sig_atomic_t child_pid;

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* A signal from the terminal reaches the command's process group anyway. */
	if (child_pid > 0 && !(si && si->si_code == SI_KERNEL))
		kill((pid_t)child_pid, sig);
}

int run_split(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return -1;
}

int run_command(char *const *cmd, unsigned int flags, int *wstatus)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa, old[3];
	sigset_t block, saved;
	pid_t pid;
	int ret;

	sigemptyset(&block);
	for (size_t i = 0; i < 3; i++)
		sigaddset(&block, sigs[i]);
	/* Nothing is forwarded to a child that does not exist yet: block until then. */
	sigprocmask(SIG_BLOCK, &block, &saved);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err("cannot run '%s': %s", cmd[0], strerror(errno));
		ret = EXIT_FAIL;
		goto out;
	}
	if (pid == 0) {
		int e;

		for (size_t i = 0; i < 3; i++)
			sigaction(sigs[i], &old[i], NULL);
		sigprocmask(SIG_SETMASK, &saved, NULL);
		if ((flags & RUN_STDOUT_TO_STDERR) && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			e = errno;
			err("cannot run '%s': %s", cmd[0], strerror(e));
			_exit(126);
		}
		execvp(cmd[0], cmd);
		e = errno;
		err("cannot run '%s': %s", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	while (waitpid(pid, wstatus, 0) < 0) {
		if (errno != EINTR) {
			err("cannot wait for '%s': %s", cmd[0], strerror(errno));
			ret = EXIT_FAIL;
			goto out;
		}
	}
	ret = 0;
out:
	child_pid = 0;
	for (size_t i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return ret;
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
