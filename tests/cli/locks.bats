#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# locks: who holds or waits for the locks of a table.

load helpers

READER="$SNPCERT_BUILD/tests/tools/stock-reader"

setup() {
	common_setup
	test_table milan "$T/t.certs"
}

teardown() {
	stop_jobs
}

@test "locks: a table nobody holds" {
	run certctl locks "$T/t.certs"
	assert_success
	assert_output "$T/t.certs: no locks"
	run certctl locks --json "$T/t.certs"
	assert_success
	[ "$(jq -c '.' <<< "$output")" = "{\"files\":[{\"file\":\"$T/t.certs\",\"path\":\"$T/t.certs\",\"awaiting_recovery\":false,\"locks\":[]}]}" ]
}

@test "locks: a stock reader holding READ, in text and JSON" {
	"$READER" -H 1500 "$T/t.certs" 3>&- &
	reader=$!
	wait_held "$T/t.certs"
	run certctl locks "$T/t.certs"
	assert_success
	assert_line --index 0 "$T/t.certs: 1 lock"
	assert_line --index 1 --regexp '^  PID +COMMAND +MODE +STATE +KIND +FD +RANGE$'
	assert_line --index 2 --regexp "^  $reader +stock-reader +READ +held +OFD +3 +whole file\$"
	run certctl locks --json "$T/t.certs"
	assert_success
	[ "$(jq -c '.files[0].locks[0] | [.pid, .command, .mode, .state, .kind, .fd, .intent, .journal, .start, .end]' <<< "$output")" = \
		"[$reader,\"stock-reader\",\"READ\",\"held\",\"OFD\",3,false,false,0,null]" ]
}

@test "locks: lock -- sleep holds WRITE on the table and its journal" {
	"$SNP_CERTCTL" lock "$T/t.certs" -- sh -c ': >"$0"; exec sleep 1.5' "$T/.held" 3>&- &
	locker=$!
	wait_file "$T/.held"
	run certctl locks "$T/t.certs"
	assert_success
	assert_line --index 0 "$T/t.certs: 2 locks"
	assert_line --regexp "^  $locker +snp-certctl +WRITE +held +OFD +[0-9]+ +whole file\$"
	assert_line --regexp "^  $locker +snp-certctl +WRITE +held +OFD +[0-9]+ +journal\$"
	run certctl locks --json "$T/t.certs"
	[ "$(jq -r '[.files[0].locks[] | "\(.pid) \(.command) \(.mode) \(.journal)"] | sort | join(",")' <<< "$output")" = \
		"$locker snp-certctl WRITE false,$locker snp-certctl WRITE true" ]
}

@test "locks: a writer waiting behind a reader shows the intent byte" {
	# The reader holds on until told: the writer waits behind it meanwhile.
	"$SNP_CERTCTL" lock --shared "$T/t.certs" -- \
		sh -c ': >"$0"; while [ ! -e "$0.release" ]; do sleep 0.05; done' "$T/.held" 3>&- &
	reader=$!
	wait_file "$T/.held"
	"$SNP_CERTCTL" lock --timeout 30 "$T/t.certs" -- true 3>&- &
	writer=$!
	for i in $(seq 200); do
		run certctl locks --json "$T/t.certs"
		jq -e ".files[0].locks[] | select(.pid == $writer and .intent)" <<< "$output" >/dev/null &&
			break
		sleep 0.05
	done
	assert_success
	# the libsnpcert reader locks [0, 2^40), the writer the byte at 2^40
	[ "$(jq -r ".files[0].locks[] | select(.pid == $reader) | \"\(.mode) \(.intent) \(.start) \(.end)\"" <<< "$output")" = \
		"READ false 0 1099511627775" ]
	[ "$(jq -r ".files[0].locks[] | select(.pid == $writer and .journal == false) | \"\(.mode) \(.intent)\"" <<< "$output")" = \
		"WRITE true" ]
	run certctl locks "$T/t.certs"
	assert_line --regexp "^  $writer +snp-certctl +WRITE +held +OFD +[0-9]+ +intent byte\$"
	touch "$T/.held.release"
	wait "$writer"
}

@test "locks: several files; a missing one is exit 1 with a message" {
	test_table genoa "$T/u.certs"
	run --separate-stderr certctl locks "$T/t.certs" "$T/missing" "$T/u.certs"
	assert_failure 1
	[ "$stderr" = "snp-certctl: cannot read the locks of '$T/missing': No such file or directory" ]
	assert_output "$T/t.certs: no locks
$T/u.certs: no locks"
	# No FILE: the store lock (not made yet), then the store's tables.
	cp "$T/t.certs" "$T/store/a.certs"
	run certctl locks
	assert_success
	assert_output "$T/store/.snp-certctl.lock: no locks
$T/store/a.certs: no locks"
}

@test "locks: a process named with escape sequences cannot rewrite the screen" {
	local evil=$'\e[2J\e[31mx'
	ln -s "$READER" "$T/$evil"
	"$T/$evil" -H 6000 "$T/t.certs" 3>&- &
	sleep 0.2
	run certctl locks "$T/t.certs"
	assert_success
	[[ "$output" != *$'\e'* ]]
	assert_line --partial '\x1b[2J\x1b[31mx'
	# The writer's "waiting for the lock, held by ..." line, on stderr, too.
	run --separate-stderr certctl lock --timeout 1.5 "$T/t.certs" -- true
	assert_failure 3
	[[ "$stderr" != *$'\e'* ]]
	[[ "$stderr" == *'\x1b[2J'* ]]
}

@test "show, verify: a file name with control characters is printed escaped" {
	local name=$'t\e]0;pwned\a.certs'
	cp "$T/t.certs" "$T/$name"
	run certctl show "$T/$name"
	assert_success
	[[ "$output" != *$'\e'* && "$output" != *$'\a'* ]]
	assert_line --index 0 --partial '\x1b]0;pwned\x07.certs'
	printf 'garbage' > "$T/$name"
	run --separate-stderr certctl verify "$T/$name"
	assert_failure 4
	[[ "$stderr$output" != *$'\e'* ]]
}
