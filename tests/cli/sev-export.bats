#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# sev-export: the SEV (pre-SNP) platform chain from the simulated firmware
# (tests/fakes/sev.so, sev_chain=DIR) and the KDS stand-in (/cek/id/ID)
# into the store: a test platform (tests/tools/sev-gen) under a private
# root, AMD's real Naples export under the pinned roots, idempotence, PEK
# rotation and a new OCA in place, every refusal with nothing written, the
# hooks, the locks, and a crash at each step of the set's update.

load helpers

SEV_GEN="$SNPCERT_BUILD/tests/tools/sev-gen"
NAPLES="$REPO/tests/data/sev-legacy/platform/naples-export"
REAL="$REPO/tests/data/sev-legacy/platform"

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

teardown() {
	stop_jobs
}

# sha256 and inode of each member, one line each.
members() {
	local f
	for f in pek oca cek pdh ask ark; do
		printf '%s %s\n' "$f" "$(fingerprint "$SEV/$f.cert")"
	done
}

# The store's chain verifies with the test roots.
chain_verifies() {
	certctl sev-verify -q "$SEV"
}

@test "sev-export: the first export writes the whole chain, 0644, and it verifies" {
	run --separate-stderr fake sev-export
	assert_success
	assert_output "the SEV chain in '$SEV' is updated (private root)"
	for f in pek oca cek pdh ask ark; do
		assert_equal "$(stat -c %a "$SEV/$f.cert")" 644
	done
	assert_equal "$(stat -c %a "$SEV")" 755
	cmp "$SEV/pek.cert" "$PLAT/pek.cert"
	cmp "$SEV/oca.cert" "$PLAT/oca.cert"
	cmp "$SEV/pdh.cert" "$PLAT/pdh.cert"
	# The CEK as KDS signed it, not the firmware's unsigned one.
	cmp "$SEV/cek.cert" "$PLAT/cek.cert"
	cmp "$SEV/ask.cert" "$PLAT/ask.cert"
	cmp "$SEV/ark.cert" "$PLAT/ark.cert"
	run chain_verifies
	assert_success
	assert_equal "$(kds_requests /cek/id/)" 1
	# The store's tables are not confused by the directory.
	run --separate-stderr certctl status
	refute_output --partial "not a regular file"
	[[ $stderr != *"not a regular file"* ]]
}

@test "sev-export: a second export changes nothing, asks nothing, runs no hook" {
	fake sev-export -q
	members >"$T/before"
	: >"$KDS_LOG"
	add_hook 10-log
	run --separate-stderr fake sev-export --json
	assert_success
	assert_equal "$(jq -r .changed <<< "$output")" false
	assert_equal "$(jq -r .locks_held_us <<< "$output")" 0
	assert_equal "$(jq -r .cek.from_cache <<< "$output")" true
	assert_equal "$(jq -r '[.files[].action] | unique | join(" ")' <<< "$output")" unchanged
	members >"$T/after"
	diff "$T/before" "$T/after"
	assert_equal "$(kds_requests)" 0
	[ ! -e "$T/hooks.log" ]
}

@test "sev-export: KDS signs anew; a CEK of the same key is no change" {
	fake sev-export -q
	members >"$T/before"
	rm -rf "$T/cache"/*
	# Another CEK certificate of the same key: a byte of its signature differs.
	python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[0x420] ^= 1; open(sys.argv[1], "wb").write(b)' \
		"$BATS_FILE_TMPDIR/cek/"*.cert
	run fake sev-export --json
	# A CEK whose signature no longer verifies is refused, even though its key is the same.
	assert_failure 4
	members >"$T/after"
	diff "$T/before" "$T/after"
}

@test "sev-export: a PEK rotation updates pek.cert and pdh.cert in place, with the hooks" {
	fake sev-export -q
	members >"$T/before"
	add_hook 10-log
	"$SEV_GEN" rotate-pek "$PLAT"
	run --separate-stderr fake sev-export --json
	assert_success
	assert_equal "$(jq -r .changed <<< "$output")" true
	assert_equal "$(jq -r '[.files[] | "\(.file)=\(.action)"] | join(" ")' <<< "$output")" \
		"pek.cert=updated oca.cert=unchanged cek.cert=unchanged pdh.cert=updated ask.cert=unchanged ark.cert=unchanged"
	members >"$T/after"
	# Same inodes everywhere; only the PEK's and the PDH's bytes differ.
	diff <(awk '{print $1, $3}' "$T/before") <(awk '{print $1, $3}' "$T/after")
	assert_equal "$(diff "$T/before" "$T/after" | grep -c '^>')" 2
	cmp "$SEV/pek.cert" "$PLAT/pek.cert"
	cmp "$SEV/pdh.cert" "$PLAT/pdh.cert"
	run chain_verifies
	assert_success
	assert_equal "$(cut -d' ' -f1,3 "$T/hooks.log" | tr '\n' ' ')" \
		"pre-update cmd=sev-export locked cmd=sev-export post-update cmd=sev-export "
	grep -q "tables=$SEV/pek.cert $SEV/pdh.cert\$" "$T/hooks.log"
}

@test "sev-export: a new OCA updates oca.cert and pek.cert" {
	fake sev-export -q
	"$SEV_GEN" new-oca "$PLAT"
	run fake sev-export --json
	assert_success
	assert_equal "$(jq -r '[.files[] | select(.action != "unchanged") | .file] | join(" ")' <<< "$output")" \
		"pek.cert oca.cert"
	cmp "$SEV/oca.cert" "$PLAT/oca.cert"
	run chain_verifies
	assert_success
}

@test "sev-export: AMD's real Naples chain under the pinned roots, no trust root" {
	# The firmware exports platform/naples's PEK, OCA, PDH and its CEK unsigned
	# (cek.uns.cert: the same key, another api_minor); KDS serves the signed CEK.
	unset SNP_CERTCTL_SEV_TRUST_ROOT
	mkdir "$T/naples"
	cp "$REAL/naples/"{pek,oca,pdh,cek}.cert "$T/naples/"
	cp "$NAPLES/cek.uns.cert" "$T/naples/cek-fw.cert"
	head -c 64 /dev/urandom >"$T/naples/id.bin"
	kds_serves "$T/naples"
	set_state "sev_chain=$T/naples"
	run --separate-stderr fake sev-export --json
	assert_success
	assert_equal "$(jq -r .generation <<< "$output")" naples
	assert_equal "$(jq -r .chip_id <<< "$output")" "$(od -An -v -tx1 "$T/naples/id.bin" | tr -d ' \n')"
	cmp "$SEV/cek.cert" "$REAL/naples/cek.cert"
	cmp "$SEV/pdh.cert" "$REAL/naples/pdh.cert"
	run certctl sev-verify "$SEV"
	assert_success
	assert_line "the SEV chain in '$SEV' verifies (Naples)"
	# The other Naples host's export: its CEK is not this KDS CEK's key.
	dd if="$NAPLES/pek_oca_cek.cert" of="$T/naples/cek-fw.cert" bs=2084 skip=2 count=1 status=none
	run --separate-stderr fake sev-export
	assert_failure 4
	[[ $stderr == *"its key differs from the CEK the firmware exports"* ]]
}

@test "sev-export: a CEK from KDS of another key is refused, nothing written" {
	"$SEV_GEN" platform "$T/other"
	cp "$T/other/cek.cert" "$BATS_FILE_TMPDIR/cek/"*.cert
	run --separate-stderr fake sev-export
	assert_failure 4
	[[ $stderr == *"CEK"*"does not verify"* ]] || { echo "$stderr"; false; }
	[ ! -e "$SEV" ]
	# Nothing unverified is cached: the CEK is signed by another ASK.
	[ -z "$(find "$T/cache" -type f)" ]
}

@test "sev-export: a chain that does not verify is not written, the stored one kept" {
	fake sev-export -q
	members >"$T/before"
	# The firmware's PEK with a flipped byte of its OCA signature.
	python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[0x41c] ^= 1; open(sys.argv[1], "wb").write(b)' \
		"$PLAT/pek.cert"
	add_hook 10-log
	run --separate-stderr fake sev-export
	assert_failure 4
	assert_line --partial "FAIL pek-oca-signature"
	[[ $stderr == *"the platform's SEV chain does not verify: nothing was written"* ]]
	members >"$T/after"
	diff "$T/before" "$T/after"
	[ ! -e "$T/hooks.log" ]
}

@test "sev-export: without the private root's ASK the CEK cannot verify" {
	export SNP_CERTCTL_SEV_TRUST_ROOT="$PLAT/ark.cert"
	run --separate-stderr fake sev-export
	assert_failure 4
	[ ! -e "$SEV" ]
	unset SNP_CERTCTL_SEV_TRUST_ROOT
	run --separate-stderr fake sev-export
	assert_failure 4
	[ ! -e "$SEV" ]
}

@test "sev-export: firmware and KDS failures: exit 5 and 6, nothing written" {
	set_state fail_SEV_PDH_CERT_EXPORT=6
	run --separate-stderr fake sev-export
	assert_failure 5
	[[ $stderr == *PDH_CERT_EXPORT* ]]
	set_state fail_SEV_PDH_CERT_EXPORT=0
	run --separate-stderr fake sev-export --offline
	assert_failure 6
	kds_mode 500 target=cek
	SNP_CERTCTL_KDS_RETRIES=0 run --separate-stderr fake sev-export
	assert_failure 6
	[ ! -e "$SEV" ]
	[ -z "$(find "$T/cache" -type f)" ]
	export SNP_CERTCTL_DEVICE="$T/no-such-device"
	run --separate-stderr certctl sev-export
	assert_failure 5
}

@test "sev-export: a reader holding a member's shared lock: exit 3, nothing changed" {
	fake sev-export -q
	members >"$T/before"
	"$SEV_GEN" rotate-pek "$PLAT"
	"$SNP_CERTCTL" lock -s "$SEV/pdh.cert" -- sleep 30 3>&- &
	for i in $(seq 50); do
		certctl locks --json "$SEV/pdh.cert" 2>/dev/null | grep -q READ && break
		sleep 0.1
	done
	run --separate-stderr fake sev-export --timeout 0.3
	assert_failure 3
	[[ $stderr == *"$SEV/pdh.cert"* ]]
	kill %1
	wait || true
	members >"$T/after"
	diff "$T/before" "$T/after"
	# The commit point was taken back: the stored set reads whole.
	assert_equal "$(stat -c %s "$SEV/.sev-chain.set")" 0
	run chain_verifies
	assert_success
}

@test "sev-export: a failing pre-update or locked hook stops the export, nothing changed" {
	fake sev-export -q
	members >"$T/before"
	"$SEV_GEN" rotate-pek "$PLAT"
	add_hook 10-stop 3
	run --separate-stderr fake sev-export
	assert_failure 1
	members >"$T/after"
	diff "$T/before" "$T/after"
	cat >"$T/hooks/10-stop" <<-EOF
		#!/bin/sh
		[ "\$SNP_CERTCTL_EVENT" = locked ] && exit 3
		echo "\$SNP_CERTCTL_EVENT" >>"$T/events"
		exit 0
	EOF
	run --separate-stderr fake sev-export
	assert_failure 1
	assert_equal "$(tr '\n' ' ' <"$T/events")" "pre-update update-failed "
	members >"$T/after"
	diff "$T/before" "$T/after"
	assert_equal "$(stat -c %s "$SEV/.sev-chain.set")" 0
}

# crash_export STEP: the rotation's export killed at libsnpcert's STEP.
crash_export() {
	crash_at "$1" env LD_PRELOAD="$FAKE_SO:$SNPCERT_BUILD/tests/fakes/crash.so" \
		FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" "$SNP_CERTCTL" sev-export -q
}

@test "sev-export: killed before the commit point, the old set stays and recovery drops the journals" {
	fake sev-export -q
	members >"$T/before"
	"$SEV_GEN" rotate-pek "$PLAT"
	run crash_export journal-written
	assert_failure 99
	members >"$T/after"
	diff "$T/before" "$T/after"
	run chain_verifies
	assert_success
	run --separate-stderr certctl recover --json
	assert_success
	assert_equal "$(jq -r .sev.result <<< "$output")" discarded
	assert_equal "$(stat -c %s "$SEV/.pek.cert.snpcert-journal")" 0
	members >"$T/after"
	diff "$T/before" "$T/after"
}

@test "sev-export: killed past the commit point, readers refuse the half set until recover completes it" {
	for step in locked truncated unlocked synced cleared; do
		rm -rf "$SEV" "$PLAT"
		cp -r "$SNPCERT_FIXTURES/sev" "$PLAT"
		fake sev-export -q
		"$SEV_GEN" rotate-pek "$PLAT"
		run crash_export "$step"
		assert_failure 99
		run --separate-stderr certctl sev-verify "$SEV"
		assert_failure 4
		[[ $stderr == *"an export was interrupted; run 'snp-certctl recover'"* ]] || {
			echo "at $step: $stderr"; false; }
		run certctl recover
		assert_success
		assert_line "$SEV: replayed: the interrupted SEV chain export was completed"
		cmp "$SEV/pek.cert" "$PLAT/pek.cert"
		cmp "$SEV/pdh.cert" "$PLAT/pdh.cert"
		run chain_verifies
		assert_success
	done
}

@test "sev-export: the chain's files are not tables: lock, update and recover FILE refuse them, an interrupted set kept" {
	fake sev-export -q
	"$SEV_GEN" rotate-pek "$PLAT"
	run crash_export truncated
	assert_failure 99
	# pek.cert's journal holds the new PEK, which the set's recovery needs;
	# taken for a table, the journal (not a table) would be dropped.
	sum() { (cd "$SEV" && sha256sum $(ls -A | sort)); }
	before=$(sum)
	for f in pek.cert .sev-chain.set; do
		run --separate-stderr certctl lock "$SEV/$f" -- true
		assert_failure 1
		assert_equal "$stderr" "snp-certctl: '$SEV/$f' belongs to the SEV chain that sev-export keeps as one set ($SEV/.sev-chain.set): not a table; sev-export, recover and sev-verify take it"
		run --separate-stderr certctl recover "$SEV/$f"
		assert_failure 1
		[[ $stderr == *"belongs to the SEV chain"* ]]
	done
	run --separate-stderr certctl update "$SEV/oca.cert" --remove 11111111-2222-3333-4444-555555555555
	assert_failure 1
	[[ $stderr == *"belongs to the SEV chain"* ]]
	assert_equal "$(sum)" "$before"
	# The set is still whole once recovered.
	run certctl recover
	assert_success
	assert_line "$SEV: replayed: the interrupted SEV chain export was completed"
	cmp "$SEV/pek.cert" "$PLAT/pek.cert"
	run chain_verifies
	assert_success
	# A shared lock is a reader's, as the broker takes it: allowed.
	run certctl lock --shared "$SEV/pek.cert" -- true
	assert_success
}

@test "sev-export: the next export completes an interrupted one first" {
	fake sev-export -q
	"$SEV_GEN" rotate-pek "$PLAT"
	run crash_export truncated
	assert_failure 99
	run fake sev-export --json
	assert_success
	assert_equal "$(jq -r .recovered <<< "$output")" replayed
	assert_equal "$(jq -r .changed <<< "$output")" false
	run chain_verifies
	assert_success
}

@test "sev-export: hostile places: a symlinked member, a member with two names, a file as the directory" {
	fake sev-export -q
	mv "$SEV/pdh.cert" "$T/elsewhere"
	ln -s "$T/elsewhere" "$SEV/pdh.cert"
	"$SEV_GEN" rotate-pek "$PLAT"
	run --separate-stderr fake sev-export
	assert_failure
	[ -L "$SEV/pdh.cert" ]
	rm "$SEV/pdh.cert"
	mv "$T/elsewhere" "$SEV/pdh.cert"
	ln "$SEV/pek.cert" "$T/second-name"
	members >"$T/before"
	run --separate-stderr fake sev-export
	assert_failure
	[[ $stderr == *"(hard links)"* ]]
	members >"$T/after"
	diff "$T/before" "$T/after"
	rm "$T/second-name"
	chmod 666 "$SEV/oca.cert"
	run --separate-stderr fake sev-export
	assert_failure
	chmod 644 "$SEV/oca.cert"
	rm -rf "$SEV"
	echo x >"$SEV"
	run --separate-stderr fake sev-export -d "$SEV"
	assert_failure
	[[ $stderr == *"not a directory"* ]] || { echo "$stderr"; false; }
	assert_equal "$(cat "$SEV")" x
}

@test "sev-export: full disk: the export fails whole, the stored set kept" {
	[ -w /dev/shm ] || skip "no /dev/shm"
	command -v mount >/dev/null && mountpoint -q /proc || skip "no mount"
	mkdir "$T/small"
	mount -t tmpfs -o size=64k tmpfs "$T/small" 2>/dev/null || skip "cannot mount tmpfs (not root?)"
	export SNP_CERTCTL_STORE="$T/small"
	SEV="$T/small/sev"
	fake sev-export -q
	members >"$T/before"
	"$SEV_GEN" rotate-pek "$PLAT"
	head -c 1M /dev/zero >"$T/small/fill" 2>/dev/null || true
	run --separate-stderr fake sev-export
	assert_failure
	members >"$T/after"
	diff "$T/before" "$T/after"
	run chain_verifies
	assert_success
	rm "$T/small/fill"
	run fake sev-export -q
	assert_success
	cmp "$SEV/pek.cert" "$PLAT/pek.cert"
	umount "$T/small"
}

@test "sev-export: racing exports and readers: every read is one whole set" {
	fake sev-export -q
	cp -r "$PLAT" "$T/plat-b"
	"$SEV_GEN" rotate-pek "$T/plat-b"
	(
		for i in $(seq 12); do
			if (( i % 2 )); then set_state "sev_chain=$T/plat-b"; else set_state "sev_chain=$PLAT"; fi
			fake sev-export -q --timeout 20 || echo "export $i failed" >>"$T/errors"
		done
	) &
	writer=$!
	n=0
	while kill -0 "$writer" 2>/dev/null; do
		certctl sev-verify -q --timeout 20 "$SEV" || echo "read $n: a torn set" >>"$T/errors"
		n=$((n + 1))
	done
	wait "$writer"
	[ ! -e "$T/errors" ] || { cat "$T/errors"; false; }
	(( n > 0 ))
}

@test "sev-export: the CEK goes into the fleet's mirror, and a host exports from it without KDS" {
	fake sev-export -q
	run --separate-stderr certctl mirror "$T/mirror" --json
	assert_success
	id=$(od -An -v -tx1 "$PLAT/id.bin" | tr -d ' \n' | tr a-f A-F)
	cmp "$T/mirror/cek/id/$id.cert" "$PLAT/cek.cert"
	assert_equal "$(jq -r '.entries[] | select(.kind == "cek") | .generation' "$T/mirror/index.json")" null
	serve_mirror "$T/mirror"
	rm -rf "$T/cache"/* "$SEV"
	: >"$KDS_LOG"
	run --separate-stderr fake sev-export --kds-mirror "$MIRROR_URL"
	assert_success
	assert_equal "$(kds_requests)" 0
	assert_equal "$(mirror_requests "/cek/id/$id.cert")" 1
	cmp "$SEV/cek.cert" "$PLAT/cek.cert"
	# A mirror that lies is not believed: KDS is asked, and said so.
	rm -rf "$T/cache"/* "$SEV"
	cp "$REPO/tests/data/sev-legacy/platform/rome/cek.cert" "$T/mirror/cek/id/$id.cert"
	run --separate-stderr fake sev-export --kds-mirror "$MIRROR_URL"
	assert_success
	[[ $stderr == *"mirror: "*"does not verify"*"asking KDS"* ]] || { echo "$stderr"; false; }
	assert_equal "$(kds_requests /cek/id/)" 1
	cmp "$SEV/cek.cert" "$PLAT/cek.cert"
}

@test "sev-export: usage errors" {
	run --separate-stderr certctl sev-export extra
	assert_failure 2
	run --separate-stderr certctl sev-export --product venice
	assert_failure 2
	run --separate-stderr certctl sev-export --trust-root a --trust-root b
	assert_failure 2
}

@test "sev-export: its runs are in the metrics (last run, result, lock hold)" {
	fake sev-export -q
	"$SEV_GEN" rotate-pek "$PLAT"
	fake sev-export -q
	run --separate-stderr certctl metrics
	assert_success
	assert_line --regexp '^snp_certctl_workflow_last_lock_hold_seconds\{workflow="sev-export"\} [0-9.e-]+$'
	assert_line --regexp '^snp_certctl_workflow_last_exit_status\{workflow="sev-export"\} 0$'
	set_state fail_SEV_PDH_CERT_EXPORT=6
	run fake sev-export -q
	assert_failure 5
	run --separate-stderr certctl metrics
	assert_line --regexp '^snp_certctl_workflow_last_exit_status\{workflow="sev-export"\} 5$'
}
