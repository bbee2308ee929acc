import ContentStore

/// Everything one step of a build saw and produced (design notes §3). Written as a canonical JSON
/// blob when the step ends, so a build can be re-executed from the journal alone.
public struct StepRecord: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable {
        /// Ran and exited 0 (or a non-RUN step completed).
        case succeeded
        /// Ran and failed; `exitCode`/`signal` say how.
        case failed
        /// Not run: its result came from an earlier step with the same cache key.
        case cached
    }

    public var mediaType: String = RecordMediaType.step
    public var buildID: String
    /// Position in the build's execution order, from 0.
    public var index: Int
    /// The stage's name, or its number when unnamed.
    public var stage: String
    /// The instruction keyword (RUN, COPY, …) and its text as written.
    public var instruction: String
    public var text: String
    public var location: SourceLocation?
    public var cacheKey: Digest
    /// The image config before the step (the parent state), as a blob.
    public var parentConfig: Digest?
    /// The image config after the step.
    public var resultConfig: Digest?
    /// The layers beneath this step's layer, in order (diff ids).
    public var parentLayers: [Digest]
    public var environment: [String]
    public var buildArguments: [String: String]
    public var workingDirectory: String
    public var user: String
    public var shell: [String]
    /// RUN: the argv as executed.
    public var argv: [String]?
    public var network: String?
    /// RUN with the recording network (and `ADD <url>`): what the step fetched, in order.
    public var fetches: [FetchRecord]?
    /// False when the step opened TLS tunnels that were not intercepted: a replay cannot serve
    /// them offline. Nil when nothing says otherwise.
    public var networkReplayable: Bool?
    /// A stage's `FROM` step when the stage is built for another platform than the build
    /// (`FROM --platform=$BUILDPLATFORM`): `os/arch[/variant]`. Nil: the build's platform.
    public var platform: String?
    public var hostname: String?
    public var mounts: [MountRecord]
    /// COPY/ADD: the tree of source files as selected (after globs and excludes).
    public var sources: Digest?
    /// COPY --from / RUN --mount from: what the name resolved to.
    public var sourceImage: String?
    public var outcome: Outcome
    public var exitCode: Int32?
    public var signal: Int32?
    public var stdout: Digest?
    public var stderr: Digest?
    /// Seconds since the epoch (wall clock) and how long the step took.
    public var startedAt: Double
    public var durationSeconds: Double
    public var layer: LayerRecord?
    /// Variations applied (replay/verify), e.g. ["hostname": "reprise-b"].
    public var variations: [String: String]

    public init(buildID: String, index: Int, stage: String, instruction: String, text: String,
                location: SourceLocation?, cacheKey: Digest, parentConfig: Digest? = nil,
                resultConfig: Digest? = nil, parentLayers: [Digest] = [], environment: [String] = [],
                buildArguments: [String: String] = [:], workingDirectory: String = "/", user: String = "",
                shell: [String] = ["/bin/sh", "-c"], argv: [String]? = nil, network: String? = nil,
                hostname: String? = nil, mounts: [MountRecord] = [], sources: Digest? = nil,
                sourceImage: String? = nil, outcome: Outcome, exitCode: Int32? = nil, signal: Int32? = nil,
                stdout: Digest? = nil, stderr: Digest? = nil, startedAt: Double, durationSeconds: Double,
                layer: LayerRecord? = nil, variations: [String: String] = [:]) {
        self.buildID = buildID
        self.index = index
        self.stage = stage
        self.instruction = instruction
        self.text = text
        self.location = location
        self.cacheKey = cacheKey
        self.parentConfig = parentConfig
        self.resultConfig = resultConfig
        self.parentLayers = parentLayers
        self.environment = environment
        self.buildArguments = buildArguments
        self.workingDirectory = workingDirectory
        self.user = user
        self.shell = shell
        self.argv = argv
        self.network = network
        self.fetches = nil
        self.networkReplayable = nil
        self.hostname = hostname
        self.mounts = mounts
        self.sources = sources
        self.sourceImage = sourceImage
        self.outcome = outcome
        self.exitCode = exitCode
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.layer = layer
        self.variations = variations
    }
}
