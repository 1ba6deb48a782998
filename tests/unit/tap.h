/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal TAP producer for the C unit tests.  Each check prints
 * "ok N - name" or "not ok N - name" with the failing expression and its
 * place; tap_done() prints the plan and returns the exit status.
 *
 *   int main(void) { CHECK(1 + 1 == 2, "addition"); return tap_done(); }
 */
#ifndef SNPCERT_TESTS_TAP_H
#define SNPCERT_TESTS_TAP_H

#include <stdio.h>
#include <string.h>

static unsigned int tap_n, tap_failed;

static inline void tap_result(int ok, const char *name, const char *expr, const char *file,
			      int line)
{
	tap_n++;
	printf("%sok %u - %s\n", ok ? "" : "not ", tap_n, name);
	if (!ok) {
		tap_failed++;
		printf("#   failed: %s\n#   at %s:%d\n", expr, file, line);
	}
	fflush(stdout);
}

#define CHECK(expr, name) tap_result(!!(expr), (name), #expr, __FILE__, __LINE__)
/* Compare two integers and show both on failure. */
#define CHECK_EQ(a, b, name)                                                                   \
	do {                                                                                   \
		long long tap_a_ = (long long)(a), tap_b_ = (long long)(b);                    \
		tap_result(tap_a_ == tap_b_, (name), #a " == " #b, __FILE__, __LINE__);        \
		if (tap_a_ != tap_b_)                                                          \
			printf("#   got %lld, want %lld\n", tap_a_, tap_b_);                     \
	} while (0)
#define CHECK_STR(a, b, name)                                                                  \
	do {                                                                                   \
		const char *tap_a_ = (a), *tap_b_ = (b);                                       \
		int tap_ok_ = tap_a_ && tap_b_ && strcmp(tap_a_, tap_b_) == 0;                 \
		tap_result(tap_ok_, (name), #a " equals " #b, __FILE__, __LINE__);             \
		if (!tap_ok_)                                                                  \
			printf("#   got \"%s\", want \"%s\"\n", tap_a_ ? tap_a_ : "(null)",       \
			       tap_b_ ? tap_b_ : "(null)");                                    \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%u\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
