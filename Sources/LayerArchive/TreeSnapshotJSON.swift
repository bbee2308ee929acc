import ContentStore
import Foundation

/// Writes a `TreeSnapshot`'s canonical JSON (`CanonicalJSON`: sorted keys, no whitespace, `/`
/// unescaped) directly, byte for byte what `JSONEncoder` makes of it.
///
/// Why: a tree is encoded to learn its digest on every build, cached or not, and Foundation's
/// encoder spends about 40 ms per 1,000 entries boxing each field (a 10,000-file context cost a
/// cached build a third of its time). Only what has one obvious spelling is written here:
/// keys (fixed, in the order the encoder sorts them), integers, kinds, digests and plain ASCII
/// strings. Any string with a quote, a backslash, a control character or a non-ASCII byte, and
/// every `xattrs` dictionary (keys sorted by the encoder's own comparison, values in base64), is
/// handed to `JSONEncoder` itself, so that no escaping rule is reimplemented. `TreeSnapshotTests`
/// compares the two on seeded random trees of hostile names.
enum TreeSnapshotJSON {
    static func encode(_ snapshot: TreeSnapshot) throws -> Data {
        var out = [UInt8]()
        out.reserveCapacity(64 + snapshot.entries.count * 220)
        out.append(contentsOf: #"{"entries":["#.utf8)
        for (index, entry) in snapshot.entries.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            try append(entry, to: &out)
        }
        out.append(contentsOf: #"],"root":"#.utf8)
        try append(snapshot.root, to: &out)
        out.append(contentsOf: #","schemaVersion":"#.utf8)
        appendInteger(snapshot.schemaVersion, to: &out)
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }

    /// An entry's fields in the order `.sortedKeys` puts them; optional ones only when present
    /// (the synthesized `Codable` uses `encodeIfPresent`).
    private static func append(_ entry: TreeEntry, to out: inout [UInt8]) throws {
        var separator: UInt8 = UInt8(ascii: "{")
        func key(_ name: StaticString) {
            out.append(separator)
            separator = UInt8(ascii: ",")
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: #"":"#.utf8)
        }
        if let major = entry.deviceMajor { key("deviceMajor"); appendInteger(major, to: &out) }
        if let minor = entry.deviceMinor { key("deviceMinor"); appendInteger(minor, to: &out) }
        if let digest = entry.digest {  // `sha256:` and 64 lowercase hex digits: nothing to escape
            key("digest")
            out.append(contentsOf: #""sha256:"#.utf8)
            out.append(contentsOf: digest.hex.utf8)
            out.append(UInt8(ascii: "\""))
        }
        key("gid"); appendInteger(entry.gid, to: &out)
        key("kind"); try appendString(entry.kind.rawValue, to: &out)
        if let target = entry.linkTarget { key("linkTarget"); try appendString(target, to: &out) }
        key("mode"); appendInteger(entry.mode, to: &out)
        key("mtime"); appendInteger(entry.mtime, to: &out)
        key("path"); try appendString(entry.path, to: &out)
        key("size"); appendInteger(entry.size, to: &out)
        key("uid"); appendInteger(entry.uid, to: &out)
        if let xattrs = entry.xattrs { key("xattrs"); out.append(contentsOf: try CanonicalJSON.encode(xattrs)) }
        out.append(UInt8(ascii: "}"))
    }

    /// Decimal, with a minus sign for negative values (as the encoder writes every integer).
    private static func appendInteger(_ value: some BinaryInteger, to out: inout [UInt8]) {
        var magnitude = UInt64(value.magnitude)
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = buffer.count
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: buffer[position...])
        }
    }

    /// A string the encoder would copy as it is goes out between quotes; any other is encoded by it.
    private static func appendString(_ value: String, to out: inout [UInt8]) throws {
        let appended = value.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for byte in bytes where byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if appended != true {
            out.append(contentsOf: try CanonicalJSON.encode(value))
        }
    }
}
