import BuildJournal
import ContentStore
import Foundation

/// A build's record, its steps and its Dockerfile's lines, read once from the journal.
public struct RecordedBuild: Sendable {
    public var record: BuildRecord
    public var steps: [StepRecord]
    var dockerfileLines: [String]

    public init(id: String, journal: Journal) throws {
        record = try journal.build(id: id)
        steps = try journal.steps(of: record)
        if let digest = record.dockerfile {
            var lines = String(decoding: try journal.store.read(digest), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            dockerfileLines = lines
        } else {
            dockerfileLines = []
        }
    }

    /// Each RUN's cache mounts as they were before it ran: step index → cache id → tree.
    static func cacheStates(_ steps: [StepRecord]) -> [Int: [String: Digest]] {
        var states: [Int: [String: Digest]] = [:]
        for step in steps {
            for mount in step.mounts where mount.kind == .cache {
                if let id = mount.id, let tree = mount.treeBefore { states[step.index, default: [:]][id] = tree }
            }
        }
        return states
    }

    /// Indices of steps with a cache mount: their result depends on state keys leave out.
    var cacheMountSteps: Set<Int> {
        Set(steps.filter { $0.mounts.contains { $0.kind == .cache } }.map(\.index))
    }
}
