#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Foundation
import Frontend
import LayerArchive
import OCIImage

/// One build in progress: the plan, the states of the stages built so far, and the record being
/// written. Lives for one `BuildEngine.build` call, on one task.
final class BuildSession {
    let engine: BuildEngine
    let request: BuildRequest
    var journal: Journal { engine.journal }
    let layers: LayerCache
    /// Per-build scratch (RUN upper/work dirs, flattened stage trees); removed at the end.
    let scratch: String
    let started = Date()

    var record: BuildRecord
    var plan: DockerfilePlan?
    var stageResults: [Int: StageResult] = [:]
    /// The main context, and named directory contexts, as snapshotted.
    var contexts: [String: ContextLoader.Loaded] = [:]
    /// Named contexts that are images.
    var imageContexts: [String: ResolvedImage] = [:]
    var secretValues: [String: Data] = [:] {
        didSet { secretMasker = SecretMasker(values: Array(secretValues.values)) }
    }
    /// Masks secret values in everything a step prints, before it is recorded or shown.
    private(set) var secretMasker = SecretMasker(values: [])
    var nextStepIndex = 0
    /// Whether the record has been written once (from then on a failure leaves it in the journal).
    private(set) var recordSaved = false

    static let mainContext = "context"

    struct StageResult {
        var state: ImageState
        var key: CacheKey
        var name: String
        /// The stage's ARGs with their values: a stage built FROM it inherits them, as in BuildKit.
        var arguments: [String: String?] = [:]
    }

    init(engine: BuildEngine, request: BuildRequest) throws {
        self.engine = engine
        self.request = request
        let journal = engine.journal
        layers = try LayerCache(directory: journal.root + "/layers", store: journal.store)
        let id = journal.makeBuildID()
        scratch = journal.root + "/tmp/build-" + id
        record = BuildRecord(
            id: id, dockerfilePath: request.resolvedDockerfilePath,
            // Proxy settings may carry credentials and never change a step's key: not recorded.
            buildArguments: request.buildArguments.filter { !PredefinedArgs.isProxy($0.key) },
            target: request.target,
            platform: request.platform.description, sourceDateEpoch: request.sourceDateEpoch,
            secrets: [], ssh: request.ssh.map(\.id), network: request.network, tags: request.tags,
            variations: request.variations.recorded, host: BuildRecord.HostFacts.current,
            startedAt: started.timeIntervalSince1970, pid: getpid())
        let limits = request.resourceLimits
        record.limits = LimitsRecord(pids: limits.pids, memoryBytes: limits.memoryBytes,
                                     ulimits: limits.ulimits.map(\.description), shmSizeBytes: limits.shmSizeBytes)
        beginReplayRecord()
    }

    func emit(_ event: BuildEvent) { engine.events.receive(event) }

    /// `created` for configs and history: SOURCE_DATE_EPOCH when given, else now.
    var createdTimestamp: String {
        let now = request.replay?.recordedStart ?? started.timeIntervalSince1970
        return ImageConfiguration.timestamp(secondsSinceEpoch: request.sourceDateEpoch ?? Int64(now))
    }

    func run() async throws -> BuildEngine.Result {
        var plan = try planDockerfile(warn: false)
        self.plan = plan
        try FileIO.makeDirectories(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try journal.save(record)
        recordSaved = true
        emit(.buildStarted(buildID: record.id, dockerfile: request.resolvedDockerfilePath))
        do {
            try await pullRegistryImages(plan)
            try importImageContexts()
            // Planned again knowing the base images, as BuildKit expands words with the base's
            // environment (`ENV PATH=/go/bin:$PATH`, `WORKDIR $GOPATH/src`) and checks its platform.
            plan = try planDockerfile(warn: true, bases: try baseImageFacts(plan))
            self.plan = plan
            try loadDirectoryContexts(plan)
            try readSecrets(plan)
            for index in plan.requiredStages {
                try Task.checkCancellation()
                stageResults[index] = try await execute(plan.stages[index])
            }
            guard let final = stageResults[plan.target] else {
                throw EngineError.unsupported(message: "the target stage was not built", location: nil)
            }
            try await finish(final)
            try journal.synchronize()
        } catch {
            record.status = .failed
            record.error = error is CancellationError ? "interrupted" : "\(error)"
            record.finishedAt = Date().timeIntervalSince1970
            _ = try? journal.save(record)
            _ = try? journal.synchronize()
            throw error
        }
        return BuildEngine.Result(buildID: record.id, manifest: record.manifest, config: record.config,
                                  record: record)
    }

    /// Parses, lints and plans the Dockerfile; an error stops the build before anything runs.
    /// `bases` are what the external base images say of themselves, once they are known.
    private func planDockerfile(warn: Bool, bases: BaseImageFacts = BaseImageFacts()) throws -> DockerfilePlan {
        let path = request.resolvedDockerfilePath
        guard let data = FileManager.default.contents(atPath: path) else { throw RequestError.missingDockerfile(path) }
        record.dockerfile = try journal.store.ingest(data).digest
        let fileName = request.dockerfilePath.map { ($0 as NSString).lastPathComponent } ?? "Dockerfile"
        var options = BuildOptions(buildArgs: request.buildArguments, target: request.target,
                                   imageEnvironment: bases.environment, imagePlatforms: bases.platforms)
        options.dockerIgnore = ContextLoader.ignoreFile(dockerfilePath: path, contextDirectory: request.contextPath)
        let report = DockerfileChecker.check(source: Array(data), fileName: fileName, options: options)
        let formatter = DiagnosticFormatter(sourceLines: report.document.sourceLines)
        guard let plan = report.plan, !report.failsBuild else {
            // `# check=error=true` makes warnings fail the build too.
            let failing = report.errors.isEmpty ? report.warnings : report.errors
            throw EngineError.dockerfile(path: path, diagnostics: failing,
                                         rendered: failing.map(formatter.format).joined()
                                            .trimmingCharacters(in: .newlines))
        }
        if warn {
            for warning in report.warnings { emit(.warning(formatter.format(warning).trimmingCharacters(in: .newlines))) }
        }
        return plan
    }
}
