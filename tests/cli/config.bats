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
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
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
	assert_equal "$(fw_log)" "open SNP_PLATFORM_STATUS SEV_GET_ID2 open SNP_SET_CONFIG SNP_PLATFORM_STATUS "
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
	# Only the VLEK table named: allowed.
	run --separate-stderr fake config --mask-chip-id on "$VLEK_TABLE"
	assert_success
	assert_equal "$(masks)" "1 0"
}

@test "config: after the change every VCEK table is checked against the platform again" {
	set_state mask_chip_key=1
	# The VCEK of another chip and TCB: kept, but reported as not matching (exit 4).
	"$SNP_CERTCTL" build -q -o "$T/other.certs" --vcek "$SAMPLE_VCEK"
	run --separate-stderr fake config --mask-chip-key off "$TABLE" "$T/other.certs"
	assert_failure 4
	assert_equal "$(masks)" "0 0"
	assert_line "unchanged $TABLE: kept: the VCEK is for the reported TCB bl=3,tee=1,snp=8,ucode=115 and this chip"
	assert_line --partial "failed $T/other.certs: does not match the platform: the VCEK is for "
}

@test "config: the locks not had in time: exit 3, SNP_SET_CONFIG never issued" {
	"$READER" -H 3000 "$TABLE" 3>&- &
	reader=$!
	sleep 0.2
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
	for bad in "--mask-chip-id yes" "--force" "$TABLE" "--mask-chip-key"; do
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
	assert_equal "$(fw_log)" "open SNP_PLATFORM_STATUS SEV_GET_ID2 open SNP_SET_CONFIG SNP_PLATFORM_STATUS "
	assert_equal "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "pre-update locked post-update "
	set_state fail_SNP_SET_CONFIG=7
	run --separate-stderr fake config --mask-chip-key off
	assert_failure 5
	[[ "$stderr" == *"SNP_SET_CONFIG failed on '$T/sev': "* ]]
	assert_equal "$(masks)" "0 1"
}
