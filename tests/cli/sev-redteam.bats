#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# sev-export's set attacked from the places it writes: a chain directory
# someone else may write is refused before anything is made in it.

load helpers

setup_file() {
	sev_kds_start
}

teardown_file() {
	stop_kds http
}

setup() {
	common_setup
	fake_sev_setup
	sev_test_platform
}

@test "sev-redteam: a chain directory others may write is refused, nothing made in it" {
	mkdir -p "$SEV"
	for how in "chmod 0777" "chmod 0775" "chown 65534"; do
		chmod 0755 "$SEV"
		chown 0 "$SEV"
		$how "$SEV"
		run --separate-stderr fake sev-export
		assert_failure
		[[ $stderr == *"$SEV"* ]] || { echo "$how: $stderr"; false; }
		run ls -A "$SEV"
		assert_output ""
	done
	# Its parent (the store) others may write: they could put another
	# directory in its place.
	# (the runs above were recorded in the store, which was the operator's)
	rm -rf "$SEV" "$T/store/.snp-certctl-state.json"
	chown 65534 "$T/store"
	run --separate-stderr fake sev-export
	assert_failure
	[[ $stderr == *"its directory '$T/store'"* ]] || { echo "$stderr"; false; }
	run ls -A "$T/store"
	assert_output ""
	chown 0 "$T/store"
	chmod 0777 "$T/store"
	run --separate-stderr fake sev-export
	assert_failure
	chmod 0755 "$T/store"
	mkdir "$SEV"
	# recover leaves it alone too.
	run --separate-stderr certctl recover
	run ls -A "$SEV"
	assert_output ""
}
