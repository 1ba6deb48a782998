#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The fleet playbook (hooks/ansible/fleet.yml) run for real with
# `ansible-playbook -c local` against two simulated hosts in one inventory:
# h1 is the Milan test chain's platform, h2 the Genoa one's, each with its
# own store, cache, simulated firmware (tests/fakes/sev.so) state and trust
# root.  The controller mirrors what the fleet needs from the KDS stand-in
# (tests/fakes/kds-server.py, logging every request) into a directory that
# a plain static HTTP server (python3 -m http.server) serves; the hosts then
# roll fw-update from that mirror.  Each (chip, TCB) is asked of KDS once
# for the whole fleet, and never by a host.

load helpers

NEW_MILAN=0x7408000000000103 # bl=3,tee=1,snp=8,ucode=116
NEW_GENOA=0x490e000000000207 # bl=7,tee=2,snp=14,ucode=73

setup_file() {
	command -v ansible-playbook >/dev/null || return 0
	need_fixtures
	start_kds http
	wait_kds http
}

teardown_file() {
	stop_kds http
}

# host NAME PRODUCT NEW_TCB: a simulated host's files under $T/NAME and its
# inventory line (the role's environment points the program at them).
host() {
	local name=$1 product=$2 new=$3 p=${2^^} hw tcb d="$T/$1"
	hw=FX_HWID_$p tcb=FX_TCB_$p
	mkdir -p "$d/store" "$d/cache"
	cat >"$d/sev.state" <<-EOF
		api_major=1
		api_minor=55
		build_id=21
		state=1
		current_tcb=${!tcb}
		reported_tcb=${!tcb}
		committed_tcb=${!tcb}
		chip_id=${!hw}
		guest_count=1
	EOF
	test_table "${product,,}" "$d/store/a.certs"
	test_table "${product,,}" "$d/store/b.certs"
	# The firmware step: raises the current TCB to the new one.
	cat >"$d/flash" <<-EOF
		#!/bin/sh
		echo "$name" >> "$T/steps"
		[ "\${1:-}" = fail ] && exit 1
		sed -i 's/^current_tcb=.*/current_tcb=$new/' "$d/sev.state"
	EOF
	chmod 0755 "$d/flash"
	jq -nc --arg so "$FAKE_SO" --arg d "$d" --arg product "$product" \
		--arg root "$SNPCERT_FIXTURES/${product,,}/ark.pem" --arg new "$new" \
		--arg kds "$SNP_CERTCTL_KDS_URL" '{
			snp_certctl_target_tcb: $new,
			firmware_step: ($d + "/flash"),
			snp_certctl_environment: {
				LD_PRELOAD: $so, FAKE_SEV_STATE: ($d + "/sev.state"),
				FAKE_SEV_LOG: ($d + "/sev.log"), FAKE_SEV_DEVICE: ($d + "/sev"),
				SNP_CERTCTL_DEVICE: ($d + "/sev"), SNP_CERTCTL_STORE: ($d + "/store"),
				SNP_CERTCTL_CACHE_DIR: ($d + "/cache"), SNP_CERTCTL_PRODUCT: $product,
				SNP_CERTCTL_TRUST_ROOT: $root, SNP_CERTCTL_KDS_URL: $kds }
		}' >"$T/$name.vars.json"
	mkdir -p "$T/host_vars"
	cp "$T/$name.vars.json" "$T/host_vars/$name.json"
}

setup() {
	command -v ansible-playbook >/dev/null || fail "ansible-playbook is missing: make test-deps (Debian: ansible-core)"
	common_setup
	FAKE_SO="$SNPCERT_BUILD/tests/fakes/sev.so"
	[ -f "$FAKE_SO" ] || fail "no $FAKE_SO: make tests"
	: >"$KDS_LOG"
	kds_mode ok
	use_kds http
	# Nothing of the test's own settings reaches the hosts or the controller
	# but what the inventory and the variables say.
	unset SNP_CERTCTL_STORE SNP_CERTCTL_CACHE_DIR
	host h1 Milan "$NEW_MILAN"
	host h2 Genoa "$NEW_GENOA"
	cat >"$T/inventory" <<-EOF
		[sev_snp_hosts]
		h1
		h2
		[sev_snp_hosts:vars]
		ansible_connection=local
	EOF
	M="$T/www/kds"
	mkdir -p "$M"
	serve_mirror "$M"
	mkdir -p "$T/ansible/tmp"
	: >"$T/ansible.cfg"
	export ANSIBLE_CONFIG="$T/ansible.cfg" ANSIBLE_HOME="$T/ansible" \
		ANSIBLE_LOCAL_TEMP="$T/ansible/tmp" ANSIBLE_REMOTE_TEMP="$T/ansible/tmp" \
		ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=auto_silent
	# The controller's own cache, where the gathered documents go by default.
	export XDG_CACHE_HOME="$T/xdg-cache"
	jq -n --arg bin "$SNP_CERTCTL" --arg m "$M" --arg url "$MIRROR_URL" \
		--arg cache "$T/controller-cache" --arg kds "$SNP_CERTCTL_KDS_URL" \
		--arg mr "$SNPCERT_FIXTURES/milan/ark.pem" --arg gr "$SNPCERT_FIXTURES/genoa/ark.pem" '{
			snp_certctl_become: false,
			snp_certctl_bin: $bin,
			snp_certctl_controller_bin: $bin,
			snp_certctl_mirror_dir: $m,
			snp_certctl_mirror_url: $url,
			snp_certctl_mirror_args: ["--rate", "50/s", "--trust-root", $mr, "--trust-root", $gr],
			snp_certctl_controller_environment: {
				SNP_CERTCTL_CACHE_DIR: $cache, SNP_CERTCTL_KDS_URL: $kds }
		}' >"$T/vars.json"
	# The hosts' KDS is the stand-in too, so that any request of theirs counts.
}

teardown() {
	stop_jobs
}

playbook() {
	ansible-playbook -c local -i "$T/inventory" -e @"$T/vars.json" \
		"$REPO/hooks/ansible/fleet.yml" "$@"
}

on_host() {
	local name=$1 vars
	shift
	mapfile -t vars < <(jq -r '.snp_certctl_environment | to_entries[] | "\(.key)=\(.value)"' \
		"$T/$name.vars.json")
	env "${vars[@]}" "$SNP_CERTCTL" "$@"
}

tcb_of() {
	sed -n 's/^reported_tcb=//p' "$T/$1/sev.state"
}

@test "fleet: the playbook passes --syntax-check" {
	run ansible-playbook --syntax-check -i "$T/inventory" "$REPO/hooks/ansible/fleet.yml"
	assert_success
}

@test "fleet: two hosts, one mirror: each (chip, TCB) from KDS once, the hosts from the mirror" {
	run playbook
	assert_success
	assert_output --regexp "h1 +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0"
	assert_output --regexp "h2 +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0"
	assert_output --partial "h1: reported TCB $FX_TCB_MILAN -> $NEW_MILAN"
	assert_output --partial "h2: reported TCB $FX_TCB_GENOA -> $NEW_GENOA"
	[ "$(cat "$T/steps")" = "$(printf 'h1\nh2')" ]
	# KDS: each chip's VCEK for its reported and its target TCB, once, and
	# each product's CA chain and CRL, once: nothing more, nothing twice.
	assert_equal "$(kds_requests "/vcek/v1/Milan/$FX_HWID_MILAN?blSPL=3&teeSPL=1&snpSPL=8&ucodeSPL=115 ")" 1
	assert_equal "$(kds_requests "/vcek/v1/Milan/$FX_HWID_MILAN?blSPL=3&teeSPL=1&snpSPL=8&ucodeSPL=116 ")" 1
	assert_equal "$(kds_requests "/vcek/v1/Genoa/$FX_HWID_GENOA?blSPL=7&teeSPL=2&snpSPL=14&ucodeSPL=72 ")" 1
	assert_equal "$(kds_requests "/vcek/v1/Genoa/$FX_HWID_GENOA?blSPL=7&teeSPL=2&snpSPL=14&ucodeSPL=73 ")" 1
	assert_equal "$(kds_requests /vcek/v1/Milan/cert_chain)" 1
	assert_equal "$(kds_requests /vcek/v1/Genoa/cert_chain)" 1
	assert_equal "$(kds_requests)" 8
	# The hosts took their new VCEKs (and the chains) from the mirror.
	assert_equal "$(mirror_requests "/vcek/Milan/$FX_HWID_MILAN/${NEW_MILAN#0x}.der")" 1
	assert_equal "$(mirror_requests "/vcek/Genoa/$FX_HWID_GENOA/${NEW_GENOA#0x}.der")" 1
	[ -f "$M/index.json" ]
	# The gathered documents (every chip id) are the controller's, private,
	# and nowhere near the web root.
	[ -z "$(find "$T/www" -name '*.json' ! -path "$M/*")" ]
	assert_equal "$(stat -c %a "$XDG_CACHE_HOME/snp-certctl/fleet")" 700
	assert_equal "$(stat -c %a "$XDG_CACHE_HOME/snp-certctl/fleet/status/h1.json")" 600
	jq -e .sev.chip_id "$XDG_CACHE_HOME/snp-certctl/fleet/status/h2.json"
	# Every table of both hosts matches the new TCB.
	[ "$(tcb_of h1)" = "$NEW_MILAN" ]
	[ "$(tcb_of h2)" = "$NEW_GENOA" ]
	run on_host h1 status --json
	assert_success
	assert_equal "$(jq -c '[.store.tables[] | [.status, .tcb.raw]] | unique' <<<"$output")" \
		"[[\"match\",\"$NEW_MILAN\"]]"
	run on_host h2 status --json
	assert_success
	assert_equal "$(jq -c '[.store.tables[] | [.status, .tcb.raw]] | unique' <<<"$output")" \
		"[[\"match\",\"$NEW_GENOA\"]]"
}

@test "fleet: the first host's firmware step failing stops the roll before the second" {
	jq -c '.firmware_step += " fail"' "$T/h1.vars.json" >"$T/host_vars/h1.json"
	local before h1
	h1=$(fingerprint "$T/h1/store/a.certs"; fingerprint "$T/h1/store/b.certs")
	before=$(cat "$T/h2/sev.state"; fingerprint "$T/h2/store/a.certs"; fingerprint "$T/h2/store/b.certs")
	run playbook
	assert_failure 2
	assert_output --partial "fatal: [h1]"
	[ "$(cat "$T/steps")" = h1 ]
	# h1: nothing committed, its tables as they were; h2: untouched.
	[ "$(tcb_of h1)" = "$FX_TCB_MILAN" ]
	[ "$(fingerprint "$T/h1/store/a.certs"; fingerprint "$T/h1/store/b.certs")" = "$h1" ]
	run grep -c -e ' SNP_COMMIT ' -e ' SNP_SET_CONFIG ' "$T/h1/sev.log"
	assert_output 0
	[ "$(cat "$T/h2/sev.state"; fingerprint "$T/h2/store/a.certs"; fingerprint "$T/h2/store/b.certs")" = "$before" ]
	run grep -c -e ' SNP_COMMIT ' -e ' SNP_SET_CONFIG ' "$T/h2/sev.log"
	assert_output 0
	# The mirror was written before the roll: the fleet's keys, once each.
	assert_equal "$(kds_requests)" 8
}
