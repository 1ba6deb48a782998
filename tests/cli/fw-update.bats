#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fw-update: the exclusive locks held across the firmware step (a stock
# reader and `lock --shared` are kept out), SNP_COMMIT and SNP_SET_CONFIG
# after it, the new VCEK installed; the prefetch (no KDS request while the
# locks are held); failures of COMMAND, of the firmware and of KDS after the
# firmware changed, each leaving the tables whole and saying what to run next.
# Against the simulated firmware (tests/fakes/sev.so) and the KDS stand-in.

load helpers

READER="$SNPCERT_BUILD/tests/tools/stock-reader"
OLD=bl=3,tee=1,snp=8,ucode=115   # reported before: the fixture VCEK's TCB
NEW=bl=4,tee=2,snp=9,ucode=116   # after the firmware update
NEW_RAW=0x7409000000000204

setup_file() {
	kds_file_setup
}

teardown_file() {
	stop_kds http
}

setup() {
	common_setup
	simulated_host
	TABLE="$T/store/t.certs"
	printf 'opaque-x' >"$T/x.bin"
	test_table milan "$TABLE" --crl "$SNPCERT_FIXTURES/milan/crl.der" \
		--entry "11111111-2222-3333-4444-555555555555=$T/x.bin"
	BEFORE=$(fingerprint "$TABLE")
	# A firmware step that updates the firmware: a new current TCB.
	UPDATE_FW="sed -i 's/^current_tcb=.*/current_tcb=$NEW_RAW/' '$T/sev.state'"
}

teardown() {
	stop_jobs
	if [ -n "${SHM_STORE:-}" ]; then rm -rf "$SHM_STORE"; fi
}

# The firmware step: writes a marker into the firmware log, then whatever
# else is given (shell), e.g. an update of the simulated firmware's state.
step() {
	cat >"$T/step.sh" <<-EOF
		#!/bin/sh
		echo "\$(date +%s.%N) \$\$ STEP ok" >>"$LOG"
		$*
	EOF
	chmod 755 "$T/step.sh"
}

vcek_tcb() {
	certctl show --json "$1" | jq -r '.entries[] | select(.type == "vcek") | .tcb.raw'
}

# The firmware log's commands (and the step's marker), in order.
fw_log() {
	awk '{print $3}' "$LOG" | tr '\n' ' '
}

@test "fw-update: the locks are held across COMMAND; then SNP_COMMIT, SNP_SET_CONFIG, the new VCEK" {
	step "'$READER' -t 200 '$TABLE'; echo reader \$? >>'$T/step.out'
		'$SNP_CERTCTL' lock --shared --timeout 0 '$TABLE' -- true; echo lock \$? >>'$T/step.out'
		$UPDATE_FW"
	ino=$(stat -c %i "$TABLE")
	run --separate-stderr fake fw-update --commit --reported-tcb current -- "$T/step.sh"
	assert_success
	assert_output "updated $TABLE: installed the VCEK for the reported TCB $NEW (was $OLD)"
	assert_equal "$(cat "$T/step.out")" "reader 3
lock 3"
	assert_equal "$(fw_log)" "open SNP_PLATFORM_STATUS SEV_GET_ID2 open STEP open SNP_COMMIT SNP_PLATFORM_STATUS SNP_SET_CONFIG SNP_PLATFORM_STATUS "
	grep -q "^reported_tcb=$NEW_RAW$" "$T/sev.state"
	grep -q "^committed_tcb=$NEW_RAW$" "$T/sev.state"
	assert_equal "$(vcek_tcb "$TABLE")" "$NEW_RAW"
	assert_equal "$(stat -c %i "$TABLE")" "$ino"
	# The TCB was not known before COMMAND: fetched under the locks, and said so.
	[[ "$stderr" == *"the reported TCB is now $NEW, which was not known before the firmware step: fetching its VCEK while holding the locks"* ]]
	run fake verify "$TABLE" --tcb "$NEW" --hwid "$FX_HWID_MILAN"
	assert_success
	# The readers get the new table.
	run "$READER" -t 200 -c "$TABLE"
	assert_success
}

@test "fw-update: with --reported-tcb SPEC the VCEK is fetched before COMMAND, no request under the locks" {
	step "grep -c 'ucodeSPL=116 200' '$KDS_LOG' >'$T/at-step'; wc -l <'$KDS_LOG' >'$T/lines-at-step'
		$UPDATE_FW"
	run --separate-stderr fake fw-update --json --reported-tcb "$NEW" -- "$T/step.sh"
	assert_success
	assert_equal "$(cat "$T/at-step")" 1
	assert_equal "$(wc -l <"$KDS_LOG")" "$(cat "$T/lines-at-step")"
	[[ "$stderr" != *"while holding the locks"* ]]
	jq -e --arg old "$OLD" --arg new "$NEW" "$JQ_SPEC"'
		(.platform.old_reported_tcb | spec) == $old and (.platform.new_reported_tcb | spec) == $new
		and (.platform.current_tcb | spec) == $new and .platform.current_tcb.raw == "'"$NEW_RAW"'"
		and .platform.committed == false
		and .platform.reported_tcb_set == true and .vcek_fetched_under_locks == false
		and .locks_held_us > 0 and .tables[0].action == "updated"
		and (.tables[0].old_tcb | spec) == $old and (.tables[0].new_tcb | spec) == $new' <<<"$output"
	assert_equal "$(vcek_tcb "$TABLE")" "$NEW_RAW"
}

@test "fw-update without COMMAND: --reported-tcb SPEC, everything prepared before the locks" {
	set_state current_tcb=$NEW_RAW
	run --separate-stderr fake fw-update -v --reported-tcb "$NEW"
	assert_success
	assert_output "updated $TABLE: installed the VCEK for the reported TCB $NEW (was $OLD)"
	[[ "$stderr" == *"the exclusive locks were held "*" ms"* ]]
	assert_equal "$(fw_log)" "open SNP_PLATFORM_STATUS SEV_GET_ID2 open SNP_PLATFORM_STATUS SNP_SET_CONFIG SNP_PLATFORM_STATUS "
	# Nothing to change the second time: no request, the table as it is.
	: >"$KDS_LOG"
	after=$(fingerprint "$TABLE")
	run --separate-stderr fake fw-update
	assert_success
	assert_output "unchanged $TABLE: already holds the VCEK for the reported TCB $NEW"
	assert_equal "$(fingerprint "$TABLE")" "$after"
	assert_equal "$(kds_requests)" 0
}

@test "fw-update: a COMMAND that leaves the reported TCB alone needs no VCEK; --json sends its stdout to stderr" {
	step "echo output of the firmware tool"
	run --separate-stderr fake fw-update --json -- "$T/step.sh"
	assert_success
	jq -e '.tables[0].action == "unchanged" and .firmware_step != null' <<<"$output"
	json_keys_documented fw-update
	[[ "$stderr" == *"output of the firmware tool"* ]]
	assert_equal "$(kds_requests)" 0
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "fw-update: a failing COMMAND leaves the tables as they were; update-failed runs" {
	add_hook 10-log
	run --separate-stderr fake fw-update --commit --reported-tcb current -- sh -c 'exit 3'
	assert_failure 5
	[[ "$stderr" == *"snp-certctl: firmware step 'sh -c exit 3' failed: exit status 3; the tables are unchanged"* ]]
	assert_output "failed $TABLE: not updated: COMMAND failed"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
	assert_equal "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "pre-update locked update-failed "
	refute grep -q "SNP_COMMIT\|SNP_SET_CONFIG" "$LOG"
	[ ! -s "$T/store/.t.certs.snpcert-journal" ]
	run "$READER" -t 100 -c "$TABLE"
	assert_success
}

@test "fw-update: update-failed runs with no lock held, so it can run snp-certctl on the tables" {
	cat >"$T/hooks/10-recover" <<-EOF
		#!/bin/sh
		[ "\$SNP_CERTCTL_EVENT" = update-failed ] || exit 0
		"$SNP_CERTCTL" recover --timeout 0 "$TABLE" >/dev/null 2>&1
		echo "recover \$?" >>"$T/hooks.log"
	EOF
	chmod 755 "$T/hooks/10-recover"
	run --separate-stderr fake fw-update --commit --reported-tcb current -- sh -c 'exit 3'
	assert_failure 5
	assert_equal "$(cat "$T/hooks.log")" "recover 0"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "fw-update: SNP_COMMIT refused: the platform's state, the tables whole, exit 5" {
	add_hook 10-log
	set_state fail_SNP_COMMIT=1
	step "$UPDATE_FW"
	run --separate-stderr fake fw-update --commit --reported-tcb current -- "$T/step.sh"
	assert_failure 5
	[[ "$stderr" == *"snp-certctl: SNP_COMMIT failed on '$T/sev': "* ]]
	[[ "$stderr" == *"snp-certctl: the platform now: current TCB $NEW, reported TCB $OLD (was $OLD); SNP_COMMIT failed, SNP_SET_CONFIG not reached"* ]]
	[[ "$stderr" == *"snp-certctl: '$TABLE' still holds its old VCEK (TCB $OLD), whole (never torn)"* ]]
	[[ "$stderr" == *"snp-certctl: next: check 'snp-certctl status', then repeat SNP_COMMIT (fw-update without COMMAND"* ]]
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
	assert_equal "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "pre-update locked update-failed "
	refute grep -q "SNP_SET_CONFIG" "$LOG"
}

@test "fw-update: without COMMAND, the advice after a failure names no firmware step" {
	set_state fail_SNP_COMMIT=1
	run --separate-stderr fake fw-update --commit
	assert_failure 5
	[[ "$stderr" == *"snp-certctl: next: find out why SNP_COMMIT failed ('snp-certctl status' shows the platform), then run fw-update again"* ]]
	[[ "$stderr" != *"firmware step"* ]]
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "fw-update: a reported TCB above the current one is refused before anything (exit 5)" {
	run --separate-stderr fake fw-update --reported-tcb "$NEW"
	assert_failure 5
	assert_equal "$stderr" "snp-certctl: refusing --reported-tcb: bl=4 is above the current TCB bl=3,tee=1,snp=8,ucode=115, which the firmware would refuse; nothing was done"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
	refute grep -q "SNP_SET_CONFIG" "$LOG"
	[ ! -e "$SNP_CERTCTL_STORE/.snp-certctl.lock" ]
}

@test "fw-update --commit: refused while a table is already wrong for the platform, unless --force" {
	set_state reported_tcb=0x7307000000000103 # snp=7: the table holds snp=8's VCEK
	run --separate-stderr fake fw-update --commit
	assert_failure 4
	[[ "$stderr" == *"refusing --commit: '$TABLE' does not match the platform already ("*"), and SNP_COMMIT cannot be undone; run 'snp-certctl refresh' first, or give --force"* ]]
	refute grep -q "SNP_COMMIT" "$LOG"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
	run --separate-stderr fake fw-update --commit --force
	[[ "$stderr" != *"refusing --commit"* ]]
	grep -q "SNP_COMMIT" "$LOG"
	run --separate-stderr fake fw-update --force
	assert_failure 2
	[[ "$stderr" == *"--force goes with --commit"* ]]
}

@test "fw-update: SNP_SET_CONFIG refused by the firmware after COMMAND (exit 5), tables whole" {
	step ":"
	run --separate-stderr fake fw-update --reported-tcb "$NEW" -- "$T/step.sh"
	assert_failure 5
	[[ "$stderr" == *"SNP_SET_CONFIG failed on '$T/sev': firmware error"* ]]
	[[ "$stderr" == *"SNP_COMMIT not asked, SNP_SET_CONFIG failed"* ]]
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "fw-update: KDS down after the firmware changed: exit 6 and what to run next" {
	step "$UPDATE_FW"
	SNP_CERTCTL_KDS_TIMEOUT=1 SNP_CERTCTL_KDS_DEADLINE=1 run --separate-stderr \
		fake fw-update --reported-tcb current --kds-url http://127.0.0.1:1 -- "$T/step.sh"
	assert_failure 6
	[[ "$stderr" == *"snp-certctl: the platform now: current TCB $NEW, reported TCB $NEW (was $OLD); SNP_COMMIT not asked, SNP_SET_CONFIG done"* ]]
	[[ "$stderr" == *"snp-certctl: '$TABLE' still holds its old VCEK (TCB $OLD), whole (never torn)"* ]]
	[[ "$stderr" == *"snp-certctl: next: run 'snp-certctl refresh' when KDS is reachable"* ]]
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
	# And so it is.
	run --separate-stderr fake refresh
	assert_success
	assert_output "updated $TABLE: installed the VCEK for the reported TCB $NEW (was $OLD)"
}

@test "fw-update: a slow KDS under the locks is given up on within seconds, not the KDS deadline" {
	# Guests give up on a busy host after 60 s, for good: SNP_CERTCTL_KDS_DEADLINE
	# (default 60) must not be how long the readers are held off.
	step "$UPDATE_FW"
	kds_mode slow delay=20
	SNP_CERTCTL_KDS_TIMEOUT=30 SNP_CERTCTL_KDS_DEADLINE=60 run --separate-stderr \
		fake fw-update --json --reported-tcb current -- "$T/step.sh"
	assert_failure 6
	[ "$(jq .vcek_fetched_under_locks <<<"$output")" = true ]
	held=$(jq .locks_held_us <<<"$output")
	(( held < 15000000 )) || { echo "locks held ${held} us"; false; }
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "fw-update: KDS down before: nothing touched, the firmware neither (exit 6)" {
	set_state current_tcb=$NEW_RAW
	SNP_CERTCTL_KDS_TIMEOUT=1 SNP_CERTCTL_KDS_DEADLINE=1 run --separate-stderr \
		fake fw-update --commit --reported-tcb "$NEW" --kds-url http://127.0.0.1:1 -- touch "$T/ran"
	assert_failure 6
	[ ! -e "$T/ran" ]
	# Opened for writing early (can SNP_COMMIT be issued at all?), but no command sent.
	refute grep -qE "SNP_COMMIT|SNP_SET_CONFIG" "$LOG"
	assert_output "failed $TABLE: not updated: the VCEK for the reported TCB $NEW could not be had; the firmware was not touched"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "fw-update: the locks not had in time: exit 3 naming the holder, COMMAND not run" {
	"$READER" -H 3000 "$TABLE" 3>&- &
	reader=$!
	wait_held "$TABLE"
	run --separate-stderr fake fw-update --commit --timeout 0.2 -- touch "$T/ran"
	assert_failure 3
	[[ "$stderr" == *"cannot lock '$TABLE' within 0.2s: held by $reader (stock-reader) READ"* ]]
	[ ! -e "$T/ran" ]
	refute grep -q SNP_COMMIT "$LOG"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "fw-update: a failing hook at locked: released, firmware untouched, exit 1" {
	cat >"$T/hooks/10-locked" <<-EOF
		#!/bin/sh
		echo "\$SNP_CERTCTL_EVENT" >>"$T/hooks.log"
		[ "\$SNP_CERTCTL_EVENT" != locked ]
	EOF
	chmod 755 "$T/hooks/10-locked"
	run --separate-stderr fake fw-update --commit -- touch "$T/ran"
	assert_failure 1
	[[ "$stderr" == *"hook '$T/hooks/10-locked' failed at locked: exit status 1"* ]]
	[ ! -e "$T/ran" ]
	refute grep -q SNP_COMMIT "$LOG"
	assert_equal "$(tr '\n' ' ' <"$T/hooks.log")" "pre-update locked update-failed "
	# The locks were released: a reader gets in.
	run "$READER" -t 100 "$TABLE"
	assert_success
}

@test "fw-update: the hooks see the old and new TCBs" {
	add_hook 10-log
	step "$UPDATE_FW"
	run --separate-stderr fake fw-update --reported-tcb current -- "$T/step.sh"
	assert_success
	assert_equal "$(cat "$T/hooks.log")" "pre-update 10-log cmd=fw-update old=$OLD new=unset tables=$TABLE
locked 10-log cmd=fw-update old=$OLD new=unset tables=$TABLE
post-update 10-log cmd=fw-update old=$OLD new=$NEW tables=$TABLE"
}

@test "fw-update: a VLEK table is left alone and fails (exit 4) when its VLEK no longer matches" {
	certctl build -q -o "$T/store/v.certs" --vlek "$SNPCERT_FIXTURES/milan/vlek.pem" \
		--asvk "$SNPCERT_FIXTURES/milan/asvk.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem"
	vbefore=$(fingerprint "$T/store/v.certs")
	set_state current_tcb=$NEW_RAW vlek_loaded=1
	run --separate-stderr fake fw-update --reported-tcb "$NEW"
	assert_failure 4
	assert_line --index 0 "updated $TABLE: installed the VCEK for the reported TCB $NEW (was $OLD)"
	assert_line --index 1 "failed $T/store/v.certs: carries a VLEK for TCB $OLD, the platform reports $NEW: load a VLEK for $NEW with 'snp-certctl vlek-load'"
	assert_equal "$(fingerprint "$T/store/v.certs")" "$vbefore"
}

@test "fw-update: usage errors (exit 2)" {
	run --separate-stderr fake fw-update --
	assert_failure 2
	[[ "$stderr" == *"no command after '--'"* ]]
	run --separate-stderr fake fw-update --reported-tcb bl=1
	assert_failure 2
	[[ "$stderr" == *"invalid --reported-tcb 'bl=1': want"* ]]
	# A Turin TCB (with fmc) is a TCB SPEC, but not for this Milan platform.
	run --separate-stderr fake fw-update --reported-tcb fmc=1,bl=1,tee=0,snp=0,ucode=0
	assert_failure 2
	[[ "$stderr" == *"invalid --reported-tcb 'fmc=1,bl=1,tee=0,snp=0,ucode=0' for Milan"* ]]
	run --separate-stderr fake fw-update --timeout soon
	assert_failure 2
	refute grep -q rdwr "$LOG"
}

@test "fw-update: killed during the firmware step, recovery keeps the old table" {
	# The journal is written after the firmware step, never before it: a
	# journal left by a writer killed mid-step would be replayed and install
	# a VCEK for a TCB the firmware may not report.
	step 'kill -9 $PPID; sleep 1'
	run fake fw-update --trust-root "$SNPCERT_FIXTURES/milan/ark.pem" \
		--reported-tcb "$NEW" -- "$T/step.sh"
	assert_failure 137
	run certctl recover "$TABLE"
	assert_success
	assert_output --partial "clean"
	[ "$(fingerprint "$TABLE")" = "$BEFORE" ]
}

@test "fw-update: a malformed --reported-tcb is a usage error before anything else" {
	export SNP_CERTCTL_DEVICE="$T/no-such-device"
	run certctl fw-update --reported-tcb bogus
	assert_failure 2
	assert_line "snp-certctl: fw-update: invalid --reported-tcb 'bogus': want bl=N,tee=N,snp=N,ucode=N[,fmc=N], 0x... or 'current'"
	run certctl fw-update --reported-tcb ""
	assert_failure 2
}

@test "fw-update: 2,000 tables in the store under a soft limit of 1,024 open files" {
	# Each member is locked across the firmware step: its table and its journal,
	# 4,000 descriptors; COMMAND runs with the soft limit it was given.  On
	# tmpfs when there is one: 2,000 journals fsync'd.
	big_store 2000
	store=$SNP_CERTCTL_STORE
	step "ulimit -Sn >'$T/step.nofile'
		$UPDATE_FW"
	run --separate-stderr fake_nofile 1024 fw-update --json --commit --reported-tcb current \
		-- "$T/step.sh"
	assert_success
	refute [ -n "$(grep -i 'open files' <<<"$stderr")" ]
	jq -e '(.tables | length) == 2000 and all(.tables[]; .action == "updated")
		and .locks_held_us > 0' <<<"$output"
	assert_equal "$(cat "$T/step.nofile")" 1024
	assert_equal "$(vcek_tcb "$store/t1999.certs")" "$NEW_RAW"
	assert_equal "$(find "$store" -name '.*.snpcert-journal' -size +0 | wc -l)" 0
}

@test "fw-update: with no table in the store COMMAND and SNP_COMMIT still run; a failing COMMAND is the exit status" {
	rm "$TABLE"
	step "$UPDATE_FW"
	run --separate-stderr fake fw-update --commit -- "$T/step.sh"
	assert_success
	assert_equal "$(fw_log)" "open SNP_PLATFORM_STATUS SEV_GET_ID2 open STEP open SNP_COMMIT SNP_PLATFORM_STATUS "
	grep -q "^committed_tcb=$NEW_RAW$" "$T/sev.state"
	run --separate-stderr fake fw-update -- false
	assert_failure 5
}
