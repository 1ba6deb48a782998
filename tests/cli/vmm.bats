#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# A VMM on Linux 7.0's certificate exit: tests/tools/example-vmm (the run
# loop of libsnpcert(3)) against the simulated KVM (tests/fakes/kvm.so),
# whose guest asks for the table with buffers of 0, 1, 2 and 4 pages and
# retries after ENOSPC and EAGAIN: what the guest sees, the exact page
# counts, the shared lock held at the instant the firmware gets the request,
# busy tables; and, while update, fw-update and refresh run (the simulated
# firmware, tests/fakes/sev.so, and the KDS stand-in), that no guest gets
# a table with a report signed by a key the table does not hold, and that
# the writers are not starved.

load helpers

OLD=bl=3,tee=1,snp=8,ucode=115   # the fixture VCEK's TCB, reported at first
NEW=bl=4,tee=2,snp=9,ucode=116
NEW_RAW=0x7409000000000204

setup_file() {
	need_fixtures
	start_kds http
	wait_kds http
}

teardown_file() {
	stop_kds http
}

VMM="$SNPCERT_BUILD/tests/tools/example-vmm"
KVM_SO="$SNPCERT_BUILD/tests/fakes/kvm.so"

setup() {
	common_setup
	[ -f "$KVM_SO" ] || { echo "no $KVM_SO: make tests" >&2; return 1; }
	echo "has_attr 1 2" > "$T/kvm.conf"
	KLOG="$T/kvm.log"
	mkdir -p "$T/dump"
	TABLE="$T/store/t.certs"
}

teardown() {
	stop_jobs
}

# vmm GUEST [VAR=VALUE]...: example-vmm on $TABLE with the guest's requests GUEST.
vmm() {
	local guest=$1
	shift
	env LD_PRELOAD="$KVM_SO${FAKE_SO:+ $FAKE_SO}" FAKE_KVM="$T/kvm.conf" FAKE_KVM_LOG="$KLOG" \
		FAKE_KVM_CERTS="$TABLE" FAKE_KVM_DUMP="$T/dump" FAKE_KVM_GUEST="$guest" \
		${STATE:+FAKE_SEV_STATE="$STATE"} "$@" "$VMM" "$TABLE"
}

# A valid table of exactly SIZE bytes: the terminator alone (24) or one opaque entry (49 and up).
sized_table() {
	python3 - "$1" "$2" <<-'EOF'
		import struct, sys
		size, out = int(sys.argv[1]), sys.argv[2]
		if size == 24:
		    blob = bytes(24)
		else:
		    guid = bytes(range(0x51, 0x61))
		    body = bytes((i * 7 + 1) & 0xff or 1 for i in range(size - 48))
		    blob = guid + struct.pack('<II', 48, size - 48) + bytes(24) + body
		open(out, 'wb').write(blob)
	EOF
}

# The fake's log lines of one kind, their fields after the kind.
events() {
	awk -v k="$1" '$4 == k { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' "$KLOG"
}

@test "vmm: buffers of 0, 1, 2, 4 pages: ENOSPC with the pages needed, then the table, under the lock" {
	sample_table "$TABLE"   # 4772 bytes: 2 pages
	run vmm "0 1 2 4"
	assert_success
	assert_output "example-vmm: the guest shut down after 6 certificate requests"
	run events GUEST
	assert_output "req=0 ret=28 exitinfo2=0x0000000100000000 rax=0x10000 rbx=2
req=0 ret=0 exitinfo2=0x0000000000000000 rax=0x10000 rbx=2 table=$(events FIRMWARE | sed -n '1s/.*table=\([0-9a-f]*\).*/\1/p')
req=1 ret=28 exitinfo2=0x0000000100000000 rax=0x10000 rbx=2
req=1 ret=0 exitinfo2=0x0000000000000000 rax=0x10000 rbx=2 table=$(events FIRMWARE | sed -n '2s/.*table=\([0-9a-f]*\).*/\1/p')
req=2 ret=0 exitinfo2=0x0000000000000000 rax=0x10000 rbx=2 table=$(events FIRMWARE | sed -n '3s/.*table=\([0-9a-f]*\).*/\1/p')
req=3 ret=0 exitinfo2=0x0000000000000000 rax=0x10000 rbx=4 table=$(events FIRMWARE | sed -n '4s/.*table=\([0-9a-f]*\).*/\1/p')"
	# Each request reached the firmware with the shared lock held by the VMM, no writer.
	[ "$(events FIRMWARE | grep -c ' shared_lock=1 writer_lock=0 .* len=4772 ')" = 4 ]
	# The guest got the file's bytes (and, past them, zeros: the length is the table's).
	[ "$(ls "$T/dump" | wc -l)" = 1 ]
	cmp "$T/dump/"*.certs "$TABLE"
	# immediate_exit after every served request: KVM_RUN came back with EINTR.
	[ "$(grep -c ' KVM_RUN errno=EINTR$' "$KLOG")" = 4 ]
	grep -q ' ENABLE_REQ_CERTS ok$' "$KLOG"
	grep -q ' KVM_HAS_DEVICE_ATTR 1 2 ok$' "$KLOG"
}

@test "vmm: ENOSPC page counts are exact (ceil(size / 4096)) for tables of 24 to 16384 bytes" {
	local size want got
	for size in 24 49 4095 4096 4097 8192 12288 16384; do
		sized_table "$size" "$TABLE"
		: > "$KLOG"
		run vmm 0
		assert_success
		want=$(((size + 4095) / 4096))
		got=$(events GUEST | sed -n '1s/.* rbx=\([0-9]*\)$/\1/p')
		assert_equal "size $size: $got" "size $size: $want"
		# And with that many pages the guest gets the table.
		events GUEST | sed -n 2p | grep -q "^req=0 ret=0 .* rbx=$want table="
		events FIRMWARE | grep -q " len=$size "
	done
}

@test "vmm: a writer holding the lock: EAGAIN within the timeout, then the table" {
	sample_table "$TABLE"
	"$SNP_CERTCTL" lock --timeout 0 "$TABLE" -- sh -c ': >"$0"; exec sleep 1.5' "$T/.held" &
	wait_file "$T/.held"
	run vmm 1
	assert_success
	run events GUEST
	assert_line --partial "ret=11 exitinfo2=0x0000000200000000"
	assert_line --regexp "^req=0 ret=0 .* table="
	# Every EAGAIN came 0.1 s after its exit (the 100 ms of the example), not much later.
	awk '$4 == "EXIT" { t = $1 } $4 == "GUEST" && $6 == "ret=11" {
		d = $1 - t; if (d < 0.099 || d > 0.6) { print "EAGAIN after " d " s"; bad = 1 } }
		END { exit bad }' "$KLOG"
	[ "$(events GUEST | grep -c 'ret=11 ')" -ge 5 ]
	events FIRMWARE | grep -q ' shared_lock=1 writer_lock=0 '
}

# (The plain build's library: python3 has no sanitizer runtime.)
@test "vmm: KVM refuses the exit once a vCPU exists, and a ret KVM does not know (EINVAL)" {
	LD_PRELOAD="$KVM_SO" FAKE_KVM="$T/kvm.conf" FAKE_KVM_LOG="$KLOG" FAKE_KVM_GUEST=1 \
		run python3 - "$SNPCERT_O/lib/libsnpcert.so.1" <<-'EOF'
		import ctypes, fcntl, mmap, os, struct, sys
		lib = ctypes.CDLL(sys.argv[1], use_errno=True)
		kvm = os.open("/dev/kvm", os.O_RDWR)
		print("probe", lib.snpcert_kvm_probe(kvm))
		vm = fcntl.ioctl(kvm, 0xae01, 4)               # KVM_CREATE_VM, KVM_X86_SNP_VM
		mem = mmap.mmap(-1, 1 << 20)
		addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
		fcntl.ioctl(vm, 0x4020ae46, struct.pack("<IIQQQ", 0, 0, 0, 1 << 20, addr))
		print("enable", lib.snpcert_kvm_enable(vm, -1))
		vcpu = fcntl.ioctl(vm, 0xae41, 0)               # KVM_CREATE_VCPU
		print("enable after a vCPU", lib.snpcert_kvm_enable(vm, -1))
		run = mmap.mmap(vcpu, 8192)
		fcntl.ioctl(vcpu, 0xae80, 0)                    # KVM_RUN: the exit
		print("exit", struct.unpack_from("<I", run, 8)[0])
		struct.pack_into("<Q", run, 32 + 16, 22)        # ret = EINVAL, not one KVM accepts
		try:
		    fcntl.ioctl(vcpu, 0xae80, 0)
		    print("KVM_RUN ok")
		except OSError as e:
		    print("KVM_RUN", e.errno)
		EOF
	assert_success
	assert_output "probe 0
enable 0
enable after a vCPU -22
exit 43
KVM_RUN 22"
	grep -q ' KVM_RUN errno=EINVAL ret=22$' "$KLOG"
}

# The VCEK of a table the guest got: "TCB HWID" (TCB as 0x and 16 hex digits).
vcek_of() {
	certctl show --json "$1" |
		jq -r '.entries[] | select(.type == "vcek") | "\(.tcb.raw) \(.hwid)"' |
		{ read -r tcb hwid && printf '0x%016x %s\n' "$tcb" "$hwid"; }
}

@test "vmm: while update, fw-update and refresh run, no guest gets a table without the signing key" {
	local end i t0 t1 worst=0 n=0 table tcb chip want
	fake_sev_setup
	fake_test_platform milan "$NEW_RAW"
	use_kds http
	test_table milan "$TABLE"
	# Two VMMs, their guests asking back to back; each request takes 1 ms to the firmware.
	vmm 4 FAKE_KVM_GUEST_SECONDS=7 FAKE_KVM_FIRMWARE_US=1000 > "$T/vmm.out" 2>&1 &
	vmm_pid=$!
	vmm 2 FAKE_KVM_GUEST_SECONDS=7 FAKE_KVM_FIRMWARE_US=1000 > "$T/vmm2.out" 2>&1 &
	vmm2_pid=$!
	end=$(($(date +%s) + 5))
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		printf 'round %d' "$i" > "$T/x.bin"
		for cmd in "fw-update --reported-tcb $NEW" \
			"update $TABLE --entry 11111111-2222-3333-4444-555555555555=$T/x.bin" \
			"fw-update --reported-tcb $OLD" "refresh"; do
			t0=$(date +%s%N)
			# shellcheck disable=SC2086
			fake $cmd -q > "$T/w.out" 2>&1 || { cat "$T/w.out"; return 1; }
			t1=$(date +%s%N)
			n=$((n + 1))
			[ $((t1 - t0)) -le "$worst" ] || worst=$((t1 - t0))
		done
	done
	wait "$vmm_pid" || { cat "$T/vmm.out"; return 1; }
	wait "$vmm2_pid" || { cat "$T/vmm2.out"; return 1; }
	echo "# $n writer runs against 2 VMMs serving requests back to back; the slowest took $((worst / 1000000)) ms" >&3
	# The writers were never starved: every run finished, none near its 10 s lock timeout.
	[ "$n" -ge 8 ]
	[ "$worst" -lt 3000000000 ]
	# The guest was served all along, and the firmware got every request under the lock.
	[ "$(events FIRMWARE | wc -l)" -ge 20 ]
	[ "$(awk '$4 == "FIRMWARE" { print $2 }' "$KLOG" | sort -u | wc -l)" = 2 ]
	assert_equal "$(events FIRMWARE | grep -vc ' shared_lock=1 writer_lock=0 ')" 0
	# At every signing instant, the table held the VCEK of the key the firmware signed with.
	[ "$(ls "$T/dump" | wc -l)" -ge 2 ]
	for table in "$T"/dump/*.certs; do
		echo "$(basename "$table" .certs) $(vcek_of "$table")"
	done > "$T/vceks"
	# FIRMWARE lines: "table=H ... reported_tcb=R chip_id=C": H's VCEK must be (R, C).
	run awk 'NR == FNR { v[$1] = $2 " " $3; next }
		$4 == "FIRMWARE" {
			for (i = 5; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			want = tolower(f["reported_tcb"]) " " tolower(f["chip_id"])
			if (v[f["table"]] != want) { print "table " f["table"] " holds " v[f["table"]] \
				", the firmware signed with " want; bad++ }
			n++
		}
		END { print n " signings checked, " bad + 0 " mismatched"; exit bad > 0 }' \
		"$T/vceks" "$KLOG"
	assert_success
}

@test "vmm: libsnpcert(3) shows example-vmm's exit handler and run loop verbatim" {
	local fn
	for fn in handle_req_certs run_vcpu; do
		# From the comment or line that opens the function to its closing brace.
		src=$(awk -v f="$fn" '
			/^\/\* One KVM_EXIT_SNP_REQ_CERTS/ && f == "handle_req_certs" { on = 1 }
			$0 ~ "^static int " f "\\(" { on = 1 }
			on { print } on && /^}$/ { exit }' "$REPO/tests/tools/example-vmm.c")
		man=$(sed -e 's/\\-/-/g' -e 's/\\e/\\/g' "$REPO/lib/libsnpcert.3" | awk -v f="$fn" '
			/^\/\* One KVM_EXIT_SNP_REQ_CERTS/ && f == "handle_req_certs" { on = 1 }
			$0 ~ "^static int " f "\\(" { on = 1 }
			on { print } on && /^}$/ { exit }')
		[ -n "$src" ]
		assert_equal "$man" "$src"
	done
	# About 30 lines are what a VMM adds.
	[ "$(wc -l <<< "$src")" -le 32 ]
}
