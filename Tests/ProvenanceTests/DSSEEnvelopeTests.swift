import ContentStore
import Foundation
import Provenance
import TestSupport
import Testing

/// DSSE as its specification defines it: the PAE bytes, signatures of both key types, and that
/// any changed byte of payload, signature, type or key id is caught.
@Suite struct DSSEEnvelopeTests {
    /// The example of the DSSE protocol document.
    @Test func preAuthenticationEncodingIsTheSpecsExample() {
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: "http://example.com/HelloWorld",
                                                         payload: Data("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }

    /// Lengths are bytes, not characters: a multi-byte payload type counts its UTF-8 bytes.
    @Test func lengthsCountBytes() {
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: "é", payload: Data())
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 2 é 0 ")
    }

    @Test(arguments: SigningKey.Algorithm.allCases)
    func signsAndVerifies(algorithm: SigningKey.Algorithm) throws {
        let key = SigningKey.generate(algorithm)
        let envelope = try DSSEEnvelope.signed(payload: Data("{\"a\":1}".utf8), payloadType: "application/vnd.in-toto+json", with: key)
        #expect(envelope.isSigned(by: key.publicKey))
        #expect(envelope.signatures.first?.keyid == key.publicKey.keyID)
        #expect(!envelope.isSigned(by: SigningKey.generate(algorithm).publicKey))
        // The signature covers the type: the same payload under another type does not verify.
        var retyped = envelope
        retyped.payloadType = "text/plain"
        #expect(!retyped.isSigned(by: key.publicKey))
    }

    @Test(arguments: SigningKey.Algorithm.allCases)
    func keysSurvivePEM(algorithm: SigningKey.Algorithm) throws {
        let key = SigningKey.generate(algorithm)
        let reread = try SigningKey(pemRepresentation: key.pemRepresentation)
        #expect(reread.publicKey.keyID == key.publicKey.keyID)
        let publicKey = try VerificationKey(pemRepresentation: key.publicKey.pemRepresentation)
        #expect(publicKey.keyID == key.publicKey.keyID)
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(key.publicKey.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        #expect(throws: ProvenanceError.self) { try VerificationKey(pemRepresentation: key.pemRepresentation) }
    }

    /// One random byte of the payload or of the signature flipped: never verifies. The seed is
    /// printed; REPRISE_SEED repeats a run.
    @Test(arguments: SigningKey.Algorithm.allCases)
    func everyFlippedByteIsCaught(algorithm: SigningKey.Algorithm) throws {
        let seed = ProcessInfo.processInfo.environment["REPRISE_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        print("DSSEEnvelopeTests.everyFlippedByteIsCaught seed: \(seed)")
        var random = SeededRandom(seed: seed)
        let key = SigningKey.generate(algorithm)
        let payload = Data((0..<200).map { _ in UInt8.random(in: 0...255, using: &random) })
        let envelope = try DSSEEnvelope.signed(payload: payload, payloadType: "application/vnd.in-toto+json", with: key)
        let signature = try #require(Data(base64Encoded: envelope.signatures[0].sig))
        for _ in 0..<50 {
            var changedPayload = payload
            let index = Int.random(in: 0..<payload.count, using: &random)
            changedPayload[index] ^= UInt8.random(in: 1...255, using: &random)
            var tampered = envelope
            tampered.payload = changedPayload.base64EncodedString()
            #expect(!tampered.isSigned(by: key.publicKey), "payload byte \(index), seed \(seed)")

            var changedSignature = signature
            let at = Int.random(in: 0..<signature.count, using: &random)
            changedSignature[at] ^= UInt8.random(in: 1...255, using: &random)
            tampered = envelope
            tampered.signatures[0].sig = changedSignature.base64EncodedString()
            #expect(!tampered.isSigned(by: key.publicKey), "signature byte \(at), seed \(seed)")
        }
    }
}
