#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Foundation
import Frontend
import LayerArchive
import OCIImage
import Synchronization

/// One build in progress: the plan, the states of the stages built so far, and the record being
/// written. Lives for one `BuildEngine.build` call.
///
/// Stages with no dependency between them run at the same time (``executeStages(_:)``), each on
/// its own task. That is safe because what changes while they run is behind locks — the record
/// in ``recorder``, finished stages in ``results`` — and everything else (the plan, contexts,
/// image contexts, secrets, the step numbering) is settled before the first stage starts and
/// only read afterwards; hence `@unchecked Sendable`.
final class BuildSession: @unchecked Sendable {
    let engine: BuildEngine
    let request: BuildRequest
    var journal: Journal { engine.journal }
    let layers: LayerCache
    /// Where the RUN steps' metadata-only lowers go (a tmpfs when there is one); emptied with the
    /// scratch.
    let metadataLowers: MetadataLowerHome
    /// Per-build scratch (RUN upper/work dirs, flattened stage trees); removed at the end.
    let scratch: String
    let started = Date()

    /// Owns the build record: every change to it goes through here.
    let recorder: StepRecorder
    /// The record as it is now.
    var record: BuildRecord { recorder.record }
    var plan: DockerfilePlan?
    /// Where each stage's steps fall in the record, fixed before the first stage runs.
    var numbering = StepNumbering(order: []) { _ in 0 }
    /// The stages built so far, by index.
    private let results = Mutex<[Int: StageResult]>([:])
    /// The main context, and named directory contexts, as snapshotted.
    var contexts: [String: ContextLoader.Loaded] = [:]
    /// Named contexts that are images.
    var imageContexts: [String: ResolvedImage] = [:]
    /// Base images found in the journal by name, read once per build (BaseImageResolver).
    let localImages = BaseImageResolver.LocalImageMemo()
    var secretValues: [String: Data] = [:] {
        didSet { secretMasker = SecretMasker(values: Array(secretValues.values)) }
    }
    /// Masks secret values in everything a step prints, before it is recorded or shown.
    private(set) var secretMasker = SecretMasker(values: [])
    /// Namespaces for RUN steps on the recording network, made ahead of them (see ``PreparedNetworks``).
    let preparedNetworks: PreparedNetworks
    /// The image the outputs name (the manifest, or the index around it), once assembled.
    var exportedImage: Descriptor?
    /// Whether the record has been written once (from then on a failure leaves it in the journal).
    var recordSaved: Bool { recorder.hasSaved }

    static let mainContext = "context"

    struct StageResult: Sendable {
        var state: ImageState
        var key: CacheKey
        var name: String
        /// The stage's ARGs with their values: a stage built FROM it inherits them, as in BuildKit.
        var arguments: [String: String?] = [:]
        /// How many of the bottom layers are the base image's, untouched: what BuildKit's
        /// `rewrite-timestamp` leaves alone (0 for scratch, a directory context, a stage chain
        /// from scratch).
        var baseLayers = 0
    }

    init(engine: BuildEngine, request: BuildRequest) throws {
        self.engine = engine
        self.request = request
        let journal = engine.journal
        let id = journal.makeBuildID()
        scratch = journal.root + "/tmp/build-" + id
        // Lowers made from recipes live as long as the build: the store holds their bytes.
        metadataLowers = MetadataLowerHome(buildID: id, fallback: scratch + "/lowers")
        layers = try LayerCache(directory: journal.root + "/layers", store: journal.store,
                                transientDirectory: scratch + "/lowers", metadataHome: metadataLowers)
        var record = BuildRecord(
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
        if !request.labels.isEmpty { record.labels = request.labels }
        if !request.annotations.isEmpty { record.annotations = request.annotations.map(\.description) }
        if !request.extraHosts.isEmpty { record.extraHosts = request.extraHosts.map(\.description) }
        recorder = StepRecorder(journal: journal, record: record)
        // A replay always intercepts (see attachRecordingNetwork): its authority is loaded ahead too.
        preparedNetworks = PreparedNetworks(authorityDirectory: request.networkRecording.interceptTLS || request.replay != nil
                                                ? journal.root + "/network-ca" : nil)
        beginReplayRecord()
    }

    func emit(_ event: BuildEvent) { engine.events.receive(event) }

    /// A stage built so far (nil: not built, or not yet).
    func stageResult(_ index: Int) -> StageResult? {
        results.withLock { $0[index] }
    }

    func keep(_ result: StageResult, of index: Int) {
        results.withLock { $0[index] = result }
    }

    /// `created` for configs and history: SOURCE_DATE_EPOCH when given, else now.
    var createdTimestamp: String {
        let now = request.replay?.recordedStart ?? started.timeIntervalSince1970
        return ImageConfiguration.timestamp(secondsSinceEpoch: request.sourceDateEpoch ?? Int64(now))
    }

    func run() async throws -> BuildEngine.Result {
        var plan = try planDockerfile(warn: false)
        self.plan = plan
        try FileIO.makeDirectories(scratch)
        defer {
            metadataLowers.remove()
            try? FileManager.default.removeItem(atPath: scratch)
        }
        // The record is first written before the first step that runs, on failure, or at the
        // end (see ``StepRecorder``): a fully cached build writes it once.
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
            numbering = try stepNumbering(plan)
            try await executeStages(plan)
            // Namespaces made ahead that no step took go now, not with the process.
            await preparedNetworks.close()
            releaseStepScratch()
            guard let final = stageResult(plan.target) else {
                throw EngineError.unsupported(message: "the target stage was not built", location: nil)
            }
            try await finish(final)
            try journal.synchronize()
            saveContextStatCaches()
        } catch {
            await preparedNetworks.close()
            try? recorder.save { record in
                record.status = .failed
                record.error = error is CancellationError ? "interrupted" : "\(error)"
                record.finishedAt = Date().timeIntervalSince1970
            }
            if (try? journal.synchronize()) != nil { saveContextStatCaches() }
            throw error
        }
        let record = self.record
        return BuildEngine.Result(buildID: record.id, manifest: record.manifest, config: record.config,
                                  record: record, image: exportedImage)
    }

    /// Saves the stat caches of the contexts snapshotted, once the journal's sync made the blobs
    /// they name durable (a cache naming a blob lost to a power cut would be trusted by every
    /// later build).
    private func saveContextStatCaches() {
        guard !journal.store.hasFailedToSync else { return }
        var saved = Set<String>()
        for loaded in contexts.values where saved.insert(loaded.statCache.path).inserted {
            loaded.statCache.save()
        }
    }

    /// Removes what only the steps needed once the last has run: lowers made from recipes and
    /// flattened sources. Before the build's sync, not after it: a sync of the whole filesystem
    /// (many new blobs) would otherwise first write these freshly made, soon deleted files to the
    /// disk (a COPY of a 240 MiB context left as many bytes in its RUN's lower).
    private func releaseStepScratch() {
        metadataLowers.remove()
        for name in ["lowers", "sources"] where FileIO.isDirectory(scratch + "/" + name) {
            try? FileManager.default.removeItem(atPath: scratch + "/" + name)
        }
    }

    /// Parses, lints and plans the Dockerfile; an error stops the build before anything runs.
    /// `bases` are what the external base images say of themselves, once they are known.
    private func planDockerfile(warn: Bool, bases: BaseImageFacts = BaseImageFacts()) throws -> DockerfilePlan {
        let path = request.resolvedDockerfilePath
        guard let data = FileManager.default.contents(atPath: path) else { throw RequestError.missingDockerfile(path) }
        let dockerfile = try journal.store.ingest(data).digest
        recorder.update { $0.dockerfile = dockerfile }
        let fileName = request.dockerfilePath.map { ($0 as NSString).lastPathComponent } ?? "Dockerfile"
        // TARGET* are the platform this build is for, BUILD* the machine's (BuildKit's semantics).
        let target = BuildPlatform(os: request.platform.os, architecture: request.platform.architecture,
                                   variant: request.platform.variant)
        var options = BuildOptions(buildArgs: request.buildArguments, target: request.target,
                                   targetPlatform: target, buildPlatform: .host,
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
