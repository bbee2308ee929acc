import ContentStore
import Foundation

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
