import BuildJournal
import ContentStore
import Foundation

/// One step of a build set beside the same step of its replay.
public struct StepComparison: Codable, Sendable, Hashable {
    public enum Verdict: String, Codable, Sendable {
        /// Same layer and same configuration change.
        case reproduced
        /// Ran, and its layer or configuration change differs from the record.
        case differs
        /// Failed in the replay although it succeeded when recorded (or the reverse).
        case failed
        /// Taken from the record, not run (`--step`, `--from-step`).
        case reused
        /// The replay stopped before reaching it.
        case notRun = "not-run"
    }

    /// A layer as the record names it: what the differ needs to compare two of them.
    public struct Layer: Codable, Sendable, Hashable {
        public var diffID: String
        public var digest: String
        public var size: Int64

        init(_ record: LayerRecord) {
            diffID = record.diffID.description
            digest = record.digest.description
            size = record.size
        }
    }

    public var index: Int
    public var stage: String
    public var instruction: String
    public var text: String
    /// `Dockerfile:3`, as the record locates the instruction.
    public var location: String?
    public var line: Int?
    public var verdict: Verdict
    public var layerDiffers: Bool
    public var configDiffers: Bool
    public var recordedLayer: Layer?
    public var replayedLayer: Layer?
    public var recordedConfig: String?
    public var replayedConfig: String?
    /// Exit status in the replay, when the step ran a command and it failed.
    public var replayedExitCode: Int32?

    public var isDivergent: Bool { verdict == .differs || verdict == .failed }

    init(recorded: StepRecord, replayed: StepRecord?, reused: Bool, store: BlobStore) {
        index = recorded.index
        stage = recorded.stage
        instruction = recorded.instruction
        text = recorded.text
        location = recorded.location.map { "\($0.file):\($0.startLine)" }
        line = recorded.location?.startLine
        recordedLayer = recorded.layer.map(Layer.init)
        recordedConfig = recorded.resultConfig?.description
        layerDiffers = false
        configDiffers = false
        guard let replayed else {
            verdict = .notRun
            return
        }
        replayedLayer = replayed.layer.map(Layer.init)
        replayedConfig = replayed.resultConfig?.description
        if reused {
            verdict = .reused
            return
        }
        guard (replayed.outcome == .failed) == (recorded.outcome == .failed) else {
            verdict = .failed
            replayedExitCode = replayed.exitCode
            return
        }
        layerDiffers = recorded.layer?.diffID != replayed.layer?.diffID
        configDiffers = !Self.sameConfigChange(recorded.resultConfig, replayed.resultConfig, store: store)
        verdict = layerDiffers || configDiffers ? .differs : .reproduced
    }

    /// Whether two result configs say the same thing apart from their layer list, which already
    /// differs when any layer below did (that difference belongs to the step that made it).
    static func sameConfigChange(_ left: Digest?, _ right: Digest?, store: BlobStore) -> Bool {
        if left == right { return true }
        guard let left, let right, let a = try? store.read(left), let b = try? store.read(right),
              let first = withoutLayerList(a), let second = withoutLayerList(b) else { return false }
        return first == second
    }

    /// A config without `rootfs`, re-serialized with sorted keys. Compared as bytes, not with
    /// `NSDictionary.isEqual`: in a binary with the Swift runtime linked statically that says
    /// two equal dictionaries with nested values differ.
    private static func withoutLayerList(_ config: Data) -> Data? {
        guard var object = try? JSONSerialization.jsonObject(with: config) as? [String: Any] else { return nil }
        object["rootfs"] = nil
        return try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
