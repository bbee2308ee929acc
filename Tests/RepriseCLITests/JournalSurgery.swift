import Foundation
import TestSupport
import Testing

/// Ways the tests damage a journal or forge a bundle, as bit rot, a full disk, a kill or an
/// attacker would: each works on the real files.
enum JournalSurgery {
    /// Flips one bit of the byte at `offset` (negative: from the end) of a file.
    static func flipByte(in path: String, at offset: Int = 0) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        let position = offset >= 0 ? min(offset, size - 1) : max(0, size + offset)
        try handle.seek(toOffset: UInt64(position))
        var byte = try handle.read(upToCount: 1) ?? Data([0])
        byte[0] ^= 0x01
        try handle.seek(toOffset: UInt64(position))
        try handle.write(contentsOf: byte)
    }

    /// The largest blob of the journal (a layer, in a journal holding an image).
    static func largestBlob(in journal: String) throws -> String {
        let directory = journal + "/blobs/sha256"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        let sized = try names.map { name -> (String, Int) in
            let size = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int ?? 0
            return (directory + "/" + name, size)
        }
        return try #require(sized.max { $0.1 < $1.1 }?.0, "no blobs in \(journal)")
    }

    /// Rewrites the build records of a bundle (an OCI layout tar from `journal export`) through
    /// `edits`, one JSON object per build record to merge into it (`null` drops nothing); with
    /// `duplicate`, the bundle then holds the original build and the edited copy.
    static func forgeBundle(_ bundle: String, edits: [String: Any], keepOriginal: Bool, output: String) throws {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: edits), as: UTF8.self)
        try Tool.check(["python3", "-c", forgeScript, bundle, output, json, keepOriginal ? "1" : "0"])
    }

    private static let forgeScript = #"""
import hashlib, io, json, sys, tarfile
source, output, edits, keep = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4] == "1"
members = {}
with tarfile.open(source) as tar:
    for member in tar.getmembers():
        if member.isfile(): members[member.name] = tar.extractfile(member).read()
def blob(digest): return members["blobs/sha256/" + digest.split(":")[1]]
def put(data):
    digest = hashlib.sha256(data).hexdigest()
    members["blobs/sha256/" + digest] = data
    return "sha256:" + digest, len(data)
index = json.loads(members["index.json"])
original = index["manifests"][0]
manifest = json.loads(blob(original["digest"]))
record = json.loads(blob(manifest["config"]["digest"]))
record.update(edits)
config_digest, config_size = put(json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
manifest["config"]["digest"], manifest["config"]["size"] = config_digest, config_size
manifest_digest, manifest_size = put(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())
forged = dict(original, digest=manifest_digest, size=manifest_size)
forged.pop("annotations", None)
index["manifests"] = ([original] if keep else []) + [forged]
members["index.json"] = json.dumps(index).encode()
with tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as tar:
    for name in sorted(members):
        info = tarfile.TarInfo(name); info.size = len(members[name]); info.mode = 0o644
        tar.addfile(info, io.BytesIO(members[name]))
"""#

    /// Every path under `root` (relative), for comparing before and after.
    static func listing(_ root: String) -> Set<String> {
        Set((FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? [])
    }
}
