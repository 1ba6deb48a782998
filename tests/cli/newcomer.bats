#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# What a newcomer trips over says what to do: an untrusted (private) root
# names the ways to trust it, and build -o into a missing store or
# directory says how to create it.

load helpers

setup() {
	common_setup
}

@test "build/verify: an untrusted root says how to trust a private root; doing so works" {
	local fx="$SNPCERT_FIXTURES/milan"
	run certctl build -o "$T/t.certs" --vcek "$fx/vcek.pem" --ask "$fx/ask.pem" --ark "$fx/ark.pem"
	assert_failure 4
	assert_line "snp-certctl: ark-trusted: ARK 'ARK-Milan' is not byte for byte a trusted root (to trust a private root: --trust-root FILE, or trust_root = FILE in the configuration)"
	# Both ways named work.
	run -0 certctl build -q -o "$T/t.certs" --vcek "$fx/vcek.pem" --ask "$fx/ask.pem" \
		--ark "$fx/ark.pem" --trust-root "$fx/ark.pem"
	run certctl verify "$T/t.certs"
	assert_failure 4
	assert_line --partial "FAIL ark-trusted: ARK 'ARK-Milan' is not byte for byte a trusted root (to trust a private root: --trust-root FILE, or trust_root = FILE in the configuration)"
	echo "trust_root = $fx/ark.pem" > "$T/c.conf"
	run -0 certctl -C "$T/c.conf" verify "$T/t.certs"
}

@test "build -o into the configured store that does not exist says how to create it" {
	rmdir "$T/store"
	run certctl --store "$T/store" build -o "$T/store/host.certs" --vcek "$SAMPLE_VCEK"
	assert_failure 1
	assert_output "snp-certctl: cannot write '$T/store/host.certs': the store '$T/store' does not exist: create it with 'install -d -m 0755 -o root -g root $T/store'"
	# The same store named relatively, and through the environment.
	cd "$T"
	SNP_CERTCTL_STORE="$T/store/" run certctl build -o store/host.certs --vcek "$SAMPLE_VCEK"
	assert_output "snp-certctl: cannot write 'store/host.certs': the store 'store' does not exist: create it with 'install -d -m 0755 -o root -g root store'"
	# Following the advice (as the running user when not root) works.
	install -d -m 0755 "$T/store"
	run -0 certctl build -q -o "$T/store/host.certs" --vcek "$SAMPLE_VCEK"
	[ -f "$T/store/host.certs" ]
}

@test "build -o into another missing directory says to create it first" {
	run certctl build -o "$T/no/such/t.certs" --vcek "$SAMPLE_VCEK"
	assert_failure 1
	assert_output "snp-certctl: cannot write '$T/no/such/t.certs': the directory '$T/no/such' does not exist: create it first (mkdir -p $T/no/such)"
	# A directory that exists but cannot be written keeps the plain reason.
	run certctl build -o "/proc/t.certs" --vcek "$SAMPLE_VCEK"
	assert_failure 1
	refute_output --partial "does not exist"
}

@test "locks: a libsnpcert reader's lock (all below the intent byte) shows as the whole file" {
	sample_table "$T/t.certs"
	certctl lock --shared "$T/t.certs" -- sleep 3 3>&- &
	local reader=$!
	local i
	for i in $(seq 50); do
		certctl locks "$T/t.certs" | grep -q READ && break
		sleep 0.1
	done
	run -0 certctl locks "$T/t.certs"
	kill "$reader" 2> /dev/null || true
	wait "$reader" 2> /dev/null || true
	assert_line --regexp "^  [0-9]+ +snp-certctl +READ +held +OFD +[0-9]+ +whole file\$"
	refute_output --partial "1099511627775"
}
