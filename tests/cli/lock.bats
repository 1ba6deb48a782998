#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# lock: hold the table locks while a command runs, like flock(1).

load helpers

READER="$SNPCERT_BUILD/tests/tools/stock-reader"

setup() {
	common_setup
	test_table milan "$T/a.certs"
	test_table genoa "$T/b.certs"
	OLD=$(fingerprint "$T/a.certs")
	TRUST=(--trust-root "$SNPCERT_FIXTURES/milan/ark.pem")
}

teardown() {
	stop_jobs
}

@test "lock: exits with the command's status" {
	run certctl lock "$T/a.certs" -- true
	assert_success
	run certctl lock "$T/a.certs" -- sh -c 'echo out; exit 7'
	assert_failure 7
	assert_output out
	run certctl lock "$T/a.certs" -- sh -c 'kill -USR1 $$'
	assert_failure $((128 + 10))
	[ "$(fingerprint "$T/a.certs")" = "$OLD" ]
}

@test "lock: 127 for a missing command, 126 for one that cannot be run" {
	run -127 certctl lock "$T/a.certs" -- "$T/no-such-command"
	assert_failure 127
	assert_output --partial "cannot run '$T/no-such-command': No such file or directory"
	printf 'x' > "$T/noexec"
	run certctl lock "$T/a.certs" -- "$T/noexec"
	assert_failure 126
	assert_output --partial "cannot run '$T/noexec'"
}

@test "lock: the exclusive lock keeps stock readers out while the command runs, not after" {
	run certctl lock "$T/a.certs" -- "$READER" -t 50 -p "$T/a.certs"
	assert_failure 3
	assert_output --partial busy
	run "$READER" -t 50 -c -p "$T/a.certs"
	assert_success
	assert_output --partial "ok size="
}

@test "lock: the command does not inherit the locks" {
	run certctl lock "$T/a.certs" -- sh -c \
		"'$SNP_CERTCTL' locks --json '$T/a.certs' | jq -r '[.files[0].locks[].pid] | unique | join(\",\")'; echo \$PPID"
	assert_success
	# the only holder is snp-certctl itself (the shell's parent), not the shell
	[ "${lines[0]}" = "${lines[1]}" ]
}

@test "lock --shared: stock readers go on, writers wait" {
	run certctl lock --shared "$T/a.certs" -- "$READER" -t 50 -c -p "$T/a.certs"
	assert_success
	assert_output --partial "ok size="
	VCEK2="$T/vcek2.der"
	bash "$REPO/tests/fixtures/make-vcek.sh" "$SNPCERT_FIXTURES/milan" milan \
		"$(printf '%0128x' 7)" bl=3,tee=0,snp=8,ucode=115 "$VCEK2"
	run certctl lock --shared "$T/a.certs" -- "$SNP_CERTCTL" update "$T/a.certs" \
		--vcek "$VCEK2" "${TRUST[@]}" --timeout 0.2
	assert_failure 3
	assert_output --partial "cannot lock '$T/a.certs' within 0.2s: held by"
	assert_output --partial "(snp-certctl) READ"
	[ "$(fingerprint "$T/a.certs")" = "$OLD" ]
}

@test "lock: --timeout 0 when busy exits 3 and does not run the command" {
	"$READER" -H 3000 "$T/a.certs" 3>&- &
	reader=$!
	wait_held "$T/a.certs"
	run certctl lock --timeout 0 "$T/a.certs" -- touch "$T/ran"
	assert_failure 3
	assert_output --partial "held by $reader (stock-reader) READ"
	[ ! -e "$T/ran" ]
	run certctl lock -w 0.2 "$T/a.certs" -- touch "$T/ran"
	assert_failure 3
	assert_output --partial "within 0.2s"
	[ ! -e "$T/ran" ]
	# a shared lock goes along with the reader
	run certctl lock --shared --timeout 0 "$T/a.certs" -- touch "$T/ran"
	assert_success
	[ -e "$T/ran" ]
}

@test "lock: several files, locked in one order, all released after" {
	run certctl lock "$T/b.certs" "$T/a.certs" "$T/a.certs" -- sh -c \
		"'$READER' -t 20 -p '$T/a.certs'; '$READER' -t 20 -p '$T/b.certs'"
	assert_output --partial busy
	[ "$(grep -c "^busy$" <<< "$output")" = 2 ]
	# one busy file: nothing runs, the first lock is released again
	"$READER" -H 3000 "$T/b.certs" 3>&- &
	wait_held "$T/b.certs"
	run certctl lock --timeout 0.3 "$T/a.certs" "$T/b.certs" -- touch "$T/ran"
	assert_failure 3
	assert_output --partial "'$T/b.certs'"
	[ ! -e "$T/ran" ]
	run "$READER" -t 0 -p "$T/a.certs"
	assert_success
}

@test "lock: SIGTERM and SIGHUP are passed on to the command" {
	for sig in TERM HUP; do
		rm -f "$T/started" "$T/got"
		"$SNP_CERTCTL" lock "$T/a.certs" -- sh -c \
			"trap 'echo $sig > \"$T/got\"; kill \$!; exit 5' $sig; touch '$T/started'; sleep 10 & wait" \
			3>&- &
		pid=$!
		for i in $(seq 300); do [ -e "$T/started" ] && break; sleep 0.01; done
		kill -"$sig" "$pid"
		start=$(date +%s%N)
		rc=0
		wait "$pid" || rc=$?
		# the command caught it and exited 5: snp-certctl passed it on and waited
		[ "$rc" = 5 ] || { echo "$sig: status $rc"; false; }
		[ "$(cat "$T/got")" = "$sig" ]
		[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ]
	done
	# and the lock is gone with it
	run "$READER" -t 0 -p "$T/a.certs"
	assert_success
}

@test "lock: usage errors exit 2 and run nothing" {
	run certctl lock "$T/a.certs" touch "$T/ran"
	assert_failure 2
	assert_output --partial "no command"
	run certctl lock -- touch "$T/ran"
	assert_failure 2
	run certctl lock "$T/a.certs" --
	assert_failure 2
	run certctl lock "$T/a.certs" --shared -- touch "$T/ran"
	assert_failure 2
	assert_output --partial "options go before the files"
	run certctl lock --timeout x "$T/a.certs" -- touch "$T/ran"
	assert_failure 2
	[ ! -e "$T/ran" ]
	run certctl lock "$T/missing" -- touch "$T/ran"
	assert_failure 1
	assert_output --partial "'$T/missing'"
	[ ! -e "$T/ran" ]
	run certctl lock --help
	assert_success
	assert_output --partial "--shared"
}

@test "lock: time-outs are decimal seconds: 0x10, 0x1p3, 1e3 and inf are usage errors" {
	local t
	for t in 0x10 0x1p3 1e3 inf -1 " 5" 1.; do
		run --separate-stderr certctl lock --timeout "$t" "$T/a.certs" -- true
		assert_failure 2
		[[ "$stderr" == *"invalid --timeout '$t': want seconds"* ]]
		run --separate-stderr certctl refresh --timeout "$t" "$T/a.certs"
		assert_failure 2
	done
	SNP_CERTCTL_LOCK_TIMEOUT=0x10 run --separate-stderr certctl lock "$T/a.certs" -- true
	assert_failure 2
	run certctl lock --timeout 0.5 "$T/a.certs" -- true
	assert_success
}
