#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""aeb-client.py: a guest-side client for the attestation evidence broker (AEB).

Speaks ttrpc and protobuf as the librats SEV attester does, and verifies the
evidence it gets from ARK to report.  Written from the public description
(shared design sev-legacy.md sections 1-3, 6 and 7), not from the program's
code: an independent check.  Python 3 standard library plus
python3-cryptography; the protobuf encoder/decoder is by hand (varints,
length-delimited fields, unknown fields skipped, the last of a repeated
scalar wins, groups refused).

  aeb-client.py --connect unix:PATH|vsock:CID:PORT [--service aeb.Aeb|aeb.AEB]
      [--handle N] [--mnonce HEX|--random-mnonce] [--size-only]
      [--evidence-size N] [--ark FILE|--trust-root FILE] [--ask FILE]
      [--ask-ark FILE] [--roots DIR] [--no-verify] [--device-type T]
      [--out FILE] [--json] [--timeout S]
  aeb-client.py --connect ADDR --raw-frame HEXFILE [--timeout S]
  aeb-client.py --evidence FILE [--mnonce HEX] [roots] [--no-verify] [--json]
  aeb-client.py --print-frames [--service S] [--handle N] [--mnonce HEX]
      [--evidence-size N]

One connection per RPC, as librats: RetrieveAttestationEvidenceSize, then
RetrieveAttestationEvidence, stream id 1 on each, timeout_nano and metadata
omitted.  --handle (default 1) is guest_handle, omitted on the wire when 0
(proto3).  --mnonce HEX (16 bytes) or --random-mnonce adds `bytes mnonce =
15` to the evidence request (the broker's extension; librats sends none)
and then requires the report to carry it; without either the field is
absent.  --evidence-size (default 6461) is what the evidence request asks
for.  --service defaults to "aeb.Aeb".  --timeout (default 10 s) bounds
each connect, send and receive.

Checks: the size reply has error_code 0 and evidence_size 6461; the evidence
reply has error_code 0, evidence_size 6461 and UTF-8 JSON evidence with
every key of section 7 (report{monce[16], launch_digest[32], policy,
sig_usage, sig_algo, reserved, sig1[144]}, cek[2084], pek[2084], oca[2084],
device_type one of AmdRome, AmdNaples, AmdMilan, Unknown; byte arrays of
integers 0-255, u32 fields integers 0..2^32-1, unknown keys ignored), each
cert a version-1 SEV cert with its usage (CEK 0x1004, PEK 0x1002, OCA
0x1001) with zero reserved bytes; --device-type T requires device_type T.
Then, unless --no-verify, the links in order, each named on
failure: ark-self, ask-by-ark, cek-by-ask, oca-self, pek-by-oca,
pek-by-cek, report-by-pek, mnonce (when one was sent).  The ARK and ASK
(AMD CA format) come from --ark/--trust-root and --ask, or --ask-ark
(AMD's combined file: the ASK, then the ARK), or --roots DIR (DIR/ask.cert
and DIR/ark.cert); the ARK is trusted as given (no pinned AMD key IDs:
test platforms have their own).

Output: "evidence verifies" (or "evidence well-formed" with --no-verify;
"evidence size 6461" with --size-only).  --json prints the evidence as one
line of JSON on stdout and that last line on stderr instead.  --out FILE
writes the evidence bytes as received (also when a check fails).

--evidence FILE checks and verifies an evidence JSON file (as --out wrote
it) the same way, with no connection (--mnonce: the one it must carry).

--print-frames prints the hex of the two request frames (size, evidence),
one line each, and connects to nothing.  --raw-frame sends the bytes of
HEXFILE (hex digits, whitespace ignored) on one connection instead of any
RPC and prints what comes back: "recv HEX" with every byte received (when
any), "status CODE MESSAGE" when the bytes begin with a ttrpc response
whose status code is not 0, then "closed" (the peer closed) or "timeout";
exit 0.

Exit codes: 0 success; 1 bad usage or an unreadable root file; 2 transport
(connect, timeout, the peer closed, a malformed reply frame, envelope or
payload); 3 a nonzero error_code ("error_code N"); 4 a ttrpc status other
than 0 ("status CODE MESSAGE"); 5 a check or a verify link failed
("aeb-client.py: LINK: reason").  "error_code N" and "status CODE MESSAGE"
go to stdout, every other message to stderr.
"""

import argparse
import json
import os
import socket
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

PROG = "aeb-client.py"
EVIDENCE_SIZE = 6461
MAX_DATA = 4 << 20
CERT_LEN = 2084
SIGNED_LEN = 0x414
REPORT_LEN = 208
REPORT_SIGNED_LEN = 0x34

USAGE_ARK, USAGE_ASK = 0x0000, 0x0013
USAGE_OCA, USAGE_PEK, USAGE_PDH, USAGE_CEK = 0x1001, 0x1002, 0x1003, 0x1004
ALGO_RSA_SHA256, ALGO_ECDSA_SHA256 = 0x001, 0x002
ALGO_RSA_SHA384, ALGO_ECDSA_SHA384 = 0x101, 0x102
SIG_ALGOS = (ALGO_RSA_SHA256, ALGO_ECDSA_SHA256, ALGO_RSA_SHA384, ALGO_ECDSA_SHA384)
DEVICE_TYPES = ("AmdRome", "AmdNaples", "AmdMilan", "Unknown")


class Fail(Exception):
    """An exit: code and a one-line message (printed as given when plain)."""

    def __init__(self, code, msg, plain=False):
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.plain = plain


def check(cond, link, why):
    if not cond:
        raise Fail(5, "%s: %s" % (link, why))


# ---- protobuf, by hand ---------------------------------------------------

def pb_varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_key(field, wt):
    return pb_varint(field << 3 | wt)


def pb_uint(field, v):
    """A proto3 scalar: omitted when 0."""
    return pb_key(field, 0) + pb_varint(v) if v else b""


def pb_bytes(field, v):
    """A proto3 string/bytes/message: omitted when empty."""
    return pb_key(field, 2) + pb_varint(len(v)) + v if v else b""


def pb_read_varint(buf, i):
    n = shift = 0
    for k in range(10):
        if i + k >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i + k]
        n |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return n & ((1 << 64) - 1), i + k + 1
    raise ValueError("varint longer than 10 bytes")


def pb_decode(buf):
    """{field: [(wire type, value)...]}; unknown fields kept, the caller skips them."""
    fields = {}
    i = 0
    while i < len(buf):
        key, i = pb_read_varint(buf, i)
        field, wt = key >> 3, key & 7
        if field == 0:
            raise ValueError("field number 0")
        if wt == 0:
            v, i = pb_read_varint(buf, i)
        elif wt == 1:
            if i + 8 > len(buf):
                raise ValueError("truncated 64-bit field")
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = pb_read_varint(buf, i)
            if n > len(buf) - i:
                raise ValueError("length-delimited field past the end")
            v, i = bytes(buf[i:i + n]), i + n
        elif wt == 5:
            if i + 4 > len(buf):
                raise ValueError("truncated 32-bit field")
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        fields.setdefault(field, []).append((wt, v))
    return fields


def pb_get_uint(fields, field, bits=32):
    """The last varint of a field (0 when absent), truncated as protobuf does."""
    vals = [v for wt, v in fields.get(field, []) if wt == 0]
    if not vals and fields.get(field):
        raise ValueError("field %d: not a varint" % field)
    return vals[-1] & ((1 << bits) - 1) if vals else 0


def pb_get_bytes(fields, field):
    vals = [v for wt, v in fields.get(field, []) if wt == 2]
    if not vals and fields.get(field):
        raise ValueError("field %d: not length-delimited" % field)
    return vals[-1] if vals else b""


# ---- ttrpc -----------------------------------------------------------------

def frame(stream_id, ftype, data, flags=0):
    return (len(data).to_bytes(4, "big") + stream_id.to_bytes(4, "big")
            + bytes([ftype, flags]) + data)


def request_frame(service, method, payload):
    env = pb_bytes(1, service.encode()) + pb_bytes(2, method.encode()) + pb_bytes(3, payload)
    return frame(1, 1, env)


def size_request(args):
    return request_frame(args.service, "RetrieveAttestationEvidenceSize", pb_uint(1, args.handle))


def evidence_request(args):
    payload = pb_uint(1, args.handle) + pb_uint(2, args.evidence_size)
    if args.mnonce is not None:
        payload += pb_bytes(15, args.mnonce)
    return request_frame(args.service, "RetrieveAttestationEvidence", payload)


def connect(addr, timeout):
    try:
        if addr.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target = addr[5:]
        else:
            _, cid, port = addr.split(":")
            s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
            target = (int(cid), int(port))
        s.settimeout(timeout)
        s.connect(target)
        return s
    except socket.timeout:
        raise Fail(2, "cannot connect to '%s': timed out" % addr) from None
    except OSError as e:
        raise Fail(2, "cannot connect to '%s': %s" % (addr, e.strerror or e)) from None


def recv_exact(s, n, first):
    """n bytes; first: nothing of the reply has come yet."""
    out = bytearray()
    while len(out) < n:
        try:
            b = s.recv(n - len(out))
        except socket.timeout:
            raise Fail(2, "no reply in time") from None
        except OSError as e:
            raise Fail(2, "receive: %s" % (e.strerror or e)) from None
        if not b:
            raise Fail(2, "the peer closed the connection%s"
                       % ("" if first and not out else " mid-frame"))
        out += b
    return bytes(out)


def rpc(args, req):
    """Send one request frame on a new connection; the decoded response payload."""
    s = connect(args.connect, args.timeout)
    try:
        try:
            s.sendall(req)
        except socket.timeout:
            raise Fail(2, "send: timed out") from None
        except OSError as e:
            raise Fail(2, "send: %s" % (e.strerror or e)) from None
        hdr = recv_exact(s, 10, True)
        length = int.from_bytes(hdr[0:4], "big")
        stream, ftype = int.from_bytes(hdr[4:8], "big"), hdr[8]
        if length > MAX_DATA:
            raise Fail(2, "reply frame of %d bytes, over 4 MiB" % length)
        if ftype != 2:
            raise Fail(2, "reply frame of type %d, not a response" % ftype)
        if stream != 1:
            raise Fail(2, "reply on stream %d, not 1" % stream)
        data = recv_exact(s, length, False)
    finally:
        s.close()
    try:
        env = pb_decode(data)
        st = pb_decode(pb_get_bytes(env, 1))
        code = pb_get_uint(st, 1)
        if code >= 1 << 31:
            code -= 1 << 32
        msg = pb_get_bytes(st, 2).decode("utf-8", "replace")
        payload = pb_get_bytes(env, 2)
    except ValueError as e:
        raise Fail(2, "malformed reply envelope: %s" % e) from None
    if code != 0:
        raise Fail(4, "status %d %s" % (code, msg), plain=True)
    try:
        return pb_decode(payload)
    except ValueError as e:
        raise Fail(2, "malformed reply payload: %s" % e) from None


def raw_frame(args):
    try:
        with open(args.raw_frame, encoding="ascii") as f:
            data = bytes.fromhex("".join(f.read().split()))
    except (OSError, ValueError) as e:
        raise Fail(1, "cannot read '%s': %s" % (args.raw_frame, e)) from None
    s = connect(args.connect, args.timeout)
    got = bytearray()
    end = "closed"
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # the peer may drop a bad frame before reading all of it
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                end = "timeout"
                break
            except OSError:
                break
            if not b:
                break
            got += b
    finally:
        s.close()
    if got:
        print("recv " + got.hex())
    if len(got) >= 10 and got[8] == 2:
        length = int.from_bytes(got[0:4], "big")
        if len(got) >= 10 + length:
            try:
                st = pb_decode(pb_get_bytes(pb_decode(got[10:10 + length]), 1))
                code = pb_get_uint(st, 1)
                if code >= 1 << 31:
                    code -= 1 << 32
                if code:
                    print("status %d %s" % (code, pb_get_bytes(st, 2).decode("utf-8", "replace")))
            except ValueError:
                pass
    print(end)
    return 0


# ---- certificates ----------------------------------------------------------

def u32(b, off):
    return int.from_bytes(b[off:off + 4], "little")


def rsa_pss_verify(n, e, bits, sig_le, body, link):
    nb = bits // 8
    check(len(sig_le) >= nb, link, "signature shorter than the key")
    check(not any(sig_le[nb:]), link, "signature padding is not zero")
    h = hashes.SHA256() if bits == 2048 else hashes.SHA384()
    try:
        rsa.RSAPublicNumbers(e, n).public_key().verify(
            bytes(reversed(sig_le[:nb])), body,
            padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    except InvalidSignature:
        raise Fail(5, "%s: the signature does not verify" % link) from None
    except ValueError as ex:
        raise Fail(5, "%s: %s" % (link, ex)) from None


class AmdCert:
    """AMD CA format (ARK, ASK): sev-legacy.md section 2."""

    def __init__(self, data, name):
        check(len(data) >= 0x40, name, "shorter than its header")
        check(u32(data, 0) == 1, name, "version %d, not 1" % u32(data, 0))
        self.key_id = data[0x04:0x14]
        self.certifying_id = data[0x14:0x24]
        self.usage = u32(data, 0x24)
        check(not any(data[0x28:0x38]), name, "reserved bytes are not zero")
        pe_bits, self.bits = u32(data, 0x38), u32(data, 0x3c)
        check(self.bits in (2048, 4096), name, "modulus of %d bits" % self.bits)
        check(pe_bits == self.bits, name, "pubexp_size %d differs from modulus_size" % pe_bits)
        nb = self.bits // 8
        self.length = 0x40 + 3 * nb
        check(len(data) >= self.length, name, "%d bytes, %d expected" % (len(data), self.length))
        self.e = int.from_bytes(data[0x40:0x40 + nb], "little")
        self.n = int.from_bytes(data[0x40 + nb:0x40 + 2 * nb], "little")
        self.body = data[:0x40 + 2 * nb]
        self.sig = data[0x40 + 2 * nb:self.length]

    def verify(self, child, link):
        rsa_pss_verify(self.n, self.e, self.bits, child.sig, child.body, link)


def ec_key(curve_id, qx, qy, name):
    curves = {1: (ec.SECP256R1(), 32), 2: (ec.SECP384R1(), 48)}
    check(curve_id in curves, name, "curve %d" % curve_id)
    curve, nb = curves[curve_id]
    check(not any(qx[nb:]) and not any(qy[nb:]), name, "point padding is not zero")
    try:
        return ec.EllipticCurvePublicNumbers(int.from_bytes(qx, "little"),
                                             int.from_bytes(qy, "little"), curve).public_key()
    except ValueError:
        raise Fail(5, "%s: the public key is not on its curve" % name) from None


def ecdsa_verify(key, algo, sig, body, link):
    r = int.from_bytes(sig[0:72], "little")
    s = int.from_bytes(sig[72:144], "little")
    h = hashes.SHA256() if algo == ALGO_ECDSA_SHA256 else hashes.SHA384()
    try:
        key.verify(encode_dss_signature(r, s), body, ec.ECDSA(h))
    except InvalidSignature:
        raise Fail(5, "%s: the signature does not verify" % link) from None


class SevCert:
    """A 2084-byte SEV cert: sev-legacy.md section 1."""

    def __init__(self, data, name, usage):
        self.name = name
        check(len(data) == CERT_LEN, name, "%d bytes, not %d" % (len(data), CERT_LEN))
        check(u32(data, 0) == 1, name, "version %d, not 1" % u32(data, 0))
        check(data[6] == 0 and data[7] == 0, name, "reserved bytes are not zero")
        self.usage, self.algo = u32(data, 0x08), u32(data, 0x0c)
        check(self.usage == usage, name, "usage 0x%x, not 0x%x" % (self.usage, usage))
        check(self.algo in (ALGO_ECDSA_SHA256, ALGO_ECDSA_SHA384), name,
              "algorithm 0x%x, not ECDSA" % self.algo)
        self.key = ec_key(u32(data, 0x10), data[0x14:0x5c], data[0x5c:0xa4], name)
        check(not any(data[0xa4:SIGNED_LEN]), name, "the key's reserved bytes are not zero")
        self.body = data[:SIGNED_LEN]
        self.slots = [(u32(data, 0x414), u32(data, 0x418), data[0x41c:0x61c]),
                      (u32(data, 0x61c), u32(data, 0x620), data[0x624:0x824])]

    def signed_by(self, usage, algo, verify_slot, link):
        """Every slot that names the signer (usage and algo) is tried; one must verify."""
        slots = [sig for u, a, sig in self.slots if a in SIG_ALGOS and u == usage and a == algo]
        check(slots, link, "no signature slot of usage 0x%x, algorithm 0x%x" % (usage, algo))
        last = None
        for sig in slots:
            try:
                verify_slot(sig, link)
                return
            except Fail as e:
                last = e
        raise last

    def signed_by_sev(self, signer, link):
        self.signed_by(signer.usage, signer.algo,
                       lambda sig, lk: ecdsa_verify(signer.key, signer.algo, sig, self.body, lk),
                       link)

    def signed_by_ask(self, ask, link):
        algo = ALGO_RSA_SHA256 if ask.bits == 2048 else ALGO_RSA_SHA384
        self.signed_by(USAGE_ASK, algo,
                       lambda sig, lk: rsa_pss_verify(ask.n, ask.e, ask.bits, sig, self.body, lk),
                       link)


# ---- the evidence ----------------------------------------------------------

def byte_array(obj, key, n, where):
    check(key in obj, "evidence", "no key %s%s" % (where, key))
    v = obj[key]
    check(isinstance(v, list), "evidence", "%s%s is not an array" % (where, key))
    check(len(v) == n, "evidence", "%s%s has %d elements, not %d" % (where, key, len(v), n))
    check(all(type(x) is int and 0 <= x <= 255 for x in v), "evidence",
          "%s%s holds a value that is not an integer 0-255" % (where, key))
    return bytes(v)


def u32_field(obj, key, where):
    check(key in obj, "evidence", "no key %s%s" % (where, key))
    v = obj[key]
    check(type(v) is int and 0 <= v <= 0xffffffff, "evidence",
          "%s%s is not an integer 0..2^32-1" % (where, key))
    return v


def parse_evidence(raw, args):
    try:
        ev = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Fail(5, "evidence: not UTF-8") from None
    except ValueError as e:
        raise Fail(5, "evidence: not JSON: %s" % e) from None
    check(isinstance(ev, dict), "evidence", "not a JSON object")
    check(isinstance(ev.get("report"), dict), "evidence", "no object report")
    rep = ev["report"]
    r = {"monce": byte_array(rep, "monce", 16, "report."),
         "launch_digest": byte_array(rep, "launch_digest", 32, "report.")}
    for k in ("policy", "sig_usage", "sig_algo", "reserved"):
        r[k] = u32_field(rep, k, "report.")
    r["sig1"] = byte_array(rep, "sig1", 144, "report.")
    out = {"report": r}
    for k in ("cek", "pek", "oca"):
        out[k] = byte_array(ev, k, CERT_LEN, "")
    check(ev.get("device_type") in DEVICE_TYPES, "evidence",
          "device_type is not one of %s" % ", ".join(DEVICE_TYPES))
    check(args.device_type is None or ev["device_type"] == args.device_type, "evidence",
          "device_type %s, not %s" % (ev["device_type"], args.device_type))
    out["device_type"] = ev["device_type"]
    out["report_bytes"] = (r["monce"] + r["launch_digest"] + r["policy"].to_bytes(4, "little")
                           + r["sig_usage"].to_bytes(4, "little")
                           + r["sig_algo"].to_bytes(4, "little")
                           + r["reserved"].to_bytes(4, "little") + r["sig1"])
    out["json"] = ev
    return out


def read_file(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise Fail(1, "cannot read %s '%s': %s" % (what, path, e.strerror)) from None


def load_roots(args):
    if args.ask_ark:
        data = read_file(args.ask_ark, "ASK+ARK file")
        ask = AmdCert(data, "ask")
        ark = AmdCert(data[ask.length:], "ark")
        check(ask.length + ark.length == len(data), "ark", "trailing bytes after the ARK")
        return ask, ark
    if args.roots:
        ask_path = os.path.join(args.roots, "ask.cert")
        ark_path = os.path.join(args.roots, "ark.cert")
    else:
        ask_path, ark_path = args.ask, args.ark
    ask_data, ark_data = read_file(ask_path, "ASK"), read_file(ark_path, "ARK")
    ask, ark = AmdCert(ask_data, "ask"), AmdCert(ark_data, "ark")
    check(ask.length == len(ask_data), "ask", "trailing bytes")
    check(ark.length == len(ark_data), "ark", "trailing bytes")
    return ask, ark


def verify(ev, ask, ark, mnonce):
    cek = SevCert(ev["cek"], "cek", USAGE_CEK)
    pek = SevCert(ev["pek"], "pek", USAGE_PEK)
    oca = SevCert(ev["oca"], "oca", USAGE_OCA)
    check(ark.usage == USAGE_ARK, "ark-self", "ARK usage 0x%x, not 0" % ark.usage)
    check(ark.key_id == ark.certifying_id, "ark-self", "key_id differs from certifying_id")
    ark.verify(ark, "ark-self")
    check(ask.usage == USAGE_ASK, "ask-by-ark", "ASK usage 0x%x, not 0x13" % ask.usage)
    check(ask.certifying_id == ark.key_id, "ask-by-ark", "certifying_id is not the ARK's key_id")
    ark.verify(ask, "ask-by-ark")
    cek.signed_by_ask(ask, "cek-by-ask")
    oca.signed_by_sev(oca, "oca-self")
    pek.signed_by_sev(oca, "pek-by-oca")
    pek.signed_by_sev(cek, "pek-by-cek")
    rep = ev["report_bytes"]
    check(u32(rep, 0x34) == USAGE_PEK, "report-by-pek",
          "sig_usage 0x%x, not 0x1002" % u32(rep, 0x34))
    check(u32(rep, 0x38) == pek.algo, "report-by-pek",
          "sig_algo 0x%x is not the PEK's 0x%x" % (u32(rep, 0x38), pek.algo))
    ecdsa_verify(pek.key, pek.algo, rep[0x40:0xd0], rep[:REPORT_SIGNED_LEN], "report-by-pek")
    if mnonce is not None:
        check(rep[:16] == mnonce, "mnonce", "the report's %s is not the %s sent"
              % (rep[:16].hex(), mnonce.hex()))


# ---- main ------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print("%s: %s" % (PROG, message), file=sys.stderr)
        sys.exit(1)


def u32_arg(s):
    v = int(s, 0)
    if not 0 <= v <= 0xffffffff:
        raise ValueError(s)
    return v


def run(args):
    if args.print_frames:
        print(size_request(args).hex())
        print(evidence_request(args).hex())
        return 0
    if args.raw_frame:
        return raw_frame(args)
    roots = None
    if not args.size_only and not args.no_verify:
        roots = load_roots(args)
    if args.evidence:
        return check_evidence(args, read_file(args.evidence, "evidence"), roots)

    sz = rpc(args, size_request(args))
    try:
        err, size = pb_get_uint(sz, 1), pb_get_uint(sz, 2)
    except ValueError as e:
        raise Fail(2, "malformed size reply: %s" % e) from None
    if err:
        raise Fail(3, "error_code %d" % err, plain=True)
    check(size == EVIDENCE_SIZE, "size", "evidence_size %d, not %d" % (size, EVIDENCE_SIZE))
    if args.size_only:
        print("evidence size %d" % size)
        return 0

    evr = rpc(args, evidence_request(args))
    try:
        err, size = pb_get_uint(evr, 1), pb_get_uint(evr, 2)
        raw = pb_get_bytes(evr, 3)
    except ValueError as e:
        raise Fail(2, "malformed evidence reply: %s" % e) from None
    if args.out:
        try:
            with open(args.out, "wb") as f:
                f.write(raw)
        except OSError as e:
            raise Fail(1, "cannot write '%s': %s" % (args.out, e.strerror)) from None
    if err:
        raise Fail(3, "error_code %d" % err, plain=True)
    check(size == EVIDENCE_SIZE, "evidence", "evidence_size %d, not %d" % (size, EVIDENCE_SIZE))
    return check_evidence(args, raw, roots)


def check_evidence(args, raw, roots):
    ev = parse_evidence(raw, args)
    if roots is not None:
        verify(ev, roots[0], roots[1], args.mnonce)
        last = "evidence verifies"
    else:
        SevCert(ev["cek"], "cek", USAGE_CEK)
        SevCert(ev["pek"], "pek", USAGE_PEK)
        SevCert(ev["oca"], "oca", USAGE_OCA)
        if args.mnonce is not None:
            check(ev["report_bytes"][:16] == args.mnonce, "mnonce", "the report's is not the one sent")
        last = "evidence well-formed"
    if args.json:
        print(json.dumps(ev["json"], separators=(",", ":")))
        print(last, file=sys.stderr)
    else:
        print(last)
    return 0


def main():
    p = Parser(prog=PROG, description="guest-side AEB client (see the file's header)")
    p.add_argument("--connect")
    p.add_argument("--service", default="aeb.Aeb")
    p.add_argument("--handle", type=u32_arg, default=1)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--mnonce")
    g.add_argument("--random-mnonce", action="store_true")
    p.add_argument("--size-only", action="store_true")
    p.add_argument("--evidence-size", type=u32_arg, default=EVIDENCE_SIZE)
    p.add_argument("--ark", "--trust-root", dest="ark")
    p.add_argument("--ask")
    p.add_argument("--ask-ark")
    p.add_argument("--roots")
    p.add_argument("--no-verify", action="store_true")
    p.add_argument("--device-type", choices=DEVICE_TYPES)
    p.add_argument("--out")
    p.add_argument("--json", action="store_true")
    p.add_argument("--raw-frame")
    p.add_argument("--evidence")
    p.add_argument("--print-frames", action="store_true")
    p.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args()

    if args.random_mnonce:
        args.mnonce = os.urandom(16)
    elif args.mnonce is not None:
        try:
            args.mnonce = bytes.fromhex(args.mnonce)
        except ValueError:
            args.mnonce = b""
        if len(args.mnonce) != 16:
            p.error("--mnonce: 16 bytes in hex expected")
    if not args.print_frames and not args.evidence:
        if not args.connect:
            p.error("--connect is required")
        a = args.connect
        if not (a.startswith("unix:") and len(a) > 5) and not (
                a.startswith("vsock:") and len(a.split(":")) == 3
                and all(x.isdigit() for x in a.split(":")[1:])):
            p.error("--connect: unix:PATH or vsock:CID:PORT expected")
    if args.timeout <= 0:
        p.error("--timeout: a positive number of seconds expected")
    sources = [bool(args.ark or args.ask), bool(args.ask_ark), bool(args.roots)]
    if sum(bool(x) for x in (args.print_frames, args.raw_frame, args.evidence)) > 1:
        p.error("--print-frames, --raw-frame and --evidence exclude each other")
    if args.evidence and (args.connect or args.size_only or args.random_mnonce):
        p.error("--evidence connects to nothing (no --connect, --size-only, --random-mnonce)")
    if sum(sources) > 1:
        p.error("give the roots once: --ark and --ask, --ask-ark or --roots")
    if args.ark and not args.ask or args.ask and not args.ark:
        p.error("--ark (--trust-root) and --ask go together")
    needs_roots = not (args.print_frames or args.raw_frame or args.size_only or args.no_verify)
    if needs_roots and not any(sources):
        p.error("the ASK and ARK are needed (--ark/--ask, --ask-ark or --roots), or --no-verify")
    try:
        return run(args)
    except Fail as e:
        if e.plain:
            print(e.msg)
        else:
            print("%s: %s" % (PROG, e.msg), file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
