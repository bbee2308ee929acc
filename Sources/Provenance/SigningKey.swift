import Crypto
import Foundation

/// A private key that signs DSSE envelopes: ECDSA P-256 with SHA-256 (what cosign generates;
/// signatures in ASN.1 DER, as cosign and securesystemslib write them) or Ed25519.
///
/// Stored as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), which openssl, Python's cryptography
/// and cosign's `import-key-pair` all read.
public enum SigningKey: Sendable {
    case ecdsaP256(P256.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)

    public enum Algorithm: String, Sendable, CaseIterable {
        case ecdsaP256 = "ecdsa-p256"
        case ed25519
    }

    public static func generate(_ algorithm: Algorithm) -> SigningKey {
        switch algorithm {
        case .ecdsaP256: return .ecdsaP256(P256.Signing.PrivateKey())
        case .ed25519: return .ed25519(Curve25519.Signing.PrivateKey())
        }
    }

    public var algorithm: Algorithm {
        switch self {
        case .ecdsaP256: return .ecdsaP256
        case .ed25519: return .ed25519
        }
    }

    public var publicKey: VerificationKey {
        switch self {
        case .ecdsaP256(let key): return .ecdsaP256(key.publicKey)
        case .ed25519(let key): return .ed25519(key.publicKey)
        }
    }

    public func signature(for message: Data) throws -> Data {
        switch self {
        case .ecdsaP256(let key): return try key.signature(for: message).derRepresentation
        case .ed25519(let key): return try key.signature(for: message)
        }
    }

    /// PKCS#8 PEM.
    public var pemRepresentation: String {
        switch self {
        case .ecdsaP256(let key):
            return key.pemRepresentation
        case .ed25519(let key):
            return PEM.encode(label: "PRIVATE KEY", der: PEM.ed25519PrivatePrefix + key.rawRepresentation)
        }
    }

    /// Reads a PKCS#8 PEM private key of either algorithm (SEC1 `EC PRIVATE KEY` too).
    public init(pemRepresentation text: String) throws {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: text) {
            self = .ecdsaP256(key)
            return
        }
        guard let block = PEM.decode(text), block.label == "PRIVATE KEY",
              block.der.starts(with: PEM.ed25519PrivatePrefix),
              block.der.count == PEM.ed25519PrivatePrefix.count + 32 else {
            throw ProvenanceError.invalidKey(path: "PEM", reason: "expected a PKCS#8 ECDSA P-256 or Ed25519 private key")
        }
        self = .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: block.der.dropFirst(PEM.ed25519PrivatePrefix.count)))
    }
}
