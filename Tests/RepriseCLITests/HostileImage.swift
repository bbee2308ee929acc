import Foundation
import TestSupport

/// Makes OCI layouts an attacker (or a broken tool) could hand us: the Corpus base image with one
/// more layer whose entries the test chooses, including device nodes, optionally with a lying
/// `diff_id` or a truncated gzip. Python's tarfile writes entries no host tool would let us make
/// without mknod, and the digests are computed honestly unless a defect is asked for.
enum HostileImage {
    /// One entry of the extra layer.
    enum Entry {
        case directory(String, mode: Int = 0o755)
        case file(String, String, mode: Int = 0o644)
        case characterDevice(String, major: Int, minor: Int, mode: Int = 0o666)
    }

    /// What is wrong with the extra layer, if anything.
    enum Defect: String {
        case none
        /// The config's diff_id for the layer names other content.
        case wrongDiffID = "wrong-diff-id"
        /// The gzip stream is cut in half (its digest matches the cut bytes, so only decompressing
        /// notices).
        case truncatedGzip = "truncated-gzip"
    }

    /// Writes the layout to `output` and returns it; tagged `latest`.
    static func make(base: String, entries: [Entry], defect: Defect = .none, output: String) throws -> String {
        let specification = entries.map { entry -> [String: Any] in
            switch entry {
            case .directory(let path, let mode): ["kind": "dir", "path": path, "mode": mode]
            case .file(let path, let content, let mode): ["kind": "file", "path": path, "mode": mode, "content": content]
            case .characterDevice(let path, let major, let minor, let mode):
                ["kind": "chr", "path": path, "mode": mode, "major": major, "minor": minor]
            }
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: specification), as: UTF8.self)
        try Tool.check(["python3", "-c", script, base, output, json, defect.rawValue])
        return output
    }

    private static let script = #"""
import gzip, hashlib, io, json, os, shutil, sys, tarfile
base, output, spec, defect = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
shutil.copytree(base, output)
blobs = os.path.join(output, "blobs", "sha256")
def read(digest):
    with open(os.path.join(blobs, digest.split(":")[1]), "rb") as f: return f.read()
def write(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f: f.write(data)
    return "sha256:" + digest, len(data)
index = json.load(open(os.path.join(output, "index.json")))
manifest = json.loads(read(index["manifests"][0]["digest"]))
config = json.loads(read(manifest["config"]["digest"]))
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for item in spec:
        info = tarfile.TarInfo(item["path"])
        info.mode = item["mode"]
        if item["kind"] == "dir": info.type = tarfile.DIRTYPE; tar.addfile(info)
        elif item["kind"] == "chr":
            info.type = tarfile.CHRTYPE; info.devmajor = item["major"]; info.devminor = item["minor"]
            tar.addfile(info)
        else:
            data = item["content"].encode(); info.size = len(data); tar.addfile(info, io.BytesIO(data))
layer = raw.getvalue()
diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
compressed = gzip.compress(layer, mtime=0)
if defect == "wrong-diff-id": diff_id = "sha256:" + hashlib.sha256(b"something else").hexdigest()
if defect == "truncated-gzip": compressed = compressed[: len(compressed) // 2]
digest, size = write(compressed)
manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                           "digest": digest, "size": size})
config["rootfs"]["diff_ids"].append(diff_id)
config_digest, config_size = write(json.dumps(config).encode())
manifest["config"]["digest"], manifest["config"]["size"] = config_digest, config_size
manifest_digest, manifest_size = write(json.dumps(manifest).encode())
index["manifests"] = [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
                       "size": manifest_size, "annotations": {"org.opencontainers.image.ref.name": "latest"}}]
json.dump(index, open(os.path.join(output, "index.json"), "w"))
"""#
}
