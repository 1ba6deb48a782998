#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# build: tables from files and from certificate directories.

load helpers

setup() {
	common_setup
}

@test "build: the sample VCEK with the built-in Milan roots" {
	run certctl build -o "$T/t.certs" --vcek "$SAMPLE_VCEK"
	assert_success
	assert_output "built $T/t.certs: 3 entries, 4772 bytes"
	run certctl show --json "$T/t.certs"
	assert_success
	[ "$(jq -r '[.entries[].type] | join(",")' <<< "$output")" = "vcek,ask,ark" ]
	[ "$(stat -c %a "$T/t.certs")" = 644 ]
}

@test "build: PEM and DER inputs give the same table" {
	openssl x509 -in "$SAMPLE_VCEK" -outform der -out "$T/vcek.der"
	certctl build -q -o "$T/a.certs" --vcek "$SAMPLE_VCEK"
	certctl build -q -o "$T/b.certs" --vcek "$T/vcek.der"
	cmp "$T/a.certs" "$T/b.certs"
}

@test "build: a generated chain per product, with CRL and extra entries in order" {
	for p in milan genoa turin; do
		printf 'opaque-%s' "$p" > "$T/extra.bin"
		run test_table "$p" "$T/$p.certs" --crl "$SNPCERT_FIXTURES/$p/crl.der" \
			--entry 11111111-2222-3333-4444-555555555555="$T/extra.bin"
		assert_success
		run certctl show --json "$T/$p.certs"
		assert_success
		[ "$(jq -r '[.entries[].type] | join(",")' <<< "$output")" = "vcek,ask,ark,crl,other" ]
		[ "$(jq -r '.entries[4].guid' <<< "$output")" = 11111111-2222-3333-4444-555555555555 ]
	done
}

@test "build: a VLEK table takes the ASVK" {
	run certctl build -o "$T/v.certs" --vlek "$SNPCERT_FIXTURES/milan/vlek.pem" \
		--asvk "$SNPCERT_FIXTURES/milan/asvk.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem" \
		--trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
	assert_success
	run certctl show --json "$T/v.certs"
	[ "$(jq -r '[.entries[].type] | join(",")' <<< "$output")" = "vlek,asvk,ark" ]
}

@test "build: the table bytes follow the format exactly" {
	certctl build -q -o "$T/t.certs" --vcek "$SAMPLE_VCEK"
	# entry 0: the VCEK GUID, offset 96 (4 entries of 24), length of the DER
	len=$(openssl x509 -in "$SAMPLE_VCEK" -outform der | wc -c)
	run bash -c "head -c 24 '$T/t.certs' | od -An -tx1 | tr -d ' \n'"
	assert_output "63da758de6644564adc5f4b93be8accd$(printf '%02x000000' 96)$(printf '%02x%02x0000' $((len & 255)) $((len >> 8)))"
	# the terminator is 24 zero bytes at 72
	[ "$(dd if="$T/t.certs" bs=1 skip=72 count=24 2>/dev/null | od -An -tx1 | tr -d ' \n0')" = "" ]
	# the VCEK's DER follows at 96, byte for byte
	cmp <(dd if="$T/t.certs" bs=1 skip=96 count="$len" 2>/dev/null) \
		<(openssl x509 -in "$SAMPLE_VCEK" -outform der)
}

@test "build --from-dir: the layout other host tools use" {
	mkdir "$T/dir"
	cp "$SNPCERT_FIXTURES/genoa/vcek.der" "$T/dir/vcek.der"
	cp "$SNPCERT_FIXTURES/genoa/ask.pem" "$T/dir/ask.pem"
	cp "$SNPCERT_FIXTURES/genoa/ark.pem" "$T/dir/ark.pem"
	cp "$SNPCERT_FIXTURES/genoa/crl.der" "$T/dir/genoa.crl"
	printf 'x' > "$T/dir/0b5e1c2a-0000-4000-8000-000000000001.bin"
	printf 'ignored' > "$T/dir/README"
	run certctl build -o "$T/t.certs" --from-dir "$T/dir" \
		--trust-root "$SNPCERT_FIXTURES/genoa/ark.pem"
	assert_success
	run certctl show --json "$T/t.certs"
	[ "$(jq -r '[.entries[].type] | join(",")' <<< "$output")" = "vcek,ask,ark,crl,other" ]
}

@test "build --from-dir: two VCEK files are refused" {
	mkdir "$T/dir"
	cp "$SNPCERT_FIXTURES/genoa/vcek.der" "$T/dir/vcek.der"
	cp "$SNPCERT_FIXTURES/genoa/vcek.pem" "$T/dir/vcek.pem"
	run certctl build -o "$T/t.certs" --from-dir "$T/dir"
	assert_failure 2
	assert_output --partial "holds two vcek files"
	[ ! -e "$T/t.certs" ]
}

@test "build: an existing table is refused without --force, unchanged" {
	certctl build -q -o "$T/t.certs" --vcek "$SAMPLE_VCEK"
	before=$(fingerprint "$T/t.certs")
	run certctl build -o "$T/t.certs" --vcek "$SAMPLE_VCEK"
	assert_failure 1
	assert_output "snp-certctl: '$T/t.certs' exists: use --force to replace it in place"
	[ "$(fingerprint "$T/t.certs")" = "$before" ]
}

@test "build: every bad VCEK is refused with the reason, nothing written" {
	for bad in pkcs1:vcek-signature-params salt32:vcek-signature-params \
		sha256:vcek-signature-params by-ark:vcek-issuer wrong-issuer:vcek-issuer \
		forged-issuer:vcek-signature expired:vcek-validity notyet:vcek-validity \
		rsa-key:vcek-key; do
		run certctl build -o "$T/t.certs" --vcek "$SNPCERT_FIXTURES/bad/vcek-${bad%%:*}.pem" \
			--ask "$SNPCERT_FIXTURES/milan/ask.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem" \
			--trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
		assert_failure 4
		assert_output --partial "${bad#*:}:"
		assert_output --partial "not writing '$T/t.certs'"
		[ ! -e "$T/t.certs" ]
	done
}

@test "build: a test chain is refused unless its root is trusted or --no-verify" {
	run certctl build -o "$T/t.certs" --vcek "$SNPCERT_FIXTURES/milan/vcek.pem" \
		--ask "$SNPCERT_FIXTURES/milan/ask.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem"
	assert_failure 4
	assert_output --partial "ark-trusted"
	[ ! -e "$T/t.certs" ]
	run certctl build -o "$T/t.certs" --no-verify --vcek "$SNPCERT_FIXTURES/milan/vcek.pem" \
		--ask "$SNPCERT_FIXTURES/milan/ask.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem"
	assert_success
}

@test "build: trust_root in the configuration file is honoured" {
	echo "trust_root = $SNPCERT_FIXTURES/turin/ark.pem" > "$T/c.conf"
	run certctl -C "$T/c.conf" build -o "$T/t.certs" --vcek "$SNPCERT_FIXTURES/turin/vcek.pem" \
		--ask "$SNPCERT_FIXTURES/turin/ask.pem" --ark "$SNPCERT_FIXTURES/turin/ark.pem"
	assert_success
}

@test "build: a real VCEK with a test ASK is a broken chain" {
	run certctl build -o "$T/t.certs" --vcek "$SAMPLE_VCEK" --ask "$SNPCERT_FIXTURES/milan/ask.pem"
	assert_failure 4
	[ ! -e "$T/t.certs" ]
}

@test "build: over 16 KiB is refused" {
	head -c 15000 /dev/urandom > "$T/big.bin"
	run certctl build -o "$T/t.certs" --vcek "$SAMPLE_VCEK" \
		--entry 11111111-2222-3333-4444-555555555555="$T/big.bin"
	assert_failure 4
	assert_output --regexp "the table would be [0-9]+ bytes, over the 16 KiB Linux guests accept"
	[ ! -e "$T/t.certs" ]
}

@test "build: usage errors exit 2 and name the problem" {
	run certctl build --vcek "$SAMPLE_VCEK"
	assert_failure 2
	assert_line "snp-certctl: build: no output: give -o OUT"
	run certctl build -o "$T/t" --vcek a --vlek b
	assert_failure 2
	assert_line --partial "give exactly one of --vcek and --vlek"
	run certctl build -o "$T/t" --vcek a --ask b --asvk c
	assert_failure 2
	run certctl build -o "$T/t" --from-dir "$T" --vcek a
	assert_failure 2
	run certctl build -o "$T/t" --vcek "$SAMPLE_VCEK" --entry nonsense=x
	assert_failure 2
	assert_line --partial "--entry wants GUID=FILE"
	run certctl build -o "$T/t" --vcek "$SAMPLE_VCEK" --entry c0b406a4-a803-4952-9743-3fb6014cd0ae=x
	assert_failure 2
	assert_line --partial "is the ark entry: use --ark"
	run certctl build -o "$T/t" --vcek "$SAMPLE_VCEK" --bogus
	assert_failure 2
	assert_line "snp-certctl: build: unknown option '--bogus'"
	[ ! -e "$T/t" ]
}

@test "build: unreadable or non-certificate inputs" {
	run certctl build -o "$T/t" --vcek "$T/missing.pem"
	assert_failure 1
	assert_output "snp-certctl: cannot read VCEK '$T/missing.pem': No such file or directory"
	echo garbage > "$T/g.pem"
	run certctl build -o "$T/t" --vcek "$T/g.pem"
	assert_failure 4
	assert_output "snp-certctl: VCEK '$T/g.pem' is not a PEM or DER certificate"
	run certctl build -o "$T/t" --vcek "$SNPCERT_FIXTURES/bad/vcek-spl-300.pem"
	assert_failure 4
	assert_output --partial "malformed AMD extension"
	[ ! -e "$T/t" ]
}

@test "build: a FIFO as certificate, CRL, entry or trust root is refused, never waited on" {
	local m="$SNPCERT_FIXTURES/milan"
	mkfifo "$T/fifo"
	# timeout: a regression fails (124) instead of hanging the suite.
	run timeout 10 "$SNP_CERTCTL" build -o "$T/t" --vcek "$T/fifo"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo': not a regular file"
	run timeout 10 "$SNP_CERTCTL" build -o "$T/t" --vcek "$m/vcek.pem" --ask "$T/fifo" \
		--ark "$m/ark.pem" --trust-root "$m/ark.pem"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo': not a regular file"
	run timeout 10 "$SNP_CERTCTL" build -o "$T/t" --vcek "$m/vcek.pem" --ask "$m/ask.pem" \
		--ark "$m/ark.pem" --trust-root "$m/ark.pem" --crl "$T/fifo"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo': not a regular file"
	run timeout 10 "$SNP_CERTCTL" build -o "$T/t" --vcek "$m/vcek.pem" --ask "$m/ask.pem" \
		--ark "$m/ark.pem" --trust-root "$m/ark.pem" \
		--entry 0b5e1c2a-0000-4000-8000-000000000001="$T/fifo"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo': not a regular file"
	run timeout 10 "$SNP_CERTCTL" build -o "$T/t" --vcek "$m/vcek.pem" --ask "$m/ask.pem" \
		--ark "$m/ark.pem" --trust-root "$T/fifo"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo': not a regular file"
	# A device is no certificate either; nothing was written.
	run timeout 10 "$SNP_CERTCTL" build -o "$T/t" --vcek /dev/zero
	assert_failure 1
	assert_output "snp-certctl: refusing '/dev/zero': not a regular file"
	[ ! -e "$T/t" ]
	[ "$(ls -A "$T" | sort | tr '\n' ' ')" = "cache empty.conf fifo hooks store " ]
}

@test "build -o onto a FIFO is refused, never waited on; a named device is written to" {
	mkfifo "$T/fifo"
	run timeout 10 "$SNP_CERTCTL" build -o "$T/fifo" --vcek "$SAMPLE_VCEK"
	assert_failure 1
	assert_output "snp-certctl: refusing to write '$T/fifo': it is a FIFO"
	run timeout 10 "$SNP_CERTCTL" build --force -o "$T/fifo" --vcek "$SAMPLE_VCEK"
	assert_failure 1
	assert_output "snp-certctl: refusing to write '$T/fifo': it is a FIFO"
	[ -p "$T/fifo" ]
	[ -z "$(find "$T" -name '.snp-certctl.*')" ]
	run certctl build -q -o /dev/null --vcek "$SAMPLE_VCEK"
	assert_success
	[ -c /dev/null ]
}

@test "build --json" {
	run certctl build --json -o "$T/t.certs" --vcek "$SAMPLE_VCEK"
	assert_success
	[ "$(jq -r .size <<< "$output")" = 4772 ]
	[ "$(jq -r .entries <<< "$output")" = 3 ]
}

@test "build --force: an existing table is replaced in place, under the lock" {
	certctl build -q -o "$T/t.certs" --vcek "$SAMPLE_VCEK"
	ino=$(stat -c %i "$T/t.certs")
	before=$(fingerprint "$T/t.certs")
	# while another process holds the exclusive lock, --force waits and gives up
	"$SNP_CERTCTL" lock "$T/t.certs" -- sh -c ': >"$0"; exec sleep 3' "$T/.held" 3>&- &
	wait_file "$T/.held"
	SNP_CERTCTL_LOCK_TIMEOUT=0.2 run test_table milan "$T/t.certs" --force
	assert_failure 3
	assert_output --partial "cannot lock '$T/t.certs' within 0.2s: held by $! (snp-certctl) WRITE"
	[ "$(fingerprint "$T/t.certs")" = "$before" ]
	wait
	run test_table milan "$T/t.certs" --force
	assert_success
	[ "$(stat -c %i "$T/t.certs")" = "$ino" ]
	[ "$(certctl show --json "$T/t.certs" | jq -r '.entries[0].product_name')" = Milan-B0 ]
	test_table milan "$T/u.certs"
	cmp "$T/t.certs" "$T/u.certs"
	# the journal of the in-place update is left empty
	[ ! -s "$T/.t.certs.snpcert-journal" ]
}
