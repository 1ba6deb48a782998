// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The program's checked number parsers (snp-certctl/util.c): decimal only;
 * and path_join(), the clean paths it prints.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"

static void test_seconds(void)
{
	static const char *const good[] = { "0", "10", "0.5", "1.25", "007", "31536000" };
	static const char *const bad[] = { "0x10", "0x1p3", "1e3", "1E3", "inf", "nan", "-1",
					   "+1", " 1", "1 ", "1.", ".5", "", "1,5", "31536001",
					   "1..2" };
	char name[64];
	double v = -1;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(name, sizeof(name), "seconds: '%s' is accepted", good[i]);
		CHECK(parse_seconds(good[i], &v) == 0, name);
	}
	CHECK(parse_seconds("0.5", &v) == 0 && v == 0.5, "seconds: 0.5 is half a second");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "seconds: '%s' is refused", bad[i]);
		CHECK(parse_seconds(bad[i], &v) < 0, name);
	}
	CHECK(parse_seconds(NULL, &v) < 0, "seconds: NULL is refused");
}

static void test_u64(void)
{
	static const char *const bad[] = { "0x10", "-1", "+1", " 1", "1 ", "", "1e3",
					   "18446744073709551616" };
	char name[64];
	uint64_t v = 0;

	CHECK(parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX, "u64: the maximum");
	CHECK(parse_u64("010", &v) == 0 && v == 10, "u64: leading zeros are decimal, not octal");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "u64: '%s' is refused", bad[i]);
		CHECK(parse_u64(bad[i], &v) < 0, name);
	}
}

static void test_path_join(void)
{
	static const char *const cases[][2] = {
		{ "o", "o/x" },		{ "o/", "o/x" },     { "./o//", "./o/x" },
		{ ".", "x" },		{ "", "x" },	     { "/", "/x" },
		{ "//", "/x" },		{ "a//b///", "a/b/x" }, { "/var/lib/", "/var/lib/x" },
	};
	char name[96];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = path_join(cases[i][0], "x");

		snprintf(name, sizeof(name), "path_join: '%s' + x is '%s'", cases[i][0], cases[i][1]);
		CHECK(p && strcmp(p, cases[i][1]) == 0, name);
		free(p);
	}
}

int main(void)
{
	test_seconds();
	test_u64();
	test_path_join();
	return tap_done();
}
