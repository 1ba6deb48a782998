#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""sev-fw.py: issue one SEV (pre-SNP) firmware command through /dev/sev,
as a test of the fake firmware (tests/fakes/sev.so) apart from the program.

  sev-fw.py [--device PATH] [--rdonly] status
  sev-fw.py [--device PATH] [--rdonly] pdh-export [--query] [--pdh-len N] [--chain-len N] OUTDIR
  sev-fw.py [--device PATH] [--rdonly] get-id2 [--len N] OUTFILE

status prints api=MAJ.MIN state=N flags=0xN build=N guests=N.  pdh-export
writes OUTDIR/pdh.cert and OUTDIR/chain.cert (PEK || OCA || CEK) after
the length query and prints the lengths; --query stops after the query;
--pdh-len/--chain-len give buffers of that size without a query.
get-id2 asks for the length first (or uses --len) and writes the id.
A refusal prints "errno=NAME fw=N pdh_len=.. chain_len=.." (or "len=..")
and exits 1; bad usage exits 2.  SEV_ISSUE_CMD and the structs are
written out from sev-legacy.md section 4, not taken from the program.
"""
import argparse
import ctypes
import errno
import fcntl
import os
import struct
import sys

SEV_ISSUE_CMD = 0xC0105300
PLATFORM_STATUS, PDH_CERT_EXPORT, GET_ID2 = 1, 5, 8


def issue(fd, cmd, data):
    """(errno or 0, firmware error) of cmd with the ctypes buffer data."""
    arg = bytearray(struct.pack("<IQI", cmd, ctypes.addressof(data), 0))
    try:
        fcntl.ioctl(fd, SEV_ISSUE_CMD, arg, True)
        e = 0
    except OSError as ex:
        e = ex.errno
    return e, struct.unpack_from("<I", arg, 12)[0]


def refused(e, fw, extra):
    name = errno.errorcode.get(e, str(e)) if e else "0"
    print("errno=%s fw=%d %s" % (name, fw, extra))
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser(prog="sev-fw.py")
    ap.add_argument("--device", default="/dev/sev")
    ap.add_argument("--rdonly", action="store_true")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status")
    p = sub.add_parser("pdh-export")
    p.add_argument("--query", action="store_true")
    p.add_argument("--pdh-len", type=int)
    p.add_argument("--chain-len", type=int)
    p.add_argument("outdir")
    p = sub.add_parser("get-id2")
    p.add_argument("--len", type=int)
    p.add_argument("out")
    a = ap.parse_args()

    fd = os.open(a.device, os.O_RDONLY if a.rdonly else os.O_RDWR)
    if a.cmd == "status":
        buf = ctypes.create_string_buffer(12)
        e, fw = issue(fd, PLATFORM_STATUS, buf)
        if e:
            refused(e, fw, "")
        maj, mnr, state, flags, build, guests = struct.unpack("<BBBIBI", buf.raw)
        print("api=%d.%d state=%d flags=0x%x build=%d guests=%d" %
              (maj, mnr, state, flags, build, guests))
    elif a.cmd == "pdh-export":
        arg = ctypes.create_string_buffer(24)
        pdh_len, chain_len = a.pdh_len, a.chain_len
        if pdh_len is None or chain_len is None:
            e, fw = issue(fd, PDH_CERT_EXPORT, arg)
            pdh_len, chain_len = struct.unpack_from("<I", arg.raw, 8)[0], \
                struct.unpack_from("<I", arg.raw, 20)[0]
            print("query errno=%s fw=%d pdh_len=%d chain_len=%d" %
                  (errno.errorcode.get(e, str(e)) if e else "0", fw, pdh_len, chain_len))
            if a.query:
                return
            if e != errno.EIO:
                sys.exit(1)
        pdh = ctypes.create_string_buffer(max(pdh_len, 1))
        chain = ctypes.create_string_buffer(max(chain_len, 1))
        struct.pack_into("<QIQI", arg, 0, ctypes.addressof(pdh), pdh_len,
                         ctypes.addressof(chain), chain_len)
        e, fw = issue(fd, PDH_CERT_EXPORT, arg)
        got_pdh, got_chain = struct.unpack_from("<I", arg.raw, 8)[0], \
            struct.unpack_from("<I", arg.raw, 20)[0]
        if e:
            refused(e, fw, "pdh_len=%d chain_len=%d" % (got_pdh, got_chain))
        with open(os.path.join(a.outdir, "pdh.cert"), "wb") as f:
            f.write(pdh.raw[:got_pdh])
        with open(os.path.join(a.outdir, "chain.cert"), "wb") as f:
            f.write(chain.raw[:got_chain])
        print("pdh_len=%d chain_len=%d" % (got_pdh, got_chain))
    else:
        arg = ctypes.create_string_buffer(12)
        n = a.len
        if n is None:
            e, fw = issue(fd, GET_ID2, arg)
            n = struct.unpack_from("<I", arg.raw, 8)[0]
            if e != errno.EIO:
                refused(e, fw, "len=%d" % n)
        idbuf = ctypes.create_string_buffer(max(n, 1))
        struct.pack_into("<QI", arg, 0, ctypes.addressof(idbuf), n)
        e, fw = issue(fd, GET_ID2, arg)
        n = struct.unpack_from("<I", arg.raw, 8)[0]
        if e:
            refused(e, fw, "len=%d" % n)
        with open(a.out, "wb") as f:
            f.write(idbuf.raw[:n])
        print("len=%d" % n)
    os.close(fd)


if __name__ == "__main__":
    main()
