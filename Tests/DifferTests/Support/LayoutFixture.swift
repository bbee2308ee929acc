import Foundation
import TestSupport

/// Writes small OCI layouts with Python's tarfile and gzip (mtime 0, no name), from a JSON spec,
/// so each test states exactly how A and B differ.
///
/// Spec: `{"layers": [[entry…]…], "config": {…extra config keys…}, "annotations": {…},
/// "history": [...], "tar": false}`; entry: `{"path", "type": "file|dir|symlink", "text" |
/// "base64" | "file", "mode", "uid", "gid", "mtime", "link"}`.
enum LayoutFixture {
    static let script = #"""
import base64, gzip, hashlib, io, json, os, sys, tarfile

def blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(root, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)

def layer_tar(entries):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            info = tarfile.TarInfo(e["path"])
            info.mtime = e.get("mtime", 0)
            info.uid = e.get("uid", 0)
            info.gid = e.get("gid", 0)
            kind = e.get("type", "file")
            data = None
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = e.get("mode", 0o755)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = e["link"]
                info.mode = e.get("mode", 0o777)
            else:
                info.mode = e.get("mode", 0o644)
                if "text" in e: data = e["text"].encode()
                elif "base64" in e: data = base64.b64decode(e["base64"])
                elif "file" in e: data = open(e["file"], "rb").read()
                else: data = b""
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()

def main(out, spec_path):
    spec = json.load(open(spec_path))
    os.makedirs(out, exist_ok=True)
    layers, diff_ids = [], []
    for entries in spec["layers"]:
        raw = layer_tar(entries)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        compressed = gzip.compress(raw, mtime=0) if spec.get("gzip", True) else raw
        digest, size = blob(out, compressed)
        media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if spec.get("gzip", True) else "")
        layers.append({"mediaType": media, "digest": digest, "size": size})
    config = {"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/bin:/bin"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": spec.get("history", [{"created_by": "layer %d" % i} for i in range(len(layers))])}
    for key, value in spec.get("config", {}).items():
        if key == "config": config["config"].update(value)
        else: config[key] = value
    config_data = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_digest, config_size = blob(out, config_data)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
                "layers": layers}
    if spec.get("annotations"): manifest["annotations"] = spec["annotations"]
    manifest_data = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    manifest_digest, manifest_size = blob(out, manifest_data)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
                            "size": manifest_size, "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
    with open(os.path.join(out, "index.json"), "w") as f: json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f: json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(json.dumps({"manifest": manifest_digest, "config": config_digest, "layers": layers, "diffIDs": diff_ids}))

if __name__ == "__main__":
    if sys.argv[1] == "--layer":
        raw = layer_tar(json.load(open(sys.argv[3])))
        open(sys.argv[2], "wb").write(gzip.compress(raw, mtime=0) if sys.argv[4] == "gzip" else raw)
    else:
        main(sys.argv[1], sys.argv[2])
"""#

    struct Written: Decodable {
        struct Layer: Decodable {
            var mediaType: String
            var digest: String
            var size: Int64
        }

        var manifest: String
        var config: String
        var layers: [Layer]
        var diffIDs: [String]
    }

    /// Writes a layout at `path` from `spec` (a JSON-compatible dictionary).
    @discardableResult
    static func write(_ spec: [String: Any], to path: String, scratch: Scratch) throws -> Written {
        let specPath = scratch.file("spec-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specPath))
        let output = try Tool.check(["python3", try scriptPath(scratch), path, specPath]).stdout
        return try JSONDecoder().decode(Written.self, from: Data(output.utf8))
    }

    /// Writes one layer tarball.
    static func writeLayer(_ entries: [[String: Any]], to path: String, gzip: Bool, scratch: Scratch) throws {
        let specPath = scratch.file("entries-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: entries).write(to: URL(fileURLWithPath: specPath))
        try Tool.check(["python3", try scriptPath(scratch), "--layer", path, specPath, gzip ? "gzip" : "plain"])
    }

    private static func scriptPath(_ scratch: Scratch) throws -> String {
        let path = scratch.file("make_layout.py")
        if !FileManager.default.fileExists(atPath: path) {
            try script.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return path
    }
}
