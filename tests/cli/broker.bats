#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# broker: the evidence broker for SEV and SEV-ES guests, end to end on a unix
# listener: the chain from sev-export on the simulated firmware, the report
# from the QMP stand-in (tests/fakes/qmp-server.py), the guest side the
# independent test client (tests/tools/aeb-client.py) verifying from ARK to
# report; every refusal's error_code, each misbehaving QEMU costing one
# request, malformed frames, time-outs, the connection and rate limits, and
# vsock where the kernel loops it back.

load helpers

CLIENT="$REPO/tests/tools/aeb-client.py"
QMP_SERVER="$REPO/tests/fakes/qmp-server.py"
HANDLE=7

setup_file() {
	sev_kds_start
}

teardown_file() {
	stop_kds http
}

setup() {
	common_setup
	fake_sev_setup
	sev_test_platform
	fake sev-export -q
	SOCK="$T/aeb.sock"
	QMP="$T/qmp.sock"
}

teardown() {
	stop_jobs
}

# qmp [MODE]: (re)start the QMP stand-in for the guest of handle $HANDLE.
qmp() {
	if [ -n "${QMP_PID:-}" ]; then kill "$QMP_PID" 2>/dev/null || true; wait "$QMP_PID" 2>/dev/null || true; fi
	python3 "$QMP_SERVER" --socket "$QMP" --handle "$HANDLE" --pek-key "$PLAT/pek.key" \
		--mode "${1:-normal}" --log "$T/qmp.log" --parent-pid $$ >"$T/qmp.out" 2>&1 3>&- &
	QMP_PID=$!
	for i in $(seq 100); do
		grep -q ready "$T/qmp.out" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$T/qmp.out" >&2
	return 1
}

# broker [ARG]...: the broker on $SOCK for the VM of $QMP, logging to $T/broker.log.
broker() {
	"$SNP_CERTCTL" broker --listen "unix:$SOCK" --qmp "$QMP" "$@" 2>"$T/broker.log" 3>&- &
	BROKER_PID=$!
	wait_for test -S "$SOCK" || { cat "$T/broker.log" >&2; return 1; }
}

client() {
	python3 "$CLIENT" --connect "unix:$SOCK" --roots "$PLAT" --timeout 20 "$@"
}

@test "broker: a guest gets evidence that verifies from ARK to report, both service spellings, with and without mnonce" {
	qmp
	broker
	run client --handle $HANDLE --mnonce 00112233445566778899aabbccddeeff
	assert_success
	assert_output "evidence verifies"
	grep -q "query-sev-attestation-report 00112233445566778899aabbccddeeff" "$T/qmp.log"
	run client --handle $HANDLE --service aeb.AEB
	assert_success
	run client --handle $HANDLE --random-mnonce --device-type Unknown
	assert_success
	run client --handle $HANDLE --size-only
	assert_output "evidence size 6461"
	grep -q "method=evidence result=ok mnonce=guest" "$T/broker.log"
	grep -q "method=evidence result=ok mnonce=random" "$T/broker.log"
	kill "$BROKER_PID"
	wait "$BROKER_PID"
	[ ! -e "$SOCK" ]
}

# (Before: only the first --listen was listened on, the others ignored.)
@test "broker: --listen is repeatable: every listener serves, and each is removed at exit" {
	qmp
	broker --listen "unix:$T/second.sock" --listen "unix:$T/third.sock"
	for s in "$SOCK" "$T/second.sock" "$T/third.sock"; do
		run python3 "$CLIENT" --connect "unix:$s" --roots "$PLAT" --timeout 5 --handle $HANDLE
		assert_success
		assert_output "evidence verifies"
		grep -q "listening on unix:$s\$" "$T/broker.log"
	done
	kill "$BROKER_PID"
	wait "$BROKER_PID"
	[ ! -e "$SOCK" ]
	[ ! -e "$T/second.sock" ]
	[ ! -e "$T/third.sock" ]
}

@test "broker: another guest's handle is refused (error_code 1), no report is taken" {
	qmp
	broker
	run client --handle 8
	assert_failure 3
	assert_output "error_code 1"
	run grep -c "query-sev-attestation-report" "$T/qmp.log"
	assert_output 0
	grep -q "handle=8 method=evidence result=refused error_code=1" "$T/broker.log"
}

# (slow answers each of its four replies a second late: past the 2 s deadline.)
@test "broker: each misbehaving QEMU costs one request, never the daemon" {
	broker --timeout 2 --rate 100000
	for m in hang:2 hang-report:2 bad-json:2 short-report:2 close:2 no-sev:2 wrong-handle:1 \
		wrong-mnonce:3 bad-signature:3 event-noise:0 slow:2; do
		qmp "${m%%:*}"
		run client --handle $HANDLE
		if [ "${m##*:}" = 0 ]; then
			assert_success || { echo "mode ${m%%:*}"; false; }
		else
			assert_output "error_code ${m##*:}" || { echo "mode ${m%%:*}"; false; }
		fi
		qmp normal
		run client --handle $HANDLE
		assert_success
	done
	kill -0 "$BROKER_PID"
}

@test "broker: SIGTERM while a QEMU hangs: the request is answered (2) and logged, the daemon exits 0 at once" {
	qmp hang-report
	broker --timeout 30
	client --handle $HANDLE >"$T/client.out" 2>&1 &
	client_pid=$!
	for i in $(seq 100); do
		grep -q query-sev "$T/qmp.log" 2>/dev/null && break
		sleep 0.05
	done
	grep -q query-sev "$T/qmp.log"
	start=$SECONDS
	kill -TERM "$BROKER_PID"
	st=0
	wait "$BROKER_PID" || st=$?
	assert_equal "$st" 0
	[ $((SECONDS - start)) -le 5 ]
	wait "$client_pid" || true
	assert_equal "$(cat "$T/client.out")" "error_code 2"
	grep -q "method=evidence result=refused error_code=2 (the broker is stopping)" "$T/broker.log"
	[ ! -e "$SOCK" ]
}

@test "broker: SIGHUP is ignored (nothing to reload), the daemon serves on" {
	qmp
	broker
	kill -HUP "$BROKER_PID"
	run client --handle $HANDLE
	assert_success
	kill -0 "$BROKER_PID"
}

@test "broker: a wrong evidence_size (6), no QEMU (2), no stored chain (4)" {
	qmp
	broker
	run client --handle $HANDLE --evidence-size 100
	assert_output "error_code 6"
	kill "$QMP_PID"
	wait "$QMP_PID" 2>/dev/null || true
	rm -f "$QMP"
	run client --handle $HANDLE
	assert_output "error_code 2"
	qmp
	mv "$T/store/sev" "$T/sev-away"
	run client --handle $HANDLE
	assert_output "error_code 4"
	# A chain that does not verify is no chain either.
	mv "$T/sev-away" "$T/store/sev"
	cp "$REPO/tests/data/sev-legacy/platform/rome/cek.cert" "$T/store/sev/cek.cert"
	run client --handle $HANDLE
	assert_output "error_code 4"
	grep -q "error_code=4 (the stored SEV chain does not verify" "$T/broker.log"
}

@test "broker: the per-guest rate limit (5) counts evidence, not size requests" {
	qmp
	broker --rate 6
	run client --handle $HANDLE
	assert_success
	run client --handle $HANDLE
	assert_output "error_code 5"
	run client --handle $HANDLE --size-only
	assert_success
}

# raw HEX: send these bytes on one connection, print what comes back.
raw() {
	printf '%s\n' "$1" >"$T/frame.hex"
	python3 "$CLIENT" --connect "unix:$SOCK" --raw-frame "$T/frame.hex" --timeout 10
}

@test "broker: malformed frames are dropped, an unknown method is answered with status 12, the daemon serves on" {
	qmp
	broker --timeout 2
	# A length above what a request may be: dropped before it is read.
	run raw 00100000000000010100
	assert_line closed
	refute_line --partial recv
	# Not a request frame (type 2), and flags set.
	run raw 0000000000000001020000
	assert_line closed
	run raw 0000000200000001010112ff
	assert_line closed
	# A request whose envelope is no protobuf.
	run raw 00000004000000010100ffffffff
	assert_line closed
	# A method the service does not have: status 12.
	req=$(python3 -c 'import sys
svc=b"aeb.Aeb"; m=b"Frobnicate"
body=b"\x0a"+bytes([len(svc)])+svc+b"\x12"+bytes([len(m)])+m
sys.stdout.write((len(body)).to_bytes(4,"big").hex()+"00000001"+"0100"+body.hex())')
	run raw "$req"
	assert_line --regexp '^status 12 '
	# A frame cut short: the connection closes at the deadline.
	run raw 0000000a0000000101000a07
	assert_line closed
	run client --handle $HANDLE
	assert_success
	grep -q "dropped" "$T/broker.log"
}

@test "broker: a client that sends nothing is cut off at its deadline; beyond --max-connections one is closed at once" {
	qmp
	broker --timeout 1 --max-connections 1
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(30)
t = time.monotonic(); print("connected", flush=True)
d = s.recv(1)
print("data" if d else "closed at its deadline" if time.monotonic() - t > 0.9 else "closed early")' \
		"$SOCK" >"$T/idle.out" &
	idle=$!
	# The idle one has the slot before any other comes (else it is the one refused).
	for i in $(seq 100); do grep -q connected "$T/idle.out" && break; sleep 0.05; done
	sleep 0.3
	for i in $(seq 100); do
		grep -q "refused a connection" "$T/broker.log" && break
		python3 "$CLIENT" --connect "unix:$SOCK" --roots "$PLAT" --handle $HANDLE --size-only \
			--timeout 5 >/dev/null 2>&1 || true
		sleep 0.05
	done
	grep -q "refused a connection: 1 at once already" "$T/broker.log"
	wait "$idle"
	assert_equal "$(tail -1 "$T/idle.out")" "closed at its deadline"
	# One connection: the client's evidence request is a second one, which may
	# come before the end of the first is seen (here, with one slot: refused).
	run client --handle $HANDLE --size-only
	assert_success
	assert_output "evidence size 6461"
}

# (Before: accept() failed with EMFILE, the listener stayed readable, and the
# daemon spun on it at 100% of a CPU.)
@test "broker: --max-connections within the descriptor limit: raised to it, or refused (2); a flood costs no CPU" {
	qmp
	run --separate-stderr timeout 5 bash -c 'ulimit -n 100; exec "$@"' - "$SNP_CERTCTL" broker \
		--listen "unix:$SOCK" --qmp "$QMP" --max-connections 64
	assert_failure 2
	[[ $stderr == "snp-certctl: broker: --max-connections 64 needs 704 file descriptors, the limit is 100 (ulimit -n, LimitNOFILE=)"* ]]
	[ ! -e "$SOCK" ]
	# A soft limit below the need is raised to it, within the hard limit.
	# Nine listeners, nine guests of at most 12 connections each: 108 > 100.
	listen=(--listen "unix:$SOCK")
	for i in $(seq 8); do listen+=(--listen "unix:$T/l$i.sock"); done
	bash -c 'ulimit -Hn 2000; ulimit -Sn 60; exec "$@"' - "$SNP_CERTCTL" broker \
		"${listen[@]}" --qmp "$QMP" --max-connections 100 --timeout 5 \
		2>"$T/broker.log" 3>&- &
	BROKER_PID=$!
	for i in $(seq 100); do [ -S "$T/l8.sock" ] && break; sleep 0.05; done
	python3 -c 'import socket, sys, time
ss = []
for i in range(150):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1 + i % 9]); ss.append(s)
time.sleep(3)' "$SOCK" "$T"/l?.sock 3>&- &
	flood=$!
	sleep 0.5
	a=$(awk '{print $14 + $15}' "/proc/$BROKER_PID/stat")
	sleep 2
	b=$(awk '{print $14 + $15}' "/proc/$BROKER_PID/stat")
	wait "$flood"
	# Clock ticks (100 a second) in 2 s: spinning would be about 200.
	[ $((b - a)) -lt 50 ]
	run grep -c "cannot accept" "$T/broker.log"
	assert_output 0
	grep -q "refused a connection: 100 at once already" "$T/broker.log"
	run client --handle $HANDLE
	assert_success
}

# (Before: one guest opening --max-connections idle connections, again at each
# deadline, had every other guest refused.)  A guest is its CID, or here its
# unix listener.
@test "broker: one guest holds at most an eighth of --max-connections; the others are served" {
	qmp
	broker --max-connections 16 --timeout 10 --listen "unix:$T/other.sock"
	python3 -c 'import socket, sys, time
ss = []
for i in range(16):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); ss.append(s)
print("open", flush=True)
time.sleep(8)' "$SOCK" >"$T/hog.out" 3>&- &
	hog=$!
	for i in $(seq 100); do grep -q open "$T/hog.out" && break; sleep 0.05; done
	for i in $(seq 100); do
		[ "$(grep -c "of its own at once already" "$T/broker.log")" -ge 14 ] && break
		sleep 0.05
	done
	run python3 "$CLIENT" --connect "unix:$T/other.sock" --roots "$PLAT" --timeout 5 --handle $HANDLE
	assert_success
	assert_output "evidence verifies"
	assert_equal "$(grep -c "guest=unix:$SOCK refused a connection: 2 of its own at once already" "$T/broker.log")" 14
	kill "$hog"
}

# (Before: a line for every request and every refused connection, with no
# bound: one guest pipelining size requests wrote 45000 lines a second.)
@test "broker: one guest's log lines are bounded, counted when not logged; another guest's are logged" {
	qmp
	broker --timeout 3 --listen "unix:$T/other.sock"
	python3 -c 'import socket, sys, time
svc = b"aeb.Aeb"; m = b"RetrieveAttestationEvidenceSize"
body = b"\x0a" + bytes([len(svc)]) + svc + b"\x12" + bytes([len(m)]) + m + b"\x1a\x02\x08\x07"
frame = len(body).to_bytes(4, "big") + b"\0\0\0\1\1\0" + body
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
s.sendall(frame * 2000)
got = 0
while got < 2000 * 17:
    d = s.recv(65536)
    if not d:
        break
    got += len(d)
print(got // 17)' "$SOCK" >"$T/flood.out" 3>&-
	# Every request is still answered.
	assert_equal "$(cat "$T/flood.out")" 2000
	run python3 "$CLIENT" --connect "unix:$T/other.sock" --roots "$PLAT" --timeout 5 --handle $HANDLE
	assert_success
	n=$(grep -c "guest=unix:$SOCK handle=7 method=size result=ok" "$T/broker.log")
	[ "$n" -ge 64 ]
	[ "$n" -le 70 ]
	grep -q "guest=unix:$T/other.sock handle=7 method=evidence result=ok" "$T/broker.log"
	# The count comes with the guest's next line.
	sleep 1.1
	run client --handle $HANDLE --size-only
	assert_success
	grep -Eq "guest=unix:$SOCK: 19[0-9][0-9] lines not logged \(too many\)" "$T/broker.log"
}

@test "broker: random frames at the daemon never stop it" {
	qmp
	broker --timeout 1
	python3 - "$SOCK" <<-'EOF'
		import os, random, socket, sys
		rnd = random.Random(5577)
		for i in range(300):
		    s = socket.socket(socket.AF_UNIX)
		    s.settimeout(3)
		    s.connect(sys.argv[1])
		    n = rnd.choice([3, 10, 11, 40, 200])
		    head = rnd.choice([b"", (rnd.randrange(0, 120)).to_bytes(4, "big") + b"\0\0\0\1\1\0"])
		    try:
		        s.sendall(head + os.urandom(n))
		        s.shutdown(socket.SHUT_WR)
		        while s.recv(4096):
		            pass
		    except OSError:
		        pass
		    s.close()
	EOF
	kill -0 "$BROKER_PID"
	run client --handle $HANDLE
	assert_success
}

# (Before: bind() then chmod(PATH, 0660), which follows a symbolic link put
# there in between: a root broker made any file group-readable and -writable.)
@test "broker: the unix socket is made 0660 by bind(), nothing follows a link put at PATH" {
	qmp
	mask=$(umask)
	umask 077
	broker
	umask "$mask"
	assert_equal "$(stat -c %a "$SOCK")" 660
	kill "$BROKER_PID"
	wait "$BROKER_PID" || true
	[ ! -e "$SOCK" ]
	echo secret >"$T/victim"
	chmod 0600 "$T/victim"
	LD_PRELOAD="$SNPCERT_BUILD/tests/fakes/bind-race.so" SNPCERT_BIND_RACE="$T/victim" \
		"$SNP_CERTCTL" broker --listen "unix:$SOCK" --qmp "$QMP" 2>"$T/broker.log" 3>&- &
	BROKER_PID=$!
	for i in $(seq 100); do
		grep -q "listening on" "$T/broker.log" && break
		sleep 0.05
	done
	grep -q "listening on unix:$SOCK" "$T/broker.log"
	[ -L "$SOCK" ]
	assert_equal "$(stat -c %a "$T/victim")" 600
	kill "$BROKER_PID"
	wait "$BROKER_PID" || true
	assert_equal "$(cat "$T/victim")" secret
}

# (Before: the probe for a stale socket was a blocking connect(), which waits
# for as long as the listener there does not accept: the broker never started.)
@test "broker: a socket at PATH whose listener accepts nothing is in use (1), at once" {
	python3 -c 'import socket, sys, time
l = socket.socket(socket.AF_UNIX); l.bind(sys.argv[1]); l.listen(0)
cs = []
for i in range(4):
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try:
        c.connect(sys.argv[1])
    except BlockingIOError:
        pass
    cs.append(c)
print("full", flush=True)
time.sleep(30)' "$SOCK" >"$T/busy.out" 3>&- &
	busy=$!
	for i in $(seq 100); do grep -q full "$T/busy.out" && break; sleep 0.05; done
	run --separate-stderr timeout 5 "$SNP_CERTCTL" broker --listen "unix:$SOCK" --qmp "$QMP"
	assert_failure 1
	assert_equal "$stderr" "snp-certctl: '$SOCK' is in use: another broker listens there"
	[ -S "$SOCK" ]
	kill "$busy"
}

@test "broker: usage errors" {
	run --separate-stderr certctl broker --listen unix:"$T/x.sock"
	assert_failure 2
	[[ $stderr == *"needs --qmp"* ]]
	run --separate-stderr certctl broker --listen tcp:1
	assert_failure 2
	run --separate-stderr certctl broker --rate 0
	assert_failure 2
	run --separate-stderr certctl broker --timeout 3601 --listen unix:"$T/x.sock" --qmp "$QMP"
	assert_failure 2
	assert_equal "$stderr" "snp-certctl: broker: invalid --timeout '3601': want seconds, above 0 and at most 3600
Try 'snp-certctl broker --help'."
	printf 'broker_qmp_dir =\n' > "$T/empty-dir.conf"
	run --separate-stderr certctl -C "$T/empty-dir.conf" broker --listen unix:"$T/x.sock" --qmp "$QMP"
	assert_failure 2
	assert_equal "$stderr" "snp-certctl: $T/empty-dir.conf:1: empty value for 'broker_qmp_dir'"
	echo x >"$T/file"
	run --separate-stderr certctl broker --listen unix:"$T/file" --qmp "$QMP"
	assert_failure 1
	[[ $stderr == *"not a socket"* ]]
	assert_equal "$(cat "$T/file")" x
}

@test "broker: over vsock where the kernel loops it back (vsock_loopback)" {
	python3 -c 'import socket
s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM); s.bind((socket.VMADDR_CID_ANY, 15578)); s.listen()
c = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM); c.settimeout(2); c.connect((1, 15578))' \
		2>/dev/null || skip "no vsock loopback here (vsock_loopback not loaded)"
	mkdir -m 0700 "$T/qmpdir"
	QMP="$T/qmpdir/1.sock"
	qmp
	# The directory from the configuration (broker_qmp_dir), as the unit has it.
	printf 'broker_qmp_dir = %s\n' "$T/qmpdir" > "$T/broker.conf"
	"$SNP_CERTCTL" -C "$T/broker.conf" broker --listen vsock:15579 2>"$T/broker.log" 3>&- &
	sleep 0.5
	run python3 "$CLIENT" --connect vsock:1:15579 --roots "$PLAT" --handle $HANDLE --random-mnonce
	assert_success
	chmod 0777 "$T/qmpdir"
	run python3 "$CLIENT" --connect vsock:1:15579 --roots "$PLAT" --handle $HANDLE
	assert_output "error_code 7"
	grep -q "error_code=7 (the QMP directory '$T/qmpdir' is writable by group or others)" "$T/broker.log"
	# Not a socket: a link to one, a regular file, a FIFO; each named for what it is.
	chmod 0700 "$T/qmpdir"
	mv "$QMP" "$T/real.sock"
	for kind in link file fifo; do
		rm -f "$QMP"
		case $kind in
		link) ln -s "$T/real.sock" "$QMP" ;;
		file) : >"$QMP" ;;
		fifo) mkfifo "$QMP" ;;
		esac
		run python3 "$CLIENT" --connect vsock:1:15579 --roots "$PLAT" --handle $HANDLE
		assert_output "error_code 7"
	done
	grep -q "the QMP socket '$QMP' for CID 1 is a symbolic link, not a socket" "$T/broker.log"
	grep -q "the QMP socket '$QMP' for CID 1 is a regular file, not a socket" "$T/broker.log"
	grep -q "the QMP socket '$QMP' for CID 1 is a FIFO, not a socket" "$T/broker.log"
	rm -f "$QMP"
	run python3 "$CLIENT" --connect vsock:1:15579 --roots "$PLAT" --handle $HANDLE
	assert_output "error_code 7"
	grep -q "no QMP socket '$QMP' for CID 1: No such file or directory" "$T/broker.log"
}
