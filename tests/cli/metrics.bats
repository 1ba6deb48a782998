#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# metrics: the Prometheus text exposition on the simulated host (the fake
# firmware, the KDS stand-in), read by promtool check metrics and by
# python3-prometheus-client's parser; the values against status --json and
# openssl; label escaping; metrics_dir after refresh, status and check; the
# run state file (success, failure, dry run, corrupt); the alerting rules
# (promtool check rules, promtool test rules).

load helpers

OLDTCB=bl=3,tee=1,snp=7,ucode=115
# Debian's python3-prometheus-client is for Debian's python3 (not another first in PATH).
PROM_PYTHON=${PROM_PYTHON:-/usr/bin/python3}

setup_file() {
	kds_file_setup
	old_vcek "$OLDTCB"
}

teardown_file() {
	stop_kds http
}

setup() {
	common_setup
	command -v promtool >/dev/null || fail "promtool is missing: make test-deps (Debian: prometheus)"
	"$PROM_PYTHON" -c 'import prometheus_client' ||
		fail "prometheus_client is missing: make test-deps (Debian: python3-prometheus-client)"
	simulated_host
	STATEFILE="$T/store/.snp-certctl-state.json"
}

# Every sample of the exposition in FILE as a JSON array of {name, labels,
# value}, as prometheus_client's parser reads it (it fails on what it cannot).
prom_json() {
	"$PROM_PYTHON" - "$1" <<-'EOF'
		import json, sys
		from prometheus_client.parser import text_string_to_metric_families
		out = []
		for fam in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
		    for s in fam.samples:
		        out.append({"name": s.name, "labels": s.labels, "value": s.value,
		                    "type": fam.type, "help": fam.documentation})
		print(json.dumps(out))
	EOF
}

# value FILE NAME [JQ-CONDITION]: the values of NAME's samples (integers whole).
value() {
	prom_json "$1" | jq -r --arg n "$2" ".[] | select(.name == \$n) | select(${3:-true}) |
		.value | if . == floor then floor else . end"
}

# The checks every exposition must pass: promtool, the parser, HELP and TYPE.
valid() {
	run promtool check metrics <"$1"
	assert_success
	assert_output ''
	prom_json "$1" >"$T/parsed.json"
	assert_equal "$(jq '[.[] | select(.type != "gauge" or .help == "")] | length' "$T/parsed.json")" 0
	assert_equal "$(grep -c '^# TYPE ' "$1")" "$(grep -c '^# HELP ' "$1")"
	assert_equal "$(grep '^# TYPE ' "$1" | cut -d' ' -f3 | sort | uniq -d)" ''
}

@test "metrics: promtool and prometheus_client accept it; a matching table 1, a table for another TCB 0" {
	test_table milan "$T/store/a.certs"
	old_table "$T/store/b.certs"
	run --separate-stderr fake metrics
	assert_success
	printf '%s\n' "$output" >"$T/m.prom"
	valid "$T/m.prom"
	assert_equal "$(value "$T/m.prom" snp_certctl_table_matches_platform '.labels.table == "a.certs"')" 1
	assert_equal "$(value "$T/m.prom" snp_certctl_table_matches_platform '.labels.table == "b.certs"')" 0
	assert_equal "$(value "$T/m.prom" snp_certctl_table_status '.labels.table == "b.certs" and .labels.status == "tcb-mismatch"')" 1
	assert_equal "$(value "$T/m.prom" snp_certctl_table_interrupted '.labels.table == "a.certs"')" 0
	assert_equal "$(value "$T/m.prom" snp_certctl_store_tables)" 2
	assert_equal "$(value "$T/m.prom" snp_certctl_store_unmanaged_files)" 0
	assert_equal "$(value "$T/m.prom" snp_certctl_platform_up)" 1
	now=$(date +%s)
	gen=$(value "$T/m.prom" snp_certctl_metrics_generated_timestamp_seconds)
	[ "$gen" -le "$now" ]
	[ "$gen" -ge $((now - 600)) ]
	# No run recorded yet: no run series, and no state file made by reading.
	assert_equal "$(value "$T/m.prom" snp_certctl_refresh_last_success_timestamp_seconds)" ''
	assert_equal "$(value "$T/m.prom" snp_certctl_workflow_last_exit_status)" ''
	[ ! -e "$STATEFILE" ]
}

@test "metrics: not_after is each certificate's notAfter (openssl x509 -enddate)" {
	sample_table "$T/store/s.certs"
	certctl extract "$T/store/s.certs" -d "$T/x"
	fake metrics -o "$T/m.prom"
	valid "$T/m.prom"
	for type in vcek ask ark; do
		want=$(date -u -d "$(openssl x509 -in "$T/x/$type.pem" -noout -enddate | cut -d= -f2)" +%s)
		assert_equal "$(value "$T/m.prom" snp_certctl_certificate_not_after_seconds ".labels.table == \"s.certs\" and .labels.type == \"$type\"")" "$want"
	done
	assert_equal "$(value "$T/m.prom" snp_certctl_certificate_not_after_seconds '.labels.type == "vlek"')" ''
}

@test "metrics: tcb_info labels are status --json's TCBs; fmc only on Turin" {
	set_state current_tcb=0x7309000000000204
	fake metrics -o "$T/m.prom"
	valid "$T/m.prom"
	fake status --json >"$T/status.json"
	for which in current reported; do
		want=$(jq -c ".sev.${which}_tcb | del(.raw) | map_values(tostring)" "$T/status.json")
		got=$(prom_json "$T/m.prom" | jq -c --arg w "$which" '.[] | select(.name ==
			"snp_certctl_platform_tcb_info" and .labels.which == $w) | .labels | del(.which)')
		assert_equal "$(jq -cS . <<<"$got")" "$(jq -cS . <<<"$want")"
	done
	assert_equal "$(value "$T/m.prom" snp_certctl_platform_tcb_info '.labels.which == "current" and .labels.bl == "4" and .labels.snp == "9"')" 1
	refute grep -q 'fmc=' "$T/m.prom"
	fake_test_platform turin
	fake metrics -o "$T/t.prom"
	valid "$T/t.prom"
	fake status --json >"$T/status.json"
	want=$(jq -cS '.sev.reported_tcb | del(.raw) | map_values(tostring)' "$T/status.json")
	got=$(prom_json "$T/t.prom" | jq -cS '.[] | select(.name == "snp_certctl_platform_tcb_info" and
		.labels.which == "reported") | .labels | del(.which)')
	assert_equal "$got" "$want"
	[[ "$got" == *'"fmc":"1"'* ]]
}

@test "metrics: without an SEV device it still writes (platform_up 0, no TCB, exit 0)" {
	test_table milan "$T/store/a.certs"
	export SNP_CERTCTL_DEVICE="$T/nothing"
	run --separate-stderr "$SNP_CERTCTL" metrics
	assert_success
	printf '%s\n' "$output" >"$T/m.prom"
	valid "$T/m.prom"
	assert_equal "$(value "$T/m.prom" snp_certctl_platform_up)" 0
	assert_equal "$(value "$T/m.prom" snp_certctl_platform_tcb_info)" ''
	# Not decided without the platform: the series is left out, as check skips it.
	assert_equal "$(value "$T/m.prom" snp_certctl_table_matches_platform)" ''
	assert_equal "$(value "$T/m.prom" snp_certctl_table_status '.labels.status == "unknown"')" 1
}

@test "metrics: the stored legacy SEV chain against the firmware's PEK: 1, 0, absent" {
	[ -f "$SNPCERT_FIXTURES/sev/pek.cert" ] || fail "no SEV test platform in $SNPCERT_FIXTURES: make fixtures"
	local fx="$SNPCERT_FIXTURES/sev" pek="$T/store/sev/pek.cert"
	set_state "sev_chain=$fx" sev_state=1 sev_flags=0x100
	fake metrics -o "$T/m.prom"
	valid "$T/m.prom"
	# No stored chain: nothing to judge.
	assert_equal "$(value "$T/m.prom" snp_certctl_sev_chain_matches_platform)" ''
	mkdir -p "$T/store/sev"
	cp "$fx/pek.cert" "$pek"
	fake metrics -o "$T/m.prom"
	valid "$T/m.prom"
	assert_equal "$(value "$T/m.prom" snp_certctl_sev_chain_matches_platform)" 1
	# sev/ is the chain, not an unmanaged entry.
	assert_equal "$(value "$T/m.prom" snp_certctl_store_unmanaged_files)" 0
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[0x30] ^= 1; open(sys.argv[2], "wb").write(b)' "$fx/pek.cert" "$pek"
	fake metrics -o "$T/m.prom"
	assert_equal "$(value "$T/m.prom" snp_certctl_sev_chain_matches_platform)" 0
	assert_equal "$(fake status --json | jq -r .sev.legacy.chain.status)" mismatch
}

@test "metrics: a FIFO in the store is counted unmanaged" {
	test_table milan "$T/store/a.certs"
	mkfifo "$T/store/pipe.certs"
	run --separate-stderr fake metrics
	assert_success
	printf '%s\n' "$output" >"$T/m.prom"
	valid "$T/m.prom"
	assert_equal "$(value "$T/m.prom" snp_certctl_store_unmanaged_files)" 1
	assert_equal "$(value "$T/m.prom" snp_certctl_store_tables)" 1
}

@test "metrics: label values escaped (a quote, a backslash, a newline; bytes not UTF-8)" {
	name=$'we"ird\\na\nme.certs'
	test_table milan "$T/store/$name" || skip "the file system refuses the name"
	test_table milan "$T/store/"$'bad\xff.certs'
	fake metrics -o "$T/m.prom"
	valid "$T/m.prom"
	grep -qF 'table="we\"ird\\na\nme.certs"' "$T/m.prom"
	got=$(prom_json "$T/m.prom" | jq -r '.[] | select(.name == "snp_certctl_table_matches_platform") |
		.labels.table | @json')
	assert_equal "$got" "$(printf '%s\n' '"bad\ufffd.certs"' | jq -r @json | jq -c .)
$(jq -cn --arg n "$name" '$n')"
	assert_equal "$(value "$T/m.prom" snp_certctl_table_matches_platform ".labels.table == $(jq -cn --arg n "$name" '$n')")" 1
}

@test "metrics -o: written atomically, mode 0644, no temporary file left; errors exit 1" {
	mkdir "$T/out"
	(umask 077 && fake metrics -o "$T/out/snp.prom")
	assert_equal "$(stat -c %a "$T/out/snp.prom")" 644
	assert_equal "$(ls -A "$T/out")" snp.prom
	valid "$T/out/snp.prom"
	run --separate-stderr fake metrics -o "$T/missing/snp.prom"
	assert_failure 1
	assert_equal "$stderr" "snp-certctl: cannot write '$T/missing/snp.prom': No such file or directory"
	mkfifo "$T/out/fifo.prom"
	run --separate-stderr fake metrics -o "$T/out/fifo.prom"
	assert_failure 1
	assert_equal "$stderr" "snp-certctl: refusing to write '$T/out/fifo.prom': it is a FIFO"
	run --separate-stderr fake metrics --json
	assert_failure 2
	run --separate-stderr fake metrics extra
	assert_failure 2
}

@test "metrics_dir: refresh, status and check write snp-certctl.prom (0644, nothing else left)" {
	mkdir "$T/prom"
	printf 'metrics_dir = %s\n' "$T/prom" >"$T/empty.conf"
	old_table "$T/store/t.certs"
	for cmd in status check refresh; do
		rm -f "$T/prom/snp-certctl.prom"
		(umask 077 && fake "$cmd" >/dev/null) || [ "$cmd" = check ]
		assert_equal "$(stat -c %a "$T/prom/snp-certctl.prom")" 644
		assert_equal "$(ls -A "$T/prom")" snp-certctl.prom
		valid "$T/prom/snp-certctl.prom"
	done
	# After the refresh, the table matches.
	assert_equal "$(value "$T/prom/snp-certctl.prom" snp_certctl_table_matches_platform)" 1
	# A directory that cannot be written: a warning, the exit status unchanged.
	printf 'metrics_dir = %s\n' "$T/nowhere" >"$T/empty.conf"
	run --separate-stderr fake status
	assert_success
	assert_equal "$stderr" "snp-certctl: warning: cannot write '$T/nowhere/snp-certctl.prom': No such file or directory"
	run --separate-stderr fake refresh
	assert_success
	assert_equal "$stderr" "snp-certctl: warning: cannot write '$T/nowhere/snp-certctl.prom': No such file or directory"
}

@test "state: refresh's last success appears after a refresh, not before; a dry run records nothing" {
	old_table "$T/store/t.certs"
	fake metrics -o "$T/m0.prom"
	assert_equal "$(value "$T/m0.prom" snp_certctl_refresh_last_success_timestamp_seconds)" ''
	fake refresh --dry-run >/dev/null
	[ ! -e "$STATEFILE" ]
	before=$(date +%s)
	fake refresh >/dev/null
	after=$(date +%s)
	assert_equal "$(stat -c %a "$STATEFILE")" 644
	jq -e . "$STATEFILE" >/dev/null
	fake metrics -o "$T/m1.prom"
	valid "$T/m1.prom"
	last=$(value "$T/m1.prom" snp_certctl_refresh_last_success_timestamp_seconds)
	[ "$last" -ge "$before" ]
	[ "$last" -le "$after" ]
	assert_equal "$(value "$T/m1.prom" snp_certctl_workflow_last_run_timestamp_seconds '.labels.workflow == "refresh" and .labels.result == "success"')" "$last"
	assert_equal "$(value "$T/m1.prom" snp_certctl_workflow_last_exit_status '.labels.workflow == "refresh"')" 0
	hold=$(value "$T/m1.prom" snp_certctl_workflow_last_lock_hold_seconds '.labels.workflow == "refresh"')
	# The table was updated: its exclusive lock was held, for less than the run.
	awk -v h="$hold" -v s=$((after - before + 1)) 'BEGIN { exit !(h > 0 && h <= s) }'
	# Nothing to do is a success too, with no lock held.
	fake refresh >/dev/null
	fake metrics -o "$T/m2.prom"
	assert_equal "$(value "$T/m2.prom" snp_certctl_workflow_last_lock_hold_seconds '.labels.workflow == "refresh"')" 0
	# The state file is no table.
	run fake status
	assert_output --partial "1 table"
}

@test "state: fw-update records its runs (the locks held across its step); a failing step, a failure" {
	test_table milan "$T/store/t.certs"
	printf '#!/bin/sh\nsleep 0.2\n' >"$T/ok.sh"
	printf '#!/bin/sh\nexit 7\n' >"$T/bad.sh"
	chmod 755 "$T/ok.sh" "$T/bad.sh"
	fake fw-update -- "$T/ok.sh" >/dev/null
	fake metrics -o "$T/m.prom"
	valid "$T/m.prom"
	assert_equal "$(value "$T/m.prom" snp_certctl_workflow_last_exit_status '.labels.workflow == "fw-update"')" 0
	hold=$(value "$T/m.prom" snp_certctl_workflow_last_lock_hold_seconds '.labels.workflow == "fw-update"')
	awk -v h="$hold" 'BEGIN { exit !(h >= 0.2) }'
	ok=$(value "$T/m.prom" snp_certctl_workflow_last_success_timestamp_seconds '.labels.workflow == "fw-update"')
	run --separate-stderr fake fw-update -- "$T/bad.sh"
	assert_failure
	st=$status
	fake metrics -o "$T/m.prom"
	assert_equal "$(value "$T/m.prom" snp_certctl_workflow_last_exit_status '.labels.workflow == "fw-update"')" "$st"
	assert_equal "$(value "$T/m.prom" snp_certctl_workflow_last_success_timestamp_seconds '.labels.workflow == "fw-update"')" "$ok"
	assert_equal "$(value "$T/m.prom" snp_certctl_workflow_last_run_timestamp_seconds '.labels.workflow == "fw-update" and .labels.result == "failure"' | wc -l)" 1
	# fw-update is not refresh.
	assert_equal "$(value "$T/m.prom" snp_certctl_refresh_last_success_timestamp_seconds)" ''
}

@test "state: a failed refresh (KDS 500) records the failure and keeps the last success" {
	old_table "$T/store/t.certs"
	printf '{"version":1,"workflows":{"refresh":{"exit_status":0,"last_run":1700000000,"last_success":1700000000,"lock_hold_s":0.5,"result":"success"}}}\n' >"$STATEFILE"
	kds_mode 500
	SNP_CERTCTL_KDS_DEADLINE=1 run --separate-stderr fake refresh
	assert_failure 6
	fake metrics -o "$T/m.prom"
	valid "$T/m.prom"
	assert_equal "$(value "$T/m.prom" snp_certctl_refresh_last_success_timestamp_seconds)" 1700000000
	assert_equal "$(value "$T/m.prom" snp_certctl_workflow_last_exit_status '.labels.workflow == "refresh"')" 6
	assert_equal "$(value "$T/m.prom" snp_certctl_workflow_last_run_timestamp_seconds '.labels.result == "success"')" ''
	last=$(value "$T/m.prom" snp_certctl_workflow_last_run_timestamp_seconds '.labels.workflow == "refresh" and .labels.result == "failure"')
	[ "$last" -gt 1700000000 ]
	assert_equal "$(jq -c '.workflows.refresh | [.result, .exit_status, .last_success]' "$STATEFILE")" '["failure",6,1700000000]'
}

@test "state: a corrupt state file is a warning, its series left out, never a failure; the next run replaces it" {
	test_table milan "$T/store/a.certs"
	printf '{"version":1,"workflows":{"refresh":{"result":"success"}}}\n' >"$STATEFILE"
	run --separate-stderr fake metrics
	assert_success
	assert_equal "$stderr" "snp-certctl: warning: ignoring the state file '$STATEFILE': workflow 'refresh': last_run is not a time in Unix seconds"
	printf '%s\n' "$output" >"$T/m.prom"
	valid "$T/m.prom"
	assert_equal "$(value "$T/m.prom" snp_certctl_workflow_last_exit_status)" ''
	assert_equal "$(value "$T/m.prom" snp_certctl_table_matches_platform)" 1
	run --separate-stderr fake refresh
	assert_success
	assert_equal "$stderr" "snp-certctl: warning: replacing the state file '$STATEFILE': workflow 'refresh': last_run is not a time in Unix seconds"
	assert_equal "$(jq -r '.workflows.refresh.result' "$STATEFILE")" success
	# A state file that is a FIFO is never opened for reading, nor replaced.
	rm "$STATEFILE"
	mkfifo "$STATEFILE"
	run --separate-stderr fake metrics
	assert_success
	assert_equal "$stderr" "snp-certctl: warning: ignoring the state file '$STATEFILE': not a regular file"
	run --separate-stderr fake refresh
	assert_success
	assert_equal "$stderr" "snp-certctl: warning: replacing the state file '$STATEFILE': not a regular file
snp-certctl: warning: refusing to write '$STATEFILE': it is a FIFO"
	[ -p "$STATEFILE" ]
}

@test "rules: promtool check rules accepts the alerting rules; promtool test rules proves each alert" {
	run promtool check rules "$REPO/hooks/prometheus/snp-certctl.rules.yml"
	assert_success
	assert_output --partial "SUCCESS: 8 rules found"
	run promtool test rules "$REPO/tests/prometheus/rules-test.yml"
	assert_success
	# Every alert of the rules is tested.
	for a in $(sed -n 's/^ *- alert: //p' "$REPO/hooks/prometheus/snp-certctl.rules.yml"); do
		grep -q "alertname: $a\$" "$REPO/tests/prometheus/rules-test.yml" || fail "$a is not tested"
	done
	# A test that fails is reported as one.
	sed 's/for: 15m/for: 1m/' "$REPO/hooks/prometheus/snp-certctl.rules.yml" >"$T/rules.yml"
	sed "s|../../hooks/prometheus/snp-certctl.rules.yml|$T/rules.yml|" \
		"$REPO/tests/prometheus/rules-test.yml" >"$T/rules-test.yml"
	run promtool test rules "$T/rules-test.yml"
	assert_failure
}
