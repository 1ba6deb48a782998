// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hooks runner (snp-certctl/hooks.c): which files run and in what
 * order, their environment and stdio, failure and timeout reporting per
 * event, the process-group kill, the locked event's budget, refusals of
 * unsafe hooks, directories and ancestors, symlinked hooks and hooks
 * directories, execution through the checked descriptor, and the hook_timeout
 * setting.  Hooks are real /bin/sh scripts in a temporary directory that
 * record what they saw into files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "hooks.h"
#include "scratch.h"
#include "tap.h"
#include "util.h"

static char base[] = "/tmp/test-cli-hooks.XXXXXX";
static char hdir[256], timeout_value[32] = "30";
static struct ctx ctx;
/* What the last call printed on stderr and stdout. */
static char errbuf[16384], outbuf[4096];
static int saved_err = -1, saved_out = -1;

static const char *const tables[] = { "/var/lib/snp-certctl/a.certs",
				      "/var/lib/snp-certctl/b.certs" };
static const struct hook_env env = {
	.command = "fw-update",
	.tables = (char *const *)tables,
	.n_tables = 2,
	.old_tcb = "bl=3,tee=0,snp=8,ucode=115",
	.new_tcb = "bl=3,tee=0,snp=22,ucode=213",
};

static char *at(const char *name)
{
	return scratch_path(base, name);
}

/* Redirect stdout and stderr into files around a call. */
static void capture_begin(void)
{
	int fe, fo;

	fflush(stdout);
	fflush(stderr);
	fe = open(at("stderr"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fo = open(at("stdout"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved_err = dup(STDERR_FILENO);
	saved_out = dup(STDOUT_FILENO);
	if (fe < 0 || fo < 0 || saved_err < 0 || saved_out < 0)
		die("capture");
	dup2(fe, STDERR_FILENO);
	dup2(fo, STDOUT_FILENO);
	close(fe);
	close(fo);
}

static void capture_end(void)
{
	fflush(stdout);
	fflush(stderr);
	dup2(saved_err, STDERR_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved_err);
	close(saved_out);
	slurp(at("stderr"), errbuf, sizeof(errbuf));
	slurp(at("stdout"), outbuf, sizeof(outbuf));
	/* Show it in the TAP stream as a comment, for failures. */
	if (*errbuf) {
		char *save = NULL;
		char copy[sizeof(errbuf)];

		memcpy(copy, errbuf, sizeof(copy));
		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			printf("# stderr: %s\n", l);
	}
}

/* The hooks runner as a command uses it: why printed, the exit status returned. */
static int run(enum hook_event ev)
{
	struct why why;
	int ret;

	capture_begin();
	ret = hooks_run(&ctx, ev, &env, &why);
	if (ret)
		err("%s", why.msg);
	capture_end();
	return exit_status(ret);
}

static int check(void)
{
	struct why why;
	int ret;

	capture_begin();
	ret = hooks_check(&ctx, &why);
	if (ret)
		err("%s", why.msg);
	capture_end();
	return exit_status(ret);
}

static void write_file(const char *path, mode_t mode, const char *body)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(body, f) < 0 || fclose(f) != 0)
		die(path);
	if (chmod(path, mode) < 0)
		die(path);
}

/* A hook in dir: "#!/bin/sh" and body. */
static char *hook(const char *dir, const char *name, mode_t mode, const char *body)
{
	static char path[512];
	char text[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	write_file(path, mode, text);
	return path;
}

/* An empty hooks directory, fresh for each test; the order file removed. */
static void fresh_dir(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s'", hdir, at("order"), at("env"));
	if (system(cmd) != 0)
		die("rm");
	if (mkdir(hdir, 0755) < 0 || chmod(hdir, 0755) < 0)
		die(hdir);
	snprintf(timeout_value, sizeof(timeout_value), "30");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Gone, or a zombie nobody has reaped yet: either way no longer running. */
static bool dead(pid_t pid)
{
	char path[64], buf[512], *p;

	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		slurp(path, buf, sizeof(buf));
		if (!*buf)
			return true;
		p = strrchr(buf, ')');
		if (p && (p[2] == 'Z' || p[2] == 'X'))
			return true;
		usleep(10000);
	}
	return false;
}

static pid_t read_pid(const char *path)
{
	char buf[32];

	slurp(path, buf, sizeof(buf));
	return (pid_t)atoi(buf);
}

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void test_missing_dir(void)
{
	char *saved = ctx.value[SET_HOOKS_DIR];

	ctx.value[SET_HOOKS_DIR] = at("no-such-dir");
	CHECK_EQ(check(), 0, "a missing hooks directory: check passes");
	CHECK_EQ(run(HOOK_PRE_UPDATE), 0, "a missing hooks directory: nothing to run");
	CHECK_STR(errbuf, "", "a missing hooks directory: nothing said");
	ctx.value[SET_HOOKS_DIR] = saved;
}

static void test_order_and_env(void)
{
	char want[2048], got[4096], line[300];
	int leak;
	const char *rec = "echo \"$(basename \"$SNP_CERTCTL_HOOK\") $SNP_CERTCTL_EVENT\" >> \"$ORDER\"";

	fresh_dir();
	setenv("ORDER", at("order"), 1);
	/* Stale values in our environment must not reach a hook. */
	setenv("SNP_CERTCTL_OLD_TCB", "stale", 1);
	setenv("SNP_CERTCTL_EVENT", "stale", 1);
	hook(hdir, "20-b", 0755, rec);
	hook(hdir, "9-c", 0755, rec);
	snprintf(got, sizeof(got),
		 "%s\n"
		 "o=$(readlink /proc/$$/fd/1) e=$(readlink /proc/$$/fd/2)\n"
		 "{ echo \"event=$SNP_CERTCTL_EVENT\"; echo \"command=$SNP_CERTCTL_COMMAND\";\n"
		 "  echo \"tables=$SNP_CERTCTL_TABLES\"; echo \"old=${SNP_CERTCTL_OLD_TCB-unset}\";\n"
		 "  echo \"new=${SNP_CERTCTL_NEW_TCB-unset}\"; echo \"hook=$SNP_CERTCTL_HOOK\";\n"
		 "  echo \"stdin=$(readlink /proc/$$/fd/0)\"; echo \"same=$o $e\";\n"
		 "  echo \"leaked=$(ls -l /proc/$$/fd/ | grep -c leak-marker)\";\n"
		 "  echo \"pgid=$(cut -d' ' -f5 /proc/$$/stat) pid=$$\"; } > \"$ORDER.env\"\n"
		 "echo to-stdout",
		 rec);
	hook(hdir, "10-a", 0755, got);
	/* Never run: */
	hook(hdir, ".hidden", 0755, rec);
	hook(hdir, "30-x~", 0755, rec);
	hook(hdir, "40-y.dpkg-old", 0755, rec);
	hook(hdir, "41-y.dpkg-dist", 0755, rec);
	hook(hdir, "50-z.rpmnew", 0755, rec);
	hook(hdir, "51-z.ucf-old", 0755, rec);
	hook(hdir, "60-w.swp", 0755, rec);
	hook(hdir, "70-noexec", 0644, rec);
	snprintf(line, sizeof(line), "%s/80-dir", hdir);
	if (mkdir(line, 0755) < 0)
		die(line);

	CHECK_EQ(check(), 0, "check passes on a clean directory");
	/* A descriptor without O_CLOEXEC, as a careless caller might hold. */
	leak = open(at("leak-marker"), O_RDONLY | O_CREAT, 0600);
	CHECK_EQ(run(HOOK_PRE_UPDATE), 0, "pre-update: all hooks succeed");
	close(leak);
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "10-a pre-update\n20-b pre-update\n9-c pre-update\n",
		  "name order (strcmp), skipping dot, backup, package and non-executable files");
	CHECK(contains(errbuf, "to-stdout"), "a hook's stdout goes to stderr");
	CHECK_STR(outbuf, "", "nothing on stdout");

	slurp(at("order.env"), got, sizeof(got));
	snprintf(want, sizeof(want),
		 "event=pre-update\ncommand=fw-update\n"
		 "tables=/var/lib/snp-certctl/a.certs /var/lib/snp-certctl/b.certs\n"
		 "old=bl=3,tee=0,snp=8,ucode=115\nnew=bl=3,tee=0,snp=22,ucode=213\n"
		 "hook=%s/10-a\nstdin=/dev/null\n",
		 hdir);
	CHECK(strncmp(got, want, strlen(want)) == 0, "environment: event, command, tables, TCBs");
	if (strncmp(got, want, strlen(want)) != 0)
		printf("# got:\n%s# want:\n%s", got, want);
	{
		int pgid = 0, pid = -1;
		const char *p = strstr(got, "pgid=");
		char o[256] = "", e[256] = "";

		if (p)
			sscanf(p, "pgid=%d pid=%d", &pgid, &pid);
		CHECK(pid > 0 && pgid == pid, "the hook leads its own process group");
		p = strstr(got, "same=");
		if (p)
			sscanf(p, "same=%255s %255s", o, e);
		CHECK(*o && strcmp(o, e) == 0, "the hook's stdout is its stderr");
		CHECK(contains(got, "\nleaked=0\n"), "no descriptor of the program reaches the hook");
	}

	/* Unknown TCBs: not set at all, even when the caller's environment has them. */
	{
		struct hook_env e2 = env;

		e2.old_tcb = NULL;
		e2.new_tcb = NULL;
		e2.command = "refresh";
		capture_begin();
		hooks_run(&ctx, HOOK_POST_UPDATE, &e2, NULL);
		capture_end();
		slurp(at("order.env"), got, sizeof(got));
		CHECK(contains(got, "event=post-update\ncommand=refresh\n"),
		      "post-update and refresh in the environment");
		CHECK(contains(got, "old=unset\nnew=unset\n"),
		      "unknown TCBs are unset, not inherited");
	}
	unsetenv("SNP_CERTCTL_OLD_TCB");
	unsetenv("SNP_CERTCTL_EVENT");
	CHECK_STR(hook_event_name(HOOK_LOCKED), "locked", "event name: locked");
	CHECK_STR(hook_event_name(HOOK_UPDATE_FAILED), "update-failed",
		  "event name: update-failed");
}

static void test_failures(void)
{
	char want[600], got[256];
	const char *rec = "echo \"$(basename \"$SNP_CERTCTL_HOOK\")\" >> \"$ORDER\"";

	fresh_dir();
	hook(hdir, "10-fail", 0755, "exit 3");
	hook(hdir, "20-after", 0755, rec);

	CHECK_EQ(run(HOOK_PRE_UPDATE), EXIT_FAIL, "pre-update: a failing hook fails the event");
	snprintf(want, sizeof(want), "snp-certctl: hook '%s/10-fail' failed at pre-update: "
		 "exit status 3\n", hdir);
	CHECK_STR(errbuf, want, "pre-update: the message names the hook, event and status");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "", "pre-update: later hooks do not run after a failure");

	CHECK_EQ(run(HOOK_LOCKED), EXIT_FAIL, "locked: a failing hook fails the event");
	CHECK(contains(errbuf, "failed at locked: exit status 3"), "locked: the message");

	CHECK_EQ(run(HOOK_POST_UPDATE), 0, "post-update: a failing hook does not fail it");
	snprintf(want, sizeof(want), "snp-certctl: warning: hook '%s/10-fail' failed at "
		 "post-update: exit status 3\n", hdir);
	CHECK_STR(errbuf, want, "post-update: a warning");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "20-after\n", "post-update: every hook runs");

	CHECK_EQ(run(HOOK_UPDATE_FAILED), 0, "update-failed: a failing hook does not fail it");
	CHECK(contains(errbuf, "warning: hook") && contains(errbuf, "failed at update-failed"),
	      "update-failed: a warning");

	log_verbosity = -1;
	CHECK_EQ(run(HOOK_POST_UPDATE), 0, "post-update, quiet: still 0");
	CHECK_STR(errbuf, "", "post-update, quiet: the warning is not shown");
	CHECK_EQ(run(HOOK_PRE_UPDATE), EXIT_FAIL, "pre-update, quiet: still fails");
	CHECK(contains(errbuf, "failed at pre-update"), "pre-update, quiet: the error is shown");
	log_verbosity = 0;

	fresh_dir();
	hook(hdir, "10-sig", 0755, "kill -9 $$");
	CHECK_EQ(run(HOOK_PRE_UPDATE), EXIT_FAIL, "a hook killed by a signal fails");
	snprintf(want, sizeof(want), "snp-certctl: hook '%s/10-sig' failed at pre-update: "
		 "killed by signal 9\n", hdir);
	CHECK_STR(errbuf, want, "killed by signal 9");

	fresh_dir();
	write_file(at("hooks.d/10-interp"), 0755, "#!/nonexistent/interpreter\n");
	CHECK_EQ(run(HOOK_PRE_UPDATE), EXIT_FAIL, "a hook that cannot be executed fails");
	snprintf(want, sizeof(want), "snp-certctl: cannot run hook '%s/10-interp': "
		 "No such file or directory\n", hdir);
	CHECK_STR(errbuf, want, "cannot run: the reason");
}

static void test_timeouts(void)
{
	char want[600];
	double t0, dt;
	pid_t bg;

	/* The whole process group goes, not just the hook. */
	fresh_dir();
	snprintf(timeout_value, sizeof(timeout_value), "0.5");
	hook(hdir, "10-slow", 0755, "sleep 100 & echo $! > \"$ORDER.bg\"; sleep 100");
	t0 = now();
	CHECK_EQ(run(HOOK_PRE_UPDATE), EXIT_FAIL, "a hook over hook_timeout fails");
	dt = now() - t0;
	CHECK(dt >= 0.45 && dt < 3.0, "it is stopped after about hook_timeout");
	printf("# took %.2fs\n", dt);
	snprintf(want, sizeof(want), "snp-certctl: hook '%s/10-slow' failed at pre-update: "
		 "timed out after 0.5s\n", hdir);
	CHECK_STR(errbuf, want, "timed out after 0.5s");
	bg = read_pid(at("order.bg"));
	CHECK(bg > 0 && dead(bg), "the hook's background child was killed too");
	if (bg > 0)
		kill(bg, SIGKILL);

	/* Leftovers of a hook that exits normally go as well. */
	fresh_dir();
	hook(hdir, "10-leaves", 0755, "sleep 100 & echo $! > \"$ORDER.bg\"; exit 0");
	t0 = now();
	CHECK_EQ(run(HOOK_PRE_UPDATE), 0, "a hook that leaves a child behind succeeds");
	CHECK(now() - t0 < 3.0, "without waiting for its child");
	bg = read_pid(at("order.bg"));
	CHECK(bg > 0 && dead(bg), "the child left in its process group is killed");
	if (bg > 0)
		kill(bg, SIGKILL);

	/* hook_timeout 0: no limit (but still the locked budget, below). */
	fresh_dir();
	snprintf(timeout_value, sizeof(timeout_value), "0");
	hook(hdir, "10-short", 0755, "sleep 0.3");
	CHECK_EQ(run(HOOK_PRE_UPDATE), 0, "hook_timeout 0: no limit");

	/* At locked, a small hook_timeout is the budget for all hooks together. */
	fresh_dir();
	snprintf(timeout_value, sizeof(timeout_value), "0.4");
	hook(hdir, "10-slow", 0755, "sleep 100");
	CHECK_EQ(run(HOOK_LOCKED), EXIT_FAIL, "locked: hook_timeout applies");
	CHECK(contains(errbuf, "failed at locked: timed out after 0.4s\n"),
	      "locked: timed out after hook_timeout");

	/* At locked, never more than HOOK_LOCKED_BUDGET in all, whatever hook_timeout says. */
	fresh_dir();
	snprintf(timeout_value, sizeof(timeout_value), "0");
	hook(hdir, "10-first", 0755, "sleep 3");
	hook(hdir, "20-second", 0755, "sleep 100");
	t0 = now();
	CHECK_EQ(run(HOOK_LOCKED), EXIT_FAIL, "locked: the hooks share a budget");
	dt = now() - t0;
	printf("# took %.2fs\n", dt);
	CHECK(dt >= HOOK_LOCKED_BUDGET - 0.1 && dt < HOOK_LOCKED_BUDGET + 1.5,
	      "locked: stopped when the budget is spent, not after hook_timeout");
	CHECK(contains(errbuf, "20-second' failed at locked: timed out after ") &&
		      contains(errbuf, "(the hooks at locked get 5s in all)"),
	      "locked: the message says the budget");
	snprintf(timeout_value, sizeof(timeout_value), "30");
}

static void test_refusals(void)
{
	char want[600], got[256], path[512];
	const char *rec = "echo \"$(basename \"$SNP_CERTCTL_HOOK\")\" >> \"$ORDER\"";

	fresh_dir();
	hook(hdir, "10-x", 0775, rec);
	hook(hdir, "20-ok", 0755, rec);
	CHECK_EQ(check(), EXIT_FAIL, "a group-writable hook is refused");
	snprintf(want, sizeof(want),
		 "snp-certctl: refusing hook '%s/10-x': writable by group or others\n", hdir);
	CHECK_STR(errbuf, want, "refusal message names the hook");
	CHECK_EQ(run(HOOK_PRE_UPDATE), EXIT_FAIL, "pre-update with a refused hook fails");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "", "pre-update: nothing runs");
	CHECK_EQ(run(HOOK_POST_UPDATE), 0, "post-update with a refused hook: 0");
	CHECK(contains(errbuf, "warning: refusing hook"), "post-update: the refusal is a warning");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "20-ok\n", "post-update: the refused hook does not run, the others do");

	fresh_dir();
	hook(hdir, "10-x", 0757, rec);
	CHECK_EQ(check(), EXIT_FAIL, "an other-writable hook is refused");
	CHECK(contains(errbuf, "10-x': writable by group or others"), "other-writable: message");

	/* A world-writable but non-executable file never runs: skipped, not refused. */
	fresh_dir();
	hook(hdir, "10-x", 0666, rec);
	CHECK_EQ(check(), 0, "a writable non-executable file is skipped");

	fresh_dir();
	hook(hdir, "10-x", 0755, rec);
	chmod(hdir, 0775);
	CHECK_EQ(check(), EXIT_FAIL, "a group-writable hooks directory is refused");
	snprintf(want, sizeof(want),
		 "snp-certctl: refusing hooks directory '%s': writable by group or others\n", hdir);
	CHECK_STR(errbuf, want, "refusal message names the directory");
	chmod(hdir, 01777);
	CHECK_EQ(check(), EXIT_FAIL, "a sticky world-writable hooks directory is refused too");
	CHECK_EQ(run(HOOK_PRE_UPDATE), EXIT_FAIL, "pre-update: refused directory fails");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "", "refused directory: nothing runs");
	CHECK_EQ(run(HOOK_POST_UPDATE), 0, "post-update: refused directory is a warning");
	chmod(hdir, 0755);

	fresh_dir();
	snprintf(path, sizeof(path), "%s", hook(hdir, "10-nobody", 0755, rec));
	if (geteuid() == 0) {
		CHECK_EQ(chown(path, 65534, 65534), 0, "chown to nobody");
		CHECK_EQ(check(), EXIT_FAIL, "as root: a hook owned by nobody is refused");
		snprintf(want, sizeof(want),
			 "snp-certctl: refusing hook '%s/10-nobody': not owned by root\n", hdir);
		CHECK_STR(errbuf, want, "as root: not owned by root");
		unlink(path);
		if (chown(hdir, 65534, 65534) < 0)
			die("chown");
		CHECK_EQ(check(), EXIT_FAIL, "as root: a hooks directory owned by nobody is refused");
		CHECK(contains(errbuf, "refusing hooks directory") &&
			      contains(errbuf, "not owned by root"),
		      "as root: directory not owned by root");
		if (chown(hdir, 0, 0) < 0)
			die("chown");
	} else {
		for (int i = 0; i < 5; i++)
			CHECK(1, "as root: ownership checks # SKIP not running as root");
	}
}

static void test_symlinks(void)
{
	char want[1200], got[256], target[512], link[512], sdir[512];
	const char *rec = "echo \"$SNP_CERTCTL_HOOK\" >> \"$ORDER\"";

	/* A symlinked hook is refused, even one to a safe target in a safe directory. */
	fresh_dir();
	snprintf(sdir, sizeof(sdir), "%s", at("examples"));
	mkdir(sdir, 0755);
	snprintf(target, sizeof(target), "%s", hook(sdir, "50-syslog", 0755, rec));
	snprintf(link, sizeof(link), "%s/50-syslog", hdir);
	if (symlink(target, link) < 0)
		die("symlink");
	hook(hdir, "60-after", 0755, rec);
	CHECK_EQ(check(), EXIT_FAIL, "a symlink to a safe hook is refused");
	snprintf(want, sizeof(want), "snp-certctl: refusing hook '%s': a symbolic link, not a "
		 "file in the hooks directory\n", link);
	CHECK_STR(errbuf, want, "symlinked hook: the message names the link");
	CHECK_EQ(run(HOOK_PRE_UPDATE), EXIT_FAIL, "pre-update with a symlinked hook fails");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "", "pre-update: nothing runs");
	CHECK_EQ(run(HOOK_POST_UPDATE), 0, "post-update with a symlinked hook: 0");
	slurp(at("order"), got, sizeof(got));
	snprintf(want, sizeof(want), "%s/60-after\n", hdir);
	CHECK_STR(got, want, "post-update: the link does not run, the others do");
	unlink(link);

	/* Dangling, and to a directory: refused alike, never followed. */
	if (symlink(at("nothing-here"), link) < 0)
		die("symlink");
	CHECK_EQ(check(), EXIT_FAIL, "a dangling symlink is refused");
	unlink(link);
	if (symlink(sdir, link) < 0)
		die("symlink");
	CHECK_EQ(check(), EXIT_FAIL, "a symlink to a directory is refused");
	unlink(link);
}

/* The directories above hooks_dir, and hooks_dir as a symbolic link. */
static void test_ancestors(void)
{
	char want[1200], got[256], top[256], mid[300], deep[400], link[400];
	const char *rec = "echo \"$SNP_CERTCTL_HOOK\" >> \"$ORDER\"";

	snprintf(top, sizeof(top), "%s", at("anc"));
	snprintf(mid, sizeof(mid), "%s/mid", top);
	snprintf(deep, sizeof(deep), "%s/hooks.d", mid);
	if (mkdir(top, 0755) < 0 || mkdir(mid, 0755) < 0 || mkdir(deep, 0755) < 0)
		die("mkdir");
	hook(deep, "10-a", 0755, rec);
	ctx.value[SET_HOOKS_DIR] = deep;
	CHECK_EQ(check(), 0, "safe ancestors: accepted");

	/* Another user could rename mid away and put a directory of theirs there. */
	chmod(top, 0777);
	CHECK_EQ(check(), EXIT_FAIL, "an ancestor writable by others is refused");
	snprintf(want, sizeof(want), "snp-certctl: refusing hooks directory '%s': '%s' above "
		 "it is writable by group or others\n", deep, top);
	CHECK_STR(errbuf, want, "the message names the ancestor");
	unlink(at("order"));
	CHECK_EQ(run(HOOK_PRE_UPDATE), EXIT_FAIL, "pre-update: refused ancestor fails");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "", "refused ancestor: nothing runs");
	chmod(top, 0755);
	chmod(mid, 0775);
	CHECK_EQ(check(), EXIT_FAIL, "a group-writable parent is refused");
	snprintf(want, sizeof(want), "snp-certctl: refusing hooks directory '%s': '%s' above "
		 "it is writable by group or others\n", deep, mid);
	CHECK_STR(errbuf, want, "the message names the parent");

	/* Sticky, like /tmp: others cannot move root's mid. */
	chmod(mid, 0755);
	chmod(top, 01777);
	CHECK_EQ(check(), 0, "a sticky world-writable ancestor is accepted");
	CHECK_EQ(run(HOOK_PRE_UPDATE), 0, "and the hooks below it run");
	slurp(at("order"), got, sizeof(got));
	snprintf(want, sizeof(want), "%s/10-a\n", deep);
	CHECK_STR(got, want, "sticky ancestor: the hook ran");
	chmod(top, 0755);

	if (geteuid() == 0) {
		if (chown(mid, 65534, 65534) < 0)
			die("chown");
		CHECK_EQ(check(), EXIT_FAIL, "as root: an ancestor owned by nobody is refused");
		snprintf(want, sizeof(want), "snp-certctl: refusing hooks directory '%s': '%s' "
			 "above it is not owned by root\n", deep, mid);
		CHECK_STR(errbuf, want, "as root: the message names the ancestor");
		if (chown(mid, 0, 0) < 0)
			die("chown");
	} else {
		CHECK(1, "as root: ancestor owner # SKIP not running as root");
		CHECK(1, "as root: ancestor owner message # SKIP not running as root");
	}

	/* hooks_dir a symbolic link: refused, wherever it points. */
	snprintf(link, sizeof(link), "%s/hooks.link", top);
	if (symlink(deep, link) < 0)
		die("symlink");
	ctx.value[SET_HOOKS_DIR] = link;
	CHECK_EQ(check(), EXIT_FAIL, "a symlinked hooks directory is refused");
	snprintf(want, sizeof(want),
		 "snp-certctl: refusing hooks directory '%s': a symbolic link\n", link);
	CHECK_STR(errbuf, want, "symlinked hooks directory: the message");

	/* A link above hooks_dir is followed, and its target's directories checked. */
	snprintf(link, sizeof(link), "%s/mid.link/hooks.d", top);
	if (symlink("mid", at("anc/mid.link")) < 0)
		die("symlink");
	ctx.value[SET_HOOKS_DIR] = link;
	unlink(at("order"));
	CHECK_EQ(run(HOOK_PRE_UPDATE), 0, "a symlink above hooks_dir is followed");
	slurp(at("order"), got, sizeof(got));
	snprintf(want, sizeof(want), "%s/10-a\n", link);
	CHECK_STR(got, want, "through the link: the hook ran");
	chmod(mid, 0777);
	CHECK_EQ(check(), EXIT_FAIL, "through a link: an unsafe target directory is refused");
	snprintf(want, sizeof(want), "snp-certctl: refusing hooks directory '%s': '%s' above "
		 "it is writable by group or others\n", link, mid);
	CHECK_STR(errbuf, want, "through a link: the message names the real directory");
	chmod(mid, 0755);

	ctx.value[SET_HOOKS_DIR] = hdir;
}

/* What runs is the file checked: through its descriptor, not its name. */
static void test_exec_by_fd(void)
{
	char want[2400], got[512], repl[300];

	fresh_dir();
	/* 10-swap puts another file at 20-b's name after the scan, before 20-b runs. */
	snprintf(repl, sizeof(repl), "%s/.new", hdir);
	hook(hdir, "20-b", 0755, "echo checked >> \"$ORDER\"");
	snprintf(want, sizeof(want),
		 "printf '#!/bin/sh\\necho substituted >> \"$ORDER\"\\n' > '%s'\n"
		 "chmod 0755 '%s' && mv -f '%s' '%s/20-b'", repl, repl, repl, hdir);
	hook(hdir, "10-swap", 0755, want);
	CHECK_EQ(run(HOOK_PRE_UPDATE), 0, "a hook replaced after the scan: the run succeeds");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "checked\n", "the file checked ran, not the one put in its place");
	unlink(at("order"));
	CHECK_EQ(run(HOOK_PRE_UPDATE), 0, "the next run scans again");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "substituted\n", "and runs what is there now");

	/*
	 * A script runs from its descriptor: the kernel names it /dev/fd/N, and
	 * that descriptor is open in the hook (the interpreter reads it), the
	 * hook file itself.
	 */
	fresh_dir();
	hook(hdir, "10-fd", 0755,
	     "case \"$0\" in /dev/fd/[0-9]*) ;; *) exit 7;; esac\n"
	     "[ \"$(stat -L -c %i \"$0\")\" = \"$(stat -c %i \"$SNP_CERTCTL_HOOK\")\" ] || exit 8\n"
	     "echo ok >> \"$ORDER\"");
	CHECK_EQ(run(HOOK_PRE_UPDATE), 0, "a script hook runs through /dev/fd/N");
	slurp(at("order"), got, sizeof(got));
	CHECK_STR(got, "ok\n", "its $0 is the descriptor of the hook file");
}

static void test_setting(void)
{
	struct ctx c = { 0 };
	char conf[512];
	int ret;

	snprintf(conf, sizeof(conf), "%s", at("empty.conf"));
	write_file(conf, 0644, "");
	setenv("SNP_CERTCTL_CONFIG", conf, 1);
	unsetenv("SNP_CERTCTL_HOOK_TIMEOUT");
	CHECK_EQ(ctx_load(&c), 0, "settings load");
	CHECK_STR(ctx_get(&c, SET_HOOK_TIMEOUT), "30", "hook_timeout defaults to 30");
	ctx_free(&c);

	memset(&c, 0, sizeof(c));
	setenv("SNP_CERTCTL_HOOK_TIMEOUT", "2.5", 1);
	CHECK_EQ(ctx_load(&c), 0, "hook_timeout from the environment");
	CHECK_STR(ctx_get(&c, SET_HOOK_TIMEOUT), "2.5", "SNP_CERTCTL_HOOK_TIMEOUT=2.5");
	ctx_free(&c);

	memset(&c, 0, sizeof(c));
	setenv("SNP_CERTCTL_HOOK_TIMEOUT", "soon", 1);
	capture_begin();
	ret = ctx_load(&c);
	capture_end();
	CHECK_EQ(ret, EXIT_USAGE, "a bad hook_timeout is a usage error");
	CHECK(contains(errbuf, "invalid hook_timeout 'soon'"), "the message names the value");
	ctx_free(&c);
	unsetenv("SNP_CERTCTL_HOOK_TIMEOUT");

	memset(&c, 0, sizeof(c));
	write_file(conf, 0644, "hook_timeout = 7\n");
	CHECK_EQ(ctx_load(&c), 0, "hook_timeout in the configuration file");
	CHECK_STR(ctx_get(&c, SET_HOOK_TIMEOUT), "7", "hook_timeout = 7");
	ctx_free(&c);
	unsetenv("SNP_CERTCTL_CONFIG");
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(base))
		die("mkdtemp");
	/* mkdtemp makes it 0700; the checks want no group/other write, which holds. */
	snprintf(hdir, sizeof(hdir), "%s/hooks.d", base);
	ctx.value[SET_HOOKS_DIR] = hdir;
	ctx.value[SET_HOOK_TIMEOUT] = timeout_value;
	setenv("ORDER", at("order"), 1);

	test_missing_dir();
	test_order_and_env();
	test_failures();
	test_timeouts();
	test_refusals();
	test_symlinks();
	test_ancestors();
	test_exec_by_fd();
	test_setting();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", base);
	return tap_done();
}
