#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A loopback stand-in for the AMD Key Distribution Service (KDS).

Serves, for the test chains made by tests/fixtures/gen-chains.sh:

  GET /vcek/v1/{Milan,Genoa}/<128 hex>?blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U   DER
  GET /vcek/v1/Turin/<16 hex>?fmcSPL=F&blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U   DER
  GET /{vcek,vlek}/v1/<Product>/cert_chain    PEM: ASK (ASVK) then ARK
  GET /{vcek,vlek}/v1/<Product>/crl           DER
  GET /cek/id/<hex of the chip id>             the raw 2084-byte SEV CEK signed
                                               by the ASK (not DER), with --cek-dir

The legacy SEV CEKs come from --cek-dir DIR: the request's hex is matched
against the files DIR/<HEX>.cert in either case (KDS's own case rule is not
known; sevctl asks in uppercase, sev-tool in lowercase), 404 when none
matches or without --cek-dir.  tests/tools/sev-gen makes such a CEK
(cek.cert) with its chip id (id.bin).

VCEKs are signed on demand with tests/fixtures/make-vcek.sh for whatever chip
id and TCB the request names (cached per request in the work directory).

Python standard library and the openssl CLI only.  Binds 127.0.0.1 only, on
an ephemeral port written to --port-file; logs one line per request to --log
("GET <path> <status>", or "GET <path> slow" when a slow reply starts; a
request through a proxy logs its absolute URL, "GET http://host/path 200");
exits by itself after --idle seconds without a request, or when --parent-pid
is gone.

Fault modes come from --mode-file, re-read on every request (tests rewrite
it between runs), one line "MODE [key=value]...":

  ok                        serve normally (also when the file is missing)
  404                       answer 404
  429 count=K retry=N       answer 429 with "Retry-After: N" to the first K
                            matching requests, then serve normally (K
                            default: forever; retry omitted: no header)
  429 count=K retry-date=N  the same with Retry-After as an HTTP-date N
                            seconds from now
  500 count=K               answer 500 to the first K, then serve normally
  slow delay=S              wait S seconds (default 30) before answering
  oversized [length=none]   200 with a reply larger than any KDS reply
                            (length=none: without Content-Length)
  garbage                   200 with random bytes
  wrong-tcb                 a VCEK for the TCB with ucodeSPL + 1
  wrong-chip                a VCEK for another chip id (last byte flipped)
  wrong-signer              a VCEK signed by an untrusted ASK with the ASK's
                            name (fixtures bad/forged-ask); a cert_chain or
                            CRL of the untrusted Milan chain / another product

A "target=vcek|chain|crl|cek|all" item picks which requests the fault applies
to (default vcek); other requests are served normally.  Counts restart when
the file's content changes.  For target=cek the modes 404, 429, 500, slow,
oversized and garbage apply; wrong-tcb, wrong-chip and wrong-signer do not
(serve another file from --cek-dir to test a wrong CEK).

The endpoint for cloud providers (--csp-port-file, with --tls): a second
HTTPS listener that, like KDS's on port 444, requires a client certificate
(CERT_REQUIRED) issued by a throw-away client CA, and serves only

  GET  /vlek/v1/<Product>/cert?<SPLs as for a VCEK>          DER VLEK
  POST /vlek/v1/<Product>/hash_sticks?<SPLs>  {"hwids":["<hex>"]}
       -> {"results":[{"<hex>":"<864 hex digits>"}]}  ("not found" for a
          chip id starting with "ff")

(the shapes virtee/snphost uses).  The VLEK is signed on demand by the
ASVK of the test chain (cspId test-csp); a hashstick is 432 bytes derived
from the chip id and TCB (SHA-256 in counter mode).  --client-out DIR gets
client.pem/client.key (a good client certificate and key) and wrong.pem/
wrong.key (one of another CA, which the server refuses).  Fault targets
vlek and hashsticks; wrong-tcb and wrong-signer (a VLEK signed by the ASK)
apply to a VLEK; garbage to both.

HTTPS (--tls): a throw-away CA and a server certificate for --cert-name
(default: DNS localhost and IP 127.0.0.1) are made with the openssl CLI at
start; the CA is written to --ca-out for SNP_CERTCTL_KDS_CA.

--stall-connect: no HTTP at all; a listening socket whose accept queue is
full and never drained, so that connections to it hang unanswered (the
kernel drops the SYNs) like those to an unreachable host.
"""

import argparse
import email.utils
import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

PRODUCTS = {"Milan": "milan", "Genoa": "genoa", "Turin": "turin"}
HWID_HEX = {"Milan": 128, "Genoa": 128, "Turin": 16}
SPLS = {
    "Milan": ["blSPL", "teeSPL", "snpSPL", "ucodeSPL"],
    "Genoa": ["blSPL", "teeSPL", "snpSPL", "ucodeSPL"],
    "Turin": ["fmcSPL", "blSPL", "teeSPL", "snpSPL", "ucodeSPL"],
}
TCB_KEYS = {"fmcSPL": "fmc", "blSPL": "bl", "teeSPL": "tee", "snpSPL": "snp", "ucodeSPL": "ucode"}


class State:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.lock = threading.Lock()
        self.sign_lock = threading.Lock()
        self.last_request = time.monotonic()
        self.mode_text = None
        self.count = 0

    def mode(self):
        """The fault mode as a dict, and how many matching requests came before."""
        text = ""
        if self.args.mode_file:
            try:
                with open(self.args.mode_file) as f:
                    text = f.read().strip()
            except FileNotFoundError:
                text = ""
        words = text.split() or ["ok"]
        m = {"mode": words[0], "target": "vcek"}
        for w in words[1:]:
            k, _, v = w.partition("=")
            m[k] = v
        return m, text

    def log(self, line):
        with self.lock:
            if self.args.log:
                with open(self.args.log, "a") as f:
                    f.write(line + "\n")


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], r.stderr.decode(errors="replace")))


def make_tls(work, names, ca_out):
    """A test CA and a server certificate for names, with the openssl CLI."""
    ca_key, ca_pem = os.path.join(work, "ca.key"), os.path.join(work, "ca.pem")
    key, csr, pem = (os.path.join(work, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(work, "server.ext")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", ca_key, "-out", ca_pem, "-days", "2", "-subj",
         "/CN=snp-certctl test KDS CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign"])
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=%s" % names[0]])
    sans = ",".join(("IP:" if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+:[0-9a-fA-F:]*", n)
                     else "DNS:") + n for n in names)
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                "basicConstraints=CA:FALSE\n" % sans)
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
         "-CAcreateserial", "-out", pem, "-days", "2", "-extfile", ext])
    if ca_out:
        tmp = ca_out + ".tmp"
        shutil.copyfile(ca_pem, tmp)
        os.replace(tmp, ca_out)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem, key)
    return ctx, pem, key


def make_client_ca(work, name):
    """A client CA and one client certificate it issued: (ca.pem, cert.pem, key.pem)."""
    ca_key, ca_pem = (os.path.join(work, "%s-ca.%s" % (name, e)) for e in ("key", "pem"))
    key, csr, pem = (os.path.join(work, "%s.%s" % (name, e)) for e in ("key", "csr", "pem"))
    ext = os.path.join(work, "%s.ext" % name)
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", ca_key, "-out", ca_pem, "-days", "2", "-subj",
         "/CN=snp-certctl test %s client CA" % name,
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign"])
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=test CSP %s" % name])
    with open(ext, "w") as f:
        f.write("extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
         "-CAcreateserial", "-out", pem, "-days", "2", "-extfile", ext])
    return ca_pem, pem, key


def make_csp_tls(work, server_pem, server_key, client_out):
    """The CSP listener's context: client certificates of the good client CA required."""
    good_ca, good_pem, good_key = make_client_ca(work, "client")
    _, wrong_pem, wrong_key = make_client_ca(work, "wrong")
    if client_out:
        os.makedirs(client_out, exist_ok=True)
        for src, dst in ((good_pem, "client.pem"), (good_key, "client.key"),
                         (wrong_pem, "wrong.pem"), (wrong_key, "wrong.key")):
            shutil.copyfile(src, os.path.join(client_out, dst + ".tmp"))
            # Keys private, as an operator keeps them.
            os.chmod(os.path.join(client_out, dst + ".tmp"),
                     0o600 if dst.endswith(".key") else 0o644)
            os.replace(os.path.join(client_out, dst + ".tmp"), os.path.join(client_out, dst))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(server_pem, server_key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(good_ca)
    return ctx


def hashstick(hwid, query):
    """432 bytes standing in for a wrapped VLEK, the same for the same chip and TCB."""
    out, i = b"", 0
    while len(out) < 432:
        out += hashlib.sha256(("%s?%s#%d" % (hwid, query, i)).encode()).digest()
        i += 1
    return out[:432]


def make_handler(state, csp=False):
    args = state.args

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"
        server_version = "kds-stand-in/1"

        def log_message(self, fmt, *a):
            pass

        def reply(self, status, body=b"", ctype="application/octet-stream", headers=(),
                  length=True):
            if not self.logged:
                state.log("%s %s %d" % (self.command, self.path, status))
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if length:
                    self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass

        def vcek(self, product, hwid, tcb, variant=""):
            """DER of a VCEK for hwid/tcb, signed on demand and kept."""
            chain = os.path.join(args.fixtures, PRODUCTS[product])
            spec = ",".join("%s=%d" % (TCB_KEYS[k], v) for k, v in tcb.items())
            name = "%s-%s-%s%s.der" % (product, hwid, spec.replace(",", "_").replace("=", ""),
                                       variant)
            out = os.path.join(state.work, name)
            with state.sign_lock:
                if not os.path.exists(out):
                    cmd = ["sh", os.path.join(args.fixtures_scripts, "make-vcek.sh"), chain,
                           PRODUCTS[product], hwid, spec, out]
                    if variant == "-forged":
                        cmd += ["--signer", os.path.join(args.fixtures, "bad", "forged-ask")]
                    run(cmd)
                with open(out, "rb") as f:
                    return f.read()

        def vlek(self, product, tcb, signer):
            """DER of a VLEK for tcb (signer asvk, or ask for a bad one), signed on demand."""
            chain = os.path.join(args.fixtures, PRODUCTS[product])
            spec = ",".join("%s=%d" % (TCB_KEYS[k], v) for k, v in tcb.items())
            name = "vlek-%s-%s-%s.der" % (product, spec.replace(",", "_").replace("=", ""),
                                          signer)
            out = os.path.join(state.work, name)
            with state.sign_lock:
                if not os.path.exists(out):
                    run(["sh", os.path.join(args.fixtures_scripts, "make-vcek.sh"), chain,
                         PRODUCTS[product], "-", spec, out, "--vlek", "test-csp",
                         "--signer", signer])
                with open(out, "rb") as f:
                    return f.read()

        def tcb_query(self, product, query):
            """The SPLs of a query as KDS checks them, or None."""
            items = [kv.partition("=") for kv in query.split("&")] if query else []
            if [k for k, _, _ in items] != SPLS[product]:
                return None
            try:
                tcb = {k: int(v) for k, _, v in items}
            except ValueError:
                return None
            return None if any(v < 0 or v > 255 for v in tcb.values()) else tcb

        def cek(self, hexid):
            """The bytes of --cek-dir's <hexid>.cert in either case, or None."""
            if not args.cek_dir:
                return None
            want = hexid.lower() + ".cert"
            for name in sorted(os.listdir(args.cek_dir)):
                if name.lower() == want:
                    with open(os.path.join(args.cek_dir, name), "rb") as f:
                        return f.read()
            return None

        def do_POST(self):
            self.do_GET()

        def do_GET(self):
            state.last_request = time.monotonic()
            self.logged = False
            # Through a proxy the request names the whole URL: route on its path.
            target = re.sub(r"^https?://[^/]*", "", self.path)
            path, _, query = target.partition("?")
            m = re.fullmatch(r"/(vcek|vlek)/v1/(Milan|Genoa|Turin)/([^/]+)", path)
            cek = re.fullmatch(r"/cek/id/([0-9A-Fa-f]+)", path)
            if cek:
                if csp:
                    return self.reply(404, b"not found\n", "text/plain")
                target = "cek"
            elif not m:
                return self.reply(404, b"not found\n", "text/plain")
            else:
                family, product, leaf = m.groups()
                target = "vcek" if leaf not in ("cert_chain", "crl") else (
                    "chain" if leaf == "cert_chain" else "crl")
                if family == "vlek" and leaf in ("cert", "hash_sticks"):
                    target = "vlek" if leaf == "cert" else "hashsticks"
            if (target in ("vlek", "hashsticks")) != csp:
                return self.reply(404, b"not found\n", "text/plain")
            if self.command != ("POST" if target == "hashsticks" else "GET"):
                return self.reply(405, b"method not allowed\n", "text/plain")
            if target == "vcek" and family != "vcek":
                return self.reply(404, b"not found\n", "text/plain")

            mode, text = state.mode()
            with state.lock:
                if text != state.mode_text:
                    state.mode_text, state.count = text, 0
                applies = mode["target"] in (target, "all")
                if applies:
                    state.count += 1
                n = state.count
            fault = mode["mode"] if applies else "ok"
            if fault in ("429", "500"):
                limit = int(mode.get("count", "1000000"))
                if n > limit:
                    fault = "ok"
            if fault == "404":
                return self.reply(404, b"Not Found\n", "text/plain")
            if fault == "429":
                hdrs = [("Retry-After", mode["retry"])] if "retry" in mode else []
                if "retry-date" in mode:
                    when = time.time() + float(mode["retry-date"])
                    hdrs = [("Retry-After", email.utils.formatdate(when, usegmt=True))]
                return self.reply(429, b"Too Many Requests\n", "text/plain", hdrs)
            if fault == "500":
                return self.reply(500, b"Internal Server Error\n", "text/plain")
            if fault == "slow":
                # Logged now: the reply may come after the client (and the test) moved on.
                state.log("GET %s slow" % self.path)
                self.logged = True
                time.sleep(float(mode.get("delay", "30")))
            if fault == "oversized":
                # A DER SEQUENCE that claims (and has) 128 KiB of content.
                n = 128 * 1024
                return self.reply(200, b"\x30\x83" + n.to_bytes(3, "big") + b"\0" * n,
                                  length=mode.get("length") != "none")
            if fault == "garbage":
                junk = os.urandom(1500)
                return self.reply(200, b"\x04" + junk[1:])
            if target == "cek":
                body = self.cek(cek.group(1))
                if body is None:
                    return self.reply(404, b"Not Found\n", "text/plain")
                return self.reply(200, body)
            if target == "vlek":
                tcb = self.tcb_query(product, query)
                if tcb is None:
                    return self.reply(400, b"bad TCB parameters\n", "text/plain")
                if fault == "wrong-tcb":
                    tcb["ucodeSPL"] = (tcb["ucodeSPL"] + 1) % 256
                try:
                    body = self.vlek(product, tcb, "ask" if fault == "wrong-signer" else "asvk")
                except RuntimeError as e:
                    return self.reply(500, str(e).encode(), "text/plain")
                return self.reply(200, body, "application/pkix-cert")
            if target == "hashsticks":
                if self.tcb_query(product, query) is None:
                    return self.reply(400, b"bad TCB parameters\n", "text/plain")
                try:
                    n = int(self.headers.get("Content-Length", "0"))
                    req = json.loads(self.rfile.read(n))
                    hwids = req["hwids"]
                    assert self.headers.get("Content-Type") == "application/json"
                    assert isinstance(hwids, list) and all(isinstance(h, str) for h in hwids)
                except (ValueError, KeyError, TypeError, AssertionError):
                    return self.reply(400, b"bad request\n", "text/plain")
                result = {h: "not found" if h.startswith("ff") else
                          hashstick(h.lower(), query).hex() for h in hwids}
                return self.reply(200, json.dumps({"results": [result]}).encode(),
                                  "application/json")

            chain = os.path.join(args.fixtures, PRODUCTS[product])
            if target == "chain":
                if fault == "wrong-signer":
                    chain = os.path.join(args.fixtures, "bad", "ark-untrusted")
                mid = "asvk.pem" if family == "vlek" else "ask.pem"
                with open(os.path.join(chain, mid), "rb") as f:
                    body = f.read()
                with open(os.path.join(chain, "ark.pem"), "rb") as f:
                    body += f.read()
                return self.reply(200, body, "application/x-pem-file")
            if target == "crl":
                if fault == "wrong-signer":
                    other = "genoa" if product != "Genoa" else "milan"
                    chain = os.path.join(args.fixtures, other)
                with open(os.path.join(chain, "crl.der"), "rb") as f:
                    return self.reply(200, f.read(), "application/pkix-crl")

            # A VCEK: check the request as KDS would.
            if not re.fullmatch(r"[0-9a-f]{%d}" % HWID_HEX[product], leaf):
                return self.reply(400, b"bad chip id\n", "text/plain")
            items = [kv.partition("=") for kv in query.split("&")] if query else []
            if [k for k, _, _ in items] != SPLS[product]:
                return self.reply(400, b"bad TCB parameters\n", "text/plain")
            try:
                tcb = {k: int(v) for k, _, v in items}
            except ValueError:
                return self.reply(400, b"bad TCB value\n", "text/plain")
            if any(v < 0 or v > 255 for v in tcb.values()):
                return self.reply(400, b"bad TCB value\n", "text/plain")
            hwid, variant = leaf, ""
            if fault == "wrong-tcb":
                tcb["ucodeSPL"] = (tcb["ucodeSPL"] + 1) % 256
            elif fault == "wrong-chip":
                hwid = leaf[:-2] + "%02x" % (int(leaf[-2:], 16) ^ 0xff)
            elif fault == "wrong-signer":
                variant = "-forged"
            try:
                body = self.vcek(product, hwid, tcb, variant)
            except RuntimeError as e:
                return self.reply(500, str(e).encode(), "text/plain")
            return self.reply(200, body, "application/pkix-cert")

    return Handler


def write_port(port_file, port):
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, port_file)


def stall_connect(args):
    """Listen with a backlog of 0, fill the queue ourselves, and never accept."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    fillers = []
    for _ in range(3):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(srv.getsockname())
        except BlockingIOError:
            pass
        fillers.append(c)
    write_port(args.port_file, srv.getsockname()[1])
    start = time.monotonic()
    while time.monotonic() - start < args.idle:
        time.sleep(0.5)
        if args.parent_pid:
            try:
                os.kill(args.parent_pid, 0)
            except ProcessLookupError:
                break
    return 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fixtures", required=True, help="output of gen-chains.sh")
    p.add_argument("--fixtures-scripts", default=os.path.join(here, "..", "fixtures"))
    p.add_argument("--port-file", required=True)
    p.add_argument("--cek-dir", help="serve /cek/id/<HEX> from DIR/<HEX>.cert")
    p.add_argument("--log")
    p.add_argument("--mode-file")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--cert-name", action="append", help="names in the server certificate")
    p.add_argument("--ca-out", help="write the test CA (PEM) here")
    p.add_argument("--csp-port-file", help="with --tls: also the endpoint for providers")
    p.add_argument("--client-out", help="write the client certificates and keys here")
    p.add_argument("--stall-connect", action="store_true",
                   help="accept no connection: a full accept queue, never drained")
    p.add_argument("--idle", type=float, default=120, help="exit after this many idle seconds")
    p.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    args = p.parse_args()

    if args.stall_connect:
        return stall_connect(args)
    work = tempfile.mkdtemp(prefix="kds-server.")
    try:
        state = State(args, work)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
        server.daemon_threads = True
        servers = [server]
        if args.tls:
            ctx, pem, key = make_tls(work, args.cert_name or ["localhost", "127.0.0.1"],
                                     args.ca_out)
            server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
            if args.csp_port_file:
                csp = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      make_handler(state, csp=True))
                csp.daemon_threads = True
                csp.socket = make_csp_tls(work, pem, key, args.client_out).wrap_socket(
                    csp.socket, server_side=True, do_handshake_on_connect=False)
                csp.handle_error = lambda request, address: None  # refused clients
                threading.Thread(target=csp.serve_forever, kwargs={"poll_interval": 0.2},
                                 daemon=True).start()
                servers.append(csp)
                write_port(args.csp_port_file, csp.server_address[1])
        write_port(args.port_file, server.server_address[1])

        def watchdog():
            while True:
                time.sleep(0.5)
                if time.monotonic() - state.last_request > args.idle:
                    break
                if args.parent_pid:
                    try:
                        os.kill(args.parent_pid, 0)
                    except ProcessLookupError:
                        break
            for srv in servers:
                srv.shutdown()

        threading.Thread(target=watchdog, daemon=True).start()
        server.serve_forever(poll_interval=0.2)
        server.server_close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
