// SPDX-License-Identifier: GPL-2.0-or-later
/* One fork and exec, with a process group and a time-out.  See spawn.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "spawn.h"
#include "util.h"

extern char **environ;

/* The signals SPAWN_FORWARD_SIGNALS passes on. */
static const int fwd_sigs[] = { SIGTERM, SIGINT, SIGHUP };
#define N_FWD (sizeof(fwd_sigs) / sizeof(fwd_sigs[0]))

/* Where forward() sends a signal: the child's pid, or minus its group id; 0: nowhere. */
static volatile sig_atomic_t fwd_to;
/* Whether a signal from the kernel (the terminal) is passed on too. */
static volatile sig_atomic_t fwd_kernel;

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* A signal from the terminal reaches the child's process group anyway. */
	if (fwd_to != 0 && (fwd_kernel || !(si && si->si_code == SI_KERNEL)))
		kill((pid_t)fwd_to, sig);
}

static int cannot_run(struct why *why, const struct spawn_opts *o, const char *name, int err)
{
	if (o->kind == SPAWN_HOOK)
		return why_set(why, err, "cannot run hook '%s': %s", name, strerror(-err));
	return why_set(why, err, "cannot run '%s': %s", name, strerror(-err));
}

static int cannot_wait(struct why *why, const struct spawn_opts *o, const char *name, int err)
{
	if (o->kind == SPAWN_HOOK)
		return why_set(why, err, "cannot wait for hook '%s': %s", name, strerror(-err));
	return why_set(why, err, "cannot wait for '%s': %s", name, strerror(-err));
}

static int timed_out_why(struct why *why, const struct spawn_opts *o, const char *name)
{
	if (o->kind == SPAWN_HOOK)
		return why_set(why, -ETIMEDOUT, "hook '%s' timed out and was killed", name);
	return why_set(why, -ETIMEDOUT, "'%s' timed out and was killed", name);
}

/* In the forked child: set up, exec; on failure errno into errfd.  Never returns. */
static void __attribute__((noreturn)) child(const struct spawn_opts *o, const sigset_t *mask,
					    const struct sigaction *old, int errfd)
{
	static const int reset[] = { SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD };
	char *const *envp = o->envp ? o->envp : environ;
	int fd = -1, e;

	if ((o->flags & SPAWN_PGROUP) && setpgid(0, 0) < 0)
		goto fail;
	if (o->flags & SPAWN_FORWARD_SIGNALS)
		for (size_t i = 0; i < N_FWD; i++)
			sigaction(fwd_sigs[i], &old[i], NULL);
	if (o->flags & SPAWN_CLEAN) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
			signal(reset[i], SIG_DFL);
	} else {
		sigprocmask(SIG_SETMASK, mask, NULL);
	}
	if (o->flags & SPAWN_STDIN_NULL) {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
			goto fail;
		/* With no stderr at all, stderr (and so a redirected stdout) is /dev/null. */
		if (fcntl(STDERR_FILENO, F_GETFD) < 0 && dup2(fd, STDERR_FILENO) < 0)
			goto fail;
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if ((o->flags & SPAWN_STDOUT_TO_STDERR) && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		goto fail;
	/*
	 * Nothing else of ours crosses exec: a table descriptor would carry
	 * its OFD lock into the child and anything it leaves running.
	 */
	if ((o->flags & SPAWN_CLEAN) && close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (int i = 3; i < (max > 0 && max < 65536 ? max : 65536); i++)
			if (i != errfd)
				fcntl(i, F_SETFD, FD_CLOEXEC);
	}
	nofile_restore();
	if (o->flags & SPAWN_EXEC_FD) {
		/* Open across exec: an interpreter reads a script through /dev/fd/N. */
		if (fcntl(o->exec_fd, F_SETFD, 0) < 0)
			goto fail;
		fexecve(o->exec_fd, o->argv, envp);
	} else if (o->flags & SPAWN_SEARCH_PATH) {
		execvpe(o->argv[0], o->argv, envp);
	} else {
		execve(o->argv[0], o->argv, envp);
	}
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(e == ENOENT ? 127 : 126);
	_exit(e == ENOENT ? 127 : 126);
}

int spawn_run(const struct spawn_opts *o, int *wstatus, struct why *why)
{
	const char *name = o->name ? o->name : o->argv[0];
	bool pgroup = o->flags & SPAWN_PGROUP, fwd = o->flags & SPAWN_FORWARD_SIGNALS;
	bool timed_out = false;
	int pfd[2] = { -1, -1 }, status = 0, child_errno = 0, ret;
	unsigned int step_us = 1000;
	struct sigaction sa, old[N_FWD];
	struct sc_deadline dl;
	sigset_t block, saved;
	pid_t pid = -1;
	ssize_t r;

	*wstatus = 0;
	memset(old, 0, sizeof(old));
	sigemptyset(&block);
	if (fwd)
		for (size_t i = 0; i < N_FWD; i++)
			sigaddset(&block, fwd_sigs[i]);
	/* Nothing is forwarded to a child that does not exist yet: blocked until then. */
	sigprocmask(SIG_BLOCK, &block, &saved);
	if (fwd) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = forward;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < N_FWD; i++)
			sigaction(fwd_sigs[i], &sa, &old[i]);
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		ret = cannot_run(why, o, name, -errno);
		goto out;
	}
	/* Our buffered output first, and never twice. */
	fflush(NULL);
	sc_deadline_init(&dl, o->timeout);
	pid = fork();
	if (pid < 0) {
		ret = cannot_run(why, o, name, -errno);
		goto out;
	}
	if (pid == 0)
		child(o, &saved, old, pfd[1]);
	close(pfd[1]);
	pfd[1] = -1;
	/* Also here, so the group exists whichever of us runs first. */
	if (pgroup)
		setpgid(pid, pid);
	fwd_kernel = pgroup;
	fwd_to = fwd ? (pgroup ? -pid : pid) : 0;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	do
		r = read(pfd[0], &child_errno, sizeof(child_errno));
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)sizeof(child_errno)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		*wstatus = status;
		ret = cannot_run(why, o, name, -child_errno);
		goto out;
	}
	for (;;) {
		int flags = WEXITED | WNOWAIT;
		siginfo_t si;

		if (o->timeout > 0 && !timed_out)
			flags |= WNOHANG;
		memset(&si, 0, sizeof(si));
		/* WNOWAIT: the leader stays a zombie, so its group id cannot be reused. */
		if (waitid(P_PID, (id_t)pid, &si, flags) < 0) {
			if (errno == EINTR)
				continue;
			ret = cannot_wait(why, o, name, -errno);
			if (pgroup)
				kill(-pid, SIGKILL);
			goto out;
		}
		if (si.si_pid == pid)
			break;
		if (sc_backoff(dl.end_ns, &step_us, 32000) == -ETIMEDOUT) {
			timed_out = true;
			if (pgroup)
				kill(-pid, SIGKILL);
			kill(pid, SIGKILL); /* in case it left its group */
		}
	}
	/* Whatever the leader left behind in its group goes with it. */
	if (pgroup)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = cannot_wait(why, o, name, -errno);
			goto out;
		}
	}
	*wstatus = status;
	ret = timed_out ? timed_out_why(why, o, name) : 0;
out:
	if (fwd) {
		fwd_to = 0;
		for (size_t i = 0; i < N_FWD; i++)
			sigaction(fwd_sigs[i], &old[i], NULL);
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
	sc_close(pfd[0]);
	sc_close(pfd[1]);
	return ret;
}
