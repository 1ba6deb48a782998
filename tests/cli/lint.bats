#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The tests themselves: checks that cannot fail are defects.

load helpers

@test "tests: no '! cmd' line in a test (bash's errexit ignores it: it cannot fail; use refute)" {
	local bad
	bad=$(grep -nE '^\s*! ' "$REPO"/tests/cli/*.bats "$REPO"/tests/cli/*.bash || true)
	[ -z "$bad" ] || fail "$bad"
}

@test "tests: no '[ A ] && [ B ]' assertion line (a false A does not fail the test; one per line)" {
	local bad
	bad=$(grep -nE '^\s*\[\[? .*(\]|\]\]) && (\[|assert|refute|cmp|grep)' "$REPO"/tests/cli/*.bats |
		grep -vE '\|\| ' || true)
	[ -z "$bad" ] || fail "$bad"
}
