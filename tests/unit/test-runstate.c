// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * formats/runstate.c: the run state document: a known answer decoded and
 * encoded byte for byte, recording runs (a failure keeps the last success),
 * names, and malformed documents (each refused with its phrase), truncated
 * at every byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runstate.h"
#include "tap.h"

static const char known[] =
	"{\"version\":1,\"workflows\":{\"fw-update\":{\"exit_status\":3,\"last_run\":1764700000,"
	"\"lock_hold_s\":0.0,\"result\":\"failure\"},\"refresh\":{\"exit_status\":0,"
	"\"last_run\":1764758973,\"last_success\":1764758973,\"lock_hold_s\":0.00123,"
	"\"result\":\"success\"}}}\n";

static void test_known(void)
{
	struct runstate s;
	const struct runstate_entry *r, *f;
	char why[256], *text = NULL;
	size_t len = 0;

	CHECK_EQ(runstate_parse(known, strlen(known), &s, why, sizeof(why)), 0, "known: decodes");
	CHECK_EQ(s.n, 2, "known: two workflows");
	r = runstate_find(&s, "refresh");
	f = runstate_find(&s, "fw-update");
	CHECK(r && r->last_run == 1764758973 && r->exit_status == 0 && r->has_last_success &&
		      r->last_success == 1764758973 && r->lock_hold_s == 0.00123,
	      "known: refresh as written");
	CHECK(f && f->exit_status == 3 && !f->has_last_success && f->lock_hold_s == 0,
	      "known: fw-update as written, never succeeded");
	CHECK(!runstate_find(&s, "vlek-load"), "known: no vlek-load");
	CHECK_STR(s.v[0].workflow, "fw-update", "known: sorted by name");
	CHECK_EQ(runstate_encode(&s, &text, &len), 0, "known: encodes");
	CHECK_STR(text, known, "known: encoded byte for byte");
	CHECK_EQ(len, strlen(known), "known: its length");
	free(text);
}

static void test_record(void)
{
	struct runstate s = { 0 };
	const struct runstate_entry *e;

	CHECK_EQ(runstate_record(&s, "refresh", 100, 6, 0), 0, "record: a first failure");
	e = runstate_find(&s, "refresh");
	CHECK(e && !e->has_last_success && e->exit_status == 6, "record: no success yet");
	CHECK_EQ(runstate_record(&s, "refresh", 200, 0, 0.25), 0, "record: a success");
	CHECK(e->has_last_success && e->last_success == 200 && e->lock_hold_s == 0.25,
	      "record: the success is its own");
	CHECK_EQ(runstate_record(&s, "refresh", 300, 3, 0), 0, "record: a failure after");
	CHECK(e->has_last_success && e->last_success == 200 && e->last_run == 300 &&
		      e->exit_status == 3,
	      "record: the failure keeps the last success");
	CHECK_EQ(runstate_record(&s, "fw-update", 400, 0, 1), 0, "record: another workflow");
	CHECK_STR(s.v[0].workflow, "fw-update", "record: kept in order");
	CHECK_EQ(runstate_record(&s, "Refresh", 1, 0, 0), -EINVAL, "record: a bad name");
	CHECK_EQ(runstate_record(&s, "refresh", -1, 0, 0), -EINVAL, "record: a bad time");
	CHECK_EQ(runstate_record(&s, "refresh", 1, 256, 0), -EINVAL, "record: a bad status");
	CHECK_EQ(runstate_record(&s, "refresh", 1, 1, -0.5), -EINVAL, "record: a bad hold");
	for (int i = (int)s.n; i < RUNSTATE_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "w%02d", i);
		runstate_record(&s, name, 1, 0, 0);
	}
	CHECK_EQ(s.n, RUNSTATE_MAX, "record: full");
	CHECK_EQ(runstate_record(&s, "zzz", 1, 0, 0), -ENOSPC, "record: one too many");
	CHECK_EQ(runstate_record(&s, "refresh", 500, 0, 0), 0, "record: full, but known");
}

static void test_names(void)
{
	CHECK(runstate_name_valid("sev-export"), "name: sev-export");
	CHECK(runstate_name_valid("a1"), "name: a1");
	CHECK(!runstate_name_valid(""), "name: empty");
	CHECK(!runstate_name_valid("-x"), "name: leading dash");
	CHECK(!runstate_name_valid("1x"), "name: leading digit");
	CHECK(!runstate_name_valid("a_b"), "name: underscore");
	CHECK(runstate_name_valid("abcdefghijklmnopqrstuvwxyzabcdef"), "name: 32 bytes");
	CHECK(!runstate_name_valid("abcdefghijklmnopqrstuvwxyzabcdefg"), "name: 33 bytes");
}

static void test_malformed(void)
{
	static const struct {
		const char *doc, *why;
	} bad[] = {
		{ "", "not JSON" },
		{ "[]", "not an object of exactly" },
		{ "{\"version\":1}", "not an object of exactly" },
		{ "{\"version\":1,\"workflows\":{},\"x\":1}", "not an object of exactly" },
		{ "{\"version\":2,\"workflows\":{}}", "version is not 1" },
		{ "{\"version\":\"1\",\"workflows\":{}}", "version is not 1" },
		{ "{\"version\":1,\"workflows\":[]}", "workflows is not an object" },
		{ "{\"version\":1,\"version\":1,\"workflows\":{}}", "not JSON" },
		{ "{\"version\":1,\"workflows\":{}} x", "not JSON" },
		{ "{\"version\":1,\"workflows\":{\"Refresh\":{}}}", "is not a workflow name" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":1}}", "is not an object" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":1,\"result\":\"success\","
		  "\"exit_status\":0,\"lock_hold_s\":0,\"last_success\":1,\"x\":0}}}",
		  "unknown member 'x'" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":1.5,\"result\":\"success\","
		  "\"exit_status\":0,\"lock_hold_s\":0,\"last_success\":1}}}", "last_run is not" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":-1,\"result\":\"failure\","
		  "\"exit_status\":1,\"lock_hold_s\":0}}}", "last_run is not" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":1,\"result\":\"ok\","
		  "\"exit_status\":0,\"lock_hold_s\":0}}}", "result is not" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":1,\"result\":\"success\","
		  "\"exit_status\":256,\"lock_hold_s\":0}}}", "exit_status is not" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":1,\"result\":\"success\","
		  "\"exit_status\":4,\"lock_hold_s\":0}}}", "result \"success\" with exit_status 4" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":1,\"result\":\"failure\","
		  "\"exit_status\":4,\"lock_hold_s\":\"0\"}}}", "lock_hold_s is not a number" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":1,\"result\":\"failure\","
		  "\"exit_status\":4,\"lock_hold_s\":-1}}}", "lock_hold_s is out of range" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":5,\"result\":\"success\","
		  "\"exit_status\":0,\"lock_hold_s\":0,\"last_success\":4}}}",
		  "a success whose last_success is not its last_run" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":5,\"result\":\"success\","
		  "\"exit_status\":0,\"lock_hold_s\":0}}}",
		  "a success whose last_success is not its last_run" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"last_run\":5,\"result\":\"failure\","
		  "\"exit_status\":1,\"lock_hold_s\":0,\"last_success\":6}}}",
		  "last_success is after last_run" },
		{ "{\"version\":1,\"workflows\":{\"refresh\":{\"result\":\"failure\","
		  "\"exit_status\":1,\"lock_hold_s\":0}}}", "last_run is not" },
	};
	struct runstate s;
	char why[256], name[96];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = runstate_parse(bad[i].doc, strlen(bad[i].doc), &s, why, sizeof(why));

		snprintf(name, sizeof(name), "malformed %zu: -EBADMSG, nothing decoded", i);
		CHECK(ret == -EBADMSG && s.n == 0, name);
		snprintf(name, sizeof(name), "malformed %zu: says '%.50s'", i, bad[i].why);
		CHECK(strstr(why, bad[i].why) != NULL, name);
		if (!strstr(why, bad[i].why))
			printf("#   why: %s\n", why);
	}
	/* Every truncation of the known document is malformed (the last byte is a newline). */
	{
		size_t n = strlen(known), refused = 0;

		for (size_t len = 0; len + 1 < n; len++)
			refused += runstate_parse(known, len, &s, NULL, 0) == -EBADMSG;
		CHECK_EQ(refused, n - 1, "truncated: every prefix refused");
	}
	CHECK_EQ(runstate_parse(NULL, 0, &s, why, sizeof(why)), -EINVAL, "NULL buffer");
}

int main(void)
{
	test_known();
	test_record();
	test_names();
	test_malformed();
	return tap_done();
}
