#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The broker's test tools themselves: tests/tools/aeb-client.py (its frames
# against the example frames of sev-legacy.md section 7, its reply decoding
# and exit codes against a canned ttrpc server, its evidence checks, its
# verifier on a tests/tools/sev-gen platform and on each flipped link) and
# tests/fakes/qmp-server.py (every --mode answered as documented, driven by a
# few lines of python).

load helpers

setup_file() {
	need_fixtures
	local d=$BATS_FILE_TMPDIR
	# mkev.py DIR REPORT OUT [KEY:OFFSET]...: the evidence JSON of section 7
	# from DIR's cek.cert (the KDS CEK), pek.cert, oca.cert and a 208-byte
	# report, with one bit flipped at each OFFSET of KEY (cek, pek, oca,
	# report).
	cat >"$d/mkev.py" <<-'EOF'
		import json, sys
		d, rep, out = sys.argv[1:4]
		b = {k: bytearray(open("%s/%s.cert" % (d, k), "rb").read()) for k in ("cek", "pek", "oca")}
		r = bytearray(open(rep, "rb").read())
		for f in sys.argv[4:]:
		    k, o = f.split(":")
		    (r if k == "report" else b[k])[int(o, 0)] ^= 1
		u = lambda o: int.from_bytes(r[o:o + 4], "little")
		ev = {"report": {"monce": list(r[0:16]), "launch_digest": list(r[16:48]),
		                 "policy": u(0x30), "sig_usage": u(0x34), "sig_algo": u(0x38),
		                 "reserved": u(0x3c), "sig1": list(r[0x40:0xd0])},
		      "cek": list(b["cek"]), "pek": list(b["pek"]), "oca": list(b["oca"]),
		      "device_type": "AmdRome"}
		open(out, "w").write(json.dumps(ev))
	EOF
	# aebsrv.py SOCKET MODE EVIDENCE LOG: a canned ttrpc server (one
	# connection at a time) answering the size and the evidence request by
	# MODE; logs the hex of each request frame's data.
	cat >"$d/aebsrv.py" <<-'EOF'
		import os, socket, sys
		path, mode, evfile, log = sys.argv[1:5]
		def v(n):
		    o = b""
		    while True:
		        if n < 0x80: return o + bytes([n])
		        o += bytes([n & 0x7f | 0x80]); n >>= 7
		def f(k, n): return v(k << 3) + v(n)
		def l(k, b): return v(k << 3 | 2) + v(len(b)) + b
		def frame(data, sid=1, t=2): return len(data).to_bytes(4, "big") + sid.to_bytes(4, "big") + bytes([t, 0]) + data
		ev = open(evfile, "rb").read()
		s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(4); print("ready", flush=True)
		while True:
		    c, _ = s.accept()
		    h = b""
		    while len(h) < 10:
		        x = c.recv(10 - len(h))
		        if not x: break
		        h += x
		    data = b""
		    n = int.from_bytes(h[0:4], "big") if len(h) == 10 else 0
		    while len(data) < n:
		        x = c.recv(n - len(data))
		        if not x: break
		        data += x
		    open(log, "a").write(data.hex() + "\n")
		    size = b"EvidenceSize" in data
		    if mode == "close": c.close(); continue
		    if mode == "status": c.sendall(frame(l(1, f(1, 12) + l(2, b"no such method")))); c.close(); continue
		    if mode == "stream": c.sendall(frame(l(1, b"") + l(2, f(2, 6461)), sid=3)); c.close(); continue
		    if mode == "type": c.sendall(frame(l(1, b"") + l(2, f(2, 6461)), t=3)); c.close(); continue
		    if mode == "garbage": c.sendall(frame(b"\x0a\x05\x08")); c.close(); continue
		    if size:
		        p = f(1, 7) if mode == "size-error" else b""
		        p += f(2, 6460 if mode == "size-6460" else 6461) + f(9, 1) + l(10, b"x")
		    else:
		        p = (f(1, 3) if mode == "error" else b"") + f(2, 6461) + l(3, ev) + l(11, b"unknown")
		    c.sendall(frame(l(1, b"") + l(2, p))); c.close()
	EOF
	# qmp.py SOCKET SEND...: reads the greeting, then sends each SEND (a
	# JSON text, sent as given) on one connection and waits for its reply
	# ("part:TEXT" sends TEXT, waits 0.2 s and no reply: a command in pieces);
	# prints every message received, one a line, as compact JSON with sorted
	# keys ("<not json> TEXT" for a line that is not JSON), events as they
	# come.  Then shuts its side down and prints "closed" when the peer
	# closes; "timeout" instead, and stops, after 3 s without a message.
	cat >"$d/qmp.py" <<-'EOF'
		import json, socket, sys, time
		s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(3)
		buf = b""
		def message():
		    """The next line: True for a reply, False for an event; None at EOF."""
		    global buf
		    while b"\n" not in buf:
		        x = s.recv(65536)
		        if not x: return None
		        buf += x
		    line, buf = buf.split(b"\n", 1)
		    try: m = json.loads(line)
		    except ValueError:
		        print("<not json>", line.decode(errors="replace").strip()); return True
		    print(json.dumps(m, separators=(",", ":"), sort_keys=True))
		    return not (isinstance(m, dict) and "event" in m)
		def reply():
		    while True:
		        r = message()
		        if r is None: print("closed"); sys.exit(0)
		        if r: return
		try:
		    reply()
		    for m in sys.argv[2:]:
		        if m.startswith("part:"): s.sendall(m[5:].encode()); time.sleep(0.2); continue
		        s.sendall(m.encode()); reply()
		    s.shutdown(socket.SHUT_WR)
		    while message() is not None: pass
		    print("closed")
		except socket.timeout:
		    print("timeout")
		except (BrokenPipeError, ConnectionResetError):
		    print("closed")
	EOF
}

setup() {
	common_setup
	CLIENT=(python3 "$REPO/tests/tools/aeb-client.py")
	QMP_SERVER="$REPO/tests/fakes/qmp-server.py"
	SEV_GEN="$SNPCERT_BUILD/tests/tools/sev-gen"
	[ -x "$SEV_GEN" ] || fail "no $SEV_GEN: make tests"
	D=$BATS_FILE_TMPDIR
	P="$SNPCERT_FIXTURES/sev"
	MNONCE=00112233445566778899aabbccddeeff
	"$SEV_GEN" report --pek-key "$P/pek.key" --mnonce "$MNONCE" --policy 3 -o "$T/report.bin"
	python3 "$D/mkev.py" "$P" "$T/report.bin" "$T/ev.json"
	PIDS=()
}

# Stop what start started and wait for it (a server's socket is gone then).
stop_all() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	PIDS=()
	rm -f "$T/aeb.sock"
}

teardown() {
	stop_all
}

# The hex of a string; the bytes [FROM, FROM + N) of FILE in hex.
hex() {
	printf %s "$1" | od -An -tx1 | tr -d ' \n'
}

bytes_of() {
	python3 -c 'import sys
b = open(sys.argv[1], "rb").read(); o = int(sys.argv[2]); print(b[o:o + int(sys.argv[3])].hex())' "$@"
}

# start NAME CMD...: CMD in the background until it prints "ready".
start() {
	local name=$1 i
	shift
	"$@" >"$T/$name.out" 2>&1 3>&- &
	PIDS+=($!)
	for i in $(seq 100); do
		grep -qx ready "$T/$name.out" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$T/$name.out" >&2
	return 1
}

aebsrv() {
	start aebsrv python3 "$D/aebsrv.py" "$T/aeb.sock" "$1" "${2:-$T/ev.json}" "$T/aeb.log"
}

qmpsrv() {
	start qmp python3 "$QMP_SERVER" --socket "$T/qmp.sock" --handle 7 --pek-key "$P/pek.key" \
		--policy 3 --log "$T/qmp.log" --parent-pid $$ "$@"
}

qmp() {
	python3 "$D/qmp.py" "$T/qmp.sock" "$@"
}

CAPS='{"execute":"qmp_capabilities"}'
QSEV='{"execute":"query-sev","id":"s"}'
# The report request for mnonce $MNONCE (base64 of its 16 bytes).
qrep() {
	printf '{"execute":"query-sev-attestation-report","arguments":{"mnonce":"%s"}}' \
		"$(python3 -c 'import base64, sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "${1:-$MNONCE}")"
}

# The report of a QMP reply line in $output, written to FILE (binary).
report_of() {
	python3 -c 'import base64, json, sys
for l in sys.stdin:
    m = json.loads(l) if l.startswith("{") else {}
    if "data" in m.get("return", {}): open(sys.argv[1], "wb").write(base64.b64decode(m["return"]["data"]))' "$1" <<< "$output"
}

flip() {
	python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2], 0)
b = bytearray(open(p, "rb").read()); b[o] ^= 1; open(p, "wb").write(b)' "$1" "$2"
}

# ---- the client's frames and reply decoding ----------------------------

@test "aeb-client: --print-frames are the example frames of section 7" {
	run "${CLIENT[@]}" --print-frames --handle 1
	assert_success
	assert_line -n 0 "0000002e000000010100""0a07$(hex aeb.Aeb)121f$(hex RetrieveAttestationEvidenceSize)1a020801"
	assert_line -n 1 "0000002d000000010100""0a07$(hex aeb.Aeb)121b$(hex RetrieveAttestationEvidence)1a05080110bd32"
	# The other spelling, handle 0 (proto3: no payload at all), a big
	# handle (a 5-byte varint), the mnonce as field 15, another size.
	run "${CLIENT[@]}" --print-frames --service aeb.AEB --handle 0 --evidence-size 100
	assert_success
	assert_line -n 0 "0000002a000000010100""0a07$(hex aeb.AEB)121f$(hex RetrieveAttestationEvidenceSize)"
	assert_line -n 1 "0000002a000000010100""0a07$(hex aeb.AEB)121b$(hex RetrieveAttestationEvidence)1a021064"
	run "${CLIENT[@]}" --print-frames --handle 4294967295 --mnonce "$MNONCE"
	assert_success
	assert_line -n 0 --regexp '1a0608ffffffff0f$'
	assert_line -n 1 --regexp "1a1b08ffffffff0f10bd327a10$MNONCE\$"
}

@test "aeb-client: a size reply decodes, unknown fields skipped; one connection per RPC" {
	aebsrv ok
	run "${CLIENT[@]}" --connect "unix:$T/aeb.sock" --handle 1 --size-only
	assert_success
	assert_output "evidence size 6461"
	run "${CLIENT[@]}" --connect "unix:$T/aeb.sock" --handle 1 --mnonce "$MNONCE" --roots "$P"
	assert_success
	assert_output "evidence verifies"
	# What the server got: the size request, then the evidence request with
	# the mnonce (field 15), each on its own connection.
	run cat "$T/aeb.log"
	assert_line -n 0 "0a07$(hex aeb.Aeb)121f$(hex RetrieveAttestationEvidenceSize)1a020801"
	assert_line -n 2 --regexp "1a17080110bd327a10$MNONCE\$"
	[ "${#lines[@]}" -eq 3 ]
}

@test "aeb-client: --json prints the evidence, --out keeps its bytes" {
	aebsrv ok
	run --separate-stderr "${CLIENT[@]}" --connect "unix:$T/aeb.sock" --roots "$P" --json --out "$T/got.json"
	assert_success
	[ "$stderr" = "evidence verifies" ]
	cmp "$T/got.json" "$T/ev.json"
	[ "$(jq -c '.report.policy, .device_type, (.cek | length)' <<< "$output" | tr '\n' ' ')" = '3 "AmdRome" 2084 ' ]
}

@test "aeb-client: error_code exits 3, a ttrpc status 4, transport errors 2, a wrong size 5" {
	aebsrv error
	run "${CLIENT[@]}" --connect "unix:$T/aeb.sock" --roots "$P"
	assert_failure 3
	assert_output "error_code 3"
	stop_all
	aebsrv size-error
	run "${CLIENT[@]}" --connect "unix:$T/aeb.sock" --size-only
	assert_failure 3
	assert_output "error_code 7"
	stop_all
	aebsrv status
	run "${CLIENT[@]}" --connect "unix:$T/aeb.sock" --size-only
	assert_failure 4
	assert_output "status 12 no such method"
	stop_all
	aebsrv size-6460
	run "${CLIENT[@]}" --connect "unix:$T/aeb.sock" --size-only
	assert_failure 5
	assert_output "aeb-client.py: size: evidence_size 6460, not 6461"
	local m
	for m in close:"the peer closed the connection" stream:"reply on stream 3, not 1" \
		type:"reply frame of type 3, not a response" garbage:"malformed reply envelope"; do
		stop_all
		aebsrv "${m%%:*}"
		run "${CLIENT[@]}" --connect "unix:$T/aeb.sock" --size-only
		assert_failure 2
		assert_output --partial "aeb-client.py: ${m#*:}"
	done
	run "${CLIENT[@]}" --connect "unix:$T/none.sock" --size-only
	assert_failure 2
	assert_output --partial "aeb-client.py: cannot connect to 'unix:$T/none.sock'"
}

@test "aeb-client: a silent server times out (exit 2); --raw-frame prints what comes back" {
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); time.sleep(30)' "$T/mute.sock" >"$T/mute.out" 3>&- &
	PIDS+=($!)
	local i
	for i in $(seq 50); do [ -S "$T/mute.sock" ] && break; sleep 0.1; done
	run "${CLIENT[@]}" --connect "unix:$T/mute.sock" --size-only --timeout 0.5
	assert_failure 2
	assert_output "aeb-client.py: no reply in time"
	aebsrv status
	echo "00000003 00000001 0100 0a0102" >"$T/raw.hex"
	run "${CLIENT[@]}" --connect "unix:$T/aeb.sock" --raw-frame "$T/raw.hex"
	assert_success
	assert_line -n 0 --regexp '^recv 00000014000000010200'
	assert_line -n 1 "status 12 no such method"
	assert_line -n 2 "closed"
	[ "$(tail -n 1 "$T/aeb.log")" = 0a0102 ]
}

@test "aeb-client: bad usage exits 1" {
	run "${CLIENT[@]}" --size-only
	assert_failure 1
	assert_output --partial "--connect is required"
	run "${CLIENT[@]}" --connect tcp:1 --size-only
	assert_failure 1
	run "${CLIENT[@]}" --connect unix:/x --mnonce 0011
	assert_failure 1
	assert_output --partial "--mnonce: 16 bytes in hex expected"
	run "${CLIENT[@]}" --connect unix:/x
	assert_failure 1
	assert_output --partial "the ASK and ARK are needed"
	run "${CLIENT[@]}" --connect unix:/x --ark "$P/ark.cert"
	assert_failure 1
	run "${CLIENT[@]}" --evidence "$T/ev.json" --roots "$T/nothing"
	assert_failure 1
	assert_output --partial "cannot read ASK '$T/nothing/ask.cert'"
}

# ---- the verifier ---------------------------------------------------------

@test "aeb-client: the evidence of a sev-gen platform verifies, with each way of giving the roots" {
	run "${CLIENT[@]}" --evidence "$T/ev.json" --roots "$P" --mnonce "$MNONCE"
	assert_success
	assert_output "evidence verifies"
	run "${CLIENT[@]}" --evidence "$T/ev.json" --trust-root "$P/ark.cert" --ask "$P/ask.cert"
	assert_success
	cat "$P/ask.cert" "$P/ark.cert" >"$T/ask_ark.cert"
	run "${CLIENT[@]}" --evidence "$T/ev.json" --ask-ark "$T/ask_ark.cert"
	assert_success
	assert_output "evidence verifies"
	run "${CLIENT[@]}" --evidence "$T/ev.json" --no-verify --mnonce "$MNONCE"
	assert_success
	assert_output "evidence well-formed"
}

@test "aeb-client: a Naples platform (2048-bit ASK, PSS SHA-256) verifies" {
	"$SEV_GEN" platform "$T/naples" --gen naples
	"$SEV_GEN" report --pek-key "$T/naples/pek.key" --mnonce "$MNONCE" -o "$T/nrep.bin"
	python3 "$D/mkev.py" "$T/naples" "$T/nrep.bin" "$T/nev.json"
	run "${CLIENT[@]}" --evidence "$T/nev.json" --roots "$T/naples" --mnonce "$MNONCE"
	assert_success
	assert_output "evidence verifies"
	# Another platform's roots: the ASK is not this CEK's signer.
	run "${CLIENT[@]}" --evidence "$T/nev.json" --roots "$P"
	assert_failure 5
	assert_output --partial "aeb-client.py: cek-by-ask: no signature slot of usage 0x13, algorithm 0x101"
}

@test "aeb-client: each flipped link fails, named" {
	local f
	# In the evidence: a signature byte of each link (sig1 at 0x41c, sig2
	# at 0x624; the report's r at 0x40) and a signed byte of the report.
	for f in cek:0x41c:cek-by-ask oca:0x41c:oca-self pek:0x41c:pek-by-oca \
		pek:0x624:pek-by-cek report:0x40:report-by-pek report:0x30:report-by-pek; do
		python3 "$D/mkev.py" "$P" "$T/report.bin" "$T/bad.json" "${f%:*}"
		run "${CLIENT[@]}" --evidence "$T/bad.json" --roots "$P"
		assert_failure 5
		assert_output "aeb-client.py: ${f##*:}: the signature does not verify"
	done
	# The roots: the ARK's signature, the ASK's signature.
	mkdir -p "$T/r"
	cp "$P/ark.cert" "$P/ask.cert" "$T/r/"
	flip "$T/r/ark.cert" 0x600
	run "${CLIENT[@]}" --evidence "$T/ev.json" --roots "$T/r"
	assert_failure 5
	assert_output "aeb-client.py: ark-self: the signature does not verify"
	cp "$P/ark.cert" "$T/r/"
	flip "$T/r/ask.cert" 0x600
	run "${CLIENT[@]}" --evidence "$T/ev.json" --roots "$T/r"
	assert_failure 5
	assert_output "aeb-client.py: ask-by-ark: the signature does not verify"
	# The mnonce sent is not the report's.
	run "${CLIENT[@]}" --evidence "$T/ev.json" --roots "$P" --mnonce ffeeddccbbaa99887766554433221100
	assert_failure 5
	assert_output "aeb-client.py: mnonce: the report's $MNONCE is not the ffeeddccbbaa99887766554433221100 sent"
	# The report's signer fields.
	python3 "$D/mkev.py" "$P" "$T/report.bin" "$T/bad.json" report:0x34
	run "${CLIENT[@]}" --evidence "$T/bad.json" --roots "$P"
	assert_failure 5
	assert_output "aeb-client.py: report-by-pek: sig_usage 0x1003, not 0x1002"
}

@test "aeb-client: malformed evidence JSON fails, naming the key" {
	local e
	while IFS='#' read -r e msg; do
		jq -c "$e" "$T/ev.json" >"$T/bad.json"
		run "${CLIENT[@]}" --evidence "$T/bad.json" --roots "$P"
		assert_failure 5
		assert_output "aeb-client.py: $msg"
	done <<-'EOF'
		del(.report.sig1)#evidence: no key report.sig1
		del(.oca)#evidence: no key oca
		del(.device_type)#evidence: device_type is not one of AmdRome, AmdNaples, AmdMilan, Unknown
		.device_type="AmdGenoa"#evidence: device_type is not one of AmdRome, AmdNaples, AmdMilan, Unknown
		.report.monce|=.[:15]#evidence: report.monce has 15 elements, not 16
		.pek+=[0]#evidence: pek has 2085 elements, not 2084
		.cek[5]=256#evidence: cek holds a value that is not an integer 0-255
		.cek[5]=true#evidence: cek holds a value that is not an integer 0-255
		.report.launch_digest[0]=-1#evidence: report.launch_digest holds a value that is not an integer 0-255
		.report.policy=4294967296#evidence: report.policy is not an integer 0..2^32-1
		.report.sig_algo="2"#evidence: report.sig_algo is not an integer 0..2^32-1
		.report=[]#evidence: no object report
		.oca[0]=2#oca: version 2, not 1
		.cek[8]=3#cek: usage 0x1003, not 0x1004
	EOF
	jq -c '.pek[164]=1' "$T/ev.json" >"$T/bad.json"
	run "${CLIENT[@]}" --evidence "$T/bad.json" --roots "$P"
	assert_failure 5
	assert_output "aeb-client.py: pek: the key's reserved bytes are not zero"
	run "${CLIENT[@]}" --evidence "$T/ev.json" --roots "$P" --device-type AmdMilan
	assert_failure 5
	assert_output "aeb-client.py: evidence: device_type AmdRome, not AmdMilan"
	run "${CLIENT[@]}" --evidence "$T/ev.json" --roots "$P" --device-type AmdRome
	assert_success
	# Unknown keys are ignored, key order is free.
	jq -c '.extra=1 | .report.more=[1] | {device_type, oca, pek, cek, report, extra}' "$T/ev.json" >"$T/ok.json"
	run "${CLIENT[@]}" --evidence "$T/ok.json" --roots "$P"
	assert_success
	printf '[1' >"$T/bad.json"
	run "${CLIENT[@]}" --evidence "$T/bad.json" --roots "$P"
	assert_failure 5
	assert_output --partial "aeb-client.py: evidence: not JSON"
}

# ---- the QMP stand-in -----------------------------------------------------

@test "qmp-server: capabilities first, query-sev, a report that verifies, errors as QEMU" {
	qmpsrv
	run qmp "$QSEV" "$CAPS" "$CAPS" "$QSEV" "$(qrep)" '{"execute":"quit"}' \
		'{"execute":"query-sev-attestation-report","arguments":{"mnonce":"AAAA"}}' \
		'{"execute":"query-sev-attestation-report"}' \
		'{"execute":"query-sev-attestation-report","arguments":{"mnonce":"!!"}}' '[1]'
	assert_success
	assert_line -n 0 --regexp '^\{"QMP":\{"capabilities":\["oob"\],"version":'
	assert_line -n 1 '{"error":{"class":"CommandNotFound","desc":"Expecting capabilities negotiation with '"'"'qmp_capabilities'"'"'"},"id":"s"}'
	assert_line -n 2 '{"return":{}}'
	assert_line -n 3 --partial '"class":"CommandNotFound"'
	assert_line -n 4 '{"id":"s","return":{"api-major":0,"api-minor":24,"build-id":15,"enabled":true,"handle":7,"policy":3,"sev-type":"sev","state":"running"}}'
	assert_line -n 5 --regexp '^\{"return":\{"data":"[A-Za-z0-9+/]+=*"\}\}$'
	assert_line -n 6 '{"error":{"class":"CommandNotFound","desc":"The command quit has not been found"}}'
	assert_line -n 7 '{"error":{"class":"GenericError","desc":"SEV: mnonce must be 16 bytes (got 3)"}}'
	assert_line -n 8 '{"error":{"class":"GenericError","desc":"Parameter '"'"'mnonce'"'"' is missing"}}'
	assert_line -n 9 '{"error":{"class":"GenericError","desc":"SEV: failed to decode mnonce"}}'
	assert_line -n 10 --partial '"class":"GenericError"'
	assert_line -n 11 closed
	report_of "$T/qmp-report.bin"
	[ "$(stat -c %s "$T/qmp-report.bin")" -eq 208 ]
	python3 "$D/mkev.py" "$P" "$T/qmp-report.bin" "$T/qev.json"
	run "${CLIENT[@]}" --evidence "$T/qev.json" --roots "$P" --mnonce "$MNONCE"
	assert_success
	[ "$(jq .report.policy "$T/qev.json")" -eq 3 ]
	# One log line per connection and per command.
	[ "$(grep -c . "$T/qmp.log")" -eq 11 ]
	[ "$(sed -n 1p "$T/qmp.log")" = connect ]
	grep -qx "query-sev-attestation-report $MNONCE" "$T/qmp.log"
	grep -qx "unknown quit" "$T/qmp.log"
	grep -qx "query-sev-attestation-report -" "$T/qmp.log"
}

@test "qmp-server: a command in pieces waits for the rest; a malformed line is answered, the next served" {
	qmpsrv
	run qmp 'part:{"execute":' 'part:  "qmp_capabil' 'ities"}' $'{bad json}\n{"execute":"query-sev"}'
	assert_success
	assert_line -n 1 '{"return":{}}'
	assert_line -n 2 '{"error":{"class":"GenericError","desc":"JSON parse error"}}'
	assert_line -n 3 --partial '"handle":7,'
	assert_line -n 4 closed
	[ "$(tr '\n' ' ' <"$T/qmp.log")" = "connect qmp_capabilities bad-json query-sev " ]
}

@test "qmp-server: several connections, --once, --digest, stale socket replaced" {
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/qmp.sock"
	qmpsrv --digest "$(printf 'ab%.0s' $(seq 32))"
	run qmp "$CAPS" "$(qrep)"
	assert_success
	report_of "$T/r1.bin"
	run qmp "$CAPS" "$(qrep ffeeddccbbaa99887766554433221100)"
	assert_success
	report_of "$T/r2.bin"
	[ "$(bytes_of "$T/r2.bin" 0 16)" = ffeeddccbbaa99887766554433221100 ]
	[ "$(bytes_of "$T/r1.bin" 16 32)" = "$(printf 'ab%.0s' $(seq 32))" ]
	[ "$(grep -c connect "$T/qmp.log")" -eq 2 ]
	stop_all
	[ ! -e "$T/qmp.sock" ]
	qmpsrv --once
	run qmp "$CAPS"
	assert_success
	local i
	for i in $(seq 50); do kill -0 "${PIDS[0]}" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "${PIDS[0]}"
	assert_failure
	run python3 "$QMP_SERVER" --socket "$T/q2.sock" --handle 1 --pek-key "$P/pek.cert"
	assert_failure 1
	assert_output --partial "qmp-server.py: cannot load '$P/pek.cert'"
	run python3 "$QMP_SERVER" --socket "$T/q2.sock" --handle 1 --pek-key "$P/pek.key" --mode odd
	assert_failure 2
}

@test "qmp-server: the misbehaviour modes" {
	local n=0
	qmpsrv --mode wrong-handle
	run qmp "$CAPS" "$QSEV"
	assert_line -n 2 --partial '"handle":8,'
	stop_all
	qmpsrv --mode no-sev
	run qmp "$CAPS" "$QSEV" "$(qrep)"
	assert_line -n 2 --partial '"enabled":false,'
	assert_line -n 3 '{"error":{"class":"GenericError","desc":"SEV is not enabled"}}'
	stop_all
	qmpsrv --mode bad-json
	run qmp "$CAPS" "$QSEV" "$(qrep)"
	assert_line -n 1 '{"return":{}}'
	assert_line -n 2 --regexp '^<not json> '
	assert_line -n 3 --regexp '^<not json> '
	stop_all
	qmpsrv --mode close
	run qmp "$CAPS"
	assert_line -n 0 --partial '{"QMP":'
	assert_line -n 1 closed
	stop_all
	qmpsrv --mode hang
	run qmp "$CAPS"
	assert_output timeout
	stop_all
	qmpsrv --mode hang-report
	run qmp "$CAPS" "$QSEV" "$(qrep)"
	assert_line -n 2 --partial '"handle":7,'
	assert_line -n 3 timeout
	stop_all
	qmpsrv --mode event-noise
	run qmp "$CAPS" "$QSEV"
	assert_line -n 1 --regexp '^\{"data":\{"offset":0\},"event":"RTC_CHANGE","timestamp":\{"microseconds":[0-9]+,"seconds":[0-9]+\}\}$'
	assert_line -n 2 --regexp '^\{"event":"STOP",'
	assert_line -n 3 '{"return":{}}'
	assert_line -n 6 --partial '"handle":7,'
	stop_all
	qmpsrv --mode slow
	SECONDS=0
	run qmp "$CAPS" "$QSEV"
	assert_line -n 2 --partial '"handle":7,'
	[ "$SECONDS" -ge 2 ]
	stop_all
	for m in short-report:207 wrong-mnonce:208 bad-signature:208; do
		qmpsrv --mode "${m%:*}"
		run qmp "$CAPS" "$(qrep)"
		report_of "$T/$n.bin"
		[ "$(stat -c %s "$T/$n.bin")" -eq "${m#*:}" ]
		n=$((n + 1))
		stop_all
	done
	python3 "$D/mkev.py" "$P" "$T/1.bin" "$T/q1.json"
	run "${CLIENT[@]}" --evidence "$T/q1.json" --roots "$P" --mnonce "$MNONCE"
	assert_failure 5
	assert_output --partial "aeb-client.py: mnonce: the report's ffeeddccbbaa99887766554433221100 is not"
	python3 "$D/mkev.py" "$P" "$T/2.bin" "$T/q2.json"
	run "${CLIENT[@]}" --evidence "$T/q2.json" --roots "$P" --mnonce "$MNONCE"
	assert_failure 5
	assert_output "aeb-client.py: report-by-pek: the signature does not verify"
}
