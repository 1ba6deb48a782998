#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# sev-verify: AMD's real SEV (pre-SNP) platform chains (tests/data/sev-legacy,
# from the reference set) against the pinned roots, every link broken in
# turn, and the refusals of bad files and options.

load helpers

SEV_DATA="$REPO/tests/data/sev-legacy"

setup() {
	common_setup
	for p in naples rome; do
		mkdir -p "$T/$p"
		cp "$SEV_DATA/platform/$p/"*.cert "$T/$p/"
	done
}

# Flip one byte of FILE at OFFSET (decimal).
flip() {
	python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[o] ^= 1; open(p, "wb").write(b)' "$1" "$2"
}

@test "sev-verify: AMD's Naples and Rome chains verify, the generation found" {
	run certctl sev-verify "$T/naples"
	assert_success
	assert_line "PASS ark-trusted: the ARK is AMD's pinned Naples ARK"
	assert_line --partial "PASS cek-signature: the CEK is signed by the ASK (RSA-SHA256)"
	assert_line --partial "PASS pek-cek-signature:"
	assert_line --partial "PASS pdh-signature:"
	assert_line "the SEV chain in '$T/naples' verifies (Naples)"
	refute_output --partial FAIL
	run certctl sev-verify "$T/rome"
	assert_success
	assert_line --partial "PASS cek-signature: the CEK is signed by the ASK (RSA-SHA384)"
	assert_line "the SEV chain in '$T/rome' verifies (Rome)"
}

@test "sev-verify --json" {
	run certctl sev-verify --json "$T/rome"
	assert_success
	assert_equal "$(jq -r .generation <<< "$output")" rome
	assert_equal "$(jq -r .ok <<< "$output")" true
	assert_equal "$(jq -r '[.checks[].name] | join(" ")' <<< "$output")" \
		"ark-format ark-trusted ark-signature ask-format ask-signature cek-format cek-signature oca-format oca-signature pek-format pek-oca-signature pek-cek-signature pdh-format pdh-signature"
	flip "$T/rome/pdh.cert" 48
	run certctl sev-verify --json "$T/rome"
	assert_failure 4
	assert_equal "$(jq -r .ok <<< "$output")" false
	assert_equal "$(jq -r .error.exit <<< "$output")" 4
}

@test "sev-verify: the store's sev/ by default" {
	mkdir -p "$T/store/sev"
	cp "$T/rome/"*.cert "$T/store/sev/"
	run certctl sev-verify -q
	assert_success
	assert_output ""
	rm "$T/store/sev/pek.cert"
	run certctl sev-verify
	assert_failure 4
	assert_output "snp-certctl: no PEK in '$T/store/sev': a SEV chain needs cek.cert, oca.cert and pek.cert"
}

@test "sev-verify --product: the wrong generation's ASK fails cek-signature" {
	run certctl sev-verify "$T/naples" --product rome
	assert_failure 4
	assert_line --partial "FAIL cek-signature: the CEK has no signature by the ASK"
	assert_line "snp-certctl: the SEV chain in '$T/naples' failed verification"
	run certctl sev-verify "$T/rome" --product Rome
	assert_success
	run certctl sev-verify "$T/rome" --product venice
	assert_failure 2
	assert_output --partial "invalid product 'venice'"
}

@test "sev-verify: a flipped byte in each link fails that link" {
	for f in cek:cek-signature oca:oca-signature pek:pek-oca-signature pdh:pdh-signature; do
		cp "$SEV_DATA/platform/rome/"*.cert "$T/rome/"
		flip "$T/rome/${f%%:*}.cert" 48
		run certctl sev-verify "$T/rome"
		assert_failure 4
		assert_line --partial "FAIL ${f#*:}:"
	done
	cp "$SEV_DATA/platform/rome/"*.cert "$T/rome/"
	flip "$T/rome/pek.cert" $((0x624 + 3))
	run certctl sev-verify "$T/rome"
	assert_failure 4
	assert_line "FAIL pek-cek-signature: the PEK's signature by the CEK does not verify"
}

@test "sev-verify: the roots in the directory, one at a time or AMD's combined file" {
	cp "$SEV_DATA/roots/rome/ark.cert" "$SEV_DATA/roots/rome/ask.cert" "$T/rome/"
	run certctl sev-verify "$T/rome"
	assert_success
	# Another generation's ASK under its own ARK: the CEK is not its.
	cp "$SEV_DATA/roots/milan/ark.cert" "$SEV_DATA/roots/milan/ask.cert" "$T/rome/"
	run certctl sev-verify "$T/rome"
	assert_failure 4
	assert_line --partial "PASS ask-signature:"
	assert_line --partial "FAIL cek-signature:"
	# An ASK under another generation's ARK.
	cp "$SEV_DATA/roots/rome/ask.cert" "$T/rome/"
	run certctl sev-verify "$T/rome"
	assert_failure 4
	assert_line --partial "FAIL ask-signature: the ASK is certified by another key"
	# A flipped byte of the ARK: not the pinned one.
	cp "$SEV_DATA/roots/rome/ark.cert" "$T/rome/"
	flip "$T/rome/ark.cert" 100
	run certctl sev-verify "$T/rome"
	assert_failure 4
	assert_line --partial "FAIL ark-trusted:"
	# AMD's ask_ark file (Naples, with the fixed ARK).
	cp "$SEV_DATA/platform/naples-export/ask_ark.cert" "$T/naples/"
	run certctl sev-verify "$T/naples"
	assert_success
	# AMD's unsigned Naples ARK is the pinned one.
	cp "$SEV_DATA/roots/naples/ark.cert.bad" "$T/naples/ark.cert"
	cp "$SEV_DATA/roots/naples/ask.cert" "$T/naples/"
	run certctl sev-verify "$T/naples"
	assert_success
	assert_line --partial "PASS ark-trusted: the ARK is AMD's pinned Naples ARK as AMD publishes it (unsigned)"
}

@test "sev-verify: the CEK the firmware exports is unsigned and fails cek-signature" {
	cp "$SEV_DATA/platform/naples-export/cek.uns.cert" "$T/naples/cek.cert"
	run certctl sev-verify "$T/naples"
	assert_failure 4
	assert_line "FAIL ark-format: not checked: no ARK: the generation is not known (no pinned ASK signed the CEK; name it)"
	run certctl sev-verify "$T/naples" --product naples
	assert_failure 4
	assert_line --partial "PASS ask-signature:"
	assert_line "FAIL cek-signature: the CEK has no signature by the ASK (no slot with usage ASK and algorithm RSA-SHA256)"
}

@test "sev-verify --report: a report the PEK did not sign fails report-signature" {
	python3 -c 'import sys, struct
r = bytearray(208); r[0:16] = bytes(range(16)); r[0x34:0x3c] = struct.pack("<II", 0x1002, 2)
open(sys.argv[1], "wb").write(r)' "$T/report.bin"
	run certctl sev-verify "$T/rome" --report "$T/report.bin" --mnonce 000102030405060708090a0b0c0d0e0f
	assert_failure 4
	assert_line "PASS report-format: an attestation report, policy 0x0, signed by the PEK (ECDSA-SHA256)"
	assert_line "FAIL report-signature: the report's signature by the PEK does not verify"
	assert_line "PASS report-mnonce: the report carries the mnonce asked for"
	run certctl sev-verify "$T/rome" --report "$T/report.bin" --mnonce ff0102030405060708090a0b0c0d0e0f
	assert_line "FAIL report-mnonce: the report carries another mnonce than the one asked for"
	python3 -c 'import sys
r = bytearray(open(sys.argv[1], "rb").read()); r[0x34] = 4; open(sys.argv[2], "wb").write(r)' "$T/report.bin" "$T/oca.bin"
	run certctl sev-verify "$T/rome" --report "$T/oca.bin"
	assert_failure 4
	assert_line "FAIL report-format: an attestation report, policy 0x0, not signed by a PEK (signature usage 0x1004, algorithm 0x2)"
	head -c 207 "$T/report.bin" > "$T/short.bin"
	run certctl sev-verify "$T/rome" --report "$T/short.bin"
	assert_failure 4
	assert_output "snp-certctl: '$T/short.bin' is not an attestation report: 207 bytes, not 208"
	run certctl sev-verify "$T/rome" --mnonce 00
	assert_failure 2
	run certctl sev-verify "$T/rome" --report "$T/report.bin" --mnonce 00
	assert_failure 2
	assert_output --partial "invalid mnonce '00': want 32 hex digits"
}

@test "sev-verify: hostile files are refused, never read or waited on" {
	mkfifo "$T/rome/ask.cert"
	run timeout 10 "$SNP_CERTCTL" sev-verify "$T/rome"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/rome/ask.cert': not a regular file"
	rm "$T/rome/ask.cert" "$T/rome/pdh.cert"
	ln -s "$T/rome/nowhere" "$T/rome/pdh.cert"
	run certctl sev-verify "$T/rome"
	assert_failure 1
	assert_output --partial "'$T/rome/pdh.cert'"
	rm "$T/rome/pdh.cert"
	head -c 2083 "$SEV_DATA/platform/rome/pdh.cert" > "$T/rome/pdh.cert"
	run certctl sev-verify "$T/rome"
	assert_failure 4
	assert_output "snp-certctl: '$T/rome/pdh.cert' is not a SEV certificate: 2083 bytes, not 2084"
	cat "$SEV_DATA/platform/rome/pdh.cert" "$SEV_DATA/platform/rome/pdh.cert" > "$T/rome/pdh.cert"
	run certctl sev-verify "$T/rome"
	assert_failure 4
	assert_output --partial "larger than 2084 bytes"
	run certctl sev-verify "$T/rome" "$T/naples"
	assert_failure 2
}

@test "sev-verify --trust-root: an ARK in the AMD CA format, checked like a trust root" {
	cp "$SEV_DATA/roots/rome/ark.cert" "$T/root.cert"
	cp "$SEV_DATA/roots/rome/ask.cert" "$T/rome/"
	run certctl sev-verify "$T/rome" --trust-root "$T/root.cert"
	assert_success
	assert_line "PASS ark-trusted: the ARK is the --trust-root ARK"
	printf 'sev_trust_root = %s\n' "$T/root.cert" > "$T/c.conf"
	run certctl -C "$T/c.conf" sev-verify "$T/rome"
	assert_success
	assert_line "PASS ark-trusted: the ARK is the --trust-root ARK"
	# Trusted too: AMD's chains of other generations still verify with it set.
	install -m 0644 "$SEV_DATA/roots/naples/ark.cert" "$T/naples-root.cert"
	run certctl sev-verify "$T/naples" --trust-root "$T/rome-ark.cert"
	assert_failure 1
	run certctl sev-verify "$T/naples" --trust-root "$T/naples-root.cert"
	assert_success
	run certctl sev-verify "$T/rome" --trust-root "$T/naples-root.cert"
	assert_success
	assert_line "PASS ark-trusted: the ARK is AMD's pinned Rome ARK"
	run certctl sev-verify "$T/rome" --trust-root "$SEV_DATA/roots/rome/ask.cert"
	assert_failure 4
	assert_output "snp-certctl: trust root '$SEV_DATA/roots/rome/ask.cert' is not an ARK: it holds an ASK"
	run certctl sev-verify "$T/rome" --trust-root "$T/root.cert" --trust-root "$T/root.cert"
	assert_failure 2
	chmod 0666 "$T/root.cert"
	run certctl sev-verify "$T/rome" --trust-root "$T/root.cert"
	assert_failure 1
	assert_output --partial "refusing trust root '$T/root.cert'"
}
