#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A QMP stand-in for a QEMU running one SEV (or SEV-ES) guest, on a unix socket.

Written from the public description (shared design sev-legacy.md section 6,
the QMP part), not from the program's code: an independent edge for the
broker's QMP client.  Python 3 standard library plus python3-cryptography.

  qmp-server.py --socket PATH --handle N --pek-key FILE [--digest HEX]
                [--policy N] [--mode MODE] [--log FILE] [--once]
                [--pid-file FILE] [--parent-pid PID]

Creates the socket (replacing a stale socket, nothing else), then prints "ready" on stdout
(tests wait for that line).  Serves connections one thread each until
killed (SIGTERM/SIGINT remove the socket), or after the first connection
ends with --once, or within a second of process PID's end with
--parent-pid (so a test that dies leaves no server behind).  Every
connection gets the greeting
  {"QMP": {"version": {...}, "capabilities": ["oob"]}}
and replies end in "\\r\\n" as QEMU's do.  Commands are JSON objects,
with or without newlines between them, in as many pieces as they come (an
object ends where its brackets balance); an "id" member is echoed back.

  qmp_capabilities              {"return": {}}; any other command before it:
                                {"error": {"class": "CommandNotFound", ...}}
  query-sev                     {"return": {"enabled": true, "api-major": 0,
                                "api-minor": 24, "build-id": 15, "policy": N,
                                "state": "running", "handle": H,
                                "sev-type": "sev"}}
  query-sev-attestation-report  arguments {"mnonce": base64 of 16 bytes}
                                (missing, not base64 or not 16 bytes:
                                {"error": {"class": "GenericError", ...}});
                                {"return": {"data": base64 of the 208-byte
                                report}} signed by --pek-key (ECDSA P-384,
                                SHA-256 over bytes 0x00-0x33, r and s 72 bytes
                                little-endian each) with the mnonce asked for,
                                --digest (32 bytes hex, default zeros) and
                                --policy (default 0)
  anything else                 {"error": {"class": "CommandNotFound", ...}}
  not a JSON object             {"error": {"class": "GenericError", ...}}

--mode, the misbehaviour (default normal):
  normal        as above
  hang          accepts the connection and never sends a byte (no greeting)
  hang-report   answers everything but query-sev-attestation-report, which
                it reads and never answers
  bad-json      answers query-sev and query-sev-attestation-report with a
                line that is not JSON (greeting and qmp_capabilities intact)
  short-report  the report is 207 bytes (the last byte cut)
  wrong-mnonce  the report, signed correctly, carries another mnonce (each
                byte of the one asked for XOR 0xff)
  bad-signature the report's signature does not verify (r's first byte
                flipped)
  wrong-handle  query-sev reports handle N + 1
  no-sev        query-sev says "enabled": false (state "uninit", handle 0);
                the report request: GenericError "SEV is not enabled"
  event-noise   before every reply, two asynchronous {"event": ...,
                "data": ..., "timestamp": ...} messages a client must skip
  slow          waits 1 s before every reply (the greeting too)
  close         closes the connection right after the greeting

--log FILE gets one line per event, flushed at once, so tests can count:
  "connect" per accepted connection, then per command received its name
  ("qmp_capabilities", "query-sev", "query-sev-attestation-report MNONCEHEX"
  with the decoded mnonce in lowercase hex, or "-" when it did not decode,
  "unknown NAME", "bad-json").

Exit: 0 when stopped, 1 on an error (one line on stderr: the key or the
socket), 2 on bad usage.
"""

import argparse
import base64
import binascii
import json
import os
import signal
import socket
import stat
import sys
import threading
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

MODES = ("normal", "hang", "hang-report", "bad-json", "short-report", "wrong-mnonce",
         "bad-signature", "wrong-handle", "no-sev", "event-noise", "slow", "close")
REPORT_LEN = 208
SIGNED_LEN = 0x34
USAGE_PEK = 0x1002
ALGO_ECDSA_SHA256 = 0x002

GREETING = {"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 8},
                                "package": "(qmp-server.py)"},
                    "capabilities": ["oob"]}}


def make_report(key, mnonce, digest, policy):
    """The 208-byte legacy ATTESTATION report (sev-legacy.md section 6)."""
    body = mnonce + digest + policy.to_bytes(4, "little")
    der = key.sign(body, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    rep = (body + USAGE_PEK.to_bytes(4, "little") + ALGO_ECDSA_SHA256.to_bytes(4, "little")
           + bytes(4) + r.to_bytes(72, "little") + s.to_bytes(72, "little"))
    assert len(rep) == REPORT_LEN
    return rep


def next_message(buf):
    """(the next whole JSON text or None to wait for more, the rest) of bytes buf.

    As QEMU's JSON streamer: an object or array ends where its brackets
    balance (outside strings), with or without a newline; anything else runs
    to the end of its line."""
    start = len(buf) - len(buf.lstrip(b" \t\r\n"))
    if start == len(buf):
        return None, b""
    if buf[start] not in b"{[":
        nl = buf.find(b"\n", start)
        return (None, buf) if nl < 0 else (buf[start:nl], buf[nl + 1:])
    depth, instr, esc = 0, False, False
    for j in range(start, len(buf)):
        c = buf[j]
        if instr:
            if esc:
                esc = False
            elif c == 0x5c:
                esc = True
            elif c == 0x22:
                instr = False
        elif c == 0x22:
            instr = True
        elif c in b"{[":
            depth += 1
        elif c in b"}]":
            depth -= 1
            if depth == 0:
                return buf[start:j + 1], buf[j + 1:]
    return None, buf


class Server:
    def __init__(self, args, key):
        self.args = args
        self.key = key
        self.log_lock = threading.Lock()
        self.logf = open(args.log, "a", encoding="utf-8") if args.log else None

    def log(self, line):
        if self.logf is None:
            return
        with self.log_lock:
            self.logf.write(line + "\n")
            self.logf.flush()

    def send(self, conn, obj):
        mode = self.args.mode
        if mode == "slow":
            time.sleep(1)
        if mode == "event-noise" and "QMP" not in obj:
            now = time.time()
            ts = {"seconds": int(now), "microseconds": int((now % 1) * 1e6)}
            for ev in ({"event": "RTC_CHANGE", "data": {"offset": 0}, "timestamp": ts},
                       {"event": "STOP", "timestamp": ts}):
                conn.sendall(json.dumps(ev).encode() + b"\r\n")
        conn.sendall(json.dumps(obj).encode() + b"\r\n")

    @staticmethod
    def error(cls, desc, cid):
        reply = {"error": {"class": cls, "desc": desc}}
        if cid is not None:
            reply["id"] = cid
        return reply

    def answer(self, conn, cmd, state):
        """Answer one command; False when the connection should stop."""
        mode = self.args.mode
        cid = cmd.get("id") if isinstance(cmd, dict) else None
        name = cmd.get("execute") if isinstance(cmd, dict) else None
        if not isinstance(name, str):
            self.log("bad-json")
            self.send(conn, self.error("GenericError", "QMP input must be a JSON object"
                                       " with member 'execute'", cid))
            return True
        args = cmd.get("arguments", {})
        if not isinstance(args, dict):
            args = {}
        if name == "query-sev-attestation-report":
            mn = args.get("mnonce")
            try:
                raw = base64.b64decode(mn, validate=True) if isinstance(mn, str) else None
            except binascii.Error:
                raw = None
            self.log("query-sev-attestation-report " + (raw.hex() if raw is not None else "-"))
        elif name in ("qmp_capabilities", "query-sev"):
            self.log(name)
        else:
            self.log("unknown " + name)

        def ok(ret):
            reply = {"return": ret}
            if cid is not None:
                reply["id"] = cid
            return reply

        if name == "qmp_capabilities":
            if state["caps"]:
                self.send(conn, self.error("CommandNotFound", "Capabilities negotiation is"
                                           " already complete, command ignored", cid))
            else:
                state["caps"] = True
                self.send(conn, ok({}))
            return True
        if not state["caps"]:
            self.send(conn, self.error("CommandNotFound", "Expecting capabilities"
                                       " negotiation with 'qmp_capabilities'", cid))
            return True
        if name == "query-sev":
            if mode == "bad-json":
                conn.sendall(b'{"return": {"enabled": true, "api-major": \r\n')
                return True
            if mode == "no-sev":
                ret = {"enabled": False, "api-major": 0, "api-minor": 0, "build-id": 0,
                       "policy": 0, "state": "uninit", "handle": 0, "sev-type": "sev"}
            else:
                handle = self.args.handle + (1 if mode == "wrong-handle" else 0)
                ret = {"enabled": True, "api-major": 0, "api-minor": 24, "build-id": 15,
                       "policy": self.args.policy, "state": "running",
                       "handle": handle & 0xffffffff, "sev-type": "sev"}
            self.send(conn, ok(ret))
            return True
        if name == "query-sev-attestation-report":
            if mode == "hang-report":
                state["hung"] = True
                return True
            if mode == "no-sev":
                self.send(conn, self.error("GenericError", "SEV is not enabled", cid))
                return True
            if "mnonce" not in args:
                self.send(conn, self.error("GenericError", "Parameter 'mnonce' is missing", cid))
                return True
            if raw is None:
                self.send(conn, self.error("GenericError", "SEV: failed to decode mnonce", cid))
                return True
            if len(raw) != 16:
                self.send(conn, self.error("GenericError", "SEV: mnonce must be 16 bytes"
                                           " (got %d)" % len(raw), cid))
                return True
            if mode == "bad-json":
                conn.sendall(b'{"return": {"data": "AAAA\r\n')
                return True
            mnonce = bytes(b ^ 0xff for b in raw) if mode == "wrong-mnonce" else raw
            rep = bytearray(make_report(self.key, mnonce, self.args.digest, self.args.policy))
            if mode == "bad-signature":
                rep[0x40] ^= 0x01
            if mode == "short-report":
                rep = rep[:REPORT_LEN - 1]
            self.send(conn, ok({"data": base64.b64encode(bytes(rep)).decode()}))
            return True
        self.send(conn, self.error("CommandNotFound", "The command %s has not been found"
                                   % name, cid))
        return True

    def serve(self, conn):
        mode = self.args.mode
        self.log("connect")
        try:
            if mode == "hang":
                while conn.recv(4096):
                    pass
                return
            self.send(conn, GREETING)
            if mode == "close":
                return
            state = {"caps": False, "hung": False}
            buf = b""
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                if state["hung"]:
                    continue
                buf += data
                while True:
                    text, buf = next_message(buf)
                    if text is None:
                        break
                    try:
                        cmd = json.loads(text.decode("utf-8"))
                    except ValueError:
                        self.log("bad-json")
                        self.send(conn, self.error("GenericError", "JSON parse error", None))
                        continue
                    if not isinstance(cmd, dict):
                        self.log("bad-json")
                        self.send(conn, self.error("GenericError", "QMP input must be a"
                                                   " JSON object", None))
                        continue
                    self.answer(conn, cmd, state)
                    if state["hung"]:
                        break
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass


def main():
    p = argparse.ArgumentParser(description="QMP stand-in for a SEV guest")
    p.add_argument("--socket", required=True)
    p.add_argument("--handle", type=int, required=True)
    p.add_argument("--pek-key", required=True)
    p.add_argument("--digest", default="00" * 32)
    p.add_argument("--policy", type=int, default=0)
    p.add_argument("--mode", default="normal", choices=MODES)
    p.add_argument("--log")
    p.add_argument("--once", action="store_true")
    p.add_argument("--pid-file")
    p.add_argument("--parent-pid", type=int)
    args = p.parse_args()
    try:
        args.digest = bytes.fromhex(args.digest)
    except ValueError:
        args.digest = b""
    if len(args.digest) != 32:
        p.error("--digest: 32 bytes in hex expected")
    if not 0 <= args.policy <= 0xffffffff:
        p.error("--policy: a u32 expected")
    if not 0 <= args.handle <= 0xffffffff:
        p.error("--handle: a u32 expected")
    try:
        with open(args.pek_key, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
    except (OSError, ValueError, TypeError) as e:
        print("qmp-server.py: cannot load '%s': %s" % (args.pek_key, e), file=sys.stderr)
        return 1
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp384r1":
        print("qmp-server.py: '%s' is not a P-384 key" % args.pek_key, file=sys.stderr)
        return 1

    srv = Server(args, key)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            if stat.S_ISSOCK(os.lstat(args.socket).st_mode):
                os.unlink(args.socket)
        except FileNotFoundError:
            pass
        lsock.bind(args.socket)
        lsock.listen(16)
    except OSError as e:
        print("qmp-server.py: cannot listen on '%s': %s" % (args.socket, e), file=sys.stderr)
        return 1

    def stop(_sig, _frm):
        try:
            os.unlink(args.socket)
        except OSError:
            pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.pid_file:
        with open(args.pid_file + ".tmp", "w", encoding="ascii") as f:
            f.write("%d\n" % os.getpid())
        os.replace(args.pid_file + ".tmp", args.pid_file)
    if args.parent_pid:
        def watch():
            while True:
                time.sleep(1)
                try:
                    os.kill(args.parent_pid, 0)
                except ProcessLookupError:
                    stop(None, None)
                except PermissionError:
                    pass
        threading.Thread(target=watch, daemon=True).start()
    print("ready", flush=True)

    while True:
        conn, _ = lsock.accept()
        if args.once:
            srv.serve(conn)
            break
        threading.Thread(target=srv.serve, args=(conn,), daemon=True).start()
    lsock.close()
    try:
        os.unlink(args.socket)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
