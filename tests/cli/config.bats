#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# config: SNP_SET_CONFIG's mask_chip_id and mask_chip_key shown, set and
# reset with the reported TCB kept, under every table's exclusive lock (a
# stock reader and `lock --shared` are kept out), the hooks as for the other
# workflows, the tables checked again after; refused before any lock while a
# table holds a VCEK the masks would strand.  Against the simulated firmware
# (tests/fakes/sev.so), whose state file keeps the masks.

load helpers

READER="$SNPCERT_BUILD/tests/tools/stock-reader"

setup_file() {
	need_fixtures
}

setup() {
	common_setup
	fake_sev_setup
	fake_test_platform milan
	M="$SNPCERT_FIXTURES/milan"
	TABLE="$T/store/t.certs"
	test_table milan "$TABLE"
	BEFORE=$(fingerprint "$TABLE")
	VLEK_TABLE="$T/store/v.certs"
	"$SNP_CERTCTL" build -q -o "$VLEK_TABLE" --vlek "$M/vlek.pem" --asvk "$M/asvk.pem" \
		--ark "$M/ark.pem" --trust-root "$M/ark.pem"
}

teardown() {
	stop_jobs
}

# The firmware log's commands, in order.
fw_log() {
	awk '{print $3}' "$LOG" | tr '\n' ' '
}

masks() {
	printf '%s %s' "$(grep -c '^mask_chip_id=1$' "$T/sev.state")" \
		"$(grep -c '^mask_chip_key=1$' "$T/sev.state")"
}

@test "config: with no option, prints the masks and the reported TCB (text and JSON), locking nothing" {
	run --separate-stderr fake config
	assert_success
	assert_equal "$output" "mask_chip_id: off
mask_chip_key: off
reported_tcb: bl=3,tee=1,snp=8,ucode=115"
	set_state mask_chip_key=1
	run --separate-stderr fake config --json
	assert_success
	[ "$(jq -c '[.product, .mask_chip_id, .mask_chip_key, .reported_tcb.raw, .reported_tcb.ucode]' <<<"$output")" = \
		'["Milan",false,true,"0x7308000000000103",115]' ]
	json_keys_documented config
	assert_equal "$(fw_log)" "open SNP_PLATFORM_STATUS SEV_GET_ID2 open SNP_PLATFORM_STATUS SEV_GET_ID2 "
}

@test "config: sets and resets the masks with SNP_SET_CONFIG, the reported TCB kept, the tables kept and checked again" {
	rm "$TABLE"
	add_hook 10-log
	run --separate-stderr fake config --mask-chip-key on
	assert_success
	assert_equal "$(masks)" "0 1"
	grep -q '^reported_tcb=0x7308000000000103$' "$T/sev.state"
	assert_output "unchanged $VLEK_TABLE: kept: a VLEK, whatever the masks"
	[[ "$stderr" == *"set mask_chip_id off, mask_chip_key on (was off, off)"* ]]
	assert_equal "$(fw_log)" "open SNP_PLATFORM_STATUS SEV_GET_ID2 open SNP_PLATFORM_STATUS SEV_GET_ID2 open SNP_PLATFORM_STATUS SNP_SET_CONFIG SNP_PLATFORM_STATUS SEV_GET_ID2 "
	assert_equal "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "pre-update locked post-update "
	grep -q "^post-update 10-log cmd=config old=bl=3,tee=1,snp=8,ucode=115 new=bl=3,tee=1,snp=8,ucode=115 tables=$VLEK_TABLE$" "$T/hooks.log"
	run --separate-stderr fake config --json --mask-chip-id on --mask-chip-key off
	assert_success
	assert_equal "$(masks)" "1 0"
	[ "$(jq -c '[.mask_chip_id, .mask_chip_key, .changed, .was.mask_chip_id, .was.mask_chip_key, .tables[0].action]' <<<"$output")" = \
		'[true,false,true,false,true,"unchanged"]' ]
	json_keys_documented config
	run --separate-stderr fake config --mask-chip-id off
	assert_success
	assert_equal "$(masks)" "0 0"
}

@test "config: SNP_SET_CONFIG runs under every table's exclusive lock: a reader waiting in a locked hook is kept out" {
	cat >"$T/hooks/20-probe" <<-EOF
		#!/bin/sh
		[ "\$SNP_CERTCTL_EVENT" = locked ] || exit 0
		'$READER' -t 200 '$TABLE'; echo reader \$? >>'$T/probe.out'
		'$SNP_CERTCTL' lock --shared --timeout 0 '$VLEK_TABLE' -- true; echo lock \$? >>'$T/probe.out'
	EOF
	chmod 755 "$T/hooks/20-probe"
	run --separate-stderr fake config --mask-chip-id on --force
	assert_success
	assert_equal "$(cat "$T/probe.out")" "reader 3
lock 3"
	assert_equal "$(masks)" "1 0"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
	assert_line "unchanged $TABLE: kept (--force): holds a VCEK that guests cannot use with mask_chip_id on"
	# Readers get the table again.
	run "$READER" -t 200 -c "$TABLE"
	assert_success
}

@test "config: masking while a table holds a VCEK is refused before any lock or device write (exit 4)" {
	add_hook 10-log
	run --separate-stderr fake config --mask-chip-key on
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: refusing to set mask_chip_key: '$TABLE' holds a VCEK and reports would no longer be signed with it; switch the tables to a VLEK first (snp-certctl vlek-load), or give --force"
	assert_equal "$(masks)" "0 0"
	refute grep -q "open rdwr" "$LOG"
	[ ! -e "$T/hooks.log" ]
	# Naming only the VLEK table does not get around it: config takes no table.
	run --separate-stderr fake config --mask-chip-id on "$VLEK_TABLE"
	assert_failure 2
	[[ "$stderr" == *"snp-certctl: config: a table was given: config acts on every table in the store"* ]]
	assert_equal "$(masks)" "0 0"
	# With the VCEK table gone from the store: allowed.
	rm "$TABLE"
	run --separate-stderr fake config --mask-chip-id on
	assert_success
	assert_equal "$(masks)" "1 0"
}

@test "config: a VCEK table that appears after the survey is refused under the locks, SNP_SET_CONFIG never issued" {
	rm "$TABLE"
	# A writer outside the store lock puts a VCEK in the VLEK table's place while
	# the pre-update hooks run.
	cat >"$T/hooks/10-swap" <<-EOF
		#!/bin/sh
		[ "\$SNP_CERTCTL_EVENT" = pre-update ] || exit 0
		cp '$T/vcek.certs' '$VLEK_TABLE'
	EOF
	chmod 755 "$T/hooks/10-swap"
	test_table milan "$T/vcek.certs"
	run --separate-stderr fake config --mask-chip-key on
	assert_failure 4
	[[ "$stderr" == *"refusing to set mask_chip_key: '$VLEK_TABLE' holds a VCEK"* ]]
	refute grep -q SNP_SET_CONFIG "$LOG"
	assert_equal "$(masks)" "0 0"
}

@test "config: after the change every VCEK table is checked against the platform again, the chip id read again (SEV_GET_ID2)" {
	# The VCEK of another chip and TCB: kept, but reported as not matching (exit 4).
	"$SNP_CERTCTL" build -q -o "$T/store/other.certs" --vcek "$SAMPLE_VCEK"
	for mask in key id; do
		set_state "mask_chip_$mask=1"
		: >"$LOG"
		run --separate-stderr fake config "--mask-chip-$mask" off
		assert_failure 4
		assert_equal "$(masks)" "0 0"
		[[ "$(fw_log)" == *" SNP_SET_CONFIG SNP_PLATFORM_STATUS SEV_GET_ID2 " ]]
		assert_line "unchanged $TABLE: kept: the VCEK is for the reported TCB bl=3,tee=1,snp=8,ucode=115 and this chip"
		assert_line --partial "failed $T/store/other.certs: does not match the platform: the VCEK is for "
	done
}

@test "config: the recheck says what happened: '(--force)' only when --force let a mask go on" {
	set_state mask_chip_id=1 mask_chip_key=1
	run --separate-stderr fake config --mask-chip-key off
	assert_success
	assert_equal "$(masks)" "1 0"
	assert_line "unchanged $TABLE: kept: holds a VCEK that guests cannot use while mask_chip_id is on (it was on before)"
	refute_output --partial "--force"
	run --separate-stderr fake config --mask-chip-key on --force
	assert_success
	assert_line "unchanged $TABLE: kept (--force): holds a VCEK that guests cannot use with mask_chip_key on"
}

@test "config: the locks not had in time: exit 3, SNP_SET_CONFIG never issued" {
	"$READER" -H 3000 "$TABLE" 3>&- &
	reader=$!
	wait_held "$TABLE"
	run --separate-stderr fake config --mask-chip-id on --force --timeout 0.2
	assert_failure 3
	[[ "$stderr" == *"held by $reader (stock-reader) READ"* ]]
	refute grep -q SNP_SET_CONFIG "$LOG"
	assert_equal "$(masks)" "0 0"
}

@test "config: already so is a no-op (exit 0); a failing firmware exits 5; usage errors exit 2" {
	run --separate-stderr fake config --mask-chip-id off --mask-chip-key off
	assert_success
	[[ "$stderr" == *"mask_chip_id is off and mask_chip_key off already; nothing to do"* ]]
	refute grep -q "open rdwr" "$LOG"
	rm -f "$T/sev"
	SNP_CERTCTL_DEVICE="$T/missing" run --separate-stderr fake config
	assert_failure 5
	for bad in "--mask-chip-id yes" "--force" "$TABLE" "--mask-chip-key" \
		"--mask-chip-id on --force $TABLE"; do
		run --separate-stderr fake config $bad
		assert_failure 2
	done
}

@test "config: with no table at all, SNP_SET_CONFIG still runs, with the hooks; its failure is the exit status" {
	rm "$TABLE" "$VLEK_TABLE"
	add_hook 10-log
	run --separate-stderr fake config --mask-chip-key on --json
	assert_success
	[ "$(jq -c '[.mask_chip_key, .changed, .tables]' <<<"$output")" = '[true,true,[]]' ]
	assert_equal "$(masks)" "0 1"
	assert_equal "$(fw_log)" "open SNP_PLATFORM_STATUS SEV_GET_ID2 open SNP_PLATFORM_STATUS SEV_GET_ID2 open SNP_PLATFORM_STATUS SNP_SET_CONFIG SNP_PLATFORM_STATUS SEV_GET_ID2 "
	assert_equal "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "pre-update locked post-update "
	set_state fail_SNP_SET_CONFIG=7
	run --separate-stderr fake config --mask-chip-key off
	assert_failure 5
	[[ "$stderr" == *"SNP_SET_CONFIG failed on '$T/sev': "* ]]
	assert_equal "$(masks)" "0 1"
}

@test "config: SNP_SET_CONFIG accepted but not read back: said as such (exit 5), not 'failed'" {
	set_state then_SNP_SET_CONFIG=errno_SNP_PLATFORM_STATUS=5
	run --separate-stderr fake config --mask-chip-id on --force --json
	assert_failure 5
	assert_equal "$(masks)" "1 0"
	[[ "$stderr" == *"SNP_SET_CONFIG was issued and accepted, but the configuration could not be read back (SNP_PLATFORM_STATUS failed on '$T/sev': "*"); it may have changed: run 'snp-certctl config' to see"* ]]
	[[ "$stderr" != *"SNP_SET_CONFIG failed"* ]]
	[ "$(jq -c '[.changed, .mask_chip_id, .reported_tcb, .was.mask_chip_id, .error.exit]' <<<"$output")" = \
		'[null,null,null,false,5]' ]
	[ "$(jq -r '.tables[0].reason' <<<"$output")" = \
		"not checked: SNP_SET_CONFIG was accepted, but the configuration could not be read back (it may have changed; see 'snp-certctl config'); the table is unchanged" ]
	json_keys_documented config
}

@test "config: the reported TCB and the mask not asked for are those the firmware has under the locks" {
	# Changed behind our back while the locked hooks run.
	cat >"$T/hooks/10-change" <<-EOF
		#!/bin/sh
		[ "\$SNP_CERTCTL_EVENT" = locked ] || exit 0
		sed -i -e '/^reported_tcb=/d' -e '/^mask_chip_key=/d' '$STATE'
		printf 'reported_tcb=0x7308000000000102\nmask_chip_key=1\n' >>'$STATE'
	EOF
	chmod 755 "$T/hooks/10-change"
	run --separate-stderr fake config --mask-chip-id on --force
	assert_success
	assert_equal "$(masks)" "1 1"
	grep -q '^reported_tcb=0x7308000000000102$' "$STATE"
	[[ "$stderr" == *"set mask_chip_id on, mask_chip_key on (was off, on)"* ]]
}

# first_in_hook ARGS...: a first `config ARGS` in the background ($first), waiting
# in its locked hook (the store lock held) until $T/go exists.
first_in_hook() {
	cat >"$T/hooks/10-wait" <<-EOF
		#!/bin/sh
		[ "\$SNP_CERTCTL_EVENT" = locked ] || exit 0
		touch '$T/in-hook'
		while [ ! -e '$T/go' ]; do sleep 0.05; done
	EOF
	chmod 755 "$T/hooks/10-wait"
	fake config "$@" --timeout 20 >"$T/a.out" 2>"$T/a.err" 3>&- &
	first=$!
	while [ ! -e "$T/in-hook" ]; do sleep 0.05; done
}

# second ARGS...: a second `config ARGS` while the first waits; then both end (exit 0).
second() {
	fake config "$@" --timeout 20 >"$T/b.out" 2>"$T/b.err" 3>&- &
	local b=$!
	# Time for the second to get to the store lock (before it, it read the firmware).
	sleep 1
	touch "$T/go"
	wait "$first" || fail "first: $(cat "$T/a.err")"
	wait "$b" || fail "second: $(cat "$T/b.err")"
}

@test "config: two runs at once both take: the second reads the firmware under the store lock" {
	first_in_hook --mask-chip-id on --force
	second --mask-chip-key on --force
	assert_equal "$(masks)" "1 1"
	grep -q "set mask_chip_id on, mask_chip_key on (was on, off)" "$T/b.err"
}

@test "config: done meanwhile by another run: nothing to do under the store lock, no hook, no SNP_SET_CONFIG" {
	add_hook 20-log
	first_in_hook --mask-chip-id on --force
	second --mask-chip-id on --force
	assert_equal "$(masks)" "1 0"
	assert_equal "$(grep -c SNP_SET_CONFIG "$LOG")" 1
	assert_equal "$(grep -c '^locked ' "$T/hooks.log")" 1
	grep -q "mask_chip_id is on and mask_chip_key off already; nothing to do" "$T/b.err"
	grep -qx "unchanged $TABLE: kept: nothing to do: mask_chip_id is on and mask_chip_key off already" "$T/b.out"
}

@test "config: done meanwhile outside the store lock: nothing to do under the table locks, no SNP_SET_CONFIG" {
	cat >"$T/hooks/10-change" <<-EOF
		#!/bin/sh
		[ "\$SNP_CERTCTL_EVENT" = pre-update ] || exit 0
		echo mask_chip_id=1 >>'$STATE'
	EOF
	chmod 755 "$T/hooks/10-change"
	run --separate-stderr fake config --mask-chip-id on --force --json
	assert_success
	refute grep -q SNP_SET_CONFIG "$LOG"
	[ "$(jq -c '[.changed, .mask_chip_id, .was.mask_chip_id, (.tables | map(.reason) | unique)]' <<<"$output")" = \
		'[false,true,true,["kept: nothing to do: mask_chip_id is on and mask_chip_key off already"]]' ]
}

@test "config: done meanwhile, with no table at all: nothing runs, not even the hooks" {
	rm "$TABLE" "$VLEK_TABLE"
	add_hook 20-log
	first_in_hook --mask-chip-key on
	second --mask-chip-key on
	assert_equal "$(masks)" "0 1"
	assert_equal "$(grep -c SNP_SET_CONFIG "$LOG")" 1
	assert_equal "$(grep -c '^pre-update ' "$T/hooks.log")" 1
}
