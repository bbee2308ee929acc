import ContentStore
import Foundation

/// A DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md): a
/// payload, its type, and signatures over the Pre-Authentication Encoding of both, so a
/// signature can never be replayed for the same bytes under another type.
public struct DSSEEnvelope: Codable, Sendable, Hashable {
    public static let mediaType = "application/vnd.dsse.envelope.v1+json"

    public struct Signature: Codable, Sendable, Hashable {
        public var keyid: String
        /// Standard base64 of the signature bytes.
        public var sig: String

        public init(keyid: String, sig: String) {
            self.keyid = keyid
            self.sig = sig
        }
    }

    /// Standard base64 of the payload bytes.
    public var payload: String
    public var payloadType: String
    public var signatures: [Signature]

    public init(payload: Data, payloadType: String, signatures: [Signature] = []) {
        self.payload = payload.base64EncodedString()
        self.payloadType = payloadType
        self.signatures = signatures
    }

    /// The payload's bytes; nil when `payload` is not base64 (the spec allows URL-safe base64
    /// too, so both alphabets are accepted).
    public var payloadData: Data? { Self.decodeBase64(payload) }

    /// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN being the
    /// byte count in ASCII decimal without leading zeros.
    public static func preAuthenticationEncoding(payloadType: String, payload: Data) -> Data {
        let type = Data(payloadType.utf8)
        var encoded = Data("DSSEv1 \(type.count) ".utf8)
        encoded.append(type)
        encoded.append(Data(" \(payload.count) ".utf8))
        encoded.append(payload)
        return encoded
    }

    /// Signs the payload with `key` and appends the signature.
    public static func signed(payload: Data, payloadType: String, with key: SigningKey) throws -> DSSEEnvelope {
        var envelope = DSSEEnvelope(payload: payload, payloadType: payloadType)
        let pae = preAuthenticationEncoding(payloadType: payloadType, payload: payload)
        envelope.signatures.append(Signature(keyid: key.publicKey.keyID, sig: try key.signature(for: pae).base64EncodedString()))
        return envelope
    }

    /// Whether a signature by `key` (matched by key id when the signature names one) verifies
    /// over the PAE of this payload.
    public func isSigned(by key: VerificationKey) -> Bool {
        guard let payload = payloadData else { return false }
        let pae = Self.preAuthenticationEncoding(payloadType: payloadType, payload: payload)
        return signatures.contains { signature in
            guard signature.keyid.isEmpty || signature.keyid == key.keyID,
                  let bytes = Self.decodeBase64(signature.sig) else { return false }
            return key.isValidSignature(bytes, for: pae)
        }
    }

    public func canonicalData() throws -> Data { try CanonicalJSON.encode(self) }

    static func decodeBase64(_ text: String) -> Data? {
        if let data = Data(base64Encoded: text) { return data }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard)
    }
}
