// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The --json writer (snp-certctl/json.c): strings from odd inputs (paths
 * with quotes, control characters, bytes that are not UTF-8) still make
 * valid JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

/* {"file": s} as the writer prints it, malloc'd. */
static char *doc(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	if (!f)
		exit(99);
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "file", s);
	json_object_end(&j);
	fclose(f);
	return buf;
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
	return tap_done();
}
