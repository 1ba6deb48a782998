#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# recover: finish or roll back interrupted updates.

load helpers

setup() {
	common_setup
	TRUST=(--trust-root "$SNPCERT_FIXTURES/milan/ark.pem")
	test_table milan "$T/store/a.certs"
	cp "$T/store/a.certs" "$T/old.certs"
	printf 'z' > "$T/z.bin"
	ENTRY=(--entry "11111111-2222-3333-4444-555555555555=$T/z.bin")
	cp "$T/old.certs" "$T/new.certs"
	certctl update -q "$T/new.certs" "${ENTRY[@]}" "${TRUST[@]}"
}

teardown() {
	stop_jobs
}

# Interrupt an update of $1 at step $2.
crash() {
	run crash_at "$2" certctl update "$1" "${ENTRY[@]}" "${TRUST[@]}"
	[ "$status" = 99 ]
}

@test "recover: a clean table" {
	run certctl recover "$T/store/a.certs"
	assert_success
	assert_output "$T/store/a.certs: clean"
	cmp "$T/store/a.certs" "$T/old.certs"
}

@test "recover: a table zeroed outside the protocol (no journal) is malformed, exit 4" {
	dd if=/dev/zero of="$T/store/a.certs" bs=24 count=1 conv=notrunc status=none
	cp "$T/store/a.certs" "$T/zeroed.certs"
	run --separate-stderr certctl recover "$T/store/a.certs"
	assert_failure 4
	[[ "$stderr" == "snp-certctl: '$T/store/a.certs': no interrupted update to complete, but it is not a well-formed certificate table (at byte "*"); rebuild it with 'snp-certctl build --force -o $T/store/a.certs ...'" ]]
	[ -z "$output" ]
	run --separate-stderr certctl recover --json "$T/store/a.certs"
	assert_failure 4
	[ "$(jq -r '.tables[0].result' <<< "$output")" = malformed ]
	[ "$(jq -r '.error.exit' <<< "$output")" = 4 ]
	# Nothing was changed.
	cmp "$T/store/a.certs" "$T/zeroed.certs"
}

@test "recover: an update killed under the lock is completed" {
	crash "$T/store/a.certs" zeroed
	run certctl recover "$T/store/a.certs"
	assert_success
	assert_output "$T/store/a.certs: replayed: the interrupted update was completed"
	cmp "$T/store/a.certs" "$T/new.certs"
	run certctl recover "$T/store/a.certs"
	assert_output "$T/store/a.certs: clean"
	run certctl locks "$T/store/a.certs"
	assert_output "$T/store/a.certs: no locks"
}

@test "recover: a torn journal is discarded, the table left as it was" {
	crash "$T/store/a.certs" journal-partial
	ino=$(stat -c %i "$T/store/a.certs")
	run certctl recover --json "$T/store/a.certs"
	assert_success
	[ "$(jq -c '.' <<< "$output")" = "{\"tables\":[{\"file\":\"$T/store/a.certs\",\"path\":\"$T/store/a.certs\",\"result\":\"discarded\"}]}" ]
	cmp "$T/store/a.certs" "$T/old.certs"
	[ "$(stat -c %i "$T/store/a.certs")" = "$ino" ]
}

@test "recover: with no FILE, every table in the store, sorted, dot files skipped" {
	cp "$T/old.certs" "$T/store/c.certs"
	cp "$T/old.certs" "$T/store/b.certs"
	crash "$T/store/c.certs" truncated
	crash "$T/store/b.certs" journal-partial
	printf 'not a table' > "$T/store/.hidden"
	mkdir "$T/store/subdir"
	ln -s "$T/old.certs" "$T/store/link.certs"
	run --separate-stderr certctl recover
	assert_success
	[[ "$stderr" == *"holds 'subdir', which is not a regular file"* ]]
	assert_output "$T/store/a.certs: clean
$T/store/b.certs: discarded: a torn journal was dropped, the table was not touched
$T/store/c.certs: replayed: the interrupted update was completed"
	cmp "$T/store/b.certs" "$T/old.certs"
	cmp "$T/store/c.certs" "$T/new.certs"
	[ "$(cat "$T/store/.hidden")" = "not a table" ]
	[ ! -e "$T/store/..hidden.snpcert-journal" ]
	run --separate-stderr certctl --store "$T/store" recover --json
	assert_success
	[ "$(jq -r '[.tables[] | "\(.file | sub(".*/"; "")) \(.result)"] | join(",")' <<< "$output")" = \
		"a.certs clean,b.certs clean,c.certs clean" ]
	# -q: only what was done
	crash "$T/store/a.certs" committed
	run certctl -q recover
	assert_success
	assert_output "$T/store/a.certs: replayed: the interrupted update was completed"
}

@test "recover: a missing store is an empty list" {
	run --separate-stderr certctl --store "$T/nowhere" recover
	assert_success
	assert_output ""
	[ "$stderr" = "snp-certctl: no tables in the store '$T/nowhere'" ]
	run --separate-stderr certctl --store "$T/nowhere" recover --json
	assert_success
	[ "$(jq -c '.' <<< "$output")" = '{"tables":[]}' ]
}

@test "recover: a table being updated is busy (exit 3); a missing one is exit 1" {
	"$SNP_CERTCTL" lock "$T/store/a.certs" -- sh -c ': >"$0"; exec sleep 3' "$T/.held" 3>&- &
	wait_file "$T/.held"
	run --separate-stderr certctl recover --timeout 0.2 "$T/store/a.certs"
	assert_failure 3
	[[ "$stderr" == *"cannot lock '$T/store/a.certs' within 0.2s: held by "*"(snp-certctl) WRITE"* ]]
	run certctl recover "$T/missing.certs" "$T/store/a.certs" --timeout 0.2
	assert_failure 1
	assert_output --partial "'$T/missing.certs'"
}

@test "recover: an interrupted table is shown by status, and the next refresh repairs it" {
	crash "$T/store/a.certs" zeroed
	run --separate-stderr certctl status --json
	assert_success
	[ "$(jq -r '.store.tables[0].status' <<<"$output")" = interrupted ]
	run --separate-stderr certctl status
	assert_line --regexp '^  a\.certs +interrupted +an update was interrupted'
	run certctl locks "$T/store/a.certs"
	assert_success
	assert_output "$T/store/a.certs: no locks
  awaiting recovery: an update was interrupted; 'snp-certctl recover $T/store/a.certs' (or the next update) completes it"
	run certctl locks --json
	[ "$(jq -c '[.files[] | [(.file | sub(".*/"; "")), .awaiting_recovery]]' <<<"$output")" = \
		'[[".snp-certctl.lock",false],["a.certs",true]]' ]
	# Any workflow repairs it first, here the refresh timer's run, which then
	# fails (the simulated platform is not this chain's): whole again all the same.
	fake_sev_setup
	run --separate-stderr fake refresh --offline --product Milan
	assert_failure
	[[ "$stderr" == *"'$T/store/a.certs': completed an interrupted update first"* ]]
	cmp "$T/store/a.certs" "$T/new.certs"
	run certctl recover "$T/store/a.certs"
	assert_output "$T/store/a.certs: clean"
	run certctl locks "$T/store/a.certs"
	assert_output "$T/store/a.certs: no locks"
}
