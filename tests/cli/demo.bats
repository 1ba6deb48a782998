#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's demos run as documented: `make demo` (tests/demo.sh) and
# `make demo-fw-update` (tests/demo-fw-update.sh), against the build under test.

load helpers

setup() {
	common_setup
}

@test "demo: build, show, verify, and an in-place update under the lock" {
	DEMO_DIR="$T/demo" run "$REPO/tests/demo.sh"
	assert_success
	assert_line --partial "waiting for the lock on '$T/demo/host.certs', held by"
	assert_line --regexp '^inode before [0-9]+, after [0-9]+: updated in place$'
	assert_line --partial "updated $T/demo/host.certs: 4 entries"
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
