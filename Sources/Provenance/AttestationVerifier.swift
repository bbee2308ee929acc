import ContentStore
import Foundation

/// Checks a signed attestation: the DSSE signature over PAE, the statement's shape, the SLSA
/// predicate's structure, and that it is about the image in hand. Every failed check is
/// reported, not only the first, so a verifier sees everything that is wrong at once.
public struct AttestationVerifier: Sendable {
    public struct Report: Sendable, Hashable {
        public var problems: [String]
        public var predicateType: String?
        public var subjects: [ResourceDescriptor]
        public var isValid: Bool { problems.isEmpty }
    }

    public var key: VerificationKey

    public init(key: VerificationKey) {
        self.key = key
    }

    /// Verifies the envelope's JSON. `image`: the manifest digests the subjects must include
    /// (nil: not checked). Malformed input is a report with problems, never a thrown error.
    public func verify(envelope data: Data, image: [Digest]? = nil) -> Report {
        var report = Report(problems: [], predicateType: nil, subjects: [])
        guard let envelope = try? JSONDecoder().decode(DSSEEnvelope.self, from: data) else {
            report.problems.append("not a DSSE envelope (payload, payloadType, signatures)")
            return report
        }
        if envelope.signatures.isEmpty { report.problems.append("the envelope carries no signature") }
        if !envelope.isSigned(by: key) {
            report.problems.append("no signature verifies with key \(key.keyID)")
        }
        guard envelope.payloadType == InTotoStatement<SLSAProvenance>.mediaType else {
            report.problems.append("payload type is \(envelope.payloadType), not \(InTotoStatement<SLSAProvenance>.mediaType)")
            return report
        }
        guard let payload = envelope.payloadData else {
            report.problems.append("the payload is not base64")
            return report
        }
        report.problems += StatementChecker.problems(in: payload, header: &report)
        if let image {
            let named = Set(report.subjects.compactMap(\.sha256))
            for digest in image where !named.contains(digest) {
                report.problems.append("the image \(digest) is not a subject of the attestation "
                    + "(subjects: \(named.map(\.description).sorted().joined(separator: ", ")))")
            }
        }
        return report
    }
}
