// SPDX-License-Identifier: LGPL-2.1-or-later
/* The /proc lock-line parser: the kernel's real shapes, and refusals. */
#include <errno.h>
#include <limits.h>

#include "proclocks.h"
#include "tap.h"

int main(void)
{
	struct proclock l;

	CHECK_EQ(proclock_parse("1: OFDLCK  ADVISORY  READ  -1 08:02:1234 0 EOF", &l), 0,
		 "an OFD read lock from /proc/locks");
	CHECK(!l.waiting && !l.write && l.pid == -1 && l.dev_major == 8 && l.dev_minor == 2 &&
	      l.ino == 1234 && l.start == 0 && l.end == ULLONG_MAX, "its fields");
	CHECK_STR(l.kind, "OFDLCK", "its kind");
	CHECK_EQ(proclock_parse("\t7: OFDLCK  ADVISORY  WRITE -1 fd:01:42 1099511627776 "
				"1099511627776", &l), 0, "the intent byte, as fdinfo shows it");
	CHECK(l.write && l.dev_major == 0xfd && l.dev_minor == 1 && l.start == 1ULL << 40 &&
	      l.end == 1ULL << 40, "the intent byte's range");
	CHECK_EQ(proclock_parse("2: -> POSIX  ADVISORY  WRITE 4711 00:2d:99 0 1023", &l), 0,
		 "a blocked POSIX waiter");
	CHECK(l.waiting && l.pid == 4711 && l.end == 1023, "the waiter's fields");
	CHECK_EQ(proclock_parse("3: FLOCK  ADVISORY  WRITE 12 00:2d:99 0 EOF", &l), 0, "flock");
	CHECK_EQ(proclock_parse("", &l), -EINVAL, "empty line");
	CHECK_EQ(proclock_parse("1: OFDLCK ADVISORY READ -1 08:02:1234 0", &l), -EINVAL,
		 "no end");
	CHECK_EQ(proclock_parse("1: OFDLCK ADVISORY SHARED -1 08:02:1234 0 EOF", &l), -EINVAL,
		 "unknown mode");
	CHECK_EQ(proclock_parse("1: OFDLCK ADVISORY READ -1 08:02:1234 9 5", &l), -EINVAL,
		 "end before start");
	CHECK_EQ(proclock_parse("1: OFDLCK ADVISORY READ -1 08:02:1234 0 12x", &l), -EINVAL,
		 "trailing junk in the end");
	CHECK_EQ(proclock_parse("x: OFDLCK ADVISORY READ -1 08:02:1234 0 EOF", &l), -EINVAL,
		 "no id");
	return tap_done();
}
