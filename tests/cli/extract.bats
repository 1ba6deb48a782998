#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# extract: entries back into files, the inverse of build --from-dir.

load helpers

setup() {
	common_setup
}

@test "extract: PEM certificates that equal the inputs" {
	sample_table "$T/t.certs"
	run certctl extract "$T/t.certs" -d "$T/out"
	assert_success
	assert_line "wrote $T/out/vcek.pem"
	assert_line "wrote $T/out/ask.pem"
	assert_line "wrote $T/out/ark.pem"
	cmp <(openssl x509 -in "$T/out/vcek.pem" -outform der) <(openssl x509 -in "$SAMPLE_VCEK" -outform der)
	cmp <(openssl x509 -in "$T/out/ark.pem" -outform der) \
		<(openssl x509 -in "$REPO/formats/amd-roots/milan/ark.pem" -outform der)
}

@test "extract --der, CRL, ASVK, opaque entries; build --from-dir round trip" {
	printf 'opaque' > "$T/o.bin"
	certctl build -q -o "$T/v.certs" --vlek "$SNPCERT_FIXTURES/turin/vlek.pem" \
		--asvk "$SNPCERT_FIXTURES/turin/asvk.pem" --ark "$SNPCERT_FIXTURES/turin/ark.pem" \
		--crl "$SNPCERT_FIXTURES/turin/crl.der" --trust-root "$SNPCERT_FIXTURES/turin/ark.pem" \
		--entry 0b5e1c2a-0000-4000-8000-000000000001="$T/o.bin"
	run certctl extract --der "$T/v.certs" -d "$T/out"
	assert_success
	for f in vlek.der asvk.der ark.der crl.der 0b5e1c2a-0000-4000-8000-000000000001.bin; do
		[ -f "$T/out/$f" ]
	done
	cmp "$T/out/crl.der" "$SNPCERT_FIXTURES/turin/crl.der"
	cmp "$T/out/0b5e1c2a-0000-4000-8000-000000000001.bin" "$T/o.bin"
	certctl build -q -o "$T/again.certs" --from-dir "$T/out" \
		--trust-root "$SNPCERT_FIXTURES/turin/ark.pem"
	cmp "$T/v.certs" "$T/again.certs"
}

@test "extract --json" {
	sample_table "$T/t.certs"
	run certctl extract --json "$T/t.certs" -d "$T/out"
	assert_success
	[ "$(jq -r '[.written[].type] | join(",")' <<< "$output")" = "vcek,ask,ark" ]
}

@test "extract: a malformed table writes nothing" {
	sample_table "$T/t.certs"
	head -c 2000 "$T/t.certs" > "$T/cut"
	run certctl extract "$T/cut" -d "$T/out"
	assert_failure 4
	[ ! -e "$T/out" ]
}

@test "extract: a symbolic link planted in -d DIR is replaced, never written through" {
	sample_table "$T/t.certs"
	mkdir "$T/out"
	echo precious > "$T/outside"
	ln -s "$T/outside" "$T/out/vcek.pem"
	ln -s /dev/null "$T/out/ask.pem"
	mkfifo "$T/outside-fifo"
	ln -s "$T/outside-fifo" "$T/out/ark.pem"
	run timeout 10 "$SNP_CERTCTL" extract "$T/t.certs" -d "$T/out"
	assert_success
	# The rename replaced the links themselves: what they named is untouched.
	[ "$(cat "$T/outside")" = precious ]
	[ -c /dev/null ]
	[ -f "$T/out/vcek.pem" ]
	[ ! -L "$T/out/vcek.pem" ]
	[ -f "$T/out/ask.pem" ]
	[ ! -L "$T/out/ask.pem" ]
	[ -p "$T/outside-fifo" ]
	[ -f "$T/out/ark.pem" ]
	[ ! -L "$T/out/ark.pem" ]
	cmp <(openssl x509 -in "$T/out/vcek.pem" -outform der) \
		<(openssl x509 -in "$SAMPLE_VCEK" -outform der)
}

@test "extract: a FIFO planted in -d DIR is refused, never waited on or written" {
	sample_table "$T/t.certs"
	mkdir "$T/out"
	mkfifo "$T/out/ask.pem"
	run timeout 10 "$SNP_CERTCTL" extract "$T/t.certs" -d "$T/out"
	assert_failure 1
	assert_output --partial "snp-certctl: refusing to write '$T/out/ask.pem': it is a FIFO"
	[ -p "$T/out/ask.pem" ]
	[ ! -e "$T/out/ark.pem" ]
	# No temporary file is left behind.
	[ -z "$(find "$T/out" -name '.snp-certctl.*')" ]
}

@test "extract: usage errors" {
	run certctl extract "$T/t.certs"
	assert_failure 2
	assert_line "snp-certctl: extract: no directory: give -d DIR"
	run certctl extract -d "$T/out"
	assert_failure 2
}

@test "extract: the paths it prints are clean, however DIR is written" {
	sample_table "$T/t.certs"
	mkdir "$T/out" "$T/here"
	run certctl extract "$T/t.certs" -d "$T//out///"
	assert_success
	assert_line "wrote $T/out/vcek.pem"
	cd "$T/here"
	run certctl extract "$T/t.certs" -d .
	assert_success
	assert_line "wrote vcek.pem"
}

@test "extract: a refused target is found before anything is written" {
	sample_table "$T/t.certs"
	mkdir "$T/out"
	mkfifo "$T/out/ask.pem"
	run timeout 10 "$SNP_CERTCTL" extract "$T/t.certs" -d "$T/out"
	assert_failure 1
	assert_output "snp-certctl: refusing to write '$T/out/ask.pem': it is a FIFO; nothing written"
	[ ! -e "$T/out/vcek.pem" ]
	[ ! -e "$T/out/ark.pem" ]
}
