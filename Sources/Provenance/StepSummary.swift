/// One recorded step as a `mode=max` provenance shows it: what ran, where it is written in the
/// Dockerfile, and what it produced (BuildKit's `buildConfig` and source map, in one).
public struct StepSummary: Codable, Sendable, Hashable {
    public var index: Int
    public var stage: String
    public var instruction: String
    public var text: String
    /// `Dockerfile:LINE`.
    public var location: String?
    /// `sha256:…`: the step's cache key, the digest of everything it read.
    public var cacheKey: String
    /// `succeeded`, `cached` (reused from an earlier build) or `failed`.
    public var outcome: String
    /// The layer it added, compressed digest.
    public var layer: String?
    /// `sha256:…` of the step record blob in the journal.
    public var record: String?

    public init(index: Int, stage: String, instruction: String, text: String, location: String?,
                cacheKey: String, outcome: String, layer: String?, record: String?) {
        self.index = index
        self.stage = stage
        self.instruction = instruction
        self.text = text
        self.location = location
        self.cacheKey = cacheKey
        self.outcome = outcome
        self.layer = layer
        self.record = record
    }
}
