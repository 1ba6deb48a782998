# SPDX-License-Identifier: GPL-2.0-or-later
# Shared setup for the bats files: which build to test, fixtures, and a
# private store, cache, hooks directory and configuration per test.
#
#   SNPCERT_O         the tree's build directory (make O=); default: build/
#                     (`make install` in the tests uses it)
#   SNPCERT_BUILD     the build to test: $SNPCERT_O, or its sanitizer build
#                     $SNPCERT_O/san; default: $SNPCERT_O
#   SNPCERT_FIXTURES  generated test chains; default: $SNPCERT_O/fixtures
#                     (`make fixtures`; need_fixtures makes them too)
#
# So after `make tests fixtures`, `bats tests/cli/FILE.bats` runs one file.

: "${BATS_LIB_PATH:=/usr/lib/bats}"
export BATS_LIB_PATH
bats_load_library bats-support
bats_load_library bats-assert
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
: "${SNPCERT_O:=$REPO/build}"
: "${SNPCERT_BUILD:=$SNPCERT_O}"
SNPCERT_BUILD=$(cd "$SNPCERT_BUILD" && pwd)
SNPCERT_O=$(cd "$SNPCERT_O" && pwd)
: "${SNPCERT_FIXTURES:=$SNPCERT_O/fixtures}"
export SNPCERT_O SNPCERT_BUILD SNPCERT_FIXTURES REPO
SNP_CERTCTL_REAL="$SNPCERT_BUILD/snp-certctl/snp-certctl"
SNP_CERTCTL=$SNP_CERTCTL_REAL

# Under the suite (setup_suite.bash: JSON_CHECK_DIR), $SNP_CERTCTL is a
# wrapper named snp-certctl: a run with --json (before any "--") records its
# arguments, stdout and exit status in a directory of its own under
# $JSON_CHECK_DIR/log, for teardown_suite to validate; any other run is the
# program itself (exec: same pid, same descriptors).
json_check_wrapper() {
	local w="$JSON_CHECK_DIR/bin/snp-certctl" tmp
	[ -x "$w" ] && return 0
	tmp=$(mktemp "$JSON_CHECK_DIR/bin/.wrapper.XXXXXX")
	cat > "$tmp" <<-EOF
		#!/bin/bash
		# snp-certctl for the test suite (tests/cli/helpers.bash)
		real='$SNP_CERTCTL_REAL'
		for a; do
			[ "\$a" = -- ] && break
			[ "\$a" = --json ] || continue
			d=\$(mktemp -d '$JSON_CHECK_DIR/log/run.XXXXXXXX') ||
				{ echo "snp-certctl (test wrapper): cannot record this run" >&2; exit 125; }
			printf '%s\\0' "\$@" > "\$d/args"
			"\$real" "\$@" > "\$d/stdout"
			st=\$?
			echo "\$st" > "\$d/status"
			cat "\$d/stdout" || exit 1
			exit "\$st"
		done
		exec "\$real" "\$@"
	EOF
	chmod 755 "$tmp"
	mv -f "$tmp" "$w"
}
if [ -n "${JSON_CHECK_DIR-}" ] && [ -d "$JSON_CHECK_DIR/log" ]; then
	json_check_wrapper
	SNP_CERTCTL="$JSON_CHECK_DIR/bin/snp-certctl"
fi
SAMPLE_VCEK="$REPO/tests/data/milan-vcek.pem"
# A sanitizer build under LD_PRELOAD fakes: the fake comes first.
export ASAN_OPTIONS="${ASAN_OPTIONS:-verify_asan_link_order=0:detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

common_setup() {
	T="$BATS_TEST_TMPDIR"
	# The configuration, trust roots and hooks the tests write must not be
	# group or world writable (they would be refused), whatever umask ran bats.
	umask 022
	mkdir -p "$T/store" "$T/cache" "$T/hooks"
	: > "$T/empty.conf"
	export SNP_CERTCTL_CONFIG="$T/empty.conf"
	export SNP_CERTCTL_STORE="$T/store"
	export SNP_CERTCTL_CACHE_DIR="$T/cache"
	export SNP_CERTCTL_HOOKS_DIR="$T/hooks"
	unset SNP_CERTCTL_KDS_URL SNP_CERTCTL_KDS_CSP_URL SNP_CERTCTL_PRODUCT SNP_CERTCTL_TRUST_ROOT \
		SNP_CERTCTL_SEV_TRUST_ROOT SNP_CERTCTL_KDS_MIRROR SNP_CERTCTL_BROKER_QMP_DIR SNP_CERTCTL_METRICS_DIR \
		SNP_CERTCTL_LOCK_TIMEOUT SNP_CERTCTL_DEVICE SNPCERT_CRASH_AT
}

# The program, as `run` sees it; stderr kept apart in $stderr.
certctl() {
	"$SNP_CERTCTL" "$@"
}

# A table from the real sample VCEK and the built-in Milan roots.
sample_table() {
	"$SNP_CERTCTL" build -q -o "$1" --vcek "$SAMPLE_VCEK"
}

# A table from a generated test chain (product milan|genoa|turin).
test_table() {
	local product=$1 out=$2
	shift 2
	"$SNP_CERTCTL" build -q -o "$out" --vcek "$SNPCERT_FIXTURES/$product/vcek.pem" \
		--ask "$SNPCERT_FIXTURES/$product/ask.pem" \
		--ark "$SNPCERT_FIXTURES/$product/ark.pem" \
		--trust-root "$SNPCERT_FIXTURES/$product/ark.pem" "$@"
}

# sha256 and inode of a file, to prove it did (not) change.
fingerprint() {
	printf '%s %s\n' "$(sha256sum < "$1" | cut -d' ' -f1)" "$(stat -c %i "$1")"
}

# The sample Milan VCEK (tests/data/milan-vcek.pem): bl=2 tee=0 snp=5 ucode=68.
SAMPLE_TCB=0x4405000000000002
SAMPLE_HWID=3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e5378618
SAMPLE_HWID+=4ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d

# The simulated firmware (tests/fakes/sev.so.c) behind $SNP_CERTCTL_DEVICE,
# set up as the sample VCEK's platform.  Never the host's real device.
fake_sev_setup() {
	FAKE_SO="$SNPCERT_BUILD/tests/fakes/sev.so"
	[ -f "$FAKE_SO" ] || skip "no $FAKE_SO: make tests"
	export SNP_CERTCTL_DEVICE="$T/sev"
	export FAKE_SEV_DEVICE="$T/sev"
	STATE="$T/sev.state"
	LOG="$T/sev.log"
	cat > "$STATE" <<-EOF
		api_major=1
		api_minor=55
		build_id=21
		state=1
		current_tcb=0x4406000000000003
		reported_tcb=$SAMPLE_TCB
		chip_id=$SAMPLE_HWID
		guest_count=3
	EOF
}

# crash_at STEP COMMAND [ARG]...: COMMAND (e.g. certctl update ...) under
# the crash fake (tests/fakes/crash.so.c), which ends it with _exit(99) at
# libsnpcert's update step STEP: journal-partial journal-written intent
# locked zeroed body-written truncated committed unlocked synced cleared.
crash_at() {
	local step=$1 so="$SNPCERT_BUILD/tests/fakes/crash.so"
	shift
	[ -f "$so" ] || { echo "no $so: make tests" >&2; return 98; }
	LD_PRELOAD="$so${LD_PRELOAD:+:$LD_PRELOAD}" SNPCERT_CRASH_AT=$step "$@"
}

# The program with the simulated firmware.
fake() {
	LD_PRELOAD="$FAKE_SO" FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" "$SNP_CERTCTL" "$@"
}

# big_store N: a store of N copies of $TABLE (t.certs, t2.certs, ...), on
# tmpfs when there is one (N journals fsync'd; SHM_STORE, for the teardown).
big_store() {
	local i
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		SHM_STORE=$(mktemp -d /dev/shm/snpcert-bats.XXXXXX)
		mv "$TABLE" "$SHM_STORE/"
		export SNP_CERTCTL_STORE=$SHM_STORE
	fi
	for i in $(seq 2 "$1"); do
		cp "$SNP_CERTCTL_STORE/t.certs" "$SNP_CERTCTL_STORE/t$i.certs"
	done
}

# fake_nofile N ARG...: fake, under a soft limit of N open files.
fake_nofile() {
	local n=$1
	shift
	bash -c 'ulimit -Sn "$0" && exec "$@"' "$n" env LD_PRELOAD="$FAKE_SO" \
		FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" "$SNP_CERTCTL" "$@"
}

# set_state key=value...: change the simulated firmware's state.
set_state() {
	local kv
	for kv in "$@"; do
		sed -i "/^${kv%%=*}=/d" "$STATE"
		echo "$kv" >> "$STATE"
	done
}

# The milan/genoa/turin test chains' platforms (tests/fixtures/README.md):
# product, chip id, and the reported TCB of the fixture VCEK.
FX_HWID_MILAN=$(printf '%02x' $(seq 0 63))
FX_HWID_GENOA=$(printf '%02x' $(seq 64 127))
FX_HWID_TURIN=0123456789abcdef$(printf '0%.0s' $(seq 112))
FX_TCB_MILAN=0x7308000000000103 # bl=3,tee=1,snp=8,ucode=115
FX_TCB_GENOA=0x480e000000000207 # bl=7,tee=2,snp=14,ucode=72
FX_TCB_TURIN=0x4700000016030401 # fmc=1,bl=4,tee=3,snp=22,ucode=71

# fake_test_platform PRODUCT [CURRENT_TCB]: the simulated firmware (after
# fake_sev_setup) as the platform of that test chain's VCEK; the current
# TCB defaults to the reported one.
fake_test_platform() {
	local p=${1^^} hw tcb
	hw=FX_HWID_$p tcb=FX_TCB_$p
	set_state "chip_id=${!hw}" "reported_tcb=${!tcb}" "current_tcb=${2:-${!tcb}}"
	export SNP_CERTCTL_PRODUCT=$1
	export SNP_CERTCTL_TRUST_ROOT="$SNPCERT_FIXTURES/$1/ark.pem"
}

# The KDS stand-in (tests/fakes/kds-server.py), for setup_file/teardown_file.
# start_kds NAME [ARG]...: start one in the background; its port is then in
# $BATS_FILE_TMPDIR/NAME.port (wait_kds NAME waits for it), its requests are
# logged to $KDS_LOG and its fault mode is read from $BATS_FILE_TMPDIR/mode
# (kds_mode MODE [key=value]...).  stop_kds NAME... stops them.
KDS_LOG="$BATS_FILE_TMPDIR/kds.log"
# Point the program at the stand-in started as NAME, with no proxy and
# generous time-outs: the stand-in signs a fresh VCEK on the first request,
# and a loaded machine (the sanitizer pass of `make check`) is slow.  Tests
# that wait out a time-out or deadline set short ones themselves.
use_kds() {
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY
	export SNP_CERTCTL_KDS_URL="http://127.0.0.1:$(cat "$BATS_FILE_TMPDIR/$1.port")"
	export SNP_CERTCTL_KDS_TIMEOUT=10 SNP_CERTCTL_KDS_DEADLINE=20
}

start_kds() {
	local name=$1
	shift
	python3 "$REPO/tests/fakes/kds-server.py" --fixtures "$SNPCERT_FIXTURES" \
		--port-file "$BATS_FILE_TMPDIR/$name.port" --log "$KDS_LOG" \
		--mode-file "$BATS_FILE_TMPDIR/mode" --idle 300 --parent-pid $$ "$@" \
		>"$BATS_FILE_TMPDIR/$name.out" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/$name.pid"
}

wait_kds() {
	wait_for test -s "$BATS_FILE_TMPDIR/$1.port" || { cat "$BATS_FILE_TMPDIR/$1.out" >&2; return 1; }
}

stop_kds() {
	local n
	for n in "$@"; do
		[ -s "$BATS_FILE_TMPDIR/$n.pid" ] && kill "$(cat "$BATS_FILE_TMPDIR/$n.pid")" 2>/dev/null
	done
	return 0
}

kds_mode() {
	echo "$*" >"$BATS_FILE_TMPDIR/mode"
}

# How many requests the stand-ins logged (matching PATTERN, default all).
kds_requests() {
	grep -c -- "${1:-GET}" "$KDS_LOG" || true
}

# wait_for COMMAND [ARG]...: run it every 0.05 s until it succeeds, 20 s at
# most (then say so and fail): for what a background process is to do.
wait_for() {
	local i
	for i in $(seq 400); do
		"$@" && return 0
		sleep 0.05
	done
	echo "wait_for: '$*' did not come true in 20 s" >&2
	return 1
}

# wait_file PATH: wait until PATH exists: for a command that `snp-certctl
# lock` runs in the background, with all its locks held, to say so
# (lock FILE -- sh -c ': >"$0"; exec sleep 3' "$T/.held" &).
wait_file() {
	wait_for test -e "$1"
}

# wait_held FILE: wait (up to 20 s) until a process holds a lock on FILE
# (/proc/locks; one blocked waiting does not count): for a holder that
# takes one lock (a stock reader) started in the background, instead of
# sleeping and hoping it got there first.
wait_held() {
	local d ino id
	d=$(stat -c %d "$1") ino=$(stat -c %i "$1")
	id=$(printf '%02x:%02x:%d' $(((d >> 8) & 0xfff)) $(((d & 0xff) | ((d >> 12) & 0xfff00))) "$ino")
	wait_for awk -v id="$id" '$2 != "->" && $6 == id { found = 1 } END { exit !found }' /proc/locks
}

# For teardown: stop what the test left running in the background.
stop_jobs() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}

# For setup_file: the fixtures, and the KDS stand-in "http" for the whole
# file (teardown_file: stop_kds http).  old_vcek TCB: meanwhile, the fixture
# Milan chip's VCEK for an older TCB, in $OLD_VCEK.
kds_file_setup() {
	need_fixtures
	start_kds http "$@"
	wait_kds http
}

OLD_VCEK="$BATS_FILE_TMPDIR/old-vcek.der"
old_vcek() {
	bash "$REPO/tests/fixtures/make-vcek.sh" "$SNPCERT_FIXTURES/milan" milan \
		"$(printf '%02x' $(seq 0 63))" "$1" "$OLD_VCEK"
}

# old_table FILE [ARG]...: a table (made anew) of $OLD_VCEK and the Milan
# fixture's ASK and ARK, and build's ARGs.
old_table() {
	local out=$1
	shift
	certctl build -q --force -o "$out" --vcek "$OLD_VCEK" \
		--ask "$SNPCERT_FIXTURES/milan/ask.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem" "$@"
}

# For setup, after common_setup: a simulated host of PRODUCT (default milan;
# the fake firmware) asking the file's KDS stand-in, its log emptied, its
# fault mode ok.
simulated_host() {
	fake_sev_setup
	fake_test_platform "${1:-milan}"
	use_kds http
	: >"$KDS_LOG"
	kds_mode ok
}

# The fixtures, made once (about 20 s the first time).
need_fixtures() {
	[ -e "$SNPCERT_FIXTURES/.complete" ] || "$REPO/tests/fixtures/gen-chains.sh" "$SNPCERT_FIXTURES"
}

# A hook in $SNP_CERTCTL_HOOKS_DIR that logs its event and environment to
# $T/hooks.log and exits STATUS (default 0): add_hook NAME [STATUS].
add_hook() {
	cat >"$T/hooks/$1" <<-EOF
		#!/bin/sh
		echo "\$SNP_CERTCTL_EVENT $1 cmd=\$SNP_CERTCTL_COMMAND old=\${SNP_CERTCTL_OLD_TCB-unset} new=\${SNP_CERTCTL_NEW_TCB-unset} tables=\$SNP_CERTCTL_TABLES" >>"$T/hooks.log"
		exit ${2:-0}
	EOF
	chmod 755 "$T/hooks/$1"
}

# jq's `spec`: a TCB object ({"bl", "tee", "snp", "ucode"[, "fmc"], "raw"}) as
# a TCB SPEC, to compare with the text output: jq "$JQ_SPEC"' .x | spec'.
JQ_SPEC='def spec: "bl=\(.bl),tee=\(.tee),snp=\(.snp),ucode=\(.ucode)" +
	(if has("fmc") then ",fmc=\(.fmc)" else "" end);'

# Every top-level key of the JSON document in $output is named (quoted) in
# COMMAND's --help, so the documented keys cannot drift from the output.
json_keys_documented() {
	local help key
	help=$("$SNP_CERTCTL" "$1" --help)
	for key in $(jq -r 'keys[]' <<<"$output"); do
		[[ "$help" == *"\"$key\""* ]] || { echo "'$key' is not in '$1 --help'"; return 1; }
	done
}

# A static HTTP server for DIR (the Python standard library's), logging
# each request to $T/mirror.log; its URL in $MIRROR_URL.
serve_mirror() {
	local i port=
	: >"$T/mirror.log"
	python3 -u -m http.server --bind 127.0.0.1 --directory "$1" 0 \
		>"$T/mirror.out" 2>"$T/mirror.log" &
	for i in $(seq 100); do
		port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$T/mirror.out")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$T/mirror.out" "$T/mirror.log" >&2; return 1; }
	MIRROR_URL="http://127.0.0.1:$port"
}

mirror_requests() {
	grep -c -- "\"GET ${1:-}" "$T/mirror.log" || true
}

# The SEV (pre-SNP) side of the simulated host, for setup_file: the KDS
# stand-in "http" serving CEKs from $BATS_FILE_TMPDIR/cek.
sev_kds_start() {
	need_fixtures
	mkdir -p "$BATS_FILE_TMPDIR/cek"
	start_kds http --cek-dir "$BATS_FILE_TMPDIR/cek"
	wait_kds http
}

# kds_serves DIR: the stand-in answers DIR's chip id with DIR's cek.cert.
kds_serves() {
	local id
	id=$(od -An -v -tx1 "$1/id.bin" | tr -d ' \n' | tr a-f A-F)
	cp "$1/cek.cert" "$BATS_FILE_TMPDIR/cek/$id.cert"
}

# For setup, after common_setup and fake_sev_setup: a copy of the fixture
# SEV platform in $PLAT as the simulated firmware's, its CEK at the KDS
# stand-in, and its root trusted as AMD ships roots (the ASK, then the ARK).
sev_test_platform() {
	use_kds http
	: >"$KDS_LOG"
	kds_mode ok
	rm -f "$BATS_FILE_TMPDIR/cek/"*
	PLAT="$T/plat"
	cp -r "$SNPCERT_FIXTURES/sev" "$PLAT"
	rm -f "$PLAT"/.complete
	set_state "sev_chain=$PLAT"
	kds_serves "$PLAT"
	cat "$PLAT/ask.cert" "$PLAT/ark.cert" >"$T/ask_ark.cert"
	export SNP_CERTCTL_SEV_TRUST_ROOT="$T/ask_ark.cert"
	SEV="$T/store/sev"
}
