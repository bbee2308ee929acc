import Foundation

/// One way to turn a value into JSON bytes, so that equal values always have equal digests:
/// keys sorted, no whitespace, `/` unescaped. Every record and manifest Reprise writes uses it.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }

    /// Every `sha256:<hex>` mentioned anywhere in a JSON document. The journal's garbage collector
    /// follows these, which lets it walk records, OCI manifests and tree snapshots alike without
    /// knowing their schemas.
    public static func referencedDigests(in data: Data) -> Set<Digest> {
        var found = Set<Digest>()
        let marker = Array("sha256:".utf8)
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let count = bytes.count
            var index = 0
            while index + marker.count + 64 <= count {
                if bytes[index] == marker[0] && matches(bytes, at: index, marker) {
                    let start = index + marker.count
                    let hex = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<start + 64]), as: UTF8.self)
                    if let digest = Digest(hex: hex) {
                        found.insert(digest)
                        index = start + 64
                        continue
                    }
                }
                index += 1
            }
        }
        return found
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, _ marker: [UInt8]) -> Bool {
        for offset in 0..<marker.count where bytes[index + offset] != marker[offset] { return false }
        return true
    }
}
