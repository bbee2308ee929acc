import ContentStore
import Foundation
import Provenance
import TestSupport
import Testing

/// Envelopes Reprise signs, checked by securesystemslib, the in-toto bindings and jsonschema;
/// then the same envelope with one byte changed, which they and Reprise's own verifier refuse.
@Suite struct IndependentVerificationTests {
    @Test(arguments: SigningKey.Algorithm.allCases)
    func independentToolsAcceptWhatRepriseSigns(algorithm: SigningKey.Algorithm) throws {
        let fixture = try RecordedBuildFixture()
        let key = SigningKey.generate(algorithm)
        let statement = try ProvenanceBuilder(journal: fixture.journal, mode: .max).statement(for: fixture.record)
        let envelope = try DSSEEnvelope.signed(payload: try statement.canonicalData(),
                                               payloadType: "application/vnd.in-toto+json", with: key)
        let envelopePath = fixture.directory.sub("envelope.json")
        let keyPath = fixture.directory.sub("key.pub")
        try envelope.canonicalData().write(to: URL(fileURLWithPath: envelopePath))
        try Data(key.publicKey.pemRepresentation.utf8).write(to: URL(fileURLWithPath: keyPath))

        let accepted = try IndependentAttestationChecker.check(envelope: envelopePath, publicKey: keyPath)
        #expect(accepted.succeeded && accepted.stdout.contains("OK"), "\(accepted)")
        let ours = AttestationVerifier(key: key.publicKey).verify(envelope: try envelope.canonicalData(), image: [fixture.manifest])
        #expect(ours.isValid, "\(ours.problems)")

        // One byte of the payload (a digest character of the subject).
        let payload = try #require(envelope.payloadData)
        var text = String(decoding: payload, as: UTF8.self)
        let hex = fixture.manifest.hex
        let flipped = String(hex.prefix(10)) + (hex.dropFirst(10).first == "0" ? "1" : "0") + hex.dropFirst(11)
        text = text.replacingOccurrences(of: hex, with: flipped)
        var tampered = envelope
        tampered.payload = Data(text.utf8).base64EncodedString()
        try tampered.canonicalData().write(to: URL(fileURLWithPath: envelopePath))
        let refused = try IndependentAttestationChecker.check(envelope: envelopePath, publicKey: keyPath)
        #expect(!refused.succeeded && refused.stdout.contains("signature"), "\(refused)")
        let oursTampered = AttestationVerifier(key: key.publicKey).verify(envelope: try tampered.canonicalData(), image: [fixture.manifest])
        #expect(!oursTampered.isValid)
        #expect(oursTampered.problems.contains { $0.contains("no signature verifies") })
        #expect(oursTampered.problems.contains { $0.contains("is not a subject") })
    }

    /// A statement whose predicate breaks the schema, signed correctly: the signature passes
    /// and the structure checks catch it, ours and the independent ones alike.
    @Test func structureIsCheckedBeyondTheSignature() throws {
        let fixture = try RecordedBuildFixture()
        let key = SigningKey.generate(.ed25519)
        var statement = try ProvenanceBuilder(journal: fixture.journal, mode: .max).statement(for: fixture.record)
        statement.predicate.buildDefinition.buildType = "https://example.com/other"
        statement.predicate.runDetails.metadata.invocationId = ""
        let envelope = try DSSEEnvelope.signed(payload: try statement.canonicalData(),
                                               payloadType: "application/vnd.in-toto+json", with: key)
        let envelopePath = fixture.directory.sub("envelope.json")
        let keyPath = fixture.directory.sub("key.pub")
        try envelope.canonicalData().write(to: URL(fileURLWithPath: envelopePath))
        try Data(key.publicKey.pemRepresentation.utf8).write(to: URL(fileURLWithPath: keyPath))
        let independent = try IndependentAttestationChecker.check(envelope: envelopePath, publicKey: keyPath)
        #expect(!independent.succeeded && independent.stdout.contains("predicate"), "\(independent)")
        let report = AttestationVerifier(key: key.publicKey).verify(envelope: try envelope.canonicalData())
        #expect(report.problems.count == 2, "\(report.problems)")
    }
}
