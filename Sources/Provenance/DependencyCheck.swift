import BuildJournal
import Foundation

/// Whether a provenance describes the build the journal holds: its parameters and dependencies,
/// made again from the record, must be the same (order aside). A provenance edited to name
/// another base image, context or file, even if signed, fails here.
public struct DependencyCheck: Sendable {
    public let journal: Journal

    public init(journal: Journal) {
        self.journal = journal
    }

    /// The differences, each for people; empty when the provenance matches the record.
    public func differences(_ provenance: SLSAProvenance, record: BuildRecord) throws -> [String] {
        let mode: ProvenanceMode = provenance.buildDefinition.internalParameters.complete ? .max : .min
        let expected = try ProvenanceBuilder(journal: journal, mode: mode).provenance(for: record)
        var problems: [String] = []
        let claimed = Set(provenance.buildDefinition.resolvedDependencies)
        let recorded = Set(expected.buildDefinition.resolvedDependencies)
        for dependency in claimed.subtracting(recorded).sorted(by: Self.order) {
            problems.append("dependency \(Self.describe(dependency)) is not what build \(record.id) recorded")
        }
        for dependency in recorded.subtracting(claimed).sorted(by: Self.order) {
            problems.append("recorded dependency \(Self.describe(dependency)) is missing from the provenance")
        }
        if provenance.buildDefinition.externalParameters != expected.buildDefinition.externalParameters {
            problems.append("externalParameters differ from those build \(record.id) recorded")
        }
        return problems
    }

    static func describe(_ dependency: ResourceDescriptor) -> String {
        "\(dependency.name ?? dependency.uri ?? "?") (\(dependency.sha256?.description ?? "no sha256"))"
    }

    static func order(_ a: ResourceDescriptor, _ b: ResourceDescriptor) -> Bool {
        (a.name ?? "", a.digest?["sha256"] ?? "") < (b.name ?? "", b.digest?["sha256"] ?? "")
    }
}
