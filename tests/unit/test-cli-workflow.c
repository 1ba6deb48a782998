// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The workflow driver (snp-certctl/workflow.c): the order of its steps,
 * pinned with a recording ops table on real tables in a temporary
 * directory.  Each callback records itself together with the lock state
 * seen from outside (an F_OFD_GETLK probe through a descriptor of our own),
 * so the log shows that under_locks() runs only with every lock held,
 * that stage() and the post-update hooks never run with a lock held, and
 * that every failure after pre-update is followed by update-failed exactly
 * once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "snpcert.h"
#include "tap.h"
#include "table.h"
#include "workflow.h"

static char dir[] = "/tmp/test-cli-workflow.XXXXXX";
static char paths[3][256];
static struct ctx ctx;

/* What the ops do and saw. */
struct rec {
	char log[1024];
	int fail_at;       /* the step that fails: 'p'repare, 's'tage, 'u'nder_locks */
	bool restage;      /* under_locks() asks for a second stage() */
	int stages;
	uint8_t next[64];  /* the new contents */
	size_t next_len;
};

static void die(const char *what)
{
	perror(what);
	exit(99);
}

/* 'X' when another open file description holds a write lock on path, else '-'. */
static char lock_state(const char *path)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char c = '?';

	if (fd >= 0 && fcntl(fd, F_OFD_GETLK, &fl) == 0)
		c = fl.l_type == F_WRLCK ? 'X' : '-';
	if (fd >= 0)
		close(fd);
	return c;
}

/* "name[locks]" appended to the log; locks: one character per table. */
static void note(struct rec *r, const char *name, size_t n_tables)
{
	size_t used = strlen(r->log);

	snprintf(r->log + used, sizeof(r->log) - used, "%s%s[", used ? " " : "", name);
	for (size_t i = 0; i < n_tables; i++) {
		used = strlen(r->log);
		snprintf(r->log + used, sizeof(r->log) - used, "%c", lock_state(paths[i]));
	}
	used = strlen(r->log);
	snprintf(r->log + used, sizeof(r->log) - used, "]");
}

static size_t n_tables;

static int op_prepare(struct workflow *wf, void *arg, struct why *why)
{
	struct rec *r = arg;

	(void)wf;
	note(r, "prepare", n_tables);
	return r->fail_at == 'p' ? why_set(why, -ERR_KDS, "prepare failed") : 0;
}

static int op_stage(struct workflow *wf, void *arg, struct why *why)
{
	struct rec *r = arg;

	note(r, "stage", n_tables);
	r->stages++;
	if (r->fail_at == 's')
		return why_set(why, -ERR_VERIFY, "stage failed");
	for (size_t i = 0; i < workflow_n(wf); i++) {
		struct wf_table *t = workflow_table(wf, i);

		if (t->member && wf_stage_blob(t, r->next, r->next_len))
			return why_set(why, t->rc, "cannot stage");
	}
	return 0;
}

static int op_under_locks(struct workflow *wf, void *arg, struct why *why)
{
	struct rec *r = arg;

	(void)wf;
	note(r, "under_locks", n_tables);
	if (r->fail_at == 'u')
		return why_set(why, -ERR_PLATFORM, "firmware step failed");
	return r->restage ? WF_RESTAGE : 0;
}

static void op_event(struct workflow *wf, void *arg, enum wf_event ev)
{
	static const char *const names[] = {
		[WF_EV_PRE_UPDATE] = "PRE", [WF_EV_STAGED] = "STAGED",
		[WF_EV_LOCKED] = "LOCKED", [WF_EV_UNDER_LOCKS] = "UNDER",
		[WF_EV_UNLOCKED] = "UNLOCKED", [WF_EV_POST_UPDATE] = "POST",
		[WF_EV_UPDATE_FAILED] = "FAILED",
	};

	(void)wf;
	note(arg, names[ev], n_tables);
}

static void op_print(struct workflow *wf, void *arg)
{
	(void)wf;
	(void)arg;
}

static const struct workflow_ops ops = {
	.command = "test",
	.flags = WF_ALL_OR_NOTHING | WF_JOURNAL_UNDER_LOCKS,
	.prepare = op_prepare,
	.stage = op_stage,
	.under_locks = op_under_locks,
	.print = op_print,
	.event = op_event,
};

/* A table of one opaque entry whose data is n bytes of c. */
static size_t make_table(uint8_t *out, size_t cap, char c, size_t n)
{
	static const uint8_t guid[GHCB_GUID_LEN] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
						     0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
						     0xff, 0x01 };
	struct table t = { 0 };
	struct ghcb_diag diag;
	uint8_t data[32], *blob = NULL;
	size_t len = 0;

	memset(data, c, n);
	if (table_set(&t, guid, data, n) < 0 || table_encode(&t, &blob, &len, &diag) < 0 ||
	    len > cap)
		die("make_table");
	memcpy(out, blob, len);
	free(blob);
	table_free(&t);
	return len;
}

static void write_table(const char *path, char c)
{
	uint8_t buf[64];
	size_t len = make_table(buf, sizeof(buf), c, 16);
	FILE *f = fopen(path, "we");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die(path);
	chmod(path, 0644);
}

static bool table_is(const char *path, char c)
{
	uint8_t want[64], got[128];
	size_t len = make_table(want, sizeof(want), c, 16);
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(got, 1, sizeof(got), f) : 0;

	if (f)
		fclose(f);
	return n == len && memcmp(got, want, len) == 0;
}

/* Run the driver on the first n tables, all holding 'a', to make them 'b'. */
static int run(struct rec *r, size_t n)
{
	char *files[3] = { paths[2], paths[0], paths[1] }; /* out of order on purpose */
	char *sel[3];
	size_t k = 0;
	int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC), ret;

	for (size_t i = 0; i < 3; i++) {
		write_table(paths[i], 'a');
		if (strcmp(files[i], paths[0]) == 0 || (n > 1 && strcmp(files[i], paths[1]) == 0) ||
		    (n > 2 && strcmp(files[i], paths[2]) == 0))
			sel[k++] = files[i];
	}
	n_tables = n;
	r->next_len = make_table(r->next, sizeof(r->next), 'b', 16);
	/* stdout is the report's; the test's TAP stays clean. */
	fflush(stdout);
	dup2(null, STDOUT_FILENO);
	ret = workflow_run(&ctx, &ops, r, sel, k);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	return ret;
}

static unsigned int count(const char *log, const char *word)
{
	unsigned int n = 0;

	for (const char *p = log; (p = strstr(p, word)) != NULL; p += strlen(word))
		n++;
	return n;
}

int main(void)
{
	char hooks[300];
	struct rec r;

	if (!mkdtemp(dir))
		die("mkdtemp");
	for (size_t i = 0; i < 3; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/%c.certs", dir, (int)('a' + i));
	snprintf(hooks, sizeof(hooks), "%s/no-hooks", dir);
	ctx.value[SET_HOOKS_DIR] = hooks;
	ctx.lock_timeout = 2;
	ctx.verbosity = -1;

	/* Success: every step in order; locks only around under_locks and the writes. */
	r = (struct rec){ 0 };
	CHECK_EQ(run(&r, 2), 0, "success: exit 0");
	CHECK_STR(r.log, "prepare[--] PRE[--] stage[--] STAGED[--] LOCKED[XX] under_locks[XX] "
		  "UNDER[XX] UNLOCKED[--] POST[--]", "success: the order of the steps and locks");
	CHECK(table_is(paths[0], 'b') && table_is(paths[1], 'b'), "success: both tables written");
	CHECK(table_is(paths[2], 'a'), "success: the table not named is untouched");

	/* Restage: stage() again, under the locks, before the writes. */
	r = (struct rec){ .restage = true };
	CHECK_EQ(run(&r, 3), 0, "restage: exit 0");
	CHECK_STR(r.log, "prepare[---] PRE[---] stage[---] STAGED[---] LOCKED[XXX] "
		  "under_locks[XXX] UNDER[XXX] stage[XXX] STAGED[XXX] UNLOCKED[---] POST[---]",
		  "restage: the second stage runs with every lock held");
	CHECK_EQ(r.stages, 2, "restage: stage ran twice");

	/* The firmware step fails: released, update-failed once, nothing written. */
	r = (struct rec){ .fail_at = 'u' };
	CHECK_EQ(run(&r, 2), EXIT_PLATFORM, "under_locks fails: exit 5");
	CHECK_STR(r.log, "prepare[--] PRE[--] stage[--] STAGED[--] LOCKED[XX] under_locks[XX] "
		  "UNDER[XX] UNLOCKED[--] FAILED[--]", "under_locks fails: unlocked, then update-failed");
	CHECK(table_is(paths[0], 'a') && table_is(paths[1], 'a'), "under_locks fails: unchanged");
	CHECK_EQ(count(r.log, "FAILED"), 1, "under_locks fails: update-failed exactly once");
	CHECK_EQ(count(r.log, "POST"), 0, "under_locks fails: no post-update");

	/* Staging fails: no lock is ever taken. */
	r = (struct rec){ .fail_at = 's' };
	CHECK_EQ(run(&r, 2), EXIT_VERIFY, "stage fails: exit 4");
	CHECK_STR(r.log, "prepare[--] PRE[--] stage[--] STAGED[--] FAILED[--]",
		  "stage fails: no lock, update-failed once");

	/* Work before the hooks fails: no hook event at all. */
	r = (struct rec){ .fail_at = 'p' };
	CHECK_EQ(run(&r, 1), EXIT_KDS, "prepare fails: exit 6");
	CHECK_STR(r.log, "prepare[-]", "prepare fails: neither pre-update nor update-failed");

	/* A lock not had in time: under_locks never runs; update-failed once. */
	{
		struct snpcert_file *f = NULL;

		write_table(paths[0], 'a');
		r = (struct rec){ 0 };
		ctx.lock_timeout = 0;
		CHECK_EQ(snpcert_open(paths[0], &f), 0, "busy: a reader opens the table");
		CHECK_EQ(snpcert_lock_shared(f, 0), 0, "busy: the reader holds its lock");
		n_tables = 1;
		r.next_len = make_table(r.next, sizeof(r.next), 'b', 16);
		{
			char *one[1] = { paths[0] };
			int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY), ret;

			fflush(stdout);
			dup2(null, STDOUT_FILENO);
			ret = workflow_run(&ctx, &ops, &r, one, 1);
			fflush(stdout);
			dup2(saved, STDOUT_FILENO);
			close(saved);
			close(null);
			CHECK_EQ(ret, EXIT_LOCK, "busy: exit 3");
		}
		CHECK_STR(r.log, "prepare[-] PRE[-] stage[-] STAGED[-] FAILED[-]",
			  "busy: no under_locks, update-failed once");
		CHECK(table_is(paths[0], 'a'), "busy: unchanged");
		snpcert_close(f);
		ctx.lock_timeout = 2;
	}

	for (size_t i = 0; i < 3; i++)
		unlink(paths[i]);
	rmdir(dir);
	return tap_done();
}
