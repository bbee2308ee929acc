import BuildJournal
import ContentStore
import Foundation

/// What a replay pins that an ordinary build would look up: the module `Replay` fills it from a
/// recorded build, and the engine consults it at the few places where a build would otherwise
/// depend on the host (a tag that may have moved, the persistent cache-mount directories, the
/// clock for `created`), and to take chosen steps from the record instead of running them.
public struct ReplayInputs: Sendable {
    /// The build being re-executed.
    public var replayOf: String
    /// Images by the name the Dockerfile (or a named context) used → manifest digest as recorded.
    public var pinnedImages: [String: Digest]
    /// Named contexts that were images, by name → manifest digest.
    public var imageContexts: [String: Digest]
    /// Named contexts that came from a registry: name → the reference given (`host/repo:tag`).
    /// The replay pulls `host/repo@DIGEST` when the journal lacks the image, never the tag.
    public var registryOrigins: [String: String] = [:]
    /// Cache-mount states as they were before each RUN step: step index → cache id → tree.
    public var cacheStates: [Int: [String: Digest]]
    /// Steps not to run again: their recorded result (layer and output) is used as is.
    public var reusedSteps: [Int: StepRecord]
    /// What each step fetched through the recorder, served again with no network: step index →
    /// fetches in order.
    public var recordedFetches: [Int: [FetchRecord]] = [:]
    /// The original build's start, which stands for "now" in `created` when no
    /// SOURCE_DATE_EPOCH was given, so configs can match.
    public var recordedStart: Double
    /// Steps that must run even when the step cache has their key: a bisect probe's RUN steps
    /// with cache mounts, whose result depends on the cache state, which keys leave out.
    public var uncachedSteps: Set<Int> = []

    public init(replayOf: String, pinnedImages: [String: Digest] = [:], imageContexts: [String: Digest] = [:],
                cacheStates: [Int: [String: Digest]] = [:], reusedSteps: [Int: StepRecord] = [:],
                recordedStart: Double) {
        self.replayOf = replayOf
        self.pinnedImages = pinnedImages
        self.imageContexts = imageContexts
        self.cacheStates = cacheStates
        self.reusedSteps = reusedSteps
        self.recordedStart = recordedStart
    }
}

/// Shows the engine a directory it is about to bind into a step through another path, e.g. a
/// FUSE filesystem that returns directory entries in shuffled order (the fileordering variation).
public protocol SourceDirectoryPresenter: Sendable {
    /// The path steps should see for `directory`; called once per materialised source.
    func present(_ directory: String) throws -> String
}
