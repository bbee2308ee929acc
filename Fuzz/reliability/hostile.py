"""Generators of hostile OCI image layouts and tampered journal bundles for scripts/reliability.

Every path an attacker would like to write outside the journal holds the campaign's token
(`reprise-escape-TOKEN...`), so the campaign can look for it anywhere on the host afterwards.
Deterministic given the token and the random generator it is handed.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import zlib

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- raw tar writing (tarfile refuses much of what an attacker writes) -----------------------

def _octal(value, width):
    return ("%0*o" % (width - 1, value)).encode() + b"\0"


def tar_header(name, size=0, mode=0o644, typeflag=b"0", linkname=b"", uid=0, gid=0, mtime=0,
               devmajor=0, devminor=0, raw_size=None, raw_mtime=None, raw_uid=None):
    """One ustar header block; `name` and `linkname` are bytes (truncated to 100)."""
    h = bytearray(512)
    h[0:100] = name[:100].ljust(100, b"\0")
    h[100:108] = _octal(mode & 0o7777777, 8)
    h[108:116] = raw_uid if raw_uid is not None else _octal(uid, 8)
    h[116:124] = _octal(gid, 8)
    h[124:136] = raw_size if raw_size is not None else _octal(size, 12)
    h[136:148] = raw_mtime if raw_mtime is not None else _octal(mtime, 12)
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[157:257] = linkname[:100].ljust(100, b"\0")
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[329:337] = _octal(devmajor, 8)
    h[337:345] = _octal(devminor, 8)
    checksum = sum(h)
    h[148:156] = ("%06o" % checksum).encode() + b"\0 "
    return bytes(h)


def pad(data):
    return data + b"\0" * ((512 - len(data) % 512) % 512)


def pax_record(key, value):
    body = f" {key}={value}\n".encode() if isinstance(value, str) else b" " + key.encode() + b"=" + value + b"\n"
    length = len(body)
    while len(str(length).encode()) + len(body) != length:
        length = len(str(length).encode()) + len(body)
    return str(length).encode() + body


class Tar:
    """Builds a tar stream entry by entry, allowing anything."""

    def __init__(self):
        self.out = bytearray()

    def entry(self, name, data=b"", typeflag=b"0", pax=None, **kw):
        name = name.encode() if isinstance(name, str) else name
        if "linkname" in kw and isinstance(kw["linkname"], str):
            kw["linkname"] = kw["linkname"].encode()
        if pax:
            body = b"".join(pax_record(k, v) for k, v in pax.items())
            self.out += tar_header(b"PaxHeaders/x", size=len(body), typeflag=b"x") + pad(body)
        self.out += tar_header(name, size=len(data), typeflag=typeflag, **kw) + pad(data)
        return self

    def dir(self, name, mode=0o755):
        return self.entry(name, typeflag=b"5", mode=mode)

    def raw(self, data):
        self.out += data
        return self

    def bytes(self):
        return bytes(self.out) + b"\0" * 1024


# --- OCI layouts ------------------------------------------------------------------------------

def write_layout(path, layers, config_extra=None, tamper=None, base_layers=()):
    """Writes an OCI layout at `path` with `base_layers` (already compressed, with diff ids) then
    `layers` (tar bytes, gzip-compressed here unless a layer is given as (stored, diff_id, media)).
    `tamper(manifest, config, blobs)` may alter anything before it is written."""
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path + "/blobs/sha256")
    blobs = {}
    descriptors, diff_ids = [], []
    for item in list(base_layers) + list(layers):
        if isinstance(item, tuple):
            stored, diff_id, media = item
        else:
            stored, diff_id, media = gzip.compress(item, mtime=0), sha(item), OCI_LAYER_GZ
        digest = sha(stored)
        blobs[digest] = stored
        descriptors.append({"mediaType": media, "digest": digest, "size": len(stored)})
        diff_ids.append(diff_id)
    config = {"architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
              "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                         "Cmd": ["sh"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    if config_extra:
        config.update(config_extra)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG}, "layers": descriptors}
    index_annotations = {"org.opencontainers.image.ref.name": "latest"}
    if tamper:
        result = tamper(manifest, config, blobs)
        if isinstance(result, dict):
            index_annotations = result
    config_bytes = json.dumps(config).encode()
    if "digest" not in manifest["config"]:
        manifest["config"].update(digest=sha(config_bytes), size=len(config_bytes))
    blobs.setdefault(manifest["config"]["digest"], config_bytes)
    manifest_bytes = json.dumps(manifest).encode()
    blobs[sha(manifest_bytes)] = manifest_bytes
    for digest, data in blobs.items():
        with open(path + "/blobs/sha256/" + digest.split(":", 1)[1], "wb") as f:
            f.write(data)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": OCI_MANIFEST, "digest": sha(manifest_bytes),
                            "size": len(manifest_bytes), "annotations": index_annotations}]}
    with open(path + "/index.json", "w") as f:
        json.dump(index, f)
    with open(path + "/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')


def read_layout_layers(path):
    """The (stored bytes, diff id, media type) of every layer of the layout's first image."""
    index = json.load(open(path + "/index.json"))
    def blob(digest):
        return open(path + "/blobs/sha256/" + digest.split(":", 1)[1], "rb").read()
    manifest = json.loads(blob(index["manifests"][0]["digest"]))
    config = json.loads(blob(manifest["config"]["digest"]))
    return [(blob(d["digest"]), diff, d["mediaType"])
            for d, diff in zip(manifest["layers"], config["rootfs"]["diff_ids"])]


def gzip_bomb(expanded_bytes, name=b"bomb"):
    """A gzip'd tar holding one file of `expanded_bytes` zeros, compressed as a stream (never
    held in memory). Returns (stored, diff_id)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [comp.compress(tar_header(name, size=expanded_bytes))]
    diff = hashlib.sha256(tar_header(name, size=expanded_bytes))
    chunk = b"\0" * (1 << 22)
    left = expanded_bytes + (512 - expanded_bytes % 512) % 512 + 1024
    while left > 0:
        piece = chunk if left >= len(chunk) else b"\0" * left
        out.append(comp.compress(piece))
        diff.update(piece)
        left -= len(piece)
    out.append(comp.flush())
    return b"".join(out), "sha256:" + diff.hexdigest()


def hostile_images(token, escape_dirs, host_target, rng, bomb_bytes):
    """(name, description, layers or layout-writer args) for every hostile image case.
    `escape_dirs`: absolute directories an escape would most likely reach (e.g. /tmp);
    `host_target`: an existing host file that hardlinks and symlinks aim at."""
    t = f"reprise-escape-{token}"
    target = host_target.encode()
    cases = []

    def case(name, why, layers, **kw):
        cases.append((name, why, layers, kw))

    # Traversal at every depth, and absolute paths.
    tr = Tar()
    for depth in range(1, 13):
        tr.entry("../" * depth + f"{t}-trav{depth}", b"x")
    case("traversal", "../ at depths 1-12", [tr.bytes()])
    tr = Tar().dir("a").entry(f"a/../../../../../../{t}-mid", b"x")
    case("traversal-inner", "a/../../… inside a name", [tr.bytes()])
    ab = Tar()
    for d in escape_dirs:
        ab.entry(f"{d}/{t}-abs", b"x")
    ab.entry(f"/{t}-root", b"x")
    case("absolute", "absolute paths /tmp/…, /…", [ab.bytes()])
    # Symlink escapes: a directory symlink out, then a file through it (same layer, next layer).
    for i, d in enumerate(escape_dirs):
        case(f"symlink-dir-{i}", f"link -> {d}, then link/file",
             [Tar().entry("link", typeflag=b"2", linkname=d).entry(f"link/{t}-symlink", b"x").bytes()])
        case(f"symlink-dir-layers-{i}", f"link -> {d} in layer 1, link/file in layer 2",
             [Tar().entry("link", typeflag=b"2", linkname=d).bytes(),
              Tar().entry(f"link/{t}-symlink2", b"x").bytes()])
    case("symlink-relative", "link -> ../../../../../../tmp, then link/file",
         [Tar().entry("link", typeflag=b"2", linkname="../" * 12 + "tmp").entry(f"link/{t}-rel", b"x").bytes()])
    case("symlink-file-overwrite", "file symlink to a host file, then a regular entry with its name",
         [Tar().entry("f", typeflag=b"2", linkname=host_target).entry("f", b"PWNED by symlink").bytes()])
    case("symlink-file-layers", "symlink to a host file in layer 1, file content in layer 2",
         [Tar().entry("etc-target", typeflag=b"2", linkname=host_target).bytes(),
          Tar().entry("etc-target", b"PWNED by symlink layer").bytes()])
    case("hardlink-absolute", "hardlink to a host file, then write through it",
         [Tar().entry("hl", typeflag=b"1", linkname=host_target).entry("hl", b"PWNED by hardlink").bytes()])
    case("hardlink-traversal", "hardlink to ../../…/host file",
         [Tar().entry("hl", typeflag=b"1", linkname="../" * 12 + host_target.lstrip("/")).bytes()])
    case("hardlink-via-symlink", "hardlink through a symlinked directory to a host file",
         [Tar().entry("d", typeflag=b"2", linkname=os.path.dirname(host_target))
              .entry("hl", typeflag=b"1", linkname="d/" + os.path.basename(host_target)).bytes()])
    case("whiteout-escape", "whiteouts naming .. and escaping names",
         [Tar().dir("etc").entry("etc/.wh...").entry(".wh..").entry("../.wh.x").entry(".wh...wh..opq")
              .entry(f"a/../../.wh.{t}").bytes()])
    # Devices and setuid.
    case("devices", "char and block nodes 0666 (mem, kmsg, a disk), a fifo",
         [Tar().dir("dev").entry("dev/mem", typeflag=b"3", devmajor=1, devminor=1, mode=0o666)
              .entry("dev/kmsg2", typeflag=b"3", devmajor=1, devminor=11, mode=0o666)
              .entry("disk", typeflag=b"4", devmajor=253, devminor=0, mode=0o666)
              .entry("fifo", typeflag=b"6").bytes()])
    case("setuid", "setuid/setgid root files, world-writable sticky dir",
         [Tar().entry("suid", b"#!/bin/sh\nid\n", mode=0o4755).entry("sgid", b"x", mode=0o2755)
              .dir("ww", mode=0o1777).bytes()])
    # PAX values out of range.
    for key, value in (("size", "99999999999999999999999"), ("size", "-1"), ("size", "9223372036854775807"),
                       ("mtime", "1e30"), ("mtime", "-99999999999999999999"), ("mtime", "nan"),
                       ("uid", "-1"), ("uid", "99999999999999999999"), ("gid", "4294967296"),
                       ("path", "../" * 8 + f"tmp/{t}-paxpath"), ("linkpath", "/etc/shadow"),
                       ("SCHILY.xattr.security.capability", "\x01\x00\x00\x02\xff\xff\xff\xff"),
                       ("SCHILY.xattr.trusted.overlay.opaque", "y"),
                       ("GNU.sparse.map", "0,99999999999")):
        case(f"pax-{key}-{value[:12]}", f"PAX {key}={value!r}",
             [Tar().entry("paxfile", b"data", pax={key: value}).bytes()])
    case("header-size-base256-negative", "base-256 size field of -1",
         [Tar().entry("neg", raw_size=b"\xff" * 12).bytes()])
    case("header-size-huge-octal", "size 77777777777 (8 GiB) on a 4-byte file",
         [Tar().entry("huge", b"data", raw_size=b"77777777777\0").bytes()])
    case("header-mtime-base256", "base-256 mtime far out of range",
         [Tar().entry("old", b"x", raw_mtime=b"\x80" + b"\x7f" * 11).bytes()])
    case("header-uid-base256", "base-256 uid of 2^63",
         [Tar().entry("uid", b"x", raw_uid=b"\x80" + b"\xff" * 7).bytes()])
    # Names.
    case("control-names", "entry names with ESC, BEL, newline, CR, DEL, invalid UTF-8",
         [Tar().entry("esc-\x1b]0;pwned\x07-\x1b[31mred", b"x").entry("nl-\nname", b"x")
              .entry("cr-\rname", b"x").entry(b"bad-\xff\xfe-utf8", b"x").entry("del-\x7f", b"x").bytes()])
    case("long-names", "a 5000-byte PAX path, a 300-component path",
         [Tar().entry("p", b"x", pax={"path": "d" * 5000}).entry("p2", b"x", pax={"path": "/".join(["q"] * 300)}).bytes()])
    case("dot-names", "entries named ., ./, //, empty",
         [Tar().entry(".", typeflag=b"5").entry("./", typeflag=b"5").entry("//", b"x").entry("", b"x").bytes()])
    case("duplicates", "a file, then a dir, then a symlink of one name",
         [Tar().entry("dup", b"x").dir("dup").entry("dup", typeflag=b"2", linkname="/").entry("dup/x", b"y").bytes()])
    # Compression and digests.
    # Each case its own bytes: a blob the journal already holds is not copied again (it is
    # content-addressed), which would hide what the case tampers with.
    def good_for(case_name):
        return Tar().entry("ok-" + case_name, b"fine " + token.encode()).bytes()
    good = good_for("gzip")
    gz = gzip.compress(good, mtime=0)
    case("gzip-truncated", "gzip cut in half (digest of the cut bytes)", [(gz[: len(gz) // 2], sha(good), OCI_LAYER_GZ)])
    case("gzip-no-trailer", "gzip without its CRC trailer", [(gz[:-8], sha(good), OCI_LAYER_GZ)])
    case("gzip-bad-crc", "gzip with a wrong CRC", [(gz[:-8] + b"\0\0\0\0" + gz[-4:], sha(good), OCI_LAYER_GZ)])
    plain = good_for("tar-truncated")
    case("tar-truncated", "plain tar cut inside a header", [(plain[:700], sha(plain[:700]), OCI_LAYER)])
    garbage = bytes(rng.getrandbits(8) for _ in range(3000))
    case("tar-garbage", "random bytes as a plain layer", [(garbage, sha(garbage), OCI_LAYER)])
    case("wrong-diffid", "config diff_id that is not the layer's",
         [(gzip.compress(good_for("diffid"), mtime=0), "sha256:" + "0" * 64, OCI_LAYER_GZ)])
    case("wrong-layer-digest", "layer blob whose bytes do not hash to its name",
         [good_for("digest")], tamper="layer-bytes")
    case("wrong-size", "descriptor size smaller than the blob", [good_for("size")], tamper="layer-size")
    case("wrong-size-larger", "descriptor size larger than the blob", [good_for("size2")], tamper="layer-size-up")
    case("wrong-config-digest", "config blob altered after its digest", [good_for("config")], tamper="config-bytes")
    case("missing-layer", "manifest names a layer blob that is absent", [good_for("missing")], tamper="drop-layer")
    case("hostile-ref", "index ref name with control characters and ../", [good_for("ref")], tamper="ref-name")
    case("gzip-bomb", f"gzip of {bomb_bytes >> 20} MiB of zeros in one file", ["bomb"])
    return cases


def apply_tamper(kind, token):
    def tamper(manifest, config, blobs):
        layer = manifest["layers"][-1]
        if kind == "layer-bytes":
            data = bytearray(blobs[layer["digest"]])
            data[len(data) // 2] ^= 0xFF
            blobs[layer["digest"]] = bytes(data)
        elif kind == "layer-size":
            layer["size"] = max(1, layer["size"] // 2)
        elif kind == "layer-size-up":
            layer["size"] = layer["size"] * 2 + 1000
        elif kind == "config-bytes":
            data = json.dumps(config).encode()
            manifest["config"].update(digest=sha(data), size=len(data))
            config["os"] = "pwned"
            blobs[manifest["config"]["digest"]] = json.dumps(config).encode()
        elif kind == "drop-layer":
            del blobs[layer["digest"]]
        elif kind == "ref-name":
            return {"org.opencontainers.image.ref.name": f"../../x\x1b]0;{token}\x07\x1b[2J"}
        return None
    return tamper


# --- bundles ------------------------------------------------------------------------------------

def read_tar(path):
    members = []
    with tarfile.open(path) as tar:
        for m in tar.getmembers():
            data = tar.extractfile(m).read() if m.isfile() else None
            members.append((m, data))
    return members


def write_tar(path, members):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            info = _copy_info(info)
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def _copy_info(info):
    new = tarfile.TarInfo(info.name)
    for attr in ("size", "mtime", "mode", "type", "linkname", "uid", "gid", "uname", "gname"):
        setattr(new, attr, getattr(info, attr))
    return new


def rewrite_bundle(members, transform):
    """Applies `transform(obj) -> obj` to every JSON blob and fixes every digest that names a
    rewritten blob, until nothing changes; returns new members. index.json gets the same
    treatment (its manifest digest follows)."""
    blobs = {}
    order = []
    others = []
    for info, data in members:
        if info.name.startswith("blobs/sha256/") and data is not None:
            digest = "sha256:" + info.name.rsplit("/", 1)[1]
            blobs[digest] = data
            order.append(digest)
        else:
            others.append((info, data))
    renames = {}
    changed = True
    first = True
    while changed:
        changed = False
        for digest in list(blobs):
            data = blobs[digest]
            if not data.startswith(b"{"):
                continue
            try:
                obj = json.loads(data)
            except ValueError:
                continue
            text = json.dumps(obj)
            for old, new in renames.items():
                text = text.replace(old, new)
            obj = json.loads(text)
            if first:
                obj = transform(obj)
            new_data = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
            if new_data != data:
                new_digest = sha(new_data)
                del blobs[digest]
                blobs[new_digest] = new_data
                for k, v in list(renames.items()):
                    if v == digest:
                        renames[k] = new_digest
                renames[digest] = new_digest
                # the size fields of descriptors: fixed below
                changed = True
        first = False
    # Fix sizes and digests in JSON descriptors and index.json.
    sizes = {d: len(b) for d, b in blobs.items()}

    def fix(obj):
        if isinstance(obj, dict):
            if "digest" in obj and obj["digest"] in renames:
                obj["digest"] = renames[obj["digest"]]
            if "digest" in obj and "size" in obj and obj["digest"] in sizes:
                obj["size"] = sizes[obj["digest"]]
            return {k: fix(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [fix(v) for v in obj]
        return obj
    out = []
    for info, data in others:
        if info.name == "index.json":
            obj = fix(transform(json.loads(data)))
            data = json.dumps(obj).encode()
        out.append((info, data))
    # Sizes inside manifests changed: one more pass (manifests are small, re-hash them).
    final = {}
    for digest, data in blobs.items():
        if data.startswith(b"{"):
            try:
                obj = json.loads(data)
                new_data = json.dumps(fix(obj), separators=(",", ":"), sort_keys=True).encode()
            except ValueError:
                new_data = data
        else:
            new_data = data
        final[sha(new_data)] = new_data
        if sha(new_data) != digest:
            renames[digest] = sha(new_data)
        sizes[sha(new_data)] = len(new_data)
    for i, (info, data) in enumerate(out):
        if info.name == "index.json":
            out[i] = (info, json.dumps(fix(json.loads(data))).encode())
    for digest, data in final.items():
        info = tarfile.TarInfo("blobs/sha256/" + digest.split(":", 1)[1])
        info.mode = 0o644
        out.append((info, data))
    return out


def replace_strings(old, new):
    def transform(obj):
        return json.loads(json.dumps(obj).replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1]))
    return transform


def hostile_bundles(bundle_path, build_id, token, host_target, rng, known=()):
    """(name, why, writer(path)) for every tampered bundle."""
    t = f"reprise-escape-{token}"
    members = read_tar(bundle_path)
    cases = []

    def case(name, why):
        def deco(fn):
            cases.append((name, why, fn))
            return fn
        return deco

    def fresh(i, ms):
        """A non-JSON blob the importing journal does not already hold (a blob it holds is
        not copied again, so tampering with it would go unseen, and rightly so)."""
        m, d = ms[i]
        return d and m.name.startswith("blobs/") and not d.startswith(b"{") and \
            "sha256:" + m.name.rsplit("/", 1)[1] not in known

    @case("blob-bitflip", "one byte flipped in the largest non-JSON blob the journal lacks")
    def _(path):
        ms = list(members)
        idx = max((i for i in range(len(ms)) if fresh(i, ms)), key=lambda i: len(ms[i][1]))
        data = bytearray(ms[idx][1])
        data[rng.randrange(len(data))] ^= 0x01
        ms[idx] = (ms[idx][0], bytes(data))
        write_tar(path, ms)

    for name, new_id in (("id-traversal", "../../" + t + "-id"), ("id-absolute", "/tmp/" + t + "-idabs"),
                         ("id-control", "b\x1b]0;" + t + "\x07\x1b[2J\r\n"), ("id-empty", ""),
                         ("id-long", "x" * 5000)):
        @case(name, f"build id rewritten to {new_id[:40]!r} everywhere, digests fixed")
        def _(path, new_id=new_id):
            write_tar(path, rewrite_bundle(members, replace_strings(build_id, new_id)))

    @case("ref-traversal", "index.json ref name ../../ (build id unchanged)")
    def _(path):
        def transform(obj):
            for m in obj.get("manifests", []) if isinstance(obj, dict) else []:
                m.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = "../../" + t + "-ref"
            return obj
        write_tar(path, rewrite_bundle(members, transform))

    @case("tag-hostile", "tag names with ../ and control characters in every JSON")
    def _(path):
        def transform(obj):
            def walk(o):
                if isinstance(o, dict):
                    return {k: ("../../" + t + "-tag\x1b[31m" if k in ("tag", "tags", "name") and isinstance(v, str) else walk(v))
                            for k, v in o.items()}
                if isinstance(o, list):
                    return [walk(v) for v in o]
                return o
            return walk(obj)
        write_tar(path, rewrite_bundle(members, transform))

    @case("member-traversal", "extra tar members ../…, /tmp/…")
    def _(path):
        ms = list(members)
        for name in ("../../../../../../tmp/" + t + "-member", "/tmp/" + t + "-memberabs",
                     "blobs/../../../../" + t + "-member2"):
            info = tarfile.TarInfo(name)
            ms.append((info, b"x"))
        write_tar(path, ms)

    @case("member-symlink", "blobs/sha256/<digest of a host file> as a symlink to it")
    def _(path):
        data = open(host_target, "rb").read()
        ms = list(members)
        info = tarfile.TarInfo("blobs/sha256/" + hashlib.sha256(data).hexdigest())
        info.type = tarfile.SYMTYPE
        info.linkname = host_target
        ms.append((info, None))
        link = tarfile.TarInfo("blobs/sha256/dirlink")
        link.type = tarfile.SYMTYPE
        link.linkname = "/tmp"
        ms.append((link, None))
        f = tarfile.TarInfo("blobs/sha256/dirlink/" + t + "-vialink")
        ms.append((f, b"x"))
        write_tar(path, ms)

    @case("member-hardlink", "a blob as a hardlink to a host file")
    def _(path):
        ms = list(members)
        idx = next(i for i in range(len(ms)) if fresh(i, ms))
        info = tarfile.TarInfo(ms[idx][0].name)
        info.type = tarfile.LNKTYPE
        info.linkname = host_target
        ms[idx] = (info, None)
        write_tar(path, ms)

    @case("truncated", "the bundle cut at half")
    def _(path):
        data = open(bundle_path, "rb").read()
        open(path, "wb").write(data[: len(data) // 2])

    @case("missing-blob", "one non-JSON blob the journal lacks removed")
    def _(path):
        ms = [x for x in members]
        idx = next(i for i in range(len(ms)) if fresh(i, ms))
        del ms[idx]
        write_tar(path, ms)

    @case("huge-size", "descriptor sizes of 2^62 and -1")
    def _(path):
        def transform(obj):
            if isinstance(obj, dict) and "layers" in obj:
                for i, layer in enumerate(obj["layers"]):
                    layer["size"] = -1 if i % 2 else 1 << 62
            return obj
        ms = rewrite_bundle(members, lambda o: o)
        # rewrite sizes without the size fixer: edit the manifest by hand
        out = []
        renames = {}
        for info, data in ms:
            if data and info.name.startswith("blobs/") and data.startswith(b'{') and b'"layers"' in data:
                new = json.dumps(transform(json.loads(data))).encode()
                renames["sha256:" + info.name.rsplit("/", 1)[1]] = sha(new)
                info = tarfile.TarInfo("blobs/sha256/" + sha(new).split(":")[1])
                data = new
            out.append((info, data))
        out = [(i, (json.dumps(_rename(json.loads(d), renames)).encode() if i.name == "index.json" else d)) for i, d in out]
        write_tar(path, out)

    @case("not-a-tar", "random bytes")
    def _(path):
        open(path, "wb").write(bytes(rng.getrandbits(8) for _ in range(4096)))

    @case("duplicate-index", "a second index.json naming a missing manifest")
    def _(path):
        ms = list(members)
        info = tarfile.TarInfo("index.json")
        ms.append((info, json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "f" * 64, "size": 10,
             "annotations": {"org.reprise.build.id": "../../" + t}}]}).encode()))
        write_tar(path, ms)

    @case("gzip-bundle-bomb", "a blob member that is a 256 MiB-of-zeros gzip declared as JSON")
    def _(path):
        bomb = zlib.compress(b"\0" * (256 << 20), 9)
        ms = list(members)
        info = tarfile.TarInfo("blobs/sha256/" + hashlib.sha256(bomb).hexdigest())
        ms.append((info, bomb))
        write_tar(path, ms)

    return cases


def _rename(obj, renames):
    if isinstance(obj, dict):
        return {k: (renames.get(v, v) if k == "digest" else _rename(v, renames)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rename(v, renames) for v in obj]
    return obj
