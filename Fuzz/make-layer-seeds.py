#!/usr/bin/env python3
"""Seeds for Fuzz/LayerFuzzer.swift: small layers in every tar dialect the reader meets.
Each seed is one mode byte (0: as-is, 1: wrapped in gzip by the fuzzer) then the layer bytes.
Deterministic (no randomness). Usage: make-layer-seeds.py DIR"""
import gzip, io, os, sys, tarfile

def layer(fmt, long=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        def add(name, kind=tarfile.REGTYPE, data=b"", **kw):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = len(data)
            info.mtime = kw.get("mtime", 1700000000)
            info.mode = kw.get("mode", 0o644)
            info.uid, info.gid = kw.get("uid", 0), kw.get("gid", 0)
            for key in ("linkname", "devmajor", "devminor", "pax_headers"):
                if key in kw:
                    setattr(info, key, kw[key])
            tar.addfile(info, io.BytesIO(data) if data else None)
        add("etc", tarfile.DIRTYPE, mode=0o755)
        add("etc/hostname", data=b"reprise\n")
        add("etc/.wh.removed")
        add("usr/.wh..wh..opq")
        add("bin/sh", tarfile.SYMTYPE, linkname="busybox")
        add("bin/ls", tarfile.LNKTYPE, linkname="bin/busybox")
        add("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3)
        add("dev/fifo", tarfile.FIFOTYPE)
        if long:
            add("d/" + "x" * 200 + "/file", data=b"long")
            add("l", tarfile.SYMTYPE, linkname="y" * 150)
        if fmt == tarfile.PAX_FORMAT:
            add("pax", data=b"p", pax_headers={"mtime": "1.5", "SCHILY.xattr.user.a": "b",
                                                 "uid": "4294967296", "path": "renamed"})
    return buf.getvalue()

def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for name, fmt in (("ustar", tarfile.USTAR_FORMAT), ("gnu", tarfile.GNU_FORMAT), ("pax", tarfile.PAX_FORMAT)):
        seeds[name] = layer(fmt, long=fmt != tarfile.USTAR_FORMAT)
    for name, data in list(seeds.items()):
        with open(os.path.join(out, f"seed-{name}.raw"), "wb") as f:
            f.write(b"\0" + data)
        with open(os.path.join(out, f"seed-{name}.wrapped"), "wb") as f:
            f.write(b"\1" + data)
        with open(os.path.join(out, f"seed-{name}.gz"), "wb") as f:
            f.write(b"\0" + gzip.compress(data, mtime=0))
    with open(os.path.join(out, "seed-empty.raw"), "wb") as f:
        f.write(b"\0" + b"\0" * 1024)

main()
