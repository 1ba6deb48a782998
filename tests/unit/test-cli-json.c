// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The --json writer (snp-certctl/json.c): strings from odd inputs (paths
 * with quotes, control characters, bytes that are not UTF-8) still make
 * valid JSON; TCBs from a SPEC or a raw value; a table's file and path.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "json.h"
#include "tap.h"

/* What fn wrote into a document of its own, malloc'd. */
static char *written(void (*fn)(struct jout *j, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jout j;

	if (!f)
		exit(99);
	jout_init(&j, f);
	jout_object_begin(&j, NULL);
	fn(&j, arg);
	jout_object_end(&j);
	fclose(f);
	return buf;
}

static void tcb_milan(struct jout *j, const void *arg)
{
	jout_tcb_spec(j, "tcb", AMD_PRODUCT_MILAN, arg);
}

static void tcb_turin_raw(struct jout *j, const void *arg)
{
	jout_tcb_raw(j, "tcb", AMD_PRODUCT_TURIN, *(const uint64_t *)arg);
}

static void tcb_unknown_raw(struct jout *j, const void *arg)
{
	jout_tcb_raw(j, "tcb", AMD_PRODUCT_UNKNOWN, *(const uint64_t *)arg);
}

static void table(struct jout *j, const void *arg)
{
	jout_table(j, arg);
}

static void error(struct jout *j, const void *arg)
{
	jout_error(j, *(const int *)arg);
}

static void check_tcbs(void)
{
	uint64_t turin = 0x4700000016030401ULL;
	char *got;

	got = written(tcb_milan, "bl=3,tee=1,snp=8,ucode=115");
	CHECK_STR(got, "{\n  \"tcb\": {\n    \"bl\": 3,\n    \"tee\": 1,\n    \"snp\": 8,\n"
		  "    \"ucode\": 115,\n    \"raw\": \"0x7308000000000103\"\n  }\n}",
		  "a TCB SPEC becomes the TCB object");
	free(got);
	got = written(tcb_milan, "");
	CHECK_STR(got, "{\n  \"tcb\": null\n}", "no TCB SPEC: null");
	free(got);
	got = written(tcb_milan, "bl=300");
	CHECK_STR(got, "{\n  \"tcb\": null\n}", "a TCB SPEC that does not parse: null");
	free(got);
	got = written(tcb_turin_raw, &turin);
	CHECK(strstr(got, "\"fmc\": 1,\n    \"raw\": \"0x4700000016030401\"") != NULL,
	      "a raw Turin TCB is decoded, fmc too");
	free(got);
	got = written(tcb_unknown_raw, &turin);
	CHECK_STR(got, "{\n  \"tcb\": {\n    \"raw\": \"0x4700000016030401\"\n  }\n}",
		  "an unknown product: raw only");
	free(got);
}

static void check_tables(void)
{
	char cwd[PATH_MAX], *got, *exp = NULL;

	if (!getcwd(cwd, sizeof(cwd)))
		exit(99);
	got = written(table, "/");
	CHECK_STR(got, "{\n  \"file\": \"/\",\n  \"path\": \"/\"\n}", "an absolute path");
	free(got);
	/* Not there: its directory's real path, the name appended. */
	got = written(table, "no-such-table.certs");
	if (asprintf(&exp, "{\n  \"file\": \"no-such-table.certs\",\n"
		     "  \"path\": \"%s%sno-such-table.certs\"\n}", cwd, strcmp(cwd, "/") ? "/" : "") < 0)
		exit(99);
	CHECK_STR(got, exp, "a relative name that does not exist");
	free(got);
	free(exp);
	got = written(table, "/proc/self/../no-such.certs");
	CHECK_STR(got, "{\n  \"file\": \"/proc/self/../no-such.certs\",\n"
		  "  \"path\": \"/proc/no-such.certs\"\n}", "links and .. resolved in the directory");
	free(got);
}

static void check_errors(void)
{
	int st = 4;
	char *got;

	got = written(error, &st);
	CHECK_STR(got, "{\n  \"error\": {\n    \"message\": \"verification failed\",\n"
		  "    \"exit\": 4\n  }\n}", "nothing noted: the exit status's phrase");
	free(got);
	error_note("cannot open '/dev/sev': No such file or directory");
	error_note("a later message");
	st = 5;
	got = written(error, &st);
	CHECK_STR(got, "{\n  \"error\": {\n    \"message\": \"cannot open '/dev/sev': No such file "
		  "or directory\",\n    \"exit\": 5\n  }\n}", "the first message noted");
	free(got);
	CHECK(!jout_document_written(), "documents elsewhere are not stdout's");
}

static void file_member(struct jout *j, const void *arg)
{
	jout_string(j, "file", arg);
}

/* {"file": s} as the writer prints it, malloc'd. */
static char *doc(const char *s)
{
	return written(file_member, s);
}

static void check(const char *in, const char *want, const char *name)
{
	char *got = doc(in), *exp = NULL;

	if (asprintf(&exp, "{\n  \"file\": \"%s\"\n}", want) < 0)
		exit(99);
	CHECK_STR(got, exp, name);
	free(got);
	free(exp);
}

int main(void)
{
	check("/var/lib/a\"b\\c.certs", "/var/lib/a\\\"b\\\\c.certs", "quote and backslash");
	check("a\nb\tc\rd\x01\x1f\x7f", "a\\nb\\tc\\rd\\u0001\\u001f\\u007f", "control characters");
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92",
	      "UTF-8 passes through");
	check("/tmp/\xff.certs", "/tmp/\\ufffd.certs", "a byte that is never UTF-8");
	check("/tmp/caf\xe9.certs", "/tmp/caf\\ufffd.certs", "Latin-1 is not UTF-8");
	check("x\xc3", "x\\ufffd", "a sequence cut short by the end");
	check("\xc0\xaf", "\\ufffd\\ufffd", "an overlong form");
	check("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd", "a surrogate");
	check("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd", "past U+10FFFF");
	check("\xe2\x82" "a", "\\ufffd\\ufffda", "a truncated sequence before ASCII");
	check_tcbs();
	check_tables();
	check_errors();
	return tap_done();
}
