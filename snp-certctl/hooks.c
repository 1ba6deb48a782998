// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hooks runner.  hooks.h says which files run, which are refused, how
 * they run and what a failure means at each event.
 *
 * Nothing checked can be swapped before it runs.  hooks_dir is opened by
 * walking its path from "/" one component at a time (openat, O_NOFOLLOW),
 * checking each directory on the way as it is opened: a user who owns or
 * can write to any directory above hooks_dir could otherwise put another
 * directory in its place between the check and the exec.  Each hook is
 * opened (O_PATH|O_NOFOLLOW) from that directory's descriptor, checked with
 * fstat on that descriptor, and executed through it (fexecve), so the file
 * that runs is the file that was checked.  A symlinked hook is refused: its
 * target's directories would need the same walk for every link on the way,
 * and a hook is easily copied into hooks_dir instead.  A script hook sees
 * "/dev/fd/N" as $0 (the kernel's name for the descriptor it runs from);
 * hooks name themselves with SNP_CERTCTL_HOOK.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "cmd.h"
#include "hooks.h"
#include "spawn.h"
#include "trustpath.h"
#include "util.h"

extern char **environ;

struct hook {
	char *path; /* hooks_dir/name: messages, SNP_CERTCTL_HOOK */
	int fd;     /* O_PATH descriptor of the checked file: what is executed */
};

struct hook_list {
	struct hook *v;
	size_t n, cap;
};

static const char *const event_names[] = {
	[HOOK_PRE_UPDATE] = "pre-update",
	[HOOK_LOCKED] = "locked",
	[HOOK_POST_UPDATE] = "post-update",
	[HOOK_UPDATE_FAILED] = "update-failed",
};

/* The variables the runner sets; inherited values of them never reach a hook. */
static const char *const own_vars[] = {
	"SNP_CERTCTL_EVENT=",   "SNP_CERTCTL_COMMAND=", "SNP_CERTCTL_TABLES=",
	"SNP_CERTCTL_OLD_TCB=", "SNP_CERTCTL_NEW_TCB=", "SNP_CERTCTL_HOOK=",
};
#define N_OWN_VARS (sizeof(own_vars) / sizeof(own_vars[0]))

const char *hook_event_name(enum hook_event ev)
{
	if ((size_t)ev >= sizeof(event_names) / sizeof(event_names[0]))
		return "unknown";
	return event_names[ev];
}

/* An error, or a warning where the event cannot fail (post-update, update-failed). */
/*
 * An error (into why) where the event can fail, else a warning on stderr
 * (post-update, update-failed): the update has happened or failed already.
 */
static void report(struct why *why, bool fatal, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report(struct why *why, bool fatal, const char *fmt, ...)
{
	char msg[WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fatal)
		why_set(why, 0, "%s", msg);
	else
		warn("%s", msg);
}

/* "30", "0.5", "1.25" (4.999 is "5"): seconds for messages. */
static void format_secs(double s, char *buf, size_t len)
{
	size_t n;

	if (s == (double)(long long)s) {
		snprintf(buf, len, "%lld", (long long)s);
		return;
	}
	snprintf(buf, len, "%.2f", s);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
}

/* hook_timeout in seconds (validated by the configuration; 0: no limit). */
static double hook_timeout(const struct ctx *ctx)
{
	const char *v = ctx_get(ctx, SET_HOOK_TIMEOUT);
	double secs;

	if (!v || parse_seconds(v, &secs) < 0)
		return HOOK_DEFAULT_TIMEOUT;
	return secs;
}

/* Dot files, editor backups and package-manager leftovers. */
static bool ignored_name(const char *name)
{
	size_t len = strlen(name);
	const char *dot = strrchr(name, '.');

	if (name[0] == '.' || len == 0 || name[len - 1] == '~')
		return true;
	if (!dot)
		return false;
	return strcmp(dot, ".swp") == 0 || strncmp(dot, ".dpkg-", 6) == 0 ||
	       strncmp(dot, ".ucf-", 5) == 0 || strncmp(dot, ".rpm", 4) == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void hook_list_free(struct hook_list *hl)
{
	for (size_t i = 0; i < hl->n; i++) {
		free(hl->v[i].path);
		sc_close(hl->v[i].fd);
	}
	free(hl->v);
	hl->v = NULL;
	hl->n = hl->cap = 0;
}

/* Takes path and fd.  0 or -ENOMEM (both freed). */
static int hook_list_add(struct hook_list *hl, char *path, int fd)
{
	if (hl->n == hl->cap) {
		size_t cap = hl->cap ? 2 * hl->cap : 8;
		struct hook *v = realloc(hl->v, cap * sizeof(*v));

		if (!v) {
			free(path);
			sc_close(fd);
			return -ENOMEM;
		}
		hl->v = v;
		hl->cap = cap;
	}
	hl->v[hl->n].path = path;
	hl->v[hl->n].fd = fd;
	hl->n++;
	return 0;
}

/*
 * Decide about one directory entry.  Returns 1 with *fd set (an O_PATH
 * descriptor of the checked file) when it is a hook to run, 0 when it is
 * skipped, -1 when it is refused or cannot be examined (reported through
 * report(why, fatal, ...)).
 */
static int examine(int dfd, const char *name, const char *path, bool fatal, int *fd,
		   struct why *why)
{
	char bad[128];
	struct stat st;
	int f = -1, ret = -1;

	*fd = -1;
	f = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (f < 0) {
		if (errno == ENOENT) {
			ret = 0; /* gone since readdir */
			goto out;
		}
		report(why, fatal, "cannot examine hook '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(f, &st) < 0) {
		report(why, fatal, "cannot examine hook '%s': %s", path, strerror(errno));
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		report(why, fatal, "refusing hook '%s': a symbolic link, not a file in the hooks "
		       "directory", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		debug("skipping '%s': not a regular file", path);
		ret = 0;
		goto out;
	}
	if (faccessat(f, "", X_OK, AT_EACCESS | AT_EMPTY_PATH) < 0) {
		debug("skipping '%s': not executable", path);
		ret = 0;
		goto out;
	}
	if (sc_trust_check(&st, bad, sizeof(bad)) < 0) {
		report(why, fatal, "refusing hook '%s': %s", path, bad);
		goto out;
	}
	*fd = f;
	f = -1;
	ret = 1;
out:
	sc_close(f);
	return ret;
}

/*
 * Open hooks_dir for reading, every directory above it checked
 * (trust_path_walk).  hooks_dir itself must be a directory, not a symbolic
 * link, and pass sc_trust_check (sticky or not).
 *
 * Returns the descriptor, -ENOENT when a component does not exist (no
 * hooks), or -1 after report().
 */
static int open_hooks_dir(const char *dir, bool fatal, struct why *why)
{
	char name[NAME_MAX + 1], bad[PATH_MAX + 128];
	int parent, fd = -1, ret = -1;
	struct stat st;

	parent = trust_path_walk(dir, false, name, bad, sizeof(bad));
	if (parent == -ENOENT)
		return -ENOENT;
	if (parent == -EPERM) {
		report(why, fatal, "refusing hooks directory '%s': %s", dir, bad);
		return -1;
	}
	if (parent < 0) {
		report(why, fatal, "cannot open hooks directory '%s': %s", dir, strerror(-parent));
		return -1;
	}
	fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (errno == ENOENT)
			ret = -ENOENT;
		else
			report(why, fatal, "cannot open hooks directory '%s': %s", dir,
			       strerror(errno));
	} else if (S_ISLNK(st.st_mode)) {
		report(why, fatal, "refusing hooks directory '%s': a symbolic link", dir);
	} else if (!S_ISDIR(st.st_mode)) {
		report(why, fatal, "cannot open hooks directory '%s': %s", dir, strerror(ENOTDIR));
	} else if (sc_trust_check(&st, bad, sizeof(bad)) < 0) {
		report(why, fatal, "refusing hooks directory '%s': %s", dir, bad);
	} else {
		/* The directory checked, now open for reading: "." of its own descriptor. */
		ret = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ret < 0)
			report(why, fatal, "cannot open hooks directory '%s': %s", dir,
			       strerror(errno));
	}
	sc_close(fd);
	sc_close(parent);
	return ret < 0 && ret != -ENOENT ? -1 : ret;
}

/*
 * The hooks to run, in order, each checked.  With fatal, the first refusal
 * stops the scan and the result is -ERR_REFUSED (why set); without, refusals are
 * warnings, the refused hooks are left out and the result is 0.
 */
static int scan(const struct ctx *ctx, bool fatal, struct hook_list *out, struct why *why)
{
	const char *dir = ctx_get(ctx, SET_HOOKS_DIR);
	char **names = NULL, *path = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int dfd = -1, fd = -1, ret = fatal ? -ERR_REFUSED : 0;

	if (!dir)
		dir = DEFAULT_HOOKS;
	dfd = open_hooks_dir(dir, fatal, why);
	if (dfd == -ENOENT) {
		debug("no hooks: '%s' does not exist", dir);
		ret = 0;
		goto out;
	}
	if (dfd < 0)
		goto out;
	d = fdopendir(dfd);
	if (!d) {
		report(why, fatal, "cannot read hooks directory '%s': %s", dir, strerror(errno));
		goto out;
	}
	dfd = -1; /* d owns it now */
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (ignored_name(de->d_name)) {
			debug("skipping '%s/%s': dot file or backup name", dir, de->d_name);
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			char **nv = realloc(names, ncap * sizeof(*nv));

			if (!nv) {
				report(why, fatal, "out of memory");
				goto out;
			}
			names = nv;
			cap = ncap;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			report(why, fatal, "out of memory");
			goto out;
		}
		n++;
	}
	if (errno) {
		report(why, fatal, "cannot read hooks directory '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		int r;

		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			path = NULL;
			report(why, fatal, "out of memory");
			goto out;
		}
		r = examine(dirfd(d), names[i], path, fatal, &fd, why);
		if (r < 0 && fatal)
			goto out;
		if (r > 0) {
			r = hook_list_add(out, path, fd);
			path = NULL;
			fd = -1;
			if (r < 0) {
				report(why, fatal, "out of memory");
				goto out;
			}
		}
		free(path);
		path = NULL;
	}
	ret = 0;
out:
	if (ret)
		hook_list_free(out);
	free(path);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
	if (dfd >= 0)
		close(dfd);
	return ret;
}

int hooks_check(const struct ctx *ctx, struct why *why)
{
	struct hook_list hl = { 0 };
	int ret;

	ret = scan(ctx, true, &hl, why);
	for (size_t i = 0; i < hl.n; i++)
		debug("hook '%s' will run", hl.v[i].path);
	hook_list_free(&hl);
	return ret;
}

/*
 * The environment for the hooks: the program's, without inherited values
 * of own_vars, then ours.  v[*first_own] onwards is malloc'd, up to the
 * first NULL; build_env leaves two NULL slots at the end, the first for
 * SNP_CERTCTL_HOOK, set per hook.
 */
static void env_free(char **v, size_t first_own)
{
	if (!v)
		return;
	for (size_t i = first_own; v[i]; i++)
		free(v[i]);
	free(v);
}

static int add_var(char **v, size_t *n, const char *name, const char *value)
{
	if (asprintf(&v[*n], "%s=%s", name, value) < 0) {
		v[*n] = NULL;
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

/* 0 or -ENOMEM. */
static int build_env(enum hook_event ev, const struct hook_env *env, char ***out,
		     size_t *first_own)
{
	char **v = NULL, *tables = NULL, *p;
	size_t n = 0, k = 0, len = 1, own = 0;
	int ret = -ENOMEM;

	while (environ && environ[k])
		k++;
	v = calloc(k + N_OWN_VARS + 2, sizeof(*v));
	if (!v)
		goto out;
	for (size_t i = 0; i < k; i++) {
		bool ours = false;

		for (size_t j = 0; j < N_OWN_VARS; j++)
			if (strncmp(environ[i], own_vars[j], strlen(own_vars[j])) == 0)
				ours = true;
		if (!ours)
			v[n++] = environ[i];
	}
	own = n;
	for (size_t i = 0; i < env->n_tables; i++)
		len += strlen(env->tables[i]) + 1;
	tables = malloc(len);
	if (!tables)
		goto out;
	p = tables;
	for (size_t i = 0; i < env->n_tables; i++)
		p += sprintf(p, "%s%s", i ? " " : "", env->tables[i]);
	*p = '\0';
	if (add_var(v, &n, "SNP_CERTCTL_EVENT", hook_event_name(ev)) < 0 ||
	    add_var(v, &n, "SNP_CERTCTL_COMMAND", env->command ? env->command : "") < 0 ||
	    add_var(v, &n, "SNP_CERTCTL_TABLES", tables) < 0 ||
	    (env->old_tcb && add_var(v, &n, "SNP_CERTCTL_OLD_TCB", env->old_tcb) < 0) ||
	    (env->new_tcb && add_var(v, &n, "SNP_CERTCTL_NEW_TCB", env->new_tcb) < 0))
		goto out;
	*out = v;
	*first_own = own;
	v = NULL;
	ret = 0;
out:
	env_free(v, own);
	free(tables);
	return ret;
}

/*
 * Run one hook for at most limit seconds (0: no limit).  budget, when not
 * NULL, says the limit is what is left of the locked event's budget.
 * 0, or -ERR_HOOK after report().
 */
static int run_one(const struct hook *h, enum hook_event ev, bool fatal, char **envp,
		   double limit, const char *budget, struct why *why)
{
	char *argv[] = { h->path, NULL };
	const struct spawn_opts o = {
		.argv = argv,
		.envp = envp,
		.name = h->path,
		.kind = SPAWN_HOOK,
		.flags = SPAWN_STDIN_NULL | SPAWN_STDOUT_TO_STDERR | SPAWN_PGROUP | SPAWN_CLEAN |
			 SPAWN_EXEC_FD,
		.timeout = limit,
		.exec_fd = h->fd,
	};
	const char *evn = hook_event_name(ev);
	int status = 0, ret;
	struct why sw;
	char secs[32];

	debug("running hook '%s' at %s", h->path, evn);
	ret = spawn_run(&o, &status, &sw);
	if (ret == -ETIMEDOUT) {
		format_secs(limit, secs, sizeof(secs));
		report(why, fatal, "hook '%s' failed at %s: timed out after %ss%s", h->path, evn,
		       secs, budget ? budget : "");
		ret = -ERR_HOOK;
	} else if (ret) {
		report(why, fatal, "%s", sw.msg);
		ret = -ERR_HOOK;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		report(why, fatal, "hook '%s' failed at %s: exit status %d", h->path, evn,
		       WEXITSTATUS(status));
		ret = -ERR_HOOK;
	} else if (WIFSIGNALED(status)) {
		report(why, fatal, "hook '%s' failed at %s: killed by signal %d", h->path, evn,
		       WTERMSIG(status));
		ret = -ERR_HOOK;
	} else {
		debug("hook '%s' succeeded at %s", h->path, evn);
	}
	return ret;
}

int hooks_run(const struct ctx *ctx, enum hook_event ev, const struct hook_env *env,
	      struct why *why)
{
	bool fatal = ev == HOOK_PRE_UPDATE || ev == HOOK_LOCKED;
	struct hook_list hl = { 0 };
	char **envp = NULL, budget[96] = "", secs[32];
	size_t first_own = 0, slot;
	double limit = hook_timeout(ctx);
	uint64_t start = sc_now_ns();
	int ret;

	ret = scan(ctx, fatal, &hl, why);
	if (ret || hl.n == 0)
		goto out;
	if (build_env(ev, env, &envp, &first_own) < 0) {
		report(why, fatal, "out of memory");
		ret = fatal ? -ENOMEM : 0;
		goto out;
	}
	for (slot = first_own; envp[slot]; slot++)
		;
	if (ev == HOOK_LOCKED && (limit == 0 || limit > HOOK_LOCKED_BUDGET)) {
		limit = HOOK_LOCKED_BUDGET;
		format_secs(limit, secs, sizeof(secs));
		snprintf(budget, sizeof(budget), " (the hooks at locked get %ss in all)", secs);
	}
	for (size_t i = 0; i < hl.n; i++) {
		double this_limit = limit;

		if (ev == HOOK_LOCKED) {
			this_limit = limit - sc_since_s(start);
			if (this_limit <= 0) {
				format_secs(limit, secs, sizeof(secs));
				ret = why_set(why, -ERR_HOOK, "hook '%s' not run at locked: the %ss "
					      "for hooks at locked are used up", hl.v[i].path, secs);
				goto out;
			}
		}
		free(envp[slot]);
		envp[slot] = NULL;
		if (add_var(envp, &slot, "SNP_CERTCTL_HOOK", hl.v[i].path) < 0) {
			report(why, fatal, "out of memory");
			ret = fatal ? -ENOMEM : 0;
			goto out;
		}
		slot--;
		ret = run_one(&hl.v[i], ev, fatal, envp, this_limit, *budget ? budget : NULL, why);
		if (ret && fatal)
			goto out;
	}
	ret = 0;
out:
	env_free(envp, first_own);
	hook_list_free(&hl);
	return ret;
}
