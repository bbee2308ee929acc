import Foundation

/// PEM armour (RFC 7468) and the fixed DER framing of Ed25519 keys (RFC 8410), which
/// swift-crypto only offers as raw bytes: the framing of a 32-byte key never varies, so a
/// prefix is the whole encoder.
enum PEM {
    /// PKCS#8 PrivateKeyInfo, version 0, algorithm id-Ed25519, OCTET STRING (OCTET STRING seed).
    static let ed25519PrivatePrefix = Data([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
                                            0x70, 0x04, 0x22, 0x04, 0x20])
    /// SubjectPublicKeyInfo, algorithm id-Ed25519, BIT STRING (no unused bits) of the key.
    static let ed25519PublicPrefix = Data([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

    static func encode(label: String, der: Data) -> String {
        let body = der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(body)\n-----END \(label)-----\n"
    }

    /// The first PEM block of `text`.
    static func decode(_ text: String) -> (label: String, der: Data)? {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else { return nil }
        let label = String(lines[begin].dropFirst(11).dropLast(5))
        guard let end = lines[begin...].firstIndex(of: "-----END \(label)-----"),
              let der = Data(base64Encoded: lines[(begin + 1)..<end].joined()) else { return nil }
        return (label, der)
    }
}
