#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's demos run as documented: `make demo` (tests/demo.sh) and
# `make demo-fw-update` (tests/demo-fw-update.sh), against the build under
# test, and print every command they run, exactly as run.

load helpers

setup() {
	common_setup
}

# A build directory in $T/build whose snp-certctl logs each invocation's
# arguments to $T/calls and runs the real one; the rest is the real build's.
logging_build() {
	mkdir -p "$T/build/snp-certctl"
	ln -s "$SNPCERT_BUILD/tests" "$T/build/tests"
	cat > "$T/build/snp-certctl/snp-certctl" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$*" >> '$T/calls'
		exec '$SNP_CERTCTL' "\$@"
	EOF
	chmod 755 "$T/build/snp-certctl/snp-certctl"
}

# check_printed: every snp-certctl the demo ran ($T/calls, in order) is
# printed ("$ snp-certctl ARGS", alone or followed by more shell code) in
# $output, one printed line per run, in the same order.
check_printed() {
	local printed call i=0 n
	mapfile -t printed < <(grep '^\$ snp-certctl ' <<< "$output")
	n=$(wc -l < "$T/calls")
	[ "$n" -ge 5 ] || fail "only $n calls logged"
	[ "${#printed[@]}" = "$n" ] ||
		fail "$n calls but ${#printed[@]} printed: $(cat "$T/calls")"
	while IFS= read -r call; do
		case ${printed[i]} in
		"\$ snp-certctl $call" | "\$ snp-certctl $call "*) ;;
		*) fail "call '$call' printed as '${printed[i]}'" ;;
		esac
		i=$((i + 1))
	done < "$T/calls"
}

@test "demo: build, show, verify, and an in-place update under the lock" {
	DEMO_DIR="$T/demo" run "$REPO/tests/demo.sh"
	assert_success
	assert_line --partial "waiting for the lock on 'host.certs', held by"
	assert_line --regexp '^inode [0-9]+ before, inode [0-9]+ after: updated in place$'
	assert_line "updated host.certs: 4 entries, 4826 bytes"
}

@test "demo: every command it runs is printed as run; show | tail is not verify's output" {
	logging_build
	SNPCERT_BUILD="$T/build" DEMO_DIR="$T/demo" run "$REPO/tests/demo.sh"
	assert_success
	check_printed
	assert_line '$ snp-certctl verify --quiet host.certs'
	assert_line '$ snp-certctl show host.certs | tail -n 3'
	# The background reader is printed too.
	assert_line '$ snp-certctl lock --shared host.certs -- sleep 2 & reader=$!'
	[ "$(grep -c '^lock --shared host.certs -- sleep 2$' "$T/calls")" = 1 ]
	# verify --quiet prints nothing: the next line is the next command.
	run grep -A1 -Fx '$ snp-certctl verify --quiet host.certs' <<< "$output"
	assert_line --index 1 '$ snp-certctl show host.certs | tail -n 3'
}

@test "demo-fw-update: a simulated firmware update installs the new VCEK" {
	DEMO_DIR="$T/fw" run "$REPO/tests/demo-fw-update.sh"
	assert_success
	assert_line --partial "installed the VCEK for the reported TCB bl=4,tee=2,snp=9,ucode=116"
	assert_line "    tcb         bl=4,tee=2,snp=9,ucode=116 (0x7409000000000204)"
	assert_line --regexp '^  host.certs +match +'
	assert_line "hook: locked old=bl=3,tee=1,snp=8,ucode=115 new=?"
	assert_line --partial "unchanged $T/fw/store/host.certs"
}

@test "demo-fw-update: every command it runs is printed as run" {
	logging_build
	SNPCERT_BUILD="$T/build" DEMO_DIR="$T/fw" run "$REPO/tests/demo-fw-update.sh"
	assert_success
	check_printed
	assert_line "\$ snp-certctl show store/host.certs | sed -n '1,2p;/tcb/p'"
	assert_line '$ snp-certctl status | tail -n 2'
	assert_line '$ wc -l < kds.log'
}
