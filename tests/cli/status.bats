#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# status: the platform through the LD_PRELOAD firmware fake (tests/fakes/sev.so),
# and whether each table in the store matches it.  Exits 0 whenever it could
# report: without a device, and when a firmware command fails (it says so).

load helpers
load host

PSF="SNP_PLATFORM_STATUS failed"
INVALID_STATE="firmware error INVALID_PLATFORM_STATE (1)"

setup() {
	common_setup
	fake_sev_setup
}

need_fixtures() {
	[ -f "$SNPCERT_FIXTURES/.complete" ] || fail "no generated chains in $SNPCERT_FIXTURES: make fixtures"
}

# table_status NAME [STORE]: the status of the store's table NAME ("file" is the store's path).
table_status() {
	jq -r --arg f "${2:-$T/store}/$1" '.store.tables[] | select(.file == $f) | .status' \
		<<< "$output"
}

# table_json NAME FILTER: FILTER (jq) of the store's table NAME: a string as it is, else compact.
table_json() {
	jq -r --arg f "$T/store/$1" \
		".store.tables[] | select(.file == \$f) | $2 | if type == \"string\" then . else tojson end" \
		<<< "$output"
}

@test "status --help documents the statuses and the JSON keys" {
	run certctl status --help
	assert_success
	assert_output --partial "Usage: snp-certctl status"
	assert_output --partial "tcb-mismatch"
	assert_output --partial "\"reported_tcb\""
	run certctl help status
	assert_success
	assert_output --partial "chip-mismatch"
	run certctl help
	assert_output --partial "status "
}

@test "status: usage errors exit 2" {
	run certctl status extra
	assert_failure 2
	assert_output --partial "unexpected argument 'extra'"
	run certctl status --product Rome
	assert_failure 2
	assert_output --partial "invalid product 'Rome'"
	run certctl status --bogus
	assert_failure 2
}

@test "status without a device: exit 0, says absent, JSON present false" {
	sample_table "$T/store/a.certs"
	run certctl status
	assert_success
	assert_line "SEV device      $T/sev: absent (No such file or directory)"
	assert_line --regexp '^kvm_amd +(absent|loaded|builtin|coming|going|unknown)$'
	assert_line --regexp '^ccp +(absent|loaded|builtin|coming|going|unknown)$'
	assert_line --regexp '^sev_snp +(Y|N|unknown)$'
	refute_line --partial "firmware"
	assert_line --regexp '^  a\.certs +unknown +the platform status is not available$'
	run certctl status --json
	assert_success
	[ "$(jq -c .sev <<< "$output")" = "{\"device\":\"$T/sev\",\"present\":false}" ]
	[ "$(jq -r '.modules.kvm_amd | has("state") and has("sev_snp")' <<< "$output")" = true ]
	[ "$(jq -r '.modules.ccp.state' <<< "$output")" != null ]
	[ "$(table_status a.certs)" = unknown ]
}

@test "status without a device: the fake with present=0 says ENOENT too" {
	set_state present=0
	run fake status --json
	assert_success
	[ "$(jq -r .sev.present <<< "$output")" = false ]
	grep -q ' open errno=ENOENT$' "$LOG"
}

@test "status: every platform field as text" {
	run --separate-stderr fake status --product Milan
	assert_success
	assert_line "SEV device      $T/sev: present"
	assert_line "product         Milan (from the product setting)"
	assert_line "firmware        API 1.55, build 21"
	assert_line "platform state  init, RMP initialized"
	assert_line "current TCB     bl=3,tee=0,snp=6,ucode=68 (0x4406000000000003)"
	assert_line "reported TCB    bl=2,tee=0,snp=5,ucode=68 (0x4405000000000002)"
	assert_line "chip id         $SAMPLE_HWID"
	assert_line "masks           chip id not masked, chip key not masked"
	assert_line "VLEK            not loaded"
	assert_line "guests          3"
	assert_line "store           $T/store: 0 tables"
	[ -z "$stderr" ]
}

@test "status --json: every platform field" {
	run fake status --json --product Milan
	assert_success
	j() { jq -c "$1" <<< "$output"; }
	json_keys_documented status
	[ "$(j .sev.device)" = "\"$T/sev\"" ]
	[ "$(j .sev.present)" = true ]
	[ "$(j .sev.api_major)" = 1 ]
	[ "$(j .sev.api_minor)" = 55 ]
	[ "$(j .sev.api_version)" = '"1.55"' ]
	[ "$(j .sev.build_id)" = 21 ]
	[ "$(j .sev.state)" = '"init"' ]
	[ "$(j .sev.state_code)" = 1 ]
	[ "$(j .sev.rmp_initialized)" = true ]
	[ "$(j .sev.current_tcb)" = '{"bl":3,"tee":0,"snp":6,"ucode":68,"raw":"0x4406000000000003"}' ]
	[ "$(j .sev.reported_tcb)" = '{"bl":2,"tee":0,"snp":5,"ucode":68,"raw":"0x4405000000000002"}' ]
	[ "$(j .sev.chip_id)" = "\"$SAMPLE_HWID\"" ]
	[ "$(j .sev.mask_chip_id)" = false ]
	[ "$(j .sev.mask_chip_key)" = false ]
	[ "$(j .sev.vlek_loaded)" = false ]
	[ "$(j .sev.guest_count)" = 3 ]
	[ "$(j '.sev | has("error") or has("chip_id_error")')" = false ]
	[ "$(j .product)" = '"Milan"' ]
	[ "$(j .product_source)" = '"setting"' ]
	[ "$(j .store.path)" = "\"$T/store\"" ]
	[ "$(j .store.tables)" = '[]' ]
}

@test "status: opens the device read-only and issues only the read commands" {
	run fake status --product Milan
	assert_success
	[ "$(cut -d' ' -f3- "$LOG")" = "open rdonly
SNP_PLATFORM_STATUS ok
SEV_GET_ID2 ok
SEV_PLATFORM_STATUS ok" ]
	# Nothing was changed.
	refute grep -q committed_tcb "$STATE"
}

@test "status: the default device is /dev/sev" {
	unset SNP_CERTCTL_DEVICE FAKE_SEV_DEVICE
	run fake status --json --product Milan
	assert_success
	[ "$(jq -r .sev.device <<< "$output")" = /dev/sev ]
	[ "$(jq -r .sev.present <<< "$output")" = true ]
	[ "$(jq -r .sev.build_id <<< "$output")" = 21 ]
}

@test "status: the product setting and SNP_CERTCTL_PRODUCT choose the TCB layout" {
	set_state current_tcb=0x4700000016030401 reported_tcb=0x4700000016030401
	SNP_CERTCTL_PRODUCT=Turin run fake status --json
	assert_success
	[ "$(jq -c .sev.reported_tcb <<< "$output")" = \
		'{"bl":4,"tee":3,"snp":22,"ucode":71,"fmc":1,"raw":"0x4700000016030401"}' ]
	echo "product = Genoa" > "$T/empty.conf"
	run fake status
	assert_success
	assert_line "reported TCB    bl=1,tee=4,snp=0,ucode=71 (0x4700000016030401)"
	assert_line "product         Genoa (from the product setting)"
	# The command line wins over the configuration.
	run fake status --product turin
	assert_line "reported TCB    bl=4,tee=3,snp=22,ucode=71,fmc=1 (0x4700000016030401)"
}

@test "status: an unknown product shows raw TCBs only" {
	# A CPU of no SNP product (Rome), through the simulated cpuid device.
	fake_host_setup
	host_cpu amd 0x17 0x31
	run on_host status --json
	assert_success
	[ "$(jq -r .product <<< "$output")" = null ]
	[ "$(jq -c .cpu <<< "$output")" = '{"vendor":"AuthenticAMD","family":23,"model":49,"stepping":1}' ]
	[ "$(jq -c .sev.reported_tcb <<< "$output")" = '{"raw":"0x4405000000000002"}' ]
	[ "$(jq -r .product_source <<< "$output")" = none ]
	run on_host status
	assert_line "product         unknown (CPU AuthenticAMD family 0x17 model 0x31)"
	assert_line "reported TCB    0x4405000000000002 (product unknown: not decoded)"
	# The same host as a Genoa: detected, decoded.
	host_cpu amd 0x19 0x11
	run on_host status --json
	[ "$(jq -r '[.product, .product_source] | join(" ")' <<< "$output")" = "Genoa cpuid" ]
	[ "$(jq -c .sev.reported_tcb <<< "$output")" = \
		'{"bl":2,"tee":0,"snp":5,"ucode":68,"raw":"0x4405000000000002"}' ]
}

@test "status: masked chip id and a loaded VLEK" {
	set_state mask_chip_id=1 mask_chip_key=1 vlek_loaded=1
	sample_table "$T/store/a.certs"
	run fake status --product Milan
	assert_success
	assert_line "chip id         masked"
	assert_line "masks           chip id masked, chip key masked"
	assert_line "VLEK            loaded"
	assert_line --regexp '^  a\.certs +unknown +TCB matches; chip id masked, not compared$'
	run fake status --json --product Milan
	[ "$(jq -c '[.sev.chip_id, .sev.mask_chip_id, .sev.mask_chip_key, .sev.vlek_loaded]' \
		<<< "$output")" = '[null,true,true,true]' ]
}

@test "status: SNP_PLATFORM_STATUS fails: exit 0, warns, reports the error" {
	set_state fail_SNP_PLATFORM_STATUS=1
	sample_table "$T/store/a.certs"
	run --separate-stderr fake status --product Milan
	assert_success
	assert_line "firmware        not available: $PSF: $INVALID_STATE"
	assert_line --regexp '^  a\.certs +unknown +the platform status is not available$'
	[ "$stderr" = "snp-certctl: warning: $PSF on '$T/sev': $INVALID_STATE" ]
	run --separate-stderr fake status --json --product Milan
	assert_success
	[ "$(jq -r .sev.present <<< "$output")" = true ]
	[ "$(jq -r .sev.error <<< "$output")" = \
		"SNP_PLATFORM_STATUS failed: firmware error INVALID_PLATFORM_STATE (1)" ]
	[ "$(jq -r '.sev | has("reported_tcb")' <<< "$output")" = false ]
	# The chip id still came.
	[ "$(jq -r .sev.chip_id <<< "$output")" = "$SAMPLE_HWID" ]
}

@test "status: a kernel refusal is reported by errno" {
	set_state errno_SNP_PLATFORM_STATUS=22
	run --separate-stderr fake status --json
	assert_success
	[ "$(jq -r .sev.error <<< "$output")" = "SNP_PLATFORM_STATUS failed: Invalid argument" ]
	[ "$stderr" = "snp-certctl: warning: SNP_PLATFORM_STATUS failed on '$T/sev': Invalid argument" ]
}

@test "status: -q silences the warning, not the report" {
	set_state fail_SNP_PLATFORM_STATUS=1
	run --separate-stderr fake status -q --json
	assert_success
	[ -z "$stderr" ]
	[ "$(jq -r .sev.error <<< "$output")" != null ]
}

@test "status: GET_ID2 fails: chip id not available, tables unknown" {
	set_state fail_SEV_GET_ID2=0x16
	sample_table "$T/store/a.certs"
	run --separate-stderr fake status --product Milan
	assert_success
	assert_line "chip id         not available: SEV_GET_ID2 failed: firmware error INVALID_PARAM (22)"
	assert_line --regexp '^  a\.certs +unknown +TCB matches; chip id unavailable, not compared$'
	[ "$stderr" = \
		"snp-certctl: warning: SEV_GET_ID2 failed on '$T/sev': firmware error INVALID_PARAM (22)" ]
	run --separate-stderr fake status --json --product Milan
	[ "$(jq -r .sev.chip_id <<< "$output")" = null ]
	[ "$(jq -r .sev.chip_id_error <<< "$output")" = \
		"SEV_GET_ID2 failed: firmware error INVALID_PARAM (22)" ]
}

@test "status: GET_ID2 asks again with the length the firmware wants (two sockets)" {
	set_state chip_id_len=128 "chip_id=${SAMPLE_HWID}$(printf '%0128x' 0 | tr 0 f)"
	sample_table "$T/store/a.certs"
	run fake status --json --product Milan
	assert_success
	[ "$(jq -r .sev.chip_id <<< "$output")" = "$SAMPLE_HWID" ]
	[ "$(table_status a.certs)" = match ]
	[ "$(grep -c 'SEV_GET_ID2' "$LOG")" = 2 ]
	grep -q 'SEV_GET_ID2 fw=4$' "$LOG"
}

@test "status: a device that cannot be opened is present, with the error" {
	set_state open_errno=13
	run --separate-stderr fake status --json
	assert_success
	[ "$(jq -r .sev.present <<< "$output")" = true ]
	[ "$(jq -r .sev.error <<< "$output")" = "cannot open '$T/sev': Permission denied" ]
	[ "$stderr" = "snp-certctl: warning: cannot open '$T/sev': Permission denied" ]
}

@test "status: store tables: match, tcb-mismatch, chip-mismatch, malformed, no-key" {
	sample_table "$T/store/good.certs"
	printf 'junk' > "$T/store/bad.certs"
	head -c 24 /dev/zero > "$T/store/empty.certs"
	run fake status --product Milan
	assert_success
	assert_line "store           $T/store: 3 tables"
	assert_line --regexp '^  bad\.certs +malformed +at byte 0: '
	assert_line --regexp '^  empty\.certs +no-key +neither a VCEK nor a VLEK entry$'
	assert_line --regexp \
		'^  good\.certs +match +VCEK for the reported TCB bl=2,tee=0,snp=5,ucode=68 and this chip$'
	# Sorted by name.
	[ "$(grep -E '^  [a-z]' <<< "$output" | awk '{print $1}' | tr '\n' ' ')" = \
		"bad.certs empty.certs good.certs " ]
	run fake status --json --product Milan
	[ "$(jq -c '[.store.tables[].file]' <<< "$output")" = \
		"[\"$T/store/bad.certs\",\"$T/store/empty.certs\",\"$T/store/good.certs\"]" ]
	[ "$(jq -c '.store.tables[2] | [.status, .key, .product, .tcb.raw, .hwid]' \
		<<< "$output")" = "[\"match\",\"vcek\",\"Milan\",\"$SAMPLE_TCB\",\"$SAMPLE_HWID\"]" ]
	[ "$(jq -r '.store.tables[2].path' <<< "$output")" = "$T/store/good.certs" ]
	[ "$(jq -r '.store.tables[0] | has("key")' <<< "$output")" = false ]

	set_state reported_tcb=0x4406000000000002
	run fake status --product Milan
	assert_success
	assert_line --regexp \
		'^  good\.certs +tcb-mismatch +key bl=2,tee=0,snp=5,ucode=68, reported bl=2,tee=0,snp=6,ucode=68$'

	set_state reported_tcb=$SAMPLE_TCB "chip_id=$(printf '%0128x' 7)"
	run fake status --json --product Milan
	assert_success
	[ "$(table_status good.certs)" = chip-mismatch ]
}

@test "status: a table others may write is untrusted; a pending journal is said" {
	sample_table "$T/store/good.certs"
	chmod o+w "$T/store/good.certs"
	run fake status --product Milan
	assert_success
	assert_line --regexp '^  good\.certs +untrusted +writable by group or others: writers refuse it, and whoever can write it can change its certificates \(as read: match: VCEK for the reported TCB bl=2,tee=0,snp=5,ucode=68 and this chip\)$'
	run fake status --json --product Milan
	[ "$(table_status good.certs)" = untrusted ]
	chmod o-w "$T/store/good.certs"
	# A journal holding an update: the table as read, and that it is pending.
	cp "$T/store/good.certs" "$T/store/.good.certs.snpcert-journal"
	run fake status --product Milan
	assert_line --regexp "^  good\.certs +match +VCEK for the reported TCB bl=2,tee=0,snp=5,ucode=68 and this chip; an interrupted update is pending: 'snp-certctl recover' completes it$"
}

@test "status: dot files, directories, symlinks and other non-regular files are not tables" {
	sample_table "$T/store/a.certs"
	cp "$T/store/a.certs" "$T/store/.a.certs.snpcert-journal"
	mkdir "$T/store/sub"
	mkfifo "$T/store/fifo"
	ln -s a.certs "$T/store/link.certs"
	run --separate-stderr fake status --json --product Milan
	assert_success
	[ "$(jq -c '[.store.tables[] | [.file, .status]]' <<< "$output")" = \
		"[[\"$T/store/a.certs\",\"match\"]]" ]
	# Not tables, but not silent either: counted, and said on stderr (dot files are ours).
	[ "$(jq .store.unmanaged <<< "$output")" = 3 ]
	[[ "$stderr" == *"holds 'sub', which is not a regular file"* ]]
	[[ "$stderr" != *".a.certs.snpcert-journal"* ]]
}

@test "status: a store that does not exist yet is reported, exit 0" {
	rmdir "$T/store"
	run --separate-stderr fake status --json
	assert_success
	[ "$(jq -r .store.error <<< "$output")" = "No such file or directory" ]
	[ "$(jq -c .store.tables <<< "$output")" = '[]' ]
	[ -z "$stderr" ]
	run certctl status --store "$T/nowhere"
	assert_success
	assert_line "store           $T/nowhere: No such file or directory"
}

@test "status: an unreadable table" {
	# Root reads everything: run status as nobody, from a directory nobody
	# can reach (the test's own tree is private).
	local d as_user=()
	d=$(mktemp -d /tmp/snp-certctl-status.XXXXXX)
	chmod 1777 "$d" # sticky: the configuration in it stays trusted
	mkdir -m 755 "$d/store"
	sample_table "$d/store/a.certs"
	sample_table "$d/store/b.certs"
	chmod 000 "$d/store/a.certs"
	cp "$STATE" "$d/sev.state"
	: > "$d/empty.conf"
	chmod 644 "$d/sev.state" "$d/empty.conf"
	[ "$(id -u)" != 0 ] || as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
	run "${as_user[@]}" env LD_PRELOAD="$FAKE_SO" FAKE_SEV_STATE="$d/sev.state" \
		FAKE_SEV_LOG="$d/sev.log" SNP_CERTCTL_STORE="$d/store" SNP_CERTCTL_CONFIG="$d/empty.conf" \
		"$SNP_CERTCTL" status --json --product Milan
	rm -rf "$d"
	assert_success
	[ "$(table_status a.certs "$d/store")" = unreadable ]
	[ "$(table_status b.certs "$d/store")" = match ]
}

@test "status: generated chains: Genoa and Turin VCEKs, a VLEK, a product mismatch" {
	need_fixtures
	test_table genoa "$T/store/genoa.certs"
	test_table turin "$T/store/turin.certs"
	run certctl build -q -o "$T/store/vlek.certs" --vlek "$SNPCERT_FIXTURES/milan/vlek.pem" \
		--asvk "$SNPCERT_FIXTURES/milan/asvk.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem" \
		--trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
	assert_success

	# A Genoa platform with the fixture's chip and TCB.
	set_state reported_tcb=0x480e000000000207 current_tcb=0x480e000000000207 \
		"chip_id=$(printf '%02x' $(seq 64 127))"
	run fake status --json --product Genoa
	assert_success
	[ "$(table_status genoa.certs)" = match ]
	[ "$(table_status turin.certs)" = product-mismatch ]
	[ "$(table_status vlek.certs)" = product-mismatch ]

	# A Turin platform: the hwID is the first 8 bytes of the chip id.
	set_state reported_tcb=0x4700000016030401 current_tcb=0x4700000016030401 \
		"chip_id=0123456789abcdef$(printf '%0112x' 9)"
	run fake status --json --product Turin
	assert_success
	[ "$(table_status turin.certs)" = match ]
	[ "$(table_json turin.certs .tcb)" = \
		'{"bl":4,"tee":3,"snp":22,"ucode":71,"fmc":1,"raw":"0x4700000016030401"}' ]
	[ "$(table_json turin.certs .hwid)" = \
		0123456789abcdef ]
	set_state "chip_id=0123456789abcdee$(printf '%0112x' 9)"
	run fake status --json --product Turin
	[ "$(table_status turin.certs)" = chip-mismatch ]

	# A Milan platform with a VLEK: the TCB counts, the chip does not.
	set_state reported_tcb=0x7308000000000103 vlek_loaded=1 "chip_id=$(printf '%0128x' 5)"
	run fake status --product Milan
	assert_success
	assert_line --regexp '^  vlek\.certs +vlek +VLEK for the reported TCB bl=3,tee=1,snp=8,ucode=115$'
	run fake status --json --product Milan
	[ "$(table_json vlek.certs .key)" = vlek ]
	set_state vlek_loaded=0
	run fake status --product Milan
	assert_line --regexp '^  vlek\.certs +vlek +.*; no VLEK is loaded in the firmware$'
	set_state reported_tcb=0x7309000000000103
	run fake status --json --product Milan
	[ "$(table_status vlek.certs)" = tcb-mismatch ]
}

@test "the fake firmware: SNP_COMMIT, SNP_SET_CONFIG, SNP_VLEK_LOAD through sev.c" {
	local unit="$SNPCERT_BUILD/tests/unit/test-cli-platform"
	[ -x "$unit" ] || fail "no $unit: make tests"
	cat > "$STATE" <<-EOF
		current_tcb=0x4405000000000002
		reported_tcb=0x4403000000000002
		chip_id_len=128
		chip_id=$(printf '%02x' $(seq 0 127))
	EOF
	LD_PRELOAD="$FAKE_SO" FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" run "$unit"
	assert_success
	refute_output --partial "not ok"
	grep -q '^committed_tcb=0x4405000000000002$' "$STATE"
	grep -q '^reported_tcb=0x4405000000000002$' "$STATE"
	grep -q '^vlek_loaded=1$' "$STATE"
	grep -q ' SNP_SET_CONFIG errno=EPERM$' "$LOG"
	grep -q ' SNP_SET_CONFIG fw=3$' "$LOG"
}

# The modules through the simulated host (host.bash): a tree bound over
# /sys/module in a private mount namespace, laid out as the kernel does.
@test "status: kvm_amd and ccp loaded, sev_snp=Y (sysfs faked in a mount namespace)" {
	fake_host_setup
	run on_host status --json --product Milan
	assert_success
	[ "$(jq -r .modules.kvm_amd.state <<< "$output")" = loaded ]
	[ "$(jq -r .modules.kvm_amd.sev_snp <<< "$output")" = true ]
	[ "$(jq -r .modules.ccp.state <<< "$output")" = loaded ]
}

@test "status: sev_snp=N and kvm_amd going, ccp absent" {
	fake_host_setup
	host_module kvm_amd going
	host_param sev_snp N
	host_module ccp absent
	run on_host status --product Milan
	assert_success
	assert_line --regexp '^kvm_amd +going$'
	assert_line --regexp '^sev_snp +N$'
	assert_line --regexp '^ccp +absent$'
}

# The certificate exit, probed with libsnpcert on the simulated /dev/kvm (tests/fakes/kvm.so).
@test "status: whether KVM has the certificate exit (text and JSON)" {
	fake_host_setup
	run on_host status --product Milan
	assert_success
	assert_line --regexp '^KVM cert exit +yes$'
	run on_host status --json --product Milan
	assert_success
	assert_equal "$(jq -c .kvm <<< "$output")" '{"device":"/dev/kvm","req_certs":true}'
	grep -q ' kvm KVM_HAS_DEVICE_ATTR 1 2 ok$' "$HOST_LOG"
	: > "$HOST/dev/kvm"
	run on_host status --product Milan
	assert_line --regexp '^KVM cert exit +no$'
	run on_host status --json --product Milan
	assert_equal "$(jq -c .kvm.req_certs <<< "$output")" false
	rm "$HOST/dev/kvm"
	run on_host status --product Milan
	assert_line --regexp '^KVM cert exit +unknown \(/dev/kvm: No such file or directory\)$'
	run on_host status --json --product Milan
	assert_equal "$(jq -c .kvm <<< "$output")" \
		'{"device":"/dev/kvm","req_certs":null,"error":"No such file or directory"}'
}

# ---- the legacy SEV platform --------------------------------------------------

@test "status: the legacy SEV platform (SEV_PLATFORM_STATUS) and the stored chain against the firmware's PEK" {
	[ -f "$SNPCERT_FIXTURES/sev/pek.cert" ] || fail "no SEV test platform in $SNPCERT_FIXTURES: make fixtures"
	local fx="$SNPCERT_FIXTURES/sev" pek="$T/store/sev/pek.cert"
	set_state "sev_chain=$fx" sev_state=1 sev_flags=0x100 build_id=21
	run --separate-stderr fake status --product Milan
	assert_success
	assert_line "SEV (legacy)    API 1.55, build 21, state init, owner self, SEV-ES available"
	assert_line "SEV chain       no stored chain ($pek)"
	[ -z "$stderr" ]
	# No stored chain: the firmware is not even asked for its PEK.
	run grep -q SEV_PDH_CERT_EXPORT "$LOG"
	assert_failure
	run fake status --json --product Milan
	json_keys_documented status
	[ "$(jq -c '.sev.legacy | [.api_version, .build_id, .state, .owner, .es]' <<<"$output")" = '["1.55",21,"init","self",true]' ]
	[ "$(jq -r .sev.legacy.chain.status <<<"$output")" = absent ]

	mkdir -p "$T/store/sev"
	cp "$fx/pek.cert" "$pek"
	run --separate-stderr fake status --product Milan
	assert_success
	assert_line "SEV chain       $pek: match: the stored PEK is the firmware's"
	# The store's sev/ is the chain, not an unmanaged entry.
	assert_line "store           $T/store: 0 tables"
	[ -z "$stderr" ]
	grep -q ' SEV_PDH_CERT_EXPORT ok$' "$LOG"

	# Another key in the stored PEK: a mismatch; the api bytes alone are not the key.
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[5] ^= 1; open(sys.argv[1], "wb").write(b)' "$pek"
	run fake status --json --product Milan
	[ "$(jq -r .sev.legacy.chain.status <<<"$output")" = match ]
	cp "$fx/oca.cert" "$pek"
	run fake status --json --product Milan
	[ "$(jq -r .sev.legacy.chain.status <<<"$output")" = malformed ]
	[ "$(jq -r .sev.legacy.chain.detail <<<"$output")" = "the stored PEK certificate holds a OCA key" ]
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[0x30] ^= 1; open(sys.argv[2], "wb").write(b)' "$fx/pek.cert" "$pek"
	run fake status --json --product Milan
	[ "$(jq -r .sev.legacy.chain.status <<<"$output")" = mismatch ]

	# Externally owned, working, no SEV-ES; then the PEK cannot be exported read-only.
	cp "$fx/pek.cert" "$pek"
	set_state sev_state=2 sev_flags=0x1
	run --separate-stderr fake status --product Milan
	assert_success
	assert_line "SEV (legacy)    API 1.55, build 21, state working, owner external, SEV-ES not available"
	assert_line "SEV chain       $pek: unknown: SEV_PDH_CERT_EXPORT failed: Operation not permitted (read-only, it exports only in state init)"
	run fake status --json --product Milan
	[ "$(jq -c '.sev.legacy | [.state, .state_code, .owner, .es, .flags]' <<<"$output")" = '["working",2,"external",false,1]' ]
	[ -n "$(jq -r .sev.legacy.pek_error <<<"$output")" ]

	# A firmware without the legacy commands: said, status still exits 0.
	set_state errno_SEV_PLATFORM_STATUS=25
	run --separate-stderr fake status --product Milan
	assert_success
	assert_line "SEV (legacy)    not available: SEV_PLATFORM_STATUS failed: Inappropriate ioctl for device"
	run fake status --json --product Milan
	[ "$(jq -r .sev.legacy.error <<<"$output")" = "SEV_PLATFORM_STATUS failed: Inappropriate ioctl for device" ]
	[ "$(jq -r .sev.legacy.chain.status <<<"$output")" = unknown ]
}
