// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one fork and exec (snp-certctl/spawn.c): exit statuses, exec
 * failures by errno (127 and 126, the messages of both kinds), PATH
 * lookup, the time-out, the process-group kill, stdin, stdout, the clean
 * slate of descriptors, the environment, and signal forwarding.  Children
 * are real /bin/sh scripts in a temporary directory that record what they
 * saw into files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "spawn.h"
#include "scratch.h"
#include "tap.h"

static char base[] = "/tmp/test-cli-spawn.XXXXXX";

static char *at(const char *name)
{
	return scratch_path(base, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) < 0)
		die(path);
}

/* A /bin/sh script named name with body, executable; its path. */
static char *script(const char *name, const char *body)
{
	char *path = at(name), text[4096];

	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	write_file(path, text, 0755);
	return path;
}

/* Run argv with flags and timeout: spawn_run()'s result, *wstatus and why. */
static int run(char *const *argv, unsigned int flags, double timeout, int *wstatus,
	       struct why *why)
{
	const struct spawn_opts o = {
		.argv = argv, .kind = SPAWN_COMMAND, .flags = flags, .timeout = timeout,
	};

	why->msg[0] = '\0';
	return spawn_run(&o, wstatus, why);
}

/* Whether pid is gone (or a zombie), waiting up to a second for it. */
static bool gone(pid_t pid)
{
	for (int i = 0; i < 100; i++) {
		char path[64], buf[512], *p;

		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		slurp_line(path, buf, sizeof(buf));
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

static void test_status(void)
{
	char *ok[] = { script("exit3", "exit 3"), NULL };
	char *sig[] = { script("sig", "kill -USR1 $$"), NULL };
	int ws = -1;
	struct why why;

	CHECK_EQ(run(ok, 0, 0, &ws, &why), 0, "a command that ran: 0");
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 3, "its exit status in wstatus");
	CHECK_EQ(run(sig, 0, 0, &ws, &why), 0, "a command killed by a signal ran: 0");
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGUSR1, "killed by SIGUSR1 in wstatus");
}

static void test_exec_failures(void)
{
	char *missing[] = { at("no-such-command"), NULL };
	char *noexec[] = { at("noexec"), NULL };
	char *bare[] = { "sh", "-c", "exit 4", NULL };
	char *noshebang[] = { at("noshebang"), NULL };
	char want[1024];
	struct spawn_opts o = { .argv = missing, .name = "10-x", .kind = SPAWN_HOOK };
	struct why why;
	int ws = -1;

	CHECK_EQ(run(missing, 0, 0, &ws, &why), -ENOENT, "a missing command: -ENOENT");
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 127, "and the child exited 127");
	snprintf(want, sizeof(want), "cannot run '%s': No such file or directory", missing[0]);
	CHECK_STR(why.msg, want, "a missing command: why");
	CHECK_EQ(spawn_run(&o, &ws, &why), -ENOENT, "a missing hook: -ENOENT");
	CHECK_STR(why.msg, "cannot run hook '10-x': No such file or directory",
		  "a hook: its own words, under its name");

	write_file(noexec[0], "#!/bin/sh\nexit 0\n", 0644);
	CHECK_EQ(run(noexec, 0, 0, &ws, &why), -EACCES, "not executable: -EACCES");
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 126, "and the child exited 126");

	CHECK_EQ(run(bare, 0, 0, &ws, &why), -ENOENT, "no PATH lookup without SPAWN_SEARCH_PATH");
	CHECK_EQ(run(bare, SPAWN_SEARCH_PATH, 0, &ws, &why), 0, "PATH lookup with it");
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 4, "sh from PATH ran");

	write_file(noshebang[0], "exit 5\n", 0755);
	CHECK_EQ(run(noshebang, 0, 0, &ws, &why), -ENOEXEC, "no #!: -ENOEXEC with execve");
	CHECK_EQ(run(noshebang, SPAWN_SEARCH_PATH, 0, &ws, &why), 0,
		 "no #!: /bin/sh runs it with SPAWN_SEARCH_PATH");
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 5, "as a shell would");
}

static void test_timeout_and_group(void)
{
	char body[1024], buf[64];
	char *slow[] = { script("slow", "exec sleep 10"), NULL };
	char *leave[] = { NULL, NULL };
	uint64_t start;
	struct why why;
	pid_t left;
	int ws = -1;

	start = sc_now_ns();
	CHECK_EQ(run(slow, SPAWN_PGROUP, 0.3, &ws, &why), -ETIMEDOUT,
		 "past the time-out: -ETIMEDOUT");
	CHECK(sc_since_s(start) < 3, "killed at the time-out, not at the end");
	CHECK(sc_since_s(start) >= 0.3, "not before the time-out");
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "killed with SIGKILL");
	CHECK_EQ(run(slow, 0, 0.2, &ws, &why), -ETIMEDOUT, "a time-out without a group, too");
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "the leader killed with SIGKILL");

	/* The leader leaves a process behind in its group. */
	snprintf(body, sizeof(body), "sleep 30 &\necho $! > '%s'\nexit 0", at("left.pid"));
	leave[0] = script("leave", body);
	CHECK_EQ(run(leave, SPAWN_PGROUP, 0, &ws, &why), 0, "a leader that leaves a child behind");
	slurp_line(at("left.pid"), buf, sizeof(buf));
	left = (pid_t)atoi(buf);
	CHECK(left > 0 && gone(left), "SPAWN_PGROUP: what it left in its group is killed");
	CHECK_EQ(run(leave, 0, 0, &ws, &why), 0, "the same without a group of its own");
	slurp_line(at("left.pid"), buf, sizeof(buf));
	left = (pid_t)atoi(buf);
	CHECK(left > 0 && kill(left, 0) == 0, "without SPAWN_PGROUP it is left running");
	if (left > 0)
		kill(left, SIGKILL);
}

/* Point fd at a new file path. */
static void redirect(int fd, const char *path)
{
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (f < 0 || dup2(f, fd) < 0)
		die(path);
	close(f);
}

static void test_stdio_and_fds(void)
{
	char body[1024], buf[256], ours[256] = "";
	char *probe[] = { NULL, NULL };
	int ws1 = -1, ws2 = -1, r1, r2, fd, out_saved, err_saved;
	struct why why;
	ssize_t n;

	/* fd 50 without close-on-exec: inherited, unless SPAWN_CLEAN. */
	fd = open(at("fd50"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dup2(fd, 50) < 0)
		die("fd 50");
	close(fd);
	n = readlink("/proc/self/fd/0", ours, sizeof(ours) - 1);
	ours[n > 0 ? n : 0] = '\0';
	snprintf(body, sizeof(body),
		 "readlink /proc/self/fd/0 > '%s'\n"
		 "if [ -e /proc/self/fd/50 ]; then echo open; else echo closed; fi > '%s'\n"
		 "echo to-stdout",
		 at("stdin"), at("fd"));
	probe[0] = script("probe", body);

	fflush(stdout);
	out_saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	err_saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (out_saved < 0 || err_saved < 0)
		die("dup");
	redirect(STDOUT_FILENO, at("stdout"));
	r1 = run(probe, 0, 0, &ws1, &why);
	fflush(stdout);
	dup2(out_saved, STDOUT_FILENO);
	CHECK(r1 == 0 && ws1 == 0, "probe ran");
	slurp_line(at("fd"), buf, sizeof(buf));
	CHECK_STR(buf, "open", "without SPAWN_CLEAN a descriptor is inherited");
	slurp_line(at("stdout"), buf, sizeof(buf));
	CHECK_STR(buf, "to-stdout", "without SPAWN_STDOUT_TO_STDERR stdout is inherited");
	slurp_line(at("stdin"), buf, sizeof(buf));
	CHECK_STR(buf, ours, "without SPAWN_STDIN_NULL stdin is inherited");

	fflush(stdout);
	redirect(STDOUT_FILENO, at("stdout"));
	redirect(STDERR_FILENO, at("stderr"));
	r2 = run(probe, SPAWN_CLEAN | SPAWN_STDIN_NULL | SPAWN_STDOUT_TO_STDERR, 0, &ws2, &why);
	fflush(stdout);
	dup2(out_saved, STDOUT_FILENO);
	dup2(err_saved, STDERR_FILENO);
	close(out_saved);
	close(err_saved);
	CHECK(r2 == 0 && ws2 == 0, "probe ran again");
	slurp_line(at("fd"), buf, sizeof(buf));
	CHECK_STR(buf, "closed", "SPAWN_CLEAN: no descriptor from 3 up crosses exec");
	slurp_line(at("stderr"), buf, sizeof(buf));
	CHECK_STR(buf, "to-stdout", "SPAWN_STDOUT_TO_STDERR: stdout goes to stderr");
	slurp_line(at("stdout"), buf, sizeof(buf));
	CHECK_STR(buf, "", "and nothing to stdout");
	slurp_line(at("stdin"), buf, sizeof(buf));
	CHECK_STR(buf, "/dev/null", "SPAWN_STDIN_NULL: stdin is /dev/null");
	close(50);
}

static void test_env(void)
{
	char body[512], buf[128];
	char *envp[] = { "SPAWN_TEST=given", NULL };
	char *show[] = { NULL, NULL };
	const struct spawn_opts o = { .argv = show, .envp = envp, .kind = SPAWN_COMMAND };
	struct why why;
	int ws = -1;

	snprintf(body, sizeof(body), "echo \"${SPAWN_TEST-unset}\" > '%s'", at("env.out"));
	show[0] = script("env", body);
	setenv("SPAWN_TEST", "inherited", 1);
	CHECK_EQ(run(show, 0, 0, &ws, &why), 0, "envp NULL");
	slurp_line(at("env.out"), buf, sizeof(buf));
	CHECK_STR(buf, "inherited", "envp NULL: the program's environment");
	CHECK_EQ(spawn_run(&o, &ws, &why), 0, "envp given");
	slurp_line(at("env.out"), buf, sizeof(buf));
	CHECK_STR(buf, "given", "envp given: that environment");
	unsetenv("SPAWN_TEST");
}

/* Run the trap script with flags while another process sends us SIGTERM once it is ready. */
static int forwarded(char *const *trap, unsigned int flags, int *ws)
{
	pid_t sender, me = getpid();
	struct why why;
	int r;

	unlink(at("ready"));
	unlink(at("got"));
	sender = fork();
	if (sender < 0)
		die("fork");
	if (sender == 0) {
		for (int i = 0; i < 500 && access(at("ready"), F_OK) < 0; i++)
			usleep(10000);
		kill(me, SIGTERM);
		_exit(0);
	}
	r = run(trap, flags, 0, ws, &why);
	waitpid(sender, NULL, 0);
	return r;
}

static void test_forward(void)
{
	char body[1024], buf[64];
	char *trap[] = { NULL, NULL };
	int ws = -1;

	snprintf(body, sizeof(body),
		 "exec 2>/dev/null\n"
		 "trap 'echo TERM > \"%s\"; exit 7' TERM\n"
		 ": > '%s'\n"
		 "i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done\n"
		 "exit 0",
		 at("got"), at("ready"));
	trap[0] = script("trap", body);
	CHECK_EQ(forwarded(trap, SPAWN_FORWARD_SIGNALS, &ws), 0, "forwarding: the command ran");
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 7, "SIGTERM to the program reached the child");
	slurp_line(at("got"), buf, sizeof(buf));
	CHECK_STR(buf, "TERM", "the child's trap ran");
	ws = -1;
	CHECK_EQ(forwarded(trap, SPAWN_FORWARD_SIGNALS | SPAWN_PGROUP, &ws), 0,
		 "forwarding to a group: the command ran");
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 7, "SIGTERM reached the child's group");
	CHECK(signal(SIGTERM, SIG_DFL) == SIG_DFL, "our own SIGTERM disposition is back");
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(base))
		die("mkdtemp");
	test_status();
	test_exec_failures();
	test_timeout_and_group();
	test_stdio_and_fds();
	test_env();
	test_forward();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		perror("rm");
	return tap_done();
}
