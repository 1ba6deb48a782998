#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The rolling firmware-update playbook (hooks/ansible/fw-update.yml and its
# role), run with `ansible-playbook -c local` against this host with the
# simulated firmware (tests/fakes/sev.so) and the loopback KDS stand-in
# (tests/fakes/kds-server.py).  The platform is the Milan test chain's:
# chip id 00 01 .. 3f, TCB bl=3,tee=1,snp=8,ucode=115; the "firmware step"
# raises ucode to 116 in the fake's state, as a new SNP firmware would.

load helpers

HWID_MILAN=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
OLD_TCB=0x7308000000000103 # bl=3,tee=1,snp=8,ucode=115: the fixture VCEK's
NEW_TCB=0x7408000000000103 # ucode=116

setup_file() {
	command -v ansible-playbook >/dev/null || return 0
	kds_file_setup
}

teardown_file() {
	stop_kds http
}

setup() {
	command -v ansible-playbook >/dev/null || fail "ansible-playbook is missing: make test-deps (Debian: ansible-core)"
	common_setup
	fake_sev_setup
	use_kds http
	export SNP_CERTCTL_TRUST_ROOT="$SNPCERT_FIXTURES/milan/ark.pem"
	export SNP_CERTCTL_PRODUCT=Milan
	: >"$KDS_LOG"
	kds_mode ok
	cat > "$STATE" <<-EOF
		api_major=1
		api_minor=55
		build_id=21
		state=1
		current_tcb=$OLD_TCB
		reported_tcb=$OLD_TCB
		committed_tcb=$OLD_TCB
		chip_id=$HWID_MILAN
		guest_count=2
	EOF
	test_table milan "$T/store/a.certs"
	test_table milan "$T/store/b.certs"

	# The firmware step: "flash NAME [fail]".  Records that it ran and whether
	# a shared (reader's) lock on a table could be had meanwhile (it must not:
	# fw-update holds the exclusive locks), then raises the current TCB.
	cat > "$T/flash" <<-EOF
		#!/bin/sh
		"$SNP_CERTCTL" lock --shared --timeout 0 "$T/store/a.certs" -- true 2>/dev/null
		echo "\$1 reader-lock-status=\$?" >> "$T/steps"
		[ "\${2:-}" = fail ] && exit 1
		sed -i 's/^current_tcb=.*/current_tcb=$NEW_TCB/' "$STATE"
	EOF
	chmod 0755 "$T/flash"

	# Ansible's own state stays in the test's directory.
	mkdir -p "$T/ansible/tmp"
	: > "$T/ansible.cfg"
	export ANSIBLE_CONFIG="$T/ansible.cfg" ANSIBLE_HOME="$T/ansible" \
		ANSIBLE_LOCAL_TEMP="$T/ansible/tmp" ANSIBLE_REMOTE_TEMP="$T/ansible/tmp" \
		ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=auto_silent
	# The program runs under the fake only through the role's environment.
	jq -n --arg bin "$SNP_CERTCTL" --arg so "$FAKE_SO" --arg state "$STATE" \
		--arg log "$LOG" --arg dev "$T/sev" '{
			snp_certctl_hosts: "all",
			snp_certctl_become: false,
			snp_certctl_bin: $bin,
			snp_certctl_environment: {
				LD_PRELOAD: $so, FAKE_SEV_STATE: $state, FAKE_SEV_LOG: $log,
				FAKE_SEV_DEVICE: $dev, SNP_CERTCTL_DEVICE: $dev }
		}' > "$T/vars.json"
	PLAYBOOK="$REPO/hooks/ansible/fw-update.yml"
}

playbook() {
	ansible-playbook -c local -e @"$T/vars.json" "$PLAYBOOK" "$@"
}

# -e firmware_step=A B would be split into two key=value pairs: JSON keeps it whole.
step() {
	jq -nc --arg s "$1" '{firmware_step: $s}'
}

state_value() {
	sed -n "s/^$1=//p" "$STATE"
}

@test "ansible: the playbook and role pass --syntax-check" {
	run ansible-playbook --syntax-check -i localhost, "$PLAYBOOK"
	assert_success
}

@test "ansible: fw-update on localhost: firmware step under the locks, new VCEK, status matches" {
	run playbook -i localhost, -e "$(step "$T/flash localhost")"
	assert_success
	assert_output --partial "localhost: reported TCB $OLD_TCB -> $NEW_TCB"
	assert_output --regexp "ok=[0-9]+ +changed=1 +unreachable=0 +failed=0"
	# The step ran once, while no reader could lock a table (exit 3: busy).
	[ "$(cat "$T/steps")" = "localhost reader-lock-status=3" ]
	# Committed, and the reported TCB set to the current one.
	[ "$(state_value committed_tcb)" = "$NEW_TCB" ]
	[ "$(state_value reported_tcb)" = "$NEW_TCB" ]
	grep -q ' SNP_COMMIT ok' "$LOG"
	grep -q ' SNP_SET_CONFIG ok' "$LOG"
	# The new VCEK came from the KDS and is in every table.
	grep -q "GET /vcek/v1/Milan/$HWID_MILAN?.*ucodeSPL=116.* 200" "$KDS_LOG"
	run fake status --json
	assert_success
	[ "$(jq -c '[.store.tables[] | [.file, .status, .tcb.raw]]' <<< "$output")" = \
		"[[\"$T/store/a.certs\",\"match\",\"$NEW_TCB\"],[\"$T/store/b.certs\",\"match\",\"$NEW_TCB\"]]" ]
}

@test "ansible: the roll stops at the first host whose firmware step fails" {
	local before
	before=$(fingerprint "$T/store/a.certs")
	cat > "$T/inventory" <<-EOF
		[sev_snp_hosts]
		h1 firmware_step="$T/flash h1 fail"
		h2 firmware_step="$T/flash h2"
		h3 firmware_step="$T/flash h3"
		[sev_snp_hosts:vars]
		ansible_connection=local
	EOF
	run playbook -i "$T/inventory" -e snp_certctl_hosts=sev_snp_hosts
	assert_failure 2
	assert_output --partial "fatal: [h1]"
	refute_output --partial "[h2]"
	refute_output --partial "[h3]"
	[ "$(cat "$T/steps")" = "h1 reader-lock-status=3" ]
	# The firmware step failed: nothing committed, tables as they were.
	[ "$(state_value current_tcb)" = "$OLD_TCB" ]
	[ "$(state_value reported_tcb)" = "$OLD_TCB" ]
	run grep -c -e ' SNP_COMMIT ' -e ' SNP_SET_CONFIG ' "$LOG"
	assert_output 0
	[ "$(fingerprint "$T/store/a.certs")" = "$before" ]
}

@test "ansible: without firmware_step the role fails before touching anything" {
	run playbook -i localhost,
	assert_failure 2
	assert_output --partial "firmware_step is not set for localhost"
	[ ! -e "$T/steps" ]
	[ ! -s "$LOG" ]
}

@test "ansible: a host without the SEV device fails the pre-flight, fw-update is not run" {
	set_state present=0
	run playbook -i localhost, -e "$(step "$T/flash localhost")"
	assert_failure 2
	assert_output --partial "localhost: the SEV firmware cannot be read"
	[ ! -e "$T/steps" ]
}

@test "ansible: an unexpected reported TCB after the update fails the host" {
	run playbook -i localhost, -e "$(step "$T/flash localhost")" \
		-e snp_certctl_expected_tcb=0x7508000000000103
	assert_failure 2
	assert_output --partial "localhost: reported TCB $NEW_TCB after the update"
	assert_output --partial "expected: 0x7508000000000103"
}

@test "ansible: with snp_certctl_expected_tcb matching, the check passes" {
	run playbook -i localhost, -e "$(step "$T/flash localhost")" \
		-e snp_certctl_expected_tcb=0X7408000000000103
	assert_success
	assert_output --partial "localhost: reported TCB $OLD_TCB -> $NEW_TCB"
}
