import DifferenceModel
import Foundation

/// What a bisect found, and every probe it built on the way: printed as text or JSON, and kept
/// as the bisect log (`bisects/<id>.json` in the journal) after every probe, so `--resume` can
/// pick up where an interrupted bisect stopped.
public struct BisectReport: Codable, Sendable {
    /// An input-level culprit is a list of changes; a commit-level one is a commit id.
    public enum Culprit: Codable, Sendable, Hashable {
        case changes([InputChange])
        case commit(String)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let commit = try? container.decode(String.self) { self = .commit(commit) } else {
                self = .changes(try container.decode([InputChange].self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .changes(let changes): try container.encode(changes)
            case .commit(let commit): try container.encode(commit)
            }
        }
    }

    public struct Probe: Codable, Sendable, Hashable {
        /// 1-based, in the order built.
        public var number: Int
        /// Input bisect: the keys (``InputChange/key``) of the changes applied to good's inputs.
        public var applied: [String]?
        /// Git bisect: the revision built.
        public var commit: String?
        public var outcome: BuildOutcome
        public var verdict: ProbeVerdict
        public var seconds: Double
        /// Steps taken from the step cache and steps run.
        public var cachedSteps: Int
        public var ranSteps: Int
    }

    /// A step of the build, as the report names it.
    public struct StepSummary: Codable, Sendable, Hashable {
        public var index: Int
        public var stage: String
        public var instruction: String
        public var text: String
        public var file: String?
        public var line: Int?
    }

    public var id: String
    /// `inputs` or `git`.
    public var mode: String
    public var good: String
    public var bad: String
    public var predicate: BisectPredicate
    /// Every input change between good and bad (input bisect), or the commits in range (git).
    public var changes: [InputChange]
    public var commits: [String]?
    public var culprit: Culprit?
    /// The culprit commit's subject line (git bisect).
    public var culpritSubject: String?
    /// Git bisect with `--bisect-inputs`: the input changes inside the culprit commit that flip
    /// the outcome on their own, and the id of that input bisect's log.
    public var inputCulprit: [InputChange]?
    public var inputBisect: String?
    public var probes: [Probe]
    /// Builds made only to explain the culprit (git bisect: the culprit or its parent when the
    /// search did not build them; mostly cached).
    public var explanationBuilds: Int = 0
    /// The first step whose result changed between the good probe and the culprit's probe.
    public var firstChangedStep: StepSummary?
    /// The differ's explanation of how the culprit's image differs from good's, or the failure.
    public var explanation: [String]
    /// False when `--max-probes` stopped the search (the culprit is then an upper bound).
    public var complete: Bool
    public var notes: [String]
    public var seconds: Double

    public init(id: String, mode: String, good: String, bad: String, predicate: BisectPredicate) {
        self.id = id
        self.mode = mode
        self.good = good
        self.bad = bad
        self.predicate = predicate
        changes = []
        probes = []
        explanation = []
        complete = false
        notes = []
        seconds = 0
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Builds probed (what a comparison with `git bisect run` counts).
    public var builds: Int { probes.count }
}
