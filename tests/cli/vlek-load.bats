#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# vlek-load: the hashstick checked before any lock or device access, the
# VLEK's chain, product and TCB checked against the platform, SNP_VLEK_LOAD
# under the locks, and the tables switched to VLEK + ASVK + ARK with the CRL
# and opaque entries kept; a firmware refusal leaves the tables as they were.
# Against the simulated firmware (tests/fakes/sev.so).

load helpers

READER="$SNPCERT_BUILD/tests/tools/stock-reader"
GUID_X=11111111-2222-3333-4444-555555555555
TCB=bl=3,tee=1,snp=8,ucode=115

setup_file() {
	need_fixtures
}

setup() {
	common_setup
	fake_sev_setup
	fake_test_platform milan
	M="$SNPCERT_FIXTURES/milan"
	TABLE="$T/store/t.certs"
	printf 'opaque-x' >"$T/x.bin"
	test_table milan "$TABLE" --crl "$M/crl.der" --entry "$GUID_X=$T/x.bin"
	BEFORE=$(fingerprint "$TABLE")
	head -c 432 /dev/urandom >"$T/hashstick"
	CHAIN=(--vlek "$M/vlek.pem" --asvk "$M/asvk.pem" --ark "$M/ark.pem")
}

teardown() {
	stop_jobs
}

# "type sha256" per entry, in order.
entries() {
	certctl show --json "$1" | jq -r '.entries[] | "\(.type) \(.sha256)"'
}

@test "vlek-load: a hashstick that is not 432 bytes is refused before any lock or device access" {
	head -c 431 /dev/urandom >"$T/short"
	"$READER" -H 3000 "$TABLE" 3>&- &
	wait_held "$TABLE"
	run --separate-stderr fake vlek-load --hashstick "$T/short" "${CHAIN[@]}" --timeout 0
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: hashstick '$T/short': 431 bytes, not the 432 of a wrapped VLEK"
	[ ! -e "$LOG" ] || ! grep -q . "$LOG"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "vlek-load: a FIFO as the hashstick is refused at once, before any device access" {
	mkfifo "$T/fifo"
	run --separate-stderr timeout 10 env LD_PRELOAD="$FAKE_SO" FAKE_SEV_STATE="$STATE" \
		FAKE_SEV_LOG="$LOG" "$SNP_CERTCTL" vlek-load --hashstick "$T/fifo" "${CHAIN[@]}"
	assert_failure 1
	assert_equal "$stderr" "snp-certctl: refusing '$T/fifo': not a regular file"
	[ ! -e "$LOG" ] || ! grep -q . "$LOG"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "vlek-load: the VLEK is loaded and the table switched to VLEK, ASVK, ARK; CRL and extra kept" {
	add_hook 10-log
	entries "$TABLE" >"$T/before"
	ino=$(stat -c %i "$TABLE")
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" "${CHAIN[@]}"
	assert_success
	assert_output "updated $TABLE: switched to the VLEK for TCB $TCB (was: VCEK for TCB $TCB)"
	entries "$TABLE" >"$T/after"
	assert_equal "$(cut -d' ' -f1 "$T/after" | tr '\n' ' ')" "vlek asvk ark crl other "
	assert_equal "$(tail -n 2 "$T/after")" "$(tail -n 2 "$T/before")"
	assert_equal "$(sed -n 3p "$T/after")" "$(sed -n 3p "$T/before")"
	assert_equal "$(stat -c %i "$TABLE")" "$ino"
	grep -q '^vlek_loaded=1$' "$T/sev.state"
	grep -q "^vlek_sha256=$(sha256sum <"$T/hashstick" | cut -d' ' -f1)$" "$T/sev.state"
	grep -q 'SNP_VLEK_LOAD ok' "$LOG"
	assert_equal "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "pre-update locked post-update "
	grep -q "^post-update 10-log cmd=vlek-load old=$TCB new=$TCB tables=$TABLE$" "$T/hooks.log"
	run fake verify "$TABLE" --tcb "$TCB"
	assert_success
	# refresh leaves it alone now that a VLEK is loaded
	run --separate-stderr fake refresh
	assert_success
	assert_output "skipped $TABLE: a VLEK is loaded; refresh leaves VLEK tables alone"
}

@test "vlek-load --json" {
	run --separate-stderr fake vlek-load --json --hashstick "$T/hashstick" "${CHAIN[@]}"
	assert_success
	jq -e --arg t "$TABLE" --arg tcb "$TCB" "$JQ_SPEC"'
		.platform.product == "Milan" and .platform.vlek_loaded == true
		and (.platform.reported_tcb | spec) == $tcb
		and (.vlek.tcb | spec) == $tcb and .vlek.tcb.raw == "0x7308000000000103"
		and .vlek.csp_id == "test-csp-milan" and .loaded == true
		and (.vlek.hashstick_sha256 | length) == 64
		and .tables[0].file == $t and .tables[0].path == $t and .tables[0].action == "updated"
		and (.tables[0].new_tcb | spec) == $tcb' <<<"$output"
	json_keys_documented vlek-load
}

@test "vlek-load: a VLEK for another TCB or product is refused (exit 4), nothing loaded" {
	set_state reported_tcb=0x7307000000000103
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" "${CHAIN[@]}"
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: VLEK '$M/vlek.pem' is for TCB $TCB, the platform reports bl=3,tee=1,snp=7,ucode=115"
	fake_test_platform genoa
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" "${CHAIN[@]}" \
		--trust-root "$M/ark.pem"
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: VLEK '$M/vlek.pem' is for Milan, this platform is Genoa"
	refute grep -q SNP_VLEK_LOAD "$LOG"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "vlek-load: a VLEK whose chain does not verify, or a VCEK, is refused (exit 4)" {
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" \
		--vlek "$SNPCERT_FIXTURES/bad/vlek-by-ask.pem" --asvk "$M/asvk.pem" --ark "$M/ark.pem"
	assert_failure 4
	[[ "$stderr" == *"not loading VLEK '$SNPCERT_FIXTURES/bad/vlek-by-ask.pem': its chain does not verify"* ]]
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" --vlek "$M/vcek.pem"
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: VLEK '$M/vcek.pem' is not a VLEK (CN 'SEV-VCEK')"
	refute grep -q SNP_VLEK_LOAD "$LOG"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "vlek-load: SNP_VLEK_LOAD refused: tables unchanged, update-failed, exit 5" {
	add_hook 10-log
	set_state fail_SNP_VLEK_LOAD=1
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" "${CHAIN[@]}"
	assert_failure 5
	[[ "$stderr" == *"snp-certctl: SNP_VLEK_LOAD failed on '$T/sev': "* ]]
	assert_output "failed $TABLE: not switched: SNP_VLEK_LOAD failed; the table is unchanged"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
	assert_equal "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "pre-update locked update-failed "
	refute grep -q '^vlek_loaded=1' "$T/sev.state"
	[ ! -s "$T/store/.t.certs.snpcert-journal" ]
}

@test "vlek-load: the locks not had in time: exit 3, nothing loaded" {
	"$READER" -H 3000 "$TABLE" 3>&- &
	reader=$!
	wait_held "$TABLE"
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" "${CHAIN[@]}" --timeout 0.2
	assert_failure 3
	[[ "$stderr" == *"held by $reader (stock-reader) READ"* ]]
	refute grep -q SNP_VLEK_LOAD "$LOG"
	assert_equal "$(fingerprint "$TABLE")" "$BEFORE"
}

@test "vlek-load: usage errors (exit 2)" {
	run --separate-stderr fake vlek-load --vlek "$M/vlek.pem"
	assert_failure 2
	[[ "$stderr" == *"give the wrapped VLEK (--hashstick FILE) and its certificate (--vlek CERT)"* ]]
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" "${CHAIN[@]}" --timeout x
	assert_failure 2
}

@test "vlek-load: with no table in the store the VLEK is still loaded (with the hooks); its failure is the exit status" {
	rm "$TABLE"
	add_hook 10-log
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" "${CHAIN[@]}" --json
	assert_success
	[ "$(jq -c '[.loaded, .tables]' <<<"$output")" = '[true,[]]' ]
	grep -q "^vlek_sha256=$(sha256sum <"$T/hashstick" | cut -d' ' -f1)$" "$T/sev.state"
	assert_equal "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "pre-update locked post-update "
	set_state fail_SNP_VLEK_LOAD=7
	run --separate-stderr fake vlek-load --hashstick "$T/hashstick" "${CHAIN[@]}"
	assert_failure 5
	[[ "$stderr" == *"SNP_VLEK_LOAD failed on '$T/sev': "* ]]
}
