import ContentStore
import Foundation

/// Makes the SLSA VSA statement of a rebuild: its subject the image verified, its verdict, the
/// policy applied, the provenance it rests on, and on failure what differed.
public struct VerificationSummaryBuilder: Sendable {
    public static let verifierID = "https://github.com/reprise-build/reprise/blob/main/Docs/provenance.md#verifier"

    public var repriseVersion: String

    public init(repriseVersion: String) {
        self.repriseVersion = repriseVersion
    }

    /// `passed`: the rebuild gave `subject` and every check held. A passing rebuild shows the
    /// provenance true, which is what SLSA Build L1 asks (provenance exists and describes the
    /// build); a failure is `FAILED`, as the VSA spec spells it.
    public func statement(subject: ResourceDescriptor, passed: Bool, policy: RebuildPolicy,
                          inputAttestations: [ResourceDescriptor], findings: [VerificationSummary.Finding],
                          time: Date = Date()) -> InTotoStatement<VerificationSummary> {
        let summary = VerificationSummary(
            verifier: .init(id: Self.verifierID, version: ["reprise": repriseVersion]),
            timeVerified: ProvenanceBuilder.timestamp(time.timeIntervalSince1970),
            resourceUri: subject.name.flatMap { $0 == "_" ? nil : $0 } ?? (subject.sha256?.description ?? ""),
            policy: policy.descriptor,
            inputAttestations: inputAttestations.isEmpty ? nil : inputAttestations,
            verificationResult: passed ? .passed : .failed,
            verifiedLevels: passed ? ["SLSA_BUILD_LEVEL_1"] : ["FAILED"],
            findings: findings.isEmpty ? nil : findings)
        return InTotoStatement(subject: [subject], predicateType: VerificationSummary.predicateType, predicate: summary)
    }
}
