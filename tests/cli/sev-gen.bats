#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The SEV (pre-SNP) test platform: tests/tools/sev-gen's output verifies with
# sev-verify and fails when a byte is flipped, its reports, PEK rotation and
# new OCA; the fake firmware's SEV_PLATFORM_STATUS, SEV_PDH_CERT_EXPORT and
# GET_ID2 (through tests/tools/sev-fw.py); the KDS stand-in's /cek/id route.

load helpers

setup_file() {
	need_fixtures
}

setup() {
	common_setup
	SEV_GEN="$SNPCERT_BUILD/tests/tools/sev-gen"
	[ -x "$SEV_GEN" ] || fail "no $SEV_GEN: make tests"
	SEV_FW=(python3 "$REPO/tests/tools/sev-fw.py")
	FX="$SNPCERT_FIXTURES/sev"
	mkdir -p "$T/p"
	cp "$FX"/* "$T/p/"
	# The chain as sev-verify reads it (the KDS CEK, not the firmware's).
	mkdir -p "$T/c"
	cp "$FX"/{ark,ask,cek,oca,pek,pdh}.cert "$T/c/"
	MNONCE=00112233445566778899aabbccddeeff
}

# Flip one byte of FILE at OFFSET (decimal).
flip() {
	python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[o] ^= 1; open(p, "wb").write(b)' "$1" "$2"
}

# The bytes [FROM, TO) of FILE as hex.
bytes_of() {
	python3 -c 'import sys
b = open(sys.argv[1], "rb").read(); print(b[int(sys.argv[2]):int(sys.argv[3])].hex())' "$@"
}

@test "sev-gen: the fixture platform has every file, the sizes and slots of the format" {
	local f
	for f in ark ask; do
		assert_equal "$(stat -c %s "$FX/$f.cert")" 1600
	done
	for f in cek cek-fw oca pek pdh; do
		assert_equal "$(stat -c %s "$FX/$f.cert")" 2084
	done
	assert_equal "$(stat -c %s "$FX/id.bin")" 64
	for f in ark ask cek oca pek pdh; do
		grep -q "BEGIN PRIVATE KEY" "$FX/$f.key"
	done
	# The firmware's CEK: the KDS CEK's key (bytes 008-413), both slots empty.
	assert_equal "$(bytes_of "$FX/cek-fw.cert" 8 1044)" "$(bytes_of "$FX/cek.cert" 8 1044)"
	assert_equal "$(bytes_of "$FX/cek-fw.cert" 1044 1052)" 0010000000000000
	assert_equal "$(bytes_of "$FX/cek-fw.cert" 1564 1572)" 0010000000000000
	[ "$(bytes_of "$FX/cek-fw.cert" 4 6)" != "$(bytes_of "$FX/cek.cert" 4 6)" ]
	# The PEK: OCA in sig1, CEK in sig2.
	assert_equal "$(bytes_of "$FX/pek.cert" 1044 1052)" 0110000002000000
	assert_equal "$(bytes_of "$FX/pek.cert" 1564 1572)" 0410000002000000
	# The CEK: the ASK (0x13, RSA-SHA384) in sig1.
	assert_equal "$(bytes_of "$FX/cek.cert" 1044 1052)" 1300000001010000
}

@test "sev-gen: sev-verify passes every check on the platform and its report" {
	run certctl sev-verify "$T/c" --trust-root "$FX/ark.cert"
	assert_success
	refute_output --partial FAIL
	assert_line "PASS ark-trusted: the ARK is the --trust-root ARK"
	assert_line --partial "PASS cek-signature: the CEK is signed by the ASK (RSA-SHA384)"
	assert_line --partial "PASS pek-cek-signature:"
	assert_line "the SEV chain in '$T/c' verifies (private root)"
	run "$SEV_GEN" report --pek-key "$FX/pek.key" --mnonce "$MNONCE" --policy 5 -o "$T/r.bin"
	assert_success
	assert_equal "$(stat -c %s "$T/r.bin")" 208
	assert_equal "$(bytes_of "$T/r.bin" 0 16)" "$MNONCE"
	assert_equal "$(bytes_of "$T/r.bin" 48 64)" 05000000021000000200000000000000
	run certctl sev-verify "$T/c" --trust-root "$FX/ark.cert" --report "$T/r.bin" \
		--mnonce "$MNONCE"
	assert_success
	assert_line "PASS report-signature: the report is signed by the PEK"
	assert_line "PASS report-mnonce: the report carries the mnonce asked for"
}

@test "sev-gen: a flipped byte in any certificate or the report fails its check" {
	local f check off
	for f in ark:ark-signature:586 ask:ask-signature:586 cek:cek-signature:40 \
		oca:oca-signature:40 pek:pek-oca-signature:40 pdh:pdh-signature:40; do
		IFS=: read -r name check off <<< "$f"
		rm -rf "$T/x"
		cp -r "$T/c" "$T/x"
		flip "$T/x/$name.cert" "$off"
		run certctl sev-verify "$T/x" --trust-root "$T/x/ark.cert"
		assert_failure 4
		assert_line --partial "FAIL $check"
	done
	"$SEV_GEN" report --pek-key "$FX/pek.key" --mnonce "$MNONCE" -o "$T/r.bin"
	flip "$T/r.bin" 20
	run certctl sev-verify "$T/c" --trust-root "$FX/ark.cert" --report "$T/r.bin"
	assert_failure 4
	assert_line --partial "FAIL report-signature"
	# Signed by another key than the PEK's.
	"$SEV_GEN" report --pek-key "$FX/oca.key" --mnonce "$MNONCE" -o "$T/r.bin"
	run certctl sev-verify "$T/c" --trust-root "$FX/ark.cert" --report "$T/r.bin"
	assert_failure 4
	assert_line --partial "FAIL report-signature"
	# The KDS CEK replaced by the firmware's unsigned one.
	cp "$FX/cek-fw.cert" "$T/c/cek.cert"
	run certctl sev-verify "$T/c" --trust-root "$FX/ark.cert"
	assert_failure 4
	assert_line --partial "FAIL cek-signature"
}

@test "sev-gen rotate-pek and new-oca: the chain still verifies, the old parts no longer fit" {
	local old_pek old_pdh
	old_pek=$(sha256sum < "$T/p/pek.cert")
	old_pdh=$(sha256sum < "$T/p/pdh.cert")
	run "$SEV_GEN" rotate-pek "$T/p"
	assert_success
	[ "$(sha256sum < "$T/p/pek.cert")" != "$old_pek" ]
	[ "$(sha256sum < "$T/p/pdh.cert")" != "$old_pdh" ]
	cmp "$T/p/oca.cert" "$FX/oca.cert"
	run certctl sev-verify "$T/p" --trust-root "$T/p/ark.cert" -q
	assert_success
	# The old PDH is not signed by the new PEK.
	cp "$FX/pdh.cert" "$T/p/pdh.cert"
	run certctl sev-verify "$T/p" --trust-root "$T/p/ark.cert"
	assert_failure 4
	assert_line --partial "FAIL pdh-signature"
	"$SEV_GEN" rotate-pek "$T/p"
	cp "$T/p/oca.cert" "$T/old-oca.cert"
	run "$SEV_GEN" new-oca "$T/p"
	assert_success
	run cmp -s "$T/p/oca.cert" "$T/old-oca.cert"
	assert_failure
	run certctl sev-verify "$T/p" --trust-root "$T/p/ark.cert" -q
	assert_success
	# A report by the re-signed PEK (same key) still verifies.
	"$SEV_GEN" report --pek-key "$T/p/pek.key" --mnonce "$MNONCE" -o "$T/r.bin"
	run certctl sev-verify "$T/p" --trust-root "$T/p/ark.cert" --report "$T/r.bin" -q
	assert_success
	cp "$T/old-oca.cert" "$T/p/oca.cert"
	run certctl sev-verify "$T/p" --trust-root "$T/p/ark.cert"
	assert_failure 4
	assert_line --partial "FAIL pek-oca-signature"
}

@test "sev-gen platform --gen naples: RSA-2048, PSS SHA-256, verifies" {
	run "$SEV_GEN" platform "$T/n" --gen naples
	assert_success
	assert_equal "$(stat -c %s "$T/n/ark.cert")" 832
	assert_equal "$(bytes_of "$T/n/cek.cert" 1044 1052)" 1300000001000000
	run certctl sev-verify "$T/n" --trust-root "$T/n/ark.cert"
	assert_success
	assert_line --partial "PASS ark-signature: the ARK is self-signed (RSASSA-PSS, SHA-256)"
	assert_line --partial "PASS cek-signature: the CEK is signed by the ASK (RSA-SHA256)"
	# Another platform's ARK is not this one's root.
	run certctl sev-verify "$T/n" --trust-root "$FX/ark.cert"
	assert_failure 4
}

@test "sev-gen: bad usage exits 2, a missing key 1" {
	run "$SEV_GEN"
	assert_failure 2
	run "$SEV_GEN" frobnicate
	assert_failure 2
	run "$SEV_GEN" platform "$T/y" --gen venice
	assert_failure 2
	assert_output "sev-gen: unknown generation 'venice'"
	run "$SEV_GEN" platform "$T/y" --ca-bits 3072
	assert_failure 2
	run "$SEV_GEN" report --pek-key "$FX/pek.key" --mnonce 0011 -o "$T/r.bin"
	assert_failure 2
	assert_output "sev-gen: --mnonce must be 32 hex digits"
	run "$SEV_GEN" report --pek-key "$FX/pek.key" --mnonce "$MNONCE" --digest zz -o "$T/r.bin"
	assert_failure 2
	run "$SEV_GEN" report --pek-key "$T/none.key" --mnonce "$MNONCE" -o "$T/r.bin"
	assert_failure 1
	assert_output --partial "sev-gen: cannot open '$T/none.key'"
	[ ! -e "$T/r.bin" ]
	run "$SEV_GEN" rotate-pek "$T/empty"
	assert_failure 1
}

# ---- the fake firmware's SEV commands ----------------------------------------

# sev-fw.py under the fake firmware (after fake_sev_setup).
fw() {
	LD_PRELOAD="$FAKE_SO" FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" \
		"${SEV_FW[@]}" --device "$T/sev" "$@"
}

@test "fake-sev SEV_PLATFORM_STATUS: the 12-byte status from the state keys" {
	fake_sev_setup
	run fw status
	assert_success
	assert_output "api=1.55 state=1 flags=0x100 build=21 guests=3"
	set_state sev_state=2 sev_flags=0x101 api_major=0 api_minor=24
	run fw --rdonly status
	assert_success
	assert_output "api=0.24 state=2 flags=0x101 build=21 guests=3"
	set_state errno_SEV_PLATFORM_STATUS=5
	run fw status
	assert_failure 1
	assert_output "errno=EIO fw=4294967295 "
	set_state errno_SEV_PLATFORM_STATUS=0 fail_SEV_PLATFORM_STATUS=0x11
	run fw status
	assert_failure 1
	assert_output "errno=EIO fw=17 "
	grep -q " SEV_PLATFORM_STATUS ok$" "$LOG"
	grep -q " SEV_PLATFORM_STATUS fw=17$" "$LOG"
}

@test "fake-sev SEV_PDH_CERT_EXPORT: length query, then PDH and PEK||OCA||CEK from sev_chain" {
	fake_sev_setup
	set_state "sev_chain=$FX"
	run fw pdh-export --query "$T"
	assert_success
	assert_output "query errno=EIO fw=4 pdh_len=2084 chain_len=6252"
	run fw --rdonly pdh-export "$T"
	assert_success
	assert_line "pdh_len=2084 chain_len=6252"
	cmp "$T/pdh.cert" "$FX/pdh.cert"
	cat "$FX/pek.cert" "$FX/oca.cert" "$FX/cek-fw.cert" | cmp - "$T/chain.cert"
	# Buffers too small: INVALID_LEN with the lengths; over 16 KiB: EFAULT.
	run fw pdh-export --pdh-len 2084 --chain-len 6251 "$T"
	assert_failure 1
	assert_output "errno=EIO fw=4 pdh_len=2084 chain_len=6252"
	run fw pdh-export --pdh-len 16385 --chain-len 6252 "$T"
	assert_failure 1
	assert_output --partial "errno=EFAULT"
	local t0 t1
	set_state delay_ms_SEV_PDH_CERT_EXPORT=300
	t0=$(date +%s%N)
	run fw pdh-export --query "$T"
	t1=$(date +%s%N)
	assert_success
	[ $(((t1 - t0) / 1000000)) -ge 300 ]
	set_state delay_ms_SEV_PDH_CERT_EXPORT=0 fail_SEV_PDH_CERT_EXPORT=1
	run fw pdh-export --pdh-len 2084 --chain-len 6252 "$T"
	assert_failure 1
	assert_output "errno=EIO fw=1 pdh_len=2084 chain_len=6252"
	grep -q " SEV_PDH_CERT_EXPORT ok$" "$LOG"
	grep -q " SEV_PDH_CERT_EXPORT fw=4$" "$LOG"
}

@test "fake-sev SEV_PDH_CERT_EXPORT: EPERM read-only before INIT; a writable call initialises" {
	fake_sev_setup
	set_state "sev_chain=$FX" sev_state=0
	run fw --rdonly pdh-export "$T"
	assert_failure 1
	assert_output --partial "query errno=EPERM"
	grep -q "^sev_state=0$" "$STATE"
	run fw pdh-export "$T"
	assert_success
	grep -q "^sev_state=1$" "$STATE"
	run fw --rdonly pdh-export "$T"
	assert_success
	# No chain directory, or a short file: EIO without a firmware call.
	set_state "sev_chain=$T/nochain"
	run fw pdh-export --pdh-len 2084 --chain-len 6252 "$T"
	assert_failure 1
	assert_output --partial "fake-sev: cannot open '$T/nochain/pdh.cert'"
	assert_output --partial "errno=EIO fw=4294967295"
	mkdir -p "$T/short"
	cp "$FX"/*.cert "$T/short/"
	head -c 2000 "$FX/oca.cert" > "$T/short/oca.cert"
	set_state "sev_chain=$T/short"
	run fw pdh-export "$T"
	assert_failure 1
	assert_output --partial "is 2000 bytes, not 2084"
}

@test "fake-sev GET_ID2: id.bin with sev_chain, chip_id otherwise" {
	fake_sev_setup
	run fw get-id2 "$T/id"
	assert_success
	assert_output "len=64"
	assert_equal "$(xxd -p -c 256 "$T/id")" "$SAMPLE_HWID"
	set_state "sev_chain=$FX"
	run fw --rdonly get-id2 "$T/id"
	assert_success
	cmp "$T/id" "$FX/id.bin"
	run fw get-id2 --len 63 "$T/id"
	assert_failure 1
	assert_output "errno=EIO fw=4 len=64"
}

# ---- the KDS stand-in's /cek/id ----------------------------------------------

@test "kds-server /cek/id: either case, 404 when absent, the fault modes with target=cek" {
	local hex port
	hex=$(xxd -p -c 256 "$FX/id.bin")
	mkdir -p "$T/ceks"
	cp "$FX/cek.cert" "$T/ceks/${hex^^}.cert"
	start_kds cek --cek-dir "$T/ceks"
	wait_kds cek
	port=$(cat "$BATS_FILE_TMPDIR/cek.port")
	run curl -sS -o "$T/got" -w '%{http_code}' "http://127.0.0.1:$port/cek/id/$hex"
	assert_output 200
	cmp "$T/got" "$FX/cek.cert"
	run curl -sS -o "$T/got" -w '%{http_code}' "http://127.0.0.1:$port/cek/id/${hex^^}"
	assert_output 200
	cmp "$T/got" "$FX/cek.cert"
	run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/cek/id/${hex:0:126}00"
	assert_output 404
	run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/cek/id/xyz"
	assert_output 404
	run curl -sS -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/cek/id/$hex"
	assert_output 405
	kds_mode 429 count=1 retry=7 target=cek
	run curl -sS -D - -o /dev/null "http://127.0.0.1:$port/cek/id/$hex"
	assert_line --partial "429"
	assert_line --partial "Retry-After: 7"
	run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/cek/id/$hex"
	assert_output 200
	kds_mode 500
	run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/cek/id/$hex"
	assert_output 200
	kds_mode garbage target=cek
	run curl -sS -o "$T/got" -w '%{http_code}' "http://127.0.0.1:$port/cek/id/$hex"
	assert_output 200
	run cmp -s "$T/got" "$FX/cek.cert"
	assert_failure
	kds_mode ok
	stop_kds cek
	assert_equal "$(kds_requests "GET /cek/id/$hex 200")" 4
	assert_equal "$(kds_requests "GET /cek/id/${hex^^} 200")" 1
	assert_equal "$(kds_requests " 429")" 1
	assert_equal "$(kds_requests " 404")" 2
}
