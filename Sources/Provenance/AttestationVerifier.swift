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

/// The structural checks of a statement and its predicate, shared by signed and unsigned
/// attestations.
public enum StatementChecker {
    public static func problems(in payload: Data, header report: inout AttestationVerifier.Report) -> [String] {
        var problems: [String] = []
        let header: StatementHeader
        do {
            header = try JSONDecoder().decode(StatementHeader.self, from: payload)
        } catch {
            return ["the payload is not an in-toto statement: \(error)"]
        }
        report.predicateType = header.predicateType
        report.subjects = header.subject
        if header.type != InTotoStatement<SLSAProvenance>.statementType {
            problems.append("_type is \(header.type), not \(InTotoStatement<SLSAProvenance>.statementType)")
        }
        if header.subject.isEmpty { problems.append("the statement has no subject") }
        for subject in header.subject where subject.sha256 == nil {
            problems.append("subject \(subject.name ?? "?") has no well-formed sha256 digest")
        }
        switch header.predicateType {
        case SLSAProvenance.predicateType:
            do {
                let statement = try JSONDecoder().decode(InTotoStatement<SLSAProvenance>.self, from: payload)
                problems += provenanceProblems(statement.predicate)
            } catch {
                problems.append("the SLSA provenance predicate is malformed: \(error)")
            }
        case VerificationSummary.predicateType:
            do {
                _ = try JSONDecoder().decode(InTotoStatement<VerificationSummary>.self, from: payload)
            } catch {
                problems.append("the verification summary predicate is malformed: \(error)")
            }
        default:
            problems.append("unknown predicate type \(header.predicateType)")
        }
        return problems
    }

    static func provenanceProblems(_ provenance: SLSAProvenance) -> [String] {
        var problems: [String] = []
        if provenance.buildDefinition.buildType != SLSAProvenance.buildType {
            problems.append("buildType \(provenance.buildDefinition.buildType) is not Reprise's (\(SLSAProvenance.buildType))")
        }
        if provenance.runDetails.builder.id.isEmpty { problems.append("runDetails.builder.id is empty") }
        if provenance.runDetails.metadata.invocationId.isEmpty { problems.append("runDetails.metadata.invocationId is empty") }
        for dependency in provenance.buildDefinition.resolvedDependencies where dependency.sha256 == nil {
            problems.append("dependency \(dependency.name ?? dependency.uri ?? "?") has no well-formed sha256 digest")
        }
        return problems
    }
}
