import BuildJournal
import Foundation

/// What a replay found: step by step, the recorded result beside the replayed one. Its JSON is
/// what `reprise replay --json` prints, and the pair of layers of the first divergent step is
/// what `reprise diff` takes to explain the difference.
public struct ReplayReport: Codable, Sendable, Hashable {
    /// The build replayed, and the record of this replay (a build of kind `replay`).
    public var build: String
    public var replay: String?
    /// Variations applied, as recorded with the replay.
    public var variations: [String: String]
    public var steps: [StepComparison]
    public var recordedManifest: String?
    public var replayedManifest: String?
    /// Whether the whole image was replayed (false with `--step` or `--from-step`), so the
    /// manifests are expected to match.
    public var complete: Bool
    /// Why the replay stopped early (a step failed), when it did.
    public var error: String?
    public var seconds: Double

    public var divergentSteps: [StepComparison] { steps.filter(\.isDivergent) }

    public var firstDivergence: StepComparison? { divergentSteps.first }

    public var manifestDiffers: Bool { complete && recordedManifest != replayedManifest }

    public var reproducible: Bool { divergentSteps.isEmpty && !manifestDiffers && error == nil }

    enum CodingKeys: String, CodingKey {
        case build, replay, variations, steps, recordedManifest, replayedManifest, complete, error, seconds
        case reproducible, firstDivergence
    }

    public init(build: String, replay: String?, variations: [String: String], steps: [StepComparison],
                recordedManifest: String?, replayedManifest: String?, complete: Bool, error: String?,
                seconds: Double) {
        self.build = build
        self.replay = replay
        self.variations = variations
        self.steps = steps
        self.recordedManifest = recordedManifest
        self.replayedManifest = replayedManifest
        self.complete = complete
        self.error = error
        self.seconds = seconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        build = try container.decode(String.self, forKey: .build)
        replay = try container.decodeIfPresent(String.self, forKey: .replay)
        variations = try container.decode([String: String].self, forKey: .variations)
        steps = try container.decode([StepComparison].self, forKey: .steps)
        recordedManifest = try container.decodeIfPresent(String.self, forKey: .recordedManifest)
        replayedManifest = try container.decodeIfPresent(String.self, forKey: .replayedManifest)
        complete = try container.decode(Bool.self, forKey: .complete)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        seconds = try container.decode(Double.self, forKey: .seconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(build, forKey: .build)
        try container.encodeIfPresent(replay, forKey: .replay)
        try container.encode(variations, forKey: .variations)
        try container.encode(steps, forKey: .steps)
        try container.encodeIfPresent(recordedManifest, forKey: .recordedManifest)
        try container.encodeIfPresent(replayedManifest, forKey: .replayedManifest)
        try container.encode(complete, forKey: .complete)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(reproducible, forKey: .reproducible)
        try container.encodeIfPresent(firstDivergence, forKey: .firstDivergence)
    }
}
