#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# show: every entry, text and JSON; malformed tables name the byte.

load helpers

setup() {
	common_setup
	sample_table "$T/t.certs"
}

@test "show --json: the sample VCEK's TCB, hwid, product and times" {
	run certctl show --json "$T/t.certs"
	assert_success
	hwid=$(openssl x509 -in "$SAMPLE_VCEK" -noout -text | grep -A1 '3704.1.4:' >/dev/null; \
		openssl asn1parse -in "$SAMPLE_VCEK" | grep -A1 ':1.3.6.1.4.1.3704.1.4' | \
		tail -n 1 | sed 's/.*\[HEX DUMP\]://' | tr 'A-F' 'a-f')
	[ "$(jq -c '.entries[0].tcb' <<< "$output")" = \
		'{"bl":2,"tee":0,"snp":5,"ucode":68,"raw":"0x4405000000000002"}' ]
	[ "$(jq -r '.entries[0].hwid' <<< "$output")" = "$hwid" ]
	[ "$(jq -r '.entries[0].product' <<< "$output")" = Milan ]
	[ "$(jq -r '.entries[0].product_name' <<< "$output")" = Milan-B0 ]
	[ "$(jq -r '.entries[0].not_after' <<< "$output")" = 2029-09-24T00:55:28Z ]
	[ "$(jq -r '.entries[0].sha256' <<< "$output")" = \
		"$(openssl x509 -in "$SAMPLE_VCEK" -outform der | sha256sum | cut -d' ' -f1)" ]
	[ "$(jq -r '.file' <<< "$output")" = "$T/t.certs" ]
	[ "$(jq -r '.size' <<< "$output")" = 4772 ]
	# Fields that do not apply are omitted.
	[ "$(jq -r '.entries[1] | has("tcb") or has("hwid")' <<< "$output")" = false ]
	[ "$(jq -r '.entries[2].sha256' <<< "$output")" = \
		69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd ]
}

@test "show: text output names every entry" {
	run certctl show "$T/t.certs"
	assert_success
	assert_line "$T/t.certs: 3 entries, 4772 bytes"
	assert_line "[0] vcek  63da758d-e664-4564-adc5-f4b93be8accd  offset 96  length 1360"
	assert_line "    tcb         bl=2,tee=0,snp=5,ucode=68 (0x4405000000000002)"
	assert_line --partial "[2] ark   c0b406a4-a803-4952-9743-3fb6014cd0ae"
}

@test "show: Turin TCB has fmc and the 8-byte hwid" {
	test_table turin "$T/turin.certs"
	run certctl show --json "$T/turin.certs"
	assert_success
	[ "$(jq -c '.entries[0].tcb' <<< "$output")" = \
		'{"bl":4,"tee":3,"snp":22,"ucode":71,"fmc":1,"raw":"0x4700000016030401"}' ]
	[ "$(jq -r '.entries[0].hwid' <<< "$output")" = 0123456789abcdef ]
	[ "$(jq -r '.entries[0].product' <<< "$output")" = Turin ]
}

@test "show: an empty table" {
	head -c 24 /dev/zero > "$T/empty"
	run certctl show --json "$T/empty"
	assert_success
	[ "$(jq -c .entries <<< "$output")" = "[]" ]
}

@test "show: a malformed table exits 4 naming the byte offset" {
	# Cut inside the VCEK data: entry 0 now runs past the end.
	head -c 1000 "$T/t.certs" > "$T/cut"
	run certctl show "$T/cut"
	assert_failure 4
	assert_output "snp-certctl: '$T/cut' is malformed at byte 16 (entry 0): entry data runs past the end of the table"
	# No terminator.
	head -c 72 "$T/t.certs" > "$T/noterm"
	run certctl show "$T/noterm"
	assert_failure 4
	assert_output "snp-certctl: '$T/noterm' is malformed at byte 72 (entry 3): no terminating zero entry"
	# The first entry zeroed (an interrupted in-place write).
	cp "$T/t.certs" "$T/torn"
	dd if=/dev/zero of="$T/torn" bs=24 count=1 conv=notrunc 2>/dev/null
	run certctl show "$T/torn"
	assert_failure 4
	assert_output --partial "malformed at byte 24: an empty entry array followed by more bytes (an interrupted in-place write)"
	: > "$T/empty"
	run certctl show "$T/empty"
	assert_failure 4
	assert_output --partial "shorter than one 24-byte entry"
	# A device is no table: refused before it is read.
	run certctl show /dev/null
	assert_failure 1
	assert_output "snp-certctl: refusing '/dev/null': not a regular file"
}

@test "show: garbage in a certificate slot is shown and exits 4" {
	head -c 24 /dev/zero > "$T/z"
	printf 'not a cert' > "$T/junk"
	# a table whose VCEK slot holds junk, built with --entry through a renamed GUID
	certctl build -q --no-verify -o "$T/x.certs" --vcek "$SAMPLE_VCEK" \
		--entry 11111111-2222-3333-4444-555555555555="$T/junk"
	# swap the opaque GUID for the VLEK GUID (entry 3 starts at byte 72)
	printf '\xa8\x07\x4b\xc2\xa2\x5a\x48\x3e\xaa\xe6\x39\xc0\x45\xa0\xb8\xa1' |
		dd of="$T/x.certs" bs=1 seek=72 conv=notrunc 2>/dev/null
	run certctl show "$T/x.certs"
	assert_failure 4
	assert_output --partial "entry 3 (vlek) at byte"
	assert_output --partial "error       not a valid certificate"
}

@test "show: over 16 KiB warns but shows" {
	head -c 17000 /dev/urandom > "$T/big.bin"
	# Lay out a large table by hand: one opaque entry.
	python3 - "$T/big.bin" "$T/big.certs" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
guid = bytes.fromhex('11111111222233334444555555555555')
open(sys.argv[2], 'wb').write(guid + struct.pack('<II', 48, len(data)) + bytes(24) + data)
PY
	run certctl show "$T/big.certs"
	assert_success
	assert_output --partial "warning: '$T/big.certs' is 17048 bytes, over the 16 KiB Linux guests accept"
}

@test "show: usage errors and missing files" {
	run certctl show
	assert_failure 2
	assert_line "snp-certctl: show: no table given"
	run certctl show "$T/nope"
	assert_failure 1
	assert_output "snp-certctl: cannot read '$T/nope': No such file or directory"
	run certctl show "$T"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T': not a regular file"
}

@test "show --json: a path with a quote, a newline and a byte that is not UTF-8 is valid JSON" {
	odd="$T/a\"b"$'\n'$'\xff'".certs"
	cp "$T/t.certs" "$odd"
	run certctl show --json "$odd"
	assert_success
	python3 -c 'import json, sys; d = json.loads(sys.stdin.buffer.read().decode("utf-8")); \
		assert d["file"].endswith("a\"b\n\ufffd.certs"), d["file"]' <<< "$output"
}

@test "show, verify, extract, status read a table as a VMM does: under the shared lock" {
	local good
	good=$(certctl show "$T/t.certs")
	# A writer holding the lock has the table half-written for a moment.
	certctl lock "$T/t.certs" -- sh -c 'cp "$1" "$1.bak"; head -c 100 "$1.bak" > "$1";
		sleep 1.5; cat "$1.bak" > "$1"' sh "$T/t.certs" &
	sleep 0.5
	run --separate-stderr certctl show "$T/t.certs"
	assert_success
	assert_output "$good"
	wait
	# With no time to wait, busy is exit 3, never "malformed".
	certctl lock "$T/t.certs" -- sh -c ': >"$0"; exec sleep 2' "$T/.held" &
	wait_file "$T/.held"
	SNP_CERTCTL_LOCK_TIMEOUT=0 run --separate-stderr certctl show "$T/t.certs"
	assert_failure 3
	[[ "$stderr" == *"cannot lock '$T/t.certs': busy"* ]]
	SNP_CERTCTL_LOCK_TIMEOUT=0 run --separate-stderr certctl verify "$T/t.certs"
	assert_failure 3
	SNP_CERTCTL_LOCK_TIMEOUT=0 run --separate-stderr certctl extract -d "$T" "$T/t.certs"
	assert_failure 3
	cp "$T/t.certs" "$T/store/a.certs"
	wait
	certctl lock "$T/store/a.certs" -- sh -c ': >"$0"; exec sleep 2' "$T/.held-a" &
	wait_file "$T/.held-a"
	SNP_CERTCTL_LOCK_TIMEOUT=0 run --separate-stderr certctl status --json
	assert_success
	[ "$(jq -r '.store.tables[0].status' <<<"$output")" = busy ]
	wait
}

@test "show: a symbolic link or a FIFO is refused, never followed or waited on" {
	ln -s "$T/t.certs" "$T/link.certs"
	run --separate-stderr certctl show "$T/link.certs"
	assert_failure 1
	[[ "$stderr" == *"refusing '$T/link.certs': it is a symbolic link"* ]]
	mkfifo "$T/fifo.certs"
	run --separate-stderr timeout 5 "$SNP_CERTCTL" show "$T/fifo.certs"
	assert_failure 1
	[[ "$stderr" == *"refusing '$T/fifo.certs': not a regular file"* ]]
}

@test "show: a certificate or a CRL instead of a table says what it is and what to run" {
	run --separate-stderr certctl show "$SNPCERT_FIXTURES/milan/ask.pem"
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: '$SNPCERT_FIXTURES/milan/ask.pem' is a certificate, not a certificate table: make a table of it with 'snp-certctl build -o TABLE --ask $SNPCERT_FIXTURES/milan/ask.pem ...'"
	run --separate-stderr certctl show "$SNPCERT_FIXTURES/milan/vcek.der"
	assert_failure 4
	[[ "$stderr" == *"is a certificate, not a certificate table: "*"--vcek "* ]]
	run --separate-stderr certctl show "$SNPCERT_FIXTURES/milan/crl.der"
	assert_failure 4
	[[ "$stderr" == *"is a CRL, not a certificate table: add it to a table with 'snp-certctl update TABLE --crl "* ]]
}

# ---- show --url: this host's KDS URLs (snphost show vcek-url) ----

@test "show --url: the VCEK URL for the reported TCB and chip id, the CA chains and CRLs, the provider's VLEK" {
	fake_sev_setup
	run --separate-stderr fake show --url --product milan
	assert_success
	assert_equal "$output" "vcek: https://kdsintf.amd.com/vcek/v1/Milan/$SAMPLE_HWID?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68
vcek_cert_chain: https://kdsintf.amd.com/vcek/v1/Milan/cert_chain
vcek_crl: https://kdsintf.amd.com/vcek/v1/Milan/crl
vlek: https://kdsintf.amd.com:444/vlek/v1/Milan/cert?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68  (client certificate: fetch vlek)
vlek_cert_chain: https://kdsintf.amd.com/vlek/v1/Milan/cert_chain
vlek_crl: https://kdsintf.amd.com/vlek/v1/Milan/crl"
	# The same URL fetch --platform asks for.
	grep -q "^reported_tcb=$SAMPLE_TCB$" "$STATE"
}

@test "show --url: Turin asks with the first 8 bytes of the chip id and fmcSPL first; --json; a mirror's base" {
	fake_sev_setup
	fake_test_platform turin
	export SNP_CERTCTL_KDS_URL=http://mirror.example/kds/ SNP_CERTCTL_KDS_CSP_URL=https://csp.example:8444
	run --separate-stderr fake show --url --json
	assert_success
	[ "$(jq -r '.urls.vcek' <<<"$output")" = \
		"http://mirror.example/kds/vcek/v1/Turin/0123456789abcdef?fmcSPL=1&blSPL=4&teeSPL=3&snpSPL=22&ucodeSPL=71" ]
	[ "$(jq -r '.urls.vlek' <<<"$output")" = \
		"https://csp.example:8444/vlek/v1/Turin/cert?fmcSPL=1&blSPL=4&teeSPL=3&snpSPL=22&ucodeSPL=71" ]
	[ "$(jq -r '.urls.vlek_crl, .product, .reported_tcb.fmc, .chip_id' <<<"$output")" = \
		"http://mirror.example/kds/vlek/v1/Turin/crl
Turin
1
$FX_HWID_TURIN" ]
}

@test "show --url: a masked chip id has no VCEK URL (said on stderr, null in JSON), the others stay" {
	fake_sev_setup
	set_state mask_chip_id=1
	run --separate-stderr fake show --url --product milan
	assert_success
	[[ "$stderr" == *"the firmware masks the chip id (mask_chip_id): no VCEK URL; use a VLEK"* ]]
	refute_line --partial "vcek: "
	assert_line "vcek_crl: https://kdsintf.amd.com/vcek/v1/Milan/crl"
	run --separate-stderr fake show --url --product milan --json
	[ "$(jq -c '[.urls.vcek, .chip_id]' <<<"$output")" = '[null,null]' ]
}

@test "show --url: no SEV device exits 5; with a table, or --product without --url, a usage error" {
	SNP_CERTCTL_DEVICE="$T/none" run --separate-stderr certctl show --url --product milan
	assert_failure 5
	run --separate-stderr certctl show --url "$T/t.certs"
	assert_failure 2
	run --separate-stderr certctl show --product milan "$T/t.certs"
	assert_failure 2
}

@test "show --url: on Venice (the simulated CPU), no URL: AMD has published no KDS endpoint (exit 5)" {
	load host
	fake_sev_setup
	fake_host_setup
	host_cpu amd 0x1a 0x50
	run --separate-stderr on_host show --url
	assert_failure 5
	assert_output ""
	assert_equal "$stderr" "snp-certctl: this CPU is Venice (Zen 6, family 0x1a model 0x50): AMD has published no KDS endpoint or CA chain for it yet, so no URL is known"
	# Family 0x1a next to Venice's models is Turin: its URLs.
	host_cpu amd 0x1a 0x02
	run --separate-stderr on_host show --url
	assert_success
	assert_line --partial "vcek_cert_chain: https://kdsintf.amd.com/vcek/v1/Turin/cert_chain"
}
