#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# verify: structure, chain with exact PSS parameters, validity, TCB, chip.

load helpers

setup() {
	common_setup
	sample_table "$T/t.certs"
}

@test "verify: the sample table passes against the built-in roots" {
	run certctl verify "$T/t.certs"
	assert_success
	assert_line "PASS table: 3 entries, 4772 bytes, well-formed"
	assert_line --partial "PASS ark-trusted:"
	assert_line --partial "PASS vcek-signature:"
	refute_output --partial FAIL
}

@test "verify --json" {
	run certctl verify --json "$T/t.certs"
	assert_success
	[ "$(jq -r .ok <<< "$output")" = true ]
	[ "$(jq -r '[.checks[] | select(.ok == false)] | length' <<< "$output")" = 0 ]
	[ "$(jq -r '.checks[0].name' <<< "$output")" = table ]
}

@test "verify --at: expired after 2029, and before the VCEK existed" {
	run certctl verify "$T/t.certs" --at 2030-01-01T00:00:00Z
	assert_failure 4
	assert_line --partial "FAIL vcek-validity:"
	assert_line "snp-certctl: '$T/t.certs' failed verification"
	run certctl verify "$T/t.certs" --at 2022-01-01
	assert_failure 4
	run certctl verify "$T/t.certs" --at @1735689600
	assert_success
}

@test "verify --tcb and --hwid match the sample VCEK" {
	hwid=$(certctl show --json "$T/t.certs" | jq -r '.entries[0].hwid')
	run certctl verify "$T/t.certs" --tcb bl=2,tee=0,snp=5,ucode=68 --hwid "$hwid"
	assert_success
	assert_line --partial "PASS tcb:"
	assert_line --partial "PASS hwid:"
	run certctl verify "$T/t.certs" --tcb 0x4405000000000002
	assert_success
	run certctl verify "$T/t.certs" --tcb bl=2,tee=0,snp=6,ucode=68
	assert_failure 4
	assert_line "FAIL tcb: the vcek is for TCB bl=2,tee=0,snp=5,ucode=68, want bl=2,tee=0,snp=6,ucode=68"
	run certctl verify "$T/t.certs" --hwid "$(printf '%0128x' 1)"
	assert_failure 4
	assert_line --partial "FAIL hwid:"
}

@test "verify: Turin matches on the 8-byte chip id" {
	test_table turin "$T/turin.certs"
	run certctl verify "$T/turin.certs" --trust-root "$SNPCERT_FIXTURES/turin/ark.pem" \
		--hwid 0123456789abcdef --tcb fmc=1,bl=4,tee=3,snp=22,ucode=71
	assert_success
	run certctl verify "$T/turin.certs" --trust-root "$SNPCERT_FIXTURES/turin/ark.pem" \
		--hwid "0123456789abcdef$(printf '%0112x' 0)"
	assert_success
	run certctl verify "$T/turin.certs" --trust-root "$SNPCERT_FIXTURES/turin/ark.pem" \
		--tcb fmc=2,bl=4,tee=3,snp=22,ucode=71
	assert_failure 4
}

@test "verify: every bad fixture fails with the check that says why" {
	for bad in pkcs1:vcek-signature-params salt32:vcek-signature-params \
		sha256:vcek-signature-params by-ark:vcek-issuer wrong-issuer:vcek-issuer \
		forged-issuer:vcek-signature expired:vcek-validity notyet:vcek-validity \
		rsa-key:vcek-key; do
		certctl build -q --no-verify -o "$T/${bad%%:*}.certs" \
			--vcek "$SNPCERT_FIXTURES/bad/vcek-${bad%%:*}.pem" \
			--ask "$SNPCERT_FIXTURES/milan/ask.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem"
		run certctl verify "$T/${bad%%:*}.certs" --trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
		assert_failure 4
		assert_line --partial "FAIL ${bad#*:}:"
	done
}

@test "verify: an untrusted root fails; --trust-root makes it pass" {
	u="$SNPCERT_FIXTURES/bad/ark-untrusted"
	certctl build -q --no-verify -o "$T/u.certs" --vcek "$u/vcek.pem" --ask "$u/ask.pem" \
		--ark "$u/ark.pem"
	run certctl verify "$T/u.certs" --trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
	assert_failure 4
	assert_line --partial "FAIL ark-trusted:"
	run certctl verify "$T/u.certs" --trust-root "$u/ark.pem"
	assert_success
}

@test "verify: a trust root others can write, or not owned by root, is refused (exit 1)" {
	u="$SNPCERT_FIXTURES/bad/ark-untrusted"
	certctl build -q --no-verify -o "$T/u.certs" --vcek "$u/vcek.pem" --ask "$u/ask.pem" \
		--ark "$u/ark.pem"
	cp "$u/ark.pem" "$T/ark.pem"
	chmod 0644 "$T/ark.pem"
	run certctl verify "$T/u.certs" --trust-root "$T/ark.pem"
	assert_success
	chmod 0646 "$T/ark.pem"
	run certctl verify "$T/u.certs" --trust-root "$T/ark.pem"
	assert_failure 1
	assert_output "snp-certctl: refusing trust root '$T/ark.pem': writable by group or others"
	printf 'trust_root = %s\n' "$T/ark.pem" > "$T/c.conf"
	chmod 0644 "$T/c.conf"
	run certctl -C "$T/c.conf" verify "$T/u.certs"
	assert_failure 1
	assert_output "snp-certctl: refusing trust root '$T/ark.pem': writable by group or others"
	chmod 0644 "$T/ark.pem"
	run certctl -C "$T/c.conf" verify "$T/u.certs"
	assert_success
	if [ "$(id -u)" -eq 0 ]; then
		chown 65534 "$T/ark.pem"
		run certctl verify "$T/u.certs" --trust-root "$T/ark.pem"
		assert_failure 1
		assert_output "snp-certctl: refusing trust root '$T/ark.pem': not owned by root"
	fi
}

@test "verify: a VLEK signed by the ASK fails" {
	certctl build -q --no-verify -o "$T/v.certs" --vlek "$SNPCERT_FIXTURES/bad/vlek-by-ask.pem" \
		--asvk "$SNPCERT_FIXTURES/milan/asvk.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem"
	run certctl verify "$T/v.certs" --trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
	assert_failure 4
	assert_line --partial "FAIL vlek-"
}

@test "verify: a good VLEK chain and its CRL pass" {
	certctl build -q -o "$T/v.certs" --vlek "$SNPCERT_FIXTURES/genoa/vlek.pem" \
		--asvk "$SNPCERT_FIXTURES/genoa/asvk.pem" --ark "$SNPCERT_FIXTURES/genoa/ark.pem" \
		--crl "$SNPCERT_FIXTURES/genoa/crl.der" --trust-root "$SNPCERT_FIXTURES/genoa/ark.pem"
	run certctl verify "$T/v.certs" --trust-root "$SNPCERT_FIXTURES/genoa/ark.pem"
	assert_success
	assert_line --partial "PASS crl-signature:"
	assert_line --partial "PASS crl-revocation:"
	run certctl verify "$T/v.certs" --trust-root "$SNPCERT_FIXTURES/genoa/ark.pem" --hwid "$(printf '%0128x' 1)"
	assert_failure 4
	assert_line "FAIL hwid: the vlek carries no chip id"
}

@test "verify: a CRL signed by another ARK fails" {
	test_table milan "$T/m.certs" --crl "$SNPCERT_FIXTURES/genoa/crl.der" --no-verify
	run certctl verify "$T/m.certs" --trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
	assert_failure 4
	assert_line --partial "FAIL crl-signature:"
}

@test "verify: a table without an endorsement key fails" {
	head -c 24 /dev/zero > "$T/empty"
	run certctl verify "$T/empty"
	assert_failure 4
	assert_line "FAIL endorsement-key: the table has no VCEK or VLEK"
}

@test "verify: a malformed table exits 4 (also as JSON)" {
	head -c 100 "$T/t.certs" > "$T/cut"
	run certctl verify "$T/cut"
	assert_failure 4
	assert_output --partial "is malformed at byte"
	run --separate-stderr certctl verify --json "$T/cut"
	assert_failure 4
	[ "$(jq -r .ok <<< "$output")" = false ]
	[[ "$stderr" == *"is malformed at byte"* ]]
}

@test "verify: usage errors" {
	run certctl verify "$T/t.certs" --tcb bl=2
	assert_failure 2
	assert_line --partial "invalid TCB 'bl=2'"
	run certctl verify "$T/t.certs" --hwid xyz
	assert_failure 2
	run certctl verify "$T/t.certs" --at yesterday
	assert_failure 2
	run certctl verify
	assert_failure 2
	run certctl verify "$T/t.certs" --trust-root "$T/none.pem"
	assert_failure 1
	assert_output "snp-certctl: cannot read trust root '$T/none.pem': No such file or directory"
}

@test "verify --platform: the sample matches the simulated platform" {
	fake_sev_setup
	run fake verify "$T/t.certs" --platform --product Milan
	assert_success
	assert_line "PASS platform-product: the vcek is for Milan, the platform is Milan"
	assert_line "PASS tcb: the vcek is for TCB bl=2,tee=0,snp=5,ucode=68, want bl=2,tee=0,snp=5,ucode=68"
	assert_line --partial "PASS hwid:"
}

@test "verify --platform: another reported TCB or chip fails" {
	fake_sev_setup
	set_state reported_tcb=0x4406000000000002
	run fake verify "$T/t.certs" --platform --product Milan
	assert_failure 4
	assert_line "FAIL tcb: the vcek is for TCB bl=2,tee=0,snp=5,ucode=68, want bl=2,tee=0,snp=6,ucode=68"
	set_state reported_tcb=$SAMPLE_TCB chip_id="$(printf '%0128x' 5)"
	run fake verify "$T/t.certs" --platform --product Milan
	assert_failure 4
	assert_line --partial "FAIL hwid:"
	run fake verify "$T/t.certs" --platform --product Genoa
	assert_failure 4
	assert_line --partial "FAIL platform-product:"
}

@test "verify --platform: no device is a platform error" {
	export SNP_CERTCTL_DEVICE="$T/no-such-device"
	run certctl verify "$T/t.certs" --platform --product Milan
	assert_failure 5
	assert_output "snp-certctl: cannot open '$T/no-such-device': No such file or directory"
	run certctl verify "$T/t.certs" --platform --tcb bl=1,tee=0,snp=0,ucode=0
	assert_failure 2
}

@test "verify --platform: a FIFO or a regular file as the device is refused, never waited on" {
	mkfifo "$T/sev"
	SNP_CERTCTL_DEVICE="$T/sev" run timeout 10 "$SNP_CERTCTL" verify "$T/t.certs" \
		--platform --product Milan
	assert_failure 5
	assert_output "snp-certctl: refusing '$T/sev': not a character device"
	: > "$T/file"
	SNP_CERTCTL_DEVICE="$T/file" run timeout 10 "$SNP_CERTCTL" verify "$T/t.certs" \
		--platform --product Milan
	assert_failure 5
	assert_output "snp-certctl: refusing '$T/file': not a character device"
	# status reports it absent, promptly.
	SNP_CERTCTL_DEVICE="$T/sev" run timeout 10 "$SNP_CERTCTL" status --json --product Milan
	[ "$(jq -r .sev.present <<< "$output")" = false ]
}

@test "verify: a VCEK hwID of the wrong length for its product, a VLEK with a hwID" {
	certctl build -q --no-verify -o "$T/h.certs" --vcek "$SNPCERT_FIXTURES/bad/vcek-hwid-8.pem" \
		--ask "$SNPCERT_FIXTURES/milan/ask.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem"
	run certctl verify "$T/h.certs" --trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
	assert_failure 4
	assert_line "FAIL vcek-extensions: VCEK hwID is 8 bytes, a Milan chip id is 64"
	certctl build -q --no-verify -o "$T/v.certs" --vlek "$SNPCERT_FIXTURES/bad/vlek-with-hwid.pem" \
		--asvk "$SNPCERT_FIXTURES/milan/asvk.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem"
	run certctl verify "$T/v.certs" --trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
	assert_failure 4
	assert_line "FAIL vlek-extensions: VLEK carries a hwID; a VLEK is not bound to a chip"
}
