import Crypto
import Foundation

/// A content digest as OCI writes it: `sha256:<64 lowercase hex>`.
///
/// Only sha256 is accepted: it is what every OCI tool writes, and one algorithm keeps the store's
/// layout and the journal's keys unambiguous.
public struct Digest: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public static let algorithm = "sha256"

    /// The 64 lowercase hex characters.
    public let hex: String

    /// Parses `sha256:<hex>`; returns nil for anything else (other algorithms, wrong length, case).
    public init?(_ string: String) {
        guard string.hasPrefix("sha256:") else { return nil }
        let hex = String(string.dropFirst(7))
        guard Digest.isValidHex(hex) else { return nil }
        self.hex = hex
    }

    /// Takes the hex part alone (as it appears in `blobs/sha256/<hex>`).
    public init?(hex: String) {
        guard Digest.isValidHex(hex) else { return nil }
        self.hex = hex
    }

    /// The digest of a byte buffer.
    public init(of data: some DataProtocol) {
        self.init(finalizing: SHA256.hash(data: data))
    }

    /// The digest of a UTF-8 string.
    public init(ofUTF8 string: String) {
        self.init(of: Data(string.utf8))
    }

    init(finalizing digest: SHA256.Digest) {
        self.hex = Digest.hexString(digest)
    }

    /// The digest whose 32 bytes these are (as the index and delta files store it); nil for
    /// any other length.
    public init?(rawBytes bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self.hex = Digest.hexString(bytes)
    }

    /// The digest's 32 bytes.
    public var rawBytes: [UInt8] {
        let hex = Array(self.hex.utf8)
        func nibble(_ c: UInt8) -> UInt8 { c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : c - UInt8(ascii: "a") + 10 }
        return stride(from: 0, to: 64, by: 2).map { nibble(hex[$0]) << 4 | nibble(hex[$0 + 1]) }
    }

    public var description: String { "sha256:\(hex)" }

    /// A short form for people: the first 12 hex characters, as `docker images` shows ids.
    public var short: String { String(hex.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let digest = Digest(string) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a sha256 digest: \(string)")
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func isValidHex(_ hex: String) -> Bool {
        hex.utf8.count == 64 && hex.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Lowercase hex of `bytes` (not `String(format:)`, whose locale machinery costs a fully
    /// cached build more than all its hashing).
    static func hexString(_ digest: some Sequence<UInt8>) -> String {
        let table = Array("0123456789abcdef".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(64)
        for byte in digest {
            bytes.append(table[Int(byte >> 4)])
            bytes.append(table[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Incremental sha256 over a stream, for writers that hash while they write.
public struct DigestHasher: Sendable {
    private var hasher = SHA256()
    public private(set) var count: Int64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    public mutating func update(_ data: some DataProtocol) {
        hasher.update(data: data)
        count += Int64(data.count)
    }

    public func finalize() -> Digest {
        Digest(finalizing: hasher.finalize())
    }
}
