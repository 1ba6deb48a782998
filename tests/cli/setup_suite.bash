# SPDX-License-Identifier: GPL-2.0-or-later
# Once per bats run (bats finds this file beside the first test file): every
# --json output of the run is recorded (the wrapper in helpers.bash) and, at
# the end, validated against snp-certctl/schema/ by tests/tools/validate-json.
# A schema violation fails the run.  `make check`, `make check T=NAME` and a
# bare `bats tests/cli/NAME.bats` all validate what they ran.

setup_suite() {
	# Not under BATS_RUN_TMPDIR: that is private, and some tests run the
	# program as nobody.  bin/ holds the wrapper, log/ a directory per run
	# (sticky, writable by all; not listable by others).
	JSON_CHECK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/snp-certctl-json.XXXXXX")
	chmod 755 "$JSON_CHECK_DIR"
	mkdir -m 755 "$JSON_CHECK_DIR/bin"
	mkdir -m 1733 "$JSON_CHECK_DIR/log"
	export JSON_CHECK_DIR
}

teardown_suite() {
	local repo out ret=0
	repo=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	[ -n "${JSON_CHECK_DIR-}" ] && [ -d "$JSON_CHECK_DIR/log" ] || return 0
	out=$("$repo/tests/tools/validate-json" "$repo/snp-certctl/schema" \
		--log "$JSON_CHECK_DIR/log" 2>&1) || ret=1
	rm -rf "$JSON_CHECK_DIR"
	if [ "$ret" = 0 ]; then
		echo "# ${out##*$'\n'}" >&3 # the count, as a TAP comment
	else
		echo "$out" >&2
	fi
	return "$ret"
}
