import BuildJournal
import Engine
import Foundation
import Registry

/// `reprise verify`: builds, then replays the build several times under variations, each replay
/// from the recorded inputs with cache mounts restored (so no run sees another's cache state).
public struct Verifier: Sendable {
    public let engine: BuildEngine

    public init(engine: BuildEngine) {
        self.engine = engine
    }

    /// `starting(k, n)` is called before replay k (1-based) of n, for progress.
    public func verify(_ request: BuildRequest, runs: Int, variations: VariationSet,
                       secrets: [SecretSource],
                       starting: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> VerifyReport {
        let built = try await engine.build(request)
        var replays: [ReplayReport] = []
        for run in 0..<max(runs, 1) {
            try Task.checkCancellation()
            starting(run + 1, max(runs, 1))
            replays.append(try await Replayer(engine: engine).replay(
                ReplayOptions(build: built.buildID, secrets: secrets, variations: variations)))
        }
        return VerifyReport(build: built.buildID, manifest: built.manifest?.description,
                            variations: variations.names, replays: replays)
    }

    /// Replays a build already in the journal (pulled from a registry, say) `runs` times.
    public func verifyRecorded(_ buildID: String, runs: Int, variations: VariationSet, secrets: [SecretSource],
                               registry: RegistryConfiguration = RegistryConfiguration()) async throws -> VerifyReport {
        let record = try engine.journal.build(id: buildID)
        var replays: [ReplayReport] = []
        for _ in 0..<max(runs, 1) {
            try Task.checkCancellation()
            var options = ReplayOptions(build: buildID, secrets: secrets, variations: variations)
            options.registry = registry
            replays.append(try await Replayer(engine: engine).replay(options))
        }
        return VerifyReport(build: buildID, manifest: record.manifest?.description,
                            variations: variations.names, replays: replays)
    }
}

/// The verdict of `verify`: reproducible, or each step that diverged in any run.
public struct VerifyReport: Codable, Sendable, Hashable {
    public var build: String
    public var manifest: String?
    public var variations: [String]
    public var replays: [ReplayReport]

    public var reproducible: Bool { replays.allSatisfy(\.reproducible) }

    /// Each divergent step once (by index), as first seen, in step order.
    public var divergentSteps: [StepComparison] {
        var seen = Set<Int>()
        return replays.flatMap(\.divergentSteps).filter { seen.insert($0.index).inserted }.sorted { $0.index < $1.index }
    }

    enum CodingKeys: String, CodingKey {
        case build, manifest, variations, replays, reproducible, divergentSteps
    }

    public init(build: String, manifest: String?, variations: [String], replays: [ReplayReport]) {
        self.build = build
        self.manifest = manifest
        self.variations = variations
        self.replays = replays
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        build = try container.decode(String.self, forKey: .build)
        manifest = try container.decodeIfPresent(String.self, forKey: .manifest)
        variations = try container.decode([String].self, forKey: .variations)
        replays = try container.decode([ReplayReport].self, forKey: .replays)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(build, forKey: .build)
        try container.encodeIfPresent(manifest, forKey: .manifest)
        try container.encode(variations, forKey: .variations)
        try container.encode(replays, forKey: .replays)
        try container.encode(reproducible, forKey: .reproducible)
        try container.encode(divergentSteps, forKey: .divergentSteps)
    }
}
