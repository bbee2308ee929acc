import Crypto
import Foundation

/// A public key that checks DSSE signatures, read from and written as SubjectPublicKeyInfo PEM
/// (`-----BEGIN PUBLIC KEY-----`).
public enum VerificationKey: Sendable {
    case ecdsaP256(P256.Signing.PublicKey)
    case ed25519(Curve25519.Signing.PublicKey)

    /// The DER SubjectPublicKeyInfo: the same bytes whichever tool wrote the key.
    public var subjectPublicKeyInfo: Data {
        switch self {
        case .ecdsaP256(let key): return key.derRepresentation
        case .ed25519(let key): return PEM.ed25519PublicPrefix + key.rawRepresentation
        }
    }

    /// The key id signatures carry: `sha256:` + hex of the DER SubjectPublicKeyInfo, so anyone
    /// holding the public key, in any format, computes the same id.
    public var keyID: String {
        "sha256:" + SHA256.hash(data: subjectPublicKeyInfo).map { String(format: "%02x", $0) }.joined()
    }

    public var pemRepresentation: String {
        PEM.encode(label: "PUBLIC KEY", der: subjectPublicKeyInfo)
    }

    public init(pemRepresentation text: String) throws {
        if let key = try? P256.Signing.PublicKey(pemRepresentation: text) {
            self = .ecdsaP256(key)
            return
        }
        guard let block = PEM.decode(text), block.label == "PUBLIC KEY",
              block.der.starts(with: PEM.ed25519PublicPrefix),
              block.der.count == PEM.ed25519PublicPrefix.count + 32 else {
            throw ProvenanceError.invalidKey(path: "PEM", reason: "expected an ECDSA P-256 or Ed25519 public key")
        }
        self = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: block.der.dropFirst(PEM.ed25519PublicPrefix.count)))
    }

    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
        switch self {
        case .ecdsaP256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: message)
        case .ed25519(let key):
            return key.isValidSignature(signature, for: message)
        }
    }
}
