import BuildJournal
import ContentStore
import Engine
import Foundation
import OCIImage
import Registry
import Sandbox

/// Re-executes a recorded build from the journal alone and compares every step with the record.
///
/// ```swift
/// let report = try await Replayer(engine: engine).replay(ReplayOptions(build: id))
/// if !report.reproducible { print(report.firstDivergence!) }
/// ```
///
/// The replay is itself a build (kind `replay`, `replayOf` the original) run by the same engine
/// with caching off, with base and context images pinned to their recorded digests, contexts and
/// the Dockerfile recreated from the store in a fresh directory, and each cache mount restored to
/// the state it had before the recorded step.
public struct Replayer: Sendable {
    public let engine: BuildEngine

    public init(engine: BuildEngine) {
        self.engine = engine
    }

    public func replay(_ options: ReplayOptions) async throws -> ReplayReport {
        let journal = engine.journal
        let started = Date()
        let original = try journal.build(id: options.build)
        guard original.status != .running else {
            throw ReplayError.notReplayable(id: original.id, reason: "it is still running")
        }
        let recordedSteps = try journal.steps(of: original)
        // A step whose TLS tunnels went through unintercepted has nothing a replay could serve.
        if let step = recordedSteps.first(where: { $0.networkReplayable == false }), options.onlyStep == nil {
            let hosts = (step.fetches ?? []).filter { $0.kind == .tunnel }.map(\.url)
            throw ReplayError.notReplayable(
                id: original.id, reason: "step \(step.index) (\(step.text)) opened TLS tunnels that were not intercepted "
                    + "(--network-record=no-tls): \(hosts.joined(separator: ", ")); it cannot be replayed offline")
        }
        let reused = try reusedSteps(recordedSteps, options: options)
        try SecretCheck(journal: journal).check(options.secrets, against: original, steps: recordedSteps)

        let variations = options.variations
        let workspace = try ReplayWorkspace(journal: journal, otherPath: variations.contains(.buildpath))
        defer { workspace.remove() }
        // Declared after the workspace, so it is unmounted before the workspace is removed.
        let shuffler = variations.contains(.fileordering) ? try FileOrderShuffler(mountingUnder: workspace.root + "/shuffled") : nil
        defer { shuffler?.unmountAll() }
        try workspace.materialize(original) { try shuffler?.present($0) ?? $0 }
        if variations.contains(.time) { await waitForLaterClock(than: recordedSteps, original: original) }

        var request = BuildRequest(
            contextPath: workspace.contextPath, dockerfilePath: workspace.dockerfilePath,
            buildArguments: original.buildArguments, target: original.target, outputs: options.outputs,
            noCache: true, namedContexts: workspace.namedContexts, secrets: options.secrets,
            ssh: original.ssh.map { SSHSource(id: $0, paths: []) }, network: original.network,
            platform: Platform(parsing: original.platform) ?? .linuxAMD64,
            sourceDateEpoch: original.sourceDateEpoch, variations: variations.engineVariations)
        if variations.contains(.buildpath) { request.variations.applied[.buildPath] = workspace.root }
        // What shaped the image or the steps' /etc/hosts, as the build was given it.
        request.labels = original.labels ?? [:]
        request.annotations = try (original.annotations ?? []).map(ImageAnnotation.init(parsing:))
        request.extraHosts = (original.extraHosts ?? []).compactMap(ExtraHost.init(parsing:))
        if let limits = original.limits {
            // The limits the build ran under (a record from before they were kept: the defaults).
            request.resourceLimits = ResourceLimits(pids: limits.pids, memoryBytes: limits.memoryBytes,
                                                    ulimits: try limits.ulimits.map(Ulimit.init(parsing:)),
                                                    shmSizeBytes: limits.shmSizeBytes)
        }
        request.replay = ReplayInputs(
            replayOf: original.id, pinnedImages: original.baseImages,
            imageContexts: Dictionary(uniqueKeysWithValues: original.contexts.compactMap { context in
                context.image.map { (context.name, $0) }
            }),
            cacheStates: Self.cacheStates(recordedSteps), reusedSteps: reused,
            recordedStart: original.startedAt)
        request.replay?.recordedFetches = Self.recordedFetches(recordedSteps)
        request.replay?.registryOrigins = Dictionary(uniqueKeysWithValues: original.contexts.compactMap { context in
            context.origin.hasPrefix("docker-image://")
                ? (context.name, String(context.origin.dropFirst("docker-image://".count))) : nil
        })
        request.registry = options.registry
        request.directoryPresenter = shuffler

        var failure: String?
        let replayID: String
        do {
            replayID = try await engine.build(request).buildID
        } catch let failed as BuildFailure {
            // A step that fails in the replay is a finding, not an error, as long as a record
            // exists to compare; anything before the first step is an error.
            if failed.isCancellation { throw CancellationError() }
            guard let id = failed.buildID else { throw failed.underlying }
            replayID = id
            failure = failed.description
        }
        let replayed = try journal.build(id: replayID)
        let replayedSteps = try journal.steps(of: replayed)
        let comparisons = recordedSteps.map { step in
            StepComparison(recorded: step, replayed: replayedSteps.first { $0.index == step.index },
                           reused: reused[step.index] != nil, store: journal.store)
        }
        return ReplayReport(
            build: original.id, replay: replayID, variations: replayed.variations, steps: comparisons,
            recordedManifest: original.manifest?.description, replayedManifest: replayed.manifest?.description,
            complete: reused.isEmpty && original.status == .succeeded, error: failure,
            seconds: Date().timeIntervalSince(started))
    }

    /// `--step N`: every other step from the record; `--from-step N`: the steps before N.
    private func reusedSteps(_ steps: [StepRecord], options: ReplayOptions) throws -> [Int: StepRecord] {
        guard let selected = options.onlyStep ?? options.fromStep else { return [:] }
        guard steps.indices.contains(selected) else { throw ReplayError.noSuchStep(selected, count: steps.count) }
        var reused: [Int: StepRecord] = [:]
        for step in steps where step.index < selected || (options.onlyStep != nil && step.index > selected) {
            reused[step.index] = step
        }
        return reused
    }

    /// What each step fetched through the recorder, which the replay serves with no network.
    static func recordedFetches(_ steps: [StepRecord]) -> [Int: [FetchRecord]] {
        var fetches: [Int: [FetchRecord]] = [:]
        for step in steps { if let recorded = step.fetches { fetches[step.index] = recorded } }
        return fetches
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

    /// The time variation: makes sure the replay's clock reads at least one whole second later
    /// than any recorded step's, so anything that writes the time writes another value.
    private func waitForLaterClock(than steps: [StepRecord], original: BuildRecord) async {
        let last = steps.map { $0.startedAt + $0.durationSeconds }.max() ?? original.startedAt
        let wait = (last.rounded(.down) + 1.05) - Date().timeIntervalSince1970
        if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000)) }
    }
}

/// What to replay and how.
public struct ReplayOptions: Sendable {
    public var build: String
    public var secrets: [SecretSource]
    public var variations: VariationSet
    public var onlyStep: Int?
    public var fromStep: Int?
    public var outputs: [OutputSpec]
    /// How to reach registries, for images the journal lacks (pulled by recorded digest).
    public var registry = RegistryConfiguration()

    public init(build: String, secrets: [SecretSource] = [], variations: VariationSet = VariationSet(),
                onlyStep: Int? = nil, fromStep: Int? = nil, outputs: [OutputSpec] = []) {
        self.build = build
        self.secrets = secrets
        self.variations = variations
        self.onlyStep = onlyStep
        self.fromStep = fromStep
        self.outputs = outputs
    }
}
