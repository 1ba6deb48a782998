#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units in hooks/systemd pass `systemd-analyze verify`.  verify
# checks that ExecStart's binary exists, so the copies verified point it at
# the build's program; --man=no because the man pages are checked by their
# own test and are not installed here.

load helpers

UNITS="snp-certctl-broker.service snp-certctl-broker.socket snp-certctl-refresh.service snp-certctl-refresh.timer snp-certctl-recover.service"

setup() {
	command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing: make test-deps (Debian: systemd)"
	common_setup
	[ -x "$SNP_CERTCTL" ] || fail "no $SNP_CERTCTL: build first"
	mkdir "$T/units"
	local u
	for u in $UNITS; do
		sed "s|/usr/bin/snp-certctl|$SNP_CERTCTL|g" "$REPO/hooks/systemd/$u" > "$T/units/$u"
	done
}

@test "units: every shipped unit is tested here" {
	run bash -c "cd '$REPO/hooks/systemd' && ls | sort | tr '\n' ' '"
	assert_output "snp-certctl-broker.service snp-certctl-broker.socket snp-certctl-recover.service snp-certctl-refresh.service snp-certctl-refresh.timer "
}

@test "units: systemd-analyze verify passes" {
	run systemd-analyze verify --man=no "$T"/units/*
	assert_success
	assert_output ""
}

@test "units: the services run the program from /usr/bin (install substitutes BINDIR)" {
	run grep -h '^ExecStart=' "$REPO"/hooks/systemd/*.service
	assert_line "ExecStart=/usr/bin/snp-certctl refresh -q"
	assert_line "ExecStart=/usr/bin/snp-certctl recover"
}

@test "units: a broken unit fails verify (the test can fail)" {
	sed -i 's|^ExecStart=.*|ExecStart=/nonexistent/snp-certctl refresh|' \
		"$T/units/snp-certctl-refresh.service"
	run systemd-analyze verify --man=no "$T/units/snp-certctl-refresh.service"
	assert_failure
	assert_output --partial "/nonexistent/snp-certctl"
}

@test "units: refresh can reach /dev/sev and write the store and cache" {
	local s="$T/units/snp-certctl-refresh.service"
	grep -qx 'DeviceAllow=/dev/sev rw' "$s"
	grep -qx 'StateDirectory=snp-certctl' "$s"
	grep -qx 'CacheDirectory=snp-certctl' "$s"
	grep -qx 'ProtectSystem=strict' "$s"
	# PrivateDevices= would hide /dev/sev.
	run grep -c '^PrivateDevices=' "$s"
	assert_output 0
}

@test "units: the timer is daily, randomized and persistent; recover orders before VMMs" {
	local t="$T/units/snp-certctl-refresh.timer" r="$T/units/snp-certctl-recover.service"
	grep -qx 'OnCalendar=daily' "$t"
	grep -qx 'Persistent=true' "$t"
	grep -q '^RandomizedDelaySec=' "$t"
	grep -q '^Before=.*libvirtd.service.*virtqemud.service' "$r"
	grep -qx 'DefaultDependencies=no' "$r"
	grep -qx 'After=local-fs.target' "$r"
	grep -qx 'WantedBy=multi-user.target' "$r"
}

@test "cron: one daily refresh line with PATH, in cron.d format" {
	local c="$REPO/hooks/cron/snp-certctl"
	grep -q '^PATH=' "$c"
	run grep -Ec '^[0-9]+\s+[0-9]+(\s+\*){3}\s+root\s.*snp-certctl refresh --splay 3600 -q$' "$c"
	assert_output 1
}

@test "units: the broker listens on vsock 5577 through systemd, sandboxed to unix and vsock sockets" {
	grep -qx 'ListenStream=vsock::5577' "$REPO/hooks/systemd/snp-certctl-broker.socket"
	local s="$REPO/hooks/systemd/snp-certctl-broker.service"
	grep -qx 'RestrictAddressFamilies=AF_UNIX AF_VSOCK' "$s"
	grep -qx 'CapabilityBoundingSet=' "$s"
	grep -qx 'ReadOnlyPaths=/var/lib/snp-certctl' "$s"
	grep -qx 'ExecStart=/usr/bin/snp-certctl broker --syslog' "$s"
	# The sandbox's view, as systemd computes it.
	run systemd-analyze security --offline=yes --no-pager "$T/units/snp-certctl-broker.service"
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || skip "systemd-analyze security --offline is not supported"
	assert_output --regexp 'Overall exposure level for snp-certctl-broker.service: [0-2]\.[0-9]'
}
