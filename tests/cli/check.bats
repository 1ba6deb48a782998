#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# check: every named check in both outcomes, on the simulated host
# (tests/fakes/host.so: CPUID, MSR, /dev/kvm; a bound /sys/module) and
# firmware (tests/fakes/sev.so), and the exit status by the worst class.

load helpers
load host

setup() {
	common_setup
	fake_sev_setup
	fake_host_setup
	# The sample VCEK's platform is a Milan (the CPU says so).
	sample_table "$T/store/a.certs"
}

# The result of check NAME in the JSON output, then its reason: "pass reason".
result() {
	jq -r --arg n "$1" '.checks[] | select(.name == $n) | .result' <<< "$output"
}
reason() {
	jq -r --arg n "$1" '.checks[] | select(.name == $n) | .reason' <<< "$output"
}
fix() {
	jq -r --arg n "$1" '.checks[] | select(.name == $n) | .fix' <<< "$output"
}
# The checks that did not pass, "name=result" in order.
not_passed() {
	jq -r '[.checks[] | select(.result != "pass") | "\(.name)=\(.result)"] | join(" ")' \
		<<< "$output"
}

ALL_CHECKS="cpu-vendor product cpuid-sev cpuid-sev-es cpuid-snp msr-syscfg-snp kvm-amd-loaded
kvm-amd-sev-snp ccp-loaded sev-device snp-platform-init snp-rmp-init firmware-api kvm-req-certs
store table:a.certs sev-chain tables-interrupted cert-expiry cache kds-reachable"

@test "check --help names every check and the exit codes" {
	run certctl check --help
	assert_success
	local c
	for c in $ALL_CHECKS; do
		[[ $c == table:* ]] && c=table:NAME
		[[ "$output" == *"$c"* ]] || { echo "'$c' is not in check --help"; return 1; }
	done
	assert_output --partial "at least 1.51"
	assert_output --partial "Exits 0 when nothing failed"
	run certctl help
	assert_output --partial "check "
}

@test "check: usage errors exit 2" {
	run certctl check extra
	assert_failure 2
	assert_output --partial "unexpected argument 'extra'"
	run certctl check --product Rome
	assert_failure 2
	run certctl check --bogus
	assert_failure 2
}

@test "check: a ready host passes every check, exit 0; --json says the same" {
	run --separate-stderr on_host check
	assert_success
	local c
	for c in $ALL_CHECKS; do
		case $c in
		cache | kds-reachable) assert_line --regexp "^SKIP  $c +not checked without --online$" ;;
		sev-chain) assert_line "SKIP  sev-chain           no stored chain ($T/store/sev/pek.cert)" ;;
		*) assert_line --regexp "^PASS  $c " ;;
		esac
	done
	assert_line --regexp '^PASS  cpu-vendor +AuthenticAMD, family 0x19 model 0x1 stepping 1 \(from /dev/cpu/0/cpuid\)$'
	assert_line --regexp '^PASS  product +Milan \(family 0x19 model 0x1\)$'
	assert_line --regexp '^PASS  firmware-api +API 1\.55, build 21 \(at least 1\.51 needed\)$'
	assert_line --regexp '^PASS  table:a\.certs +match: VCEK for the reported TCB'
	assert_line "18 passed, 0 failed, 3 skipped: exit 0"
	[ -z "$stderr" ]
	# The program asked the kernel's devices, and KVM for group 1 attribute 2.
	grep -q ' cpuid pread 0x8000001f ok$' "$HOST_LOG"
	grep -q ' msr pread 0xc0010010 ok$' "$HOST_LOG"
	grep -q ' kvm KVM_HAS_DEVICE_ATTR 1 2 ok$' "$HOST_LOG"

	run --separate-stderr on_host check --json
	assert_success
	json_keys_documented check
	[ "$(jq -r '[.checks[].name] | join(" ")' <<< "$output")" = "$(echo $ALL_CHECKS)" ]
	[ "$(jq -c '[.passed, .failed, .skipped, .exit]' <<< "$output")" = '[18,0,3,0]' ]
	[ "$(jq -c '.checks[] | select(.name == "table:a.certs") | [.result, .class, .file, .path]' \
		<<< "$output")" = "[\"pass\",\"table\",\"$T/store/a.certs\",\"$T/store/a.certs\"]" ]
	# A PASS has no fix; a SKIP says what to do.
	[ "$(jq '[.checks[] | select(.result == "pass") | has("fix")] | any' <<< "$output")" = false ]
	[ "$(fix cache)" = "give --online" ]
	[ "$(jq -r '.checks[] | select(.name == "store") | .class' <<< "$output")" = store ]
}

@test "cpu-vendor and product: an Intel CPU fails, the CPUID bits are skipped, exit 5" {
	host_cpu intel 6 0x8f
	run --separate-stderr on_host check --json
	assert_failure 5
	# The document ends with the error: the first failed check of the deciding class.
	[ "$(jq -r '.error | "\(.exit) \(.message | split(":")[0])"' <<< "$output")" = "5 cpu-vendor" ]
	[ "$(not_passed)" = "cpu-vendor=fail product=fail cpuid-sev=skip cpuid-sev-es=skip cpuid-snp=skip sev-chain=skip cache=skip kds-reachable=skip" ]
	[ "$(reason cpu-vendor)" = "the CPU is GenuineIntel, not AuthenticAMD (from /dev/cpu/0/cpuid): SEV-SNP is AMD's" ]
	[ "$(result product)" = fail ]
	[ "$(fix product)" = "set 'product' (Milan, Genoa or Turin) or give --product" ]
	[ "$(result cpuid-snp)" = skip ]
	# The product setting stands in for CPUID.
	run --separate-stderr on_host check --json --product Milan
	[ "$(result product)" = pass ]
	[ "$(reason product)" = "Milan, from the product setting" ]
}

@test "cpu-vendor: without the cpuid device, the cpuid instruction answers, and says so" {
	rm "$HOST/dev/cpu/0/cpuid"
	run --separate-stderr on_host check --json
	[[ "$(reason cpu-vendor)" == *"(from the cpuid instruction)"* ]]
	refute grep -q ' cpuid pread ' "$HOST_LOG"
	grep -q ' cpuid open errno=ENOENT$' "$HOST_LOG"
}

@test "product: an AMD CPU of no SNP product fails; Genoa and Turin pass" {
	host_cpu amd 0x17 0x31
	run --separate-stderr on_host check --json
	assert_failure 5
	[ "$(result cpu-vendor)" = pass ]
	[ "$(result product)" = fail ]
	[ "$(reason product)" = "AuthenticAMD family 0x17 model 0x31 is no SEV-SNP product this tool knows" ]
	host_cpu amd 0x19 0x11
	run --separate-stderr on_host check --json
	[ "$(reason product)" = "Genoa (family 0x19 model 0x11)" ]
	host_cpu amd 0x1a 0x02
	run --separate-stderr on_host check --json
	[ "$(reason product)" = "Turin (family 0x1a model 0x2)" ]
}

@test "product: Venice is recognised, no KDS endpoint is known (skip, not fail)" {
	local m
	for m in 0x50 0x57 0x90 0xaf 0xc0 0xc7; do
		host_cpu amd 0x1a $m
		run --separate-stderr on_host check --json --online
		[ "$(result product)" = skip ]
		[ "$(reason product)" = "Venice (Zen 6, family 0x1a model $m): AMD has published no KDS endpoint or CA chain for it yet, so no VCEK can be fetched; TCBs are shown raw" ]
		[ "$(result kds-reachable)" = skip ]
		[ "$(reason kds-reachable)" = "no KDS endpoint is known for Venice" ]
	done
	# Next to Venice's models, family 0x1a is Turin.
	host_cpu amd 0x1a 0x58
	run --separate-stderr on_host check --json
	[ "$(reason product)" = "Turin (family 0x1a model 0x58)" ]
	# status shows Venice's TCBs raw.
	host_cpu amd 0x1a 0x50
	run --separate-stderr on_host status --json
	assert_success
	[ "$(jq -r .product <<< "$output")" = null ]
	[ "$(jq -c .cpu <<< "$output")" = '{"vendor":"AuthenticAMD","family":26,"model":80,"stepping":1}' ]
	run on_host status
	assert_line "product         Venice (CPU family 0x1a model 0x50): no KDS endpoint is known, TCBs not decoded"
	assert_line "reported TCB    $SAMPLE_TCB (product unknown: not decoded)"
}

@test "cpuid-sev, cpuid-sev-es, cpuid-snp: each bit of leaf 0x8000001F, and no such leaf" {
	host_cpu amd 0x19 0x01 0x1 # SME only
	run --separate-stderr on_host check --json
	assert_failure 5
	[ "$(result cpuid-sev)" = fail ]
	[ "$(result cpuid-sev-es)" = fail ]
	[ "$(result cpuid-snp)" = fail ]
	[ "$(reason cpuid-snp)" = "CPUID 0x8000001F EAX bit 4 (SEV-SNP) is clear: the CPU does not offer it" ]
	host_cpu amd 0x19 0x01 0x3 # and SEV
	run --separate-stderr on_host check --json
	[ "$(result cpuid-sev)" = pass ]
	[ "$(result cpuid-sev-es)" = fail ]
	host_cpu amd 0x19 0x01 0xb # and SEV-ES
	run --separate-stderr on_host check --json
	[ "$(result cpuid-sev-es)" = pass ]
	[ "$(result cpuid-snp)" = fail ]
	host_cpu amd 0x19 0x01 0x1f 0x8000001e
	run --separate-stderr on_host check --json
	[ "$(result cpuid-sev)" = fail ]
	[[ "$(reason cpuid-sev)" == "CPUID has no leaf 0x8000001F (memory encryption; highest extended leaf 0x8000001e, from /dev/cpu/0/cpuid)" ]]
}

@test "msr-syscfg-snp: SME and SNP set pass; either clear fails; unreadable is skipped" {
	host_msr 0xc0010010 0x800000 # SME only
	run --separate-stderr on_host check --json
	assert_failure 5
	[ "$(result msr-syscfg-snp)" = fail ]
	[ "$(reason msr-syscfg-snp)" = "SYSCFG 0x800000: SecureNestedPagingEn (bit 24) is clear: SNP is not enabled" ]
	host_msr 0xc0010010 0x1000000 # SNP without SME
	run --separate-stderr on_host check --json
	[ "$(result msr-syscfg-snp)" = fail ]
	[[ "$(reason msr-syscfg-snp)" == *"MemEncryptionModEn (bit 23) is clear"* ]]
	[[ "$(fix msr-syscfg-snp)" == *"BIOS"* ]]

	rm "$HOST/dev/cpu/0/msr"
	run --separate-stderr on_host check --json
	assert_success
	[ "$(result msr-syscfg-snp)" = skip ]
	[ "$(fix msr-syscfg-snp)" = "'modprobe msr' to check it" ]
	echo open_errno=13 > "$HOST/dev/cpu/0/msr"
	run --separate-stderr on_host check --json
	assert_success
	[ "$(result msr-syscfg-snp)" = skip ]
	[ "$(reason msr-syscfg-snp)" = "cannot read /dev/cpu/0/msr: Permission denied" ]
	host_msr 0xc0010011 0 # the CPU has no SYSCFG
	run --separate-stderr on_host check --json
	[ "$(result msr-syscfg-snp)" = skip ]
	[[ "$(reason msr-syscfg-snp)" == *": Input/output error" ]]
}

@test "kvm-amd-loaded, kvm-amd-sev-snp, ccp-loaded: absent, going, N, no parameter" {
	host_param sev_snp N
	run --separate-stderr on_host check --json
	assert_failure 5
	[ "$(result kvm-amd-loaded)" = pass ]
	[ "$(result kvm-amd-sev-snp)" = fail ]
	[ "$(reason kvm-amd-sev-snp)" = "kvm_amd's sev_snp is N: KVM runs no SNP guests" ]
	[[ "$(fix kvm-amd-sev-snp)" == *"sev_snp=1"* ]]
	host_param sev_snp -
	run --separate-stderr on_host check --json
	[ "$(result kvm-amd-sev-snp)" = fail ]
	[ "$(reason kvm-amd-sev-snp)" = "kvm_amd has no sev_snp parameter: the kernel lacks SNP host support" ]
	host_module kvm_amd going
	run --separate-stderr on_host check --json
	[ "$(result kvm-amd-loaded)" = fail ]
	[ "$(reason kvm-amd-loaded)" = "kvm_amd is going" ]
	host_module kvm_amd absent
	host_module ccp absent
	run --separate-stderr on_host check --json
	[ "$(result kvm-amd-loaded)" = fail ]
	[ "$(fix kvm-amd-loaded)" = "modprobe kvm_amd" ]
	[ "$(result kvm-amd-sev-snp)" = skip ]
	[ "$(result ccp-loaded)" = fail ]
	[ "$(reason ccp-loaded)" = "ccp is absent" ]
}

@test "sev-device and the firmware checks: absent, not openable, status failed" {
	set_state present=0
	run --separate-stderr on_host check --json
	assert_failure 5
	[ "$(result sev-device)" = fail ]
	[ "$(reason sev-device)" = "$T/sev: No such file or directory" ]
	[ "$(jq -r '[.checks[] | select(.name | test("^(snp-|firmware)")) | .result] | join(" ")' \
		<<< "$output")" = "skip skip skip" ]
	# Without the platform, the table cannot be judged: skipped, not failed.
	[ "$(result table:a.certs)" = skip ]
	set_state present=1 open_errno=13
	run --separate-stderr on_host check --json
	[ "$(result sev-device)" = fail ]
	[ "$(reason sev-device)" = "cannot open '$T/sev': Permission denied" ]
	set_state open_errno=0 fail_SNP_PLATFORM_STATUS=1
	run --separate-stderr on_host check --json
	[ "$(result sev-device)" = pass ]
	[ "$(result snp-platform-init)" = fail ]
	[ "$(reason snp-platform-init)" = "SNP_PLATFORM_STATUS failed: firmware error INVALID_PLATFORM_STATE (1)" ]
	[ "$(result snp-rmp-init)" = skip ]
}

@test "snp-platform-init, snp-rmp-init, firmware-api: uninit, no RMP, API below 1.51" {
	set_state state=0 rmp_initialized=0 api_minor=50
	run --separate-stderr on_host check --json
	assert_failure 5
	[ "$(result snp-platform-init)" = fail ]
	[ "$(reason snp-platform-init)" = "the SNP platform state is uninit (0), not init" ]
	[ "$(result snp-rmp-init)" = fail ]
	[ "$(result firmware-api)" = fail ]
	[ "$(reason firmware-api)" = "API 1.50 is older than 1.51, the first SEV-SNP ABI the kernel accepts" ]
	set_state state=1 rmp_initialized=1 api_minor=51
	run --separate-stderr on_host check --json
	assert_success
	[ "$(reason firmware-api)" = "API 1.51, build 21 (at least 1.51 needed)" ]
	set_state api_major=2 api_minor=0
	run --separate-stderr on_host check --json
	[ "$(result firmware-api)" = pass ]
}

@test "kvm-req-certs: KVM without the attribute, without /dev/kvm, not openable" {
	: > "$HOST/dev/kvm"
	run --separate-stderr on_host check --json
	assert_failure 5
	[ "$(result kvm-req-certs)" = fail ]
	[ "$(reason kvm-req-certs)" = "KVM lacks the certificate exit (KVM_X86_SEV_SNP_REQ_CERTS): no VMM can hand guests the tables" ]
	[ "$(fix kvm-req-certs)" = "boot Linux 7.0 or later" ]
	grep -q ' kvm KVM_HAS_DEVICE_ATTR 1 2 errno=ENXIO$' "$HOST_LOG"
	# Only that attribute counts (1 0 is KVM_X86_SEV_VMSA_FEATURES).
	echo "has_attr 1 0" > "$HOST/dev/kvm"
	run --separate-stderr on_host check --json
	[ "$(result kvm-req-certs)" = fail ]
	rm "$HOST/dev/kvm"
	run --separate-stderr on_host check --json
	[ "$(result kvm-req-certs)" = fail ]
	[ "$(reason kvm-req-certs)" = "cannot open /dev/kvm: No such file or directory" ]
	echo open_errno=13 > "$HOST/dev/kvm"
	run --separate-stderr on_host check --json
	assert_success
	[ "$(result kvm-req-certs)" = skip ]
	[[ "$(fix kvm-req-certs)" == "run check as root"* ]]
}

@test "store: missing, writable by others, not a directory: exit 1" {
	rm -rf "$T/store"
	run --separate-stderr on_host check --json
	assert_failure 1
	[ "$(result store)" = fail ]
	[ "$(reason store)" = "the store '$T/store': No such file or directory" ]
	[[ "$(fix store)" == "create it: install -d -m 0755 STORE"* ]]
	[ "$(result cert-expiry)" = skip ]
	mkdir -m 0777 "$T/store"
	chmod 0777 "$T/store"
	run --separate-stderr on_host check --json
	assert_failure 1
	[ "$(result store)" = fail ]
	[[ "$(reason store)" == "refusing the store '$T/store': "*"writable by group or others"* ]]
	rmdir "$T/store"
	: > "$T/store"
	run --separate-stderr on_host check --json
	assert_failure 1
	[ "$(reason store)" = "the store '$T/store' is a regular file, not a directory" ]
}

@test "table:NAME: mismatch, malformed and no key fail (exit 4); a table per check" {
	printf 'junk' > "$T/store/bad.certs"
	head -c 24 /dev/zero > "$T/store/empty.certs"
	set_state reported_tcb=0x4406000000000002
	run --separate-stderr on_host check --json
	assert_failure 4
	[ "$(result table:a.certs)" = fail ]
	[ "$(reason table:a.certs)" = "tcb-mismatch: key bl=2,tee=0,snp=5,ucode=68, reported bl=2,tee=0,snp=6,ucode=68" ]
	[ "$(fix table:a.certs)" = "snp-certctl refresh" ]
	[ "$(result table:bad.certs)" = fail ]
	[[ "$(reason table:bad.certs)" == "malformed: at byte 0: "* ]]
	[ "$(result table:empty.certs)" = fail ]
	[ "$(reason table:empty.certs)" = "no-key: neither a VCEK nor a VLEK entry" ]
	[ "$(jq -r '.checks[] | select(.name == "table:empty.certs") | .class' <<< "$output")" = table ]
	set_state reported_tcb=$SAMPLE_TCB "chip_id=$(printf '%0128x' 7)"
	rm "$T/store/bad.certs" "$T/store/empty.certs"
	run --separate-stderr on_host check --json
	assert_failure 4
	[[ "$(reason table:a.certs)" == "chip-mismatch: "* ]]
}

@test "tables-interrupted: a table awaiting recovery fails, exit 1" {
	cp "$T/store/a.certs" "$T/store/.a.certs.snpcert-journal"
	run --separate-stderr on_host check --json
	assert_failure 1
	[ "$(result tables-interrupted)" = fail ]
	[ "$(reason tables-interrupted)" = "1 table is awaiting recovery (an update was cut short): a.certs" ]
	[ "$(fix tables-interrupted)" = "snp-certctl recover" ]
	: > "$T/store/.a.certs.snpcert-journal"
	run --separate-stderr on_host check --json
	assert_success
	[ "$(result tables-interrupted)" = pass ]
}

@test "store: entries refresh cannot manage, or a lock every workflow refuses, fail (exit 1)" {
	mkfifo "$T/store/b.certs"
	run --separate-stderr on_host check --json
	assert_failure 1
	[ "$(result store)" = fail ]
	[ "$(reason store)" = "the store '$T/store' holds 1 entry that is not a table snp-certctl can manage, so refresh fails" ]
	rm "$T/store/b.certs"
	mkfifo "$T/store/.snp-certctl.lock"
	ON_HOST_TIMEOUT=20 run --separate-stderr on_host check --json
	assert_failure 1
	[ "$(result store)" = fail ]
	[ "$(reason store)" = "every workflow refuses the store '$T/store': its lock '$T/store/.snp-certctl.lock' is a FIFO, not a regular file" ]
	rm "$T/store/.snp-certctl.lock"
	run --separate-stderr on_host check --json
	assert_success
}

@test "kvm-amd-sev-snp: a FIFO as the parameter is not waited on" {
	rm -f "$HOST/sys/module/kvm_amd/parameters/sev_snp"
	mkfifo "$HOST/sys/module/kvm_amd/parameters/sev_snp"
	ON_HOST_TIMEOUT=20 run --separate-stderr on_host check --json
	assert_failure 5
	[ "$(result kvm-amd-sev-snp)" = fail ]
}

@test "table:NAME: a table others may write fails as class store, exit 1" {
	chmod g+w "$T/store/a.certs"
	run --separate-stderr on_host check --json
	assert_failure 1
	[ "$(result table:a.certs)" = fail ]
	[[ "$(reason table:a.certs)" == "untrusted: writable by group or others: writers refuse it"*"(as read: match: "* ]]
	[ "$(fix table:a.certs)" = "make it root's and not writable by others: chown root FILE; chmod go-w FILE" ]
}

@test "cert-expiry: a certificate that expires within 30 days, or has expired, fails" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=soon \
		-days 10 -keyout "$T/soon.key" -outform DER -out "$T/soon.der" 2>/dev/null
	rm "$T/store/a.certs"
	"$SNP_CERTCTL" build -q -o "$T/store/a.certs" --vcek "$SAMPLE_VCEK" \
		--entry "11111111-2222-3333-4444-555555555555=$T/soon.der"
	run --separate-stderr on_host check --json
	assert_failure 1
	[ "$(result cert-expiry)" = fail ]
	[[ "$(reason cert-expiry)" == "1 table has a certificate that expires within 30 days: a.certs (its unknown certificate expires 20"* ]]
	[ "$(result table:a.certs)" = pass ]
	# An expired one says so.
	need_fixtures
	"$REPO/tests/fixtures/make-vcek.sh" "$SNPCERT_FIXTURES/milan" milan "$FX_HWID_MILAN" \
		bl=3,tee=1,snp=8,ucode=115 "$T/old.pem" --expired
	rm "$T/store/a.certs"
	"$SNP_CERTCTL" build -q --no-verify -o "$T/store/old.certs" --vcek "$T/old.pem" \
		--ask "$SNPCERT_FIXTURES/milan/ask.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem"
	run --separate-stderr on_host check --json
	[ "$(result cert-expiry)" = fail ]
	[[ "$(reason cert-expiry)" == *"old.certs (its vcek certificate expired 2021-01-01T00:00:00Z)" ]]
	# Far from expiry: the first to expire is named.
	rm "$T/store/old.certs"
	sample_table "$T/store/a.certs"
	run --separate-stderr on_host check --json
	[ "$(result cert-expiry)" = pass ]
	[ "$(reason cert-expiry)" = "nothing expires within 30 days; the first is a.certs's vcek, on 2029-09-24T00:55:28Z" ]
}

@test "exit status: platform wins over table, table over store, store over KDS" {
	printf 'junk' > "$T/store/bad.certs"               # table: 4
	cp "$T/store/a.certs" "$T/store/.a.certs.snpcert-journal" # store: 1
	run on_host check
	assert_failure 4
	host_param sev_snp N                               # platform: 5
	run on_host check
	assert_failure 5
	assert_line --regexp '^[0-9]+ passed, 3 failed, [0-9]+ skipped: exit 5$'
	host_param sev_snp Y
	rm "$T/store/bad.certs"
	run on_host check
	assert_failure 1
	# KDS unreachable alone: 6; with a store failure: 1.
	export SNP_CERTCTL_KDS_URL=http://127.0.0.1:9 SNP_CERTCTL_KDS_TIMEOUT=1 SNP_CERTCTL_KDS_DEADLINE=1
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
	run on_host check --online
	assert_failure 1
	rm "$T/store/.a.certs.snpcert-journal"
	run --separate-stderr on_host check --online --json
	assert_failure 6
	[ "$(result kds-reachable)" = fail ]
	[ "$(jq -r .exit <<< "$output")" = 6 ]
	[[ "$(fix kds-reachable)" == "check the network"* ]]
}

@test "--online: cache and kds-reachable against the loopback KDS" {
	need_fixtures
	start_kds check
	wait_kds check
	use_kds check
	fake_test_platform milan
	rm "$T/store/a.certs"
	test_table milan "$T/store/a.certs"
	run --separate-stderr on_host check --online --json
	stop_kds check
	assert_success
	[ "$(result cache)" = pass ]
	[ "$(reason cache)" = "the cache '$T/cache' is a directory this user can write, not writable by others" ]
	[ "$(result kds-reachable)" = pass ]
	[[ "$(reason kds-reachable)" == "$SNP_CERTCTL_KDS_URL/vcek/v1/Milan/cert_chain answered ("*" bytes)" ]]
	grep -q 'GET /vcek/v1/Milan/cert_chain' "$KDS_LOG"
}

@test "--online: a cache that does not exist yet passes; writable by others fails" {
	export SNP_CERTCTL_KDS_URL=http://127.0.0.1:9 SNP_CERTCTL_KDS_TIMEOUT=1 SNP_CERTCTL_KDS_DEADLINE=1
	rmdir "$T/cache"
	run --separate-stderr on_host check --online --json
	[ "$(result cache)" = pass ]
	[ "$(reason cache)" = "the cache '$T/cache' does not exist yet: the first fetch creates it" ]
	mkdir -m 0777 "$T/cache"
	chmod 0777 "$T/cache"
	run --separate-stderr on_host check --online --json
	[ "$(result cache)" = fail ]
	[ "$(reason cache)" = "the cache '$T/cache' is writable by group or others" ]
	rmdir "$T/cache"
	: > "$T/cache"
	run --separate-stderr on_host check --online --json
	[ "$(result cache)" = fail ]
	[ "$(reason cache)" = "the cache '$T/cache' is a regular file, not a directory" ]
}

@test "table:NAME: a table a writer holds past the lock timeout is class store, exit 1" {
	"$SNP_CERTCTL" lock "$T/store/a.certs" -- sleep 5 3>&- &
	local pid=$! i
	# Held once a shared lock can no longer be had.
	for i in $(seq 50); do
		"$SNP_CERTCTL" lock --shared --timeout 0 "$T/store/a.certs" -- true 2>/dev/null || break
		sleep 0.1
	done
	[ "$i" -lt 50 ] || fail "the writer never held the table"
	SNP_CERTCTL_LOCK_TIMEOUT=0.2 run --separate-stderr on_host check --json
	kill "$pid"
	wait "$pid" || true
	assert_failure 1
	[ "$(result table:a.certs)" = fail ]
	[[ "$(reason table:a.certs)" == "busy: "* ]]
	[ "$(jq -r '.checks[] | select(.name == "table:a.certs") | .class' <<< "$output")" = store ]
	[ "$(fix table:a.certs)" = "see who holds it: snp-certctl locks" ]
}

@test "sev-chain: the stored legacy SEV chain against the firmware's PEK: pass, fail (exit 4), skip" {
	[ -f "$SNPCERT_FIXTURES/sev/pek.cert" ] || fail "no SEV test platform in $SNPCERT_FIXTURES: make fixtures"
	local fx="$T/fx" pek="$T/store/sev/pek.cert"
	# The test platform's chain, on the sample table's chip (GET_ID2 answers id.bin).
	cp -r "$SNPCERT_FIXTURES/sev" "$fx"
	xxd -r -p <<<"$SAMPLE_HWID" >"$fx/id.bin"
	set_state "sev_chain=$fx"
	mkdir -p "$T/store/sev"
	cp "$fx/pek.cert" "$pek"
	run --separate-stderr on_host check --json
	assert_success
	[ "$(result sev-chain)" = pass ]
	[ "$(reason sev-chain)" = "$pek: the stored PEK is the firmware's" ]
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[0x30] ^= 1; open(sys.argv[2], "wb").write(b)' "$fx/pek.cert" "$pek"
	run --separate-stderr on_host check --json
	assert_failure 4
	[ "$(result sev-chain)" = fail ]
	[ "$(jq -r '.checks[] | select(.name == "sev-chain") | .class' <<<"$output")" = table ]
	[[ "$(reason sev-chain)" == "$pek: the stored PEK is not the firmware's"* ]]
	[ "$(fix sev-chain)" = "export the platform's chain again (sev-export) and verify it (sev-verify)" ]
	run --separate-stderr on_host check
	assert_failure 4
	assert_line --regexp "^FAIL  sev-chain +$pek: the stored PEK is not the firmware's"
	# A stored file that is no PEK: a store failure (exit 1).
	head -c 100 "$fx/pek.cert" >"$pek"
	run --separate-stderr on_host check --json
	assert_failure 1
	[ "$(result sev-chain)" = fail ]
	[[ "$(reason sev-chain)" == "$pek: malformed: the stored PEK is not a SEV certificate: "* ]]
	# No legacy SEV platform: skipped, whatever is stored.
	set_state errno_SEV_PLATFORM_STATUS=25
	run --separate-stderr on_host check --json
	assert_success
	[ "$(result sev-chain)" = skip ]
	[ "$(reason sev-chain)" = "no legacy SEV platform to compare with: SEV_PLATFORM_STATUS failed: Inappropriate ioctl for device" ]
	# No stored chain: skipped.
	set_state errno_SEV_PLATFORM_STATUS=0
	rm "$pek"
	run --separate-stderr on_host check --json
	assert_success
	[ "$(result sev-chain)" = skip ]
	[ "$(reason sev-chain)" = "no stored chain ($pek)" ]
}
