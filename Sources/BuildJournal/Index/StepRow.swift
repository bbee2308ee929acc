import GRDB

/// A step as the index lists it: what Reprise's queries use (the cache lookup by key, gc and fsck
/// by record). Everything else a step recorded (instruction, text, stage, line, exit code,
/// duration, the layer's diff id and size) is in its record (`recordDigest`); migrations
/// `v3-lean-step-rows` and `v4-step-rows-without-text` dropped those columns, which no query read
/// and which were a third of what each build added to the index (Reports/journal-growth.md).
public struct StepRow: Codable, FetchableRecord, PersistableRecord, Sendable, Hashable {
    public static let databaseTableName = "step"

    public var buildID: String
    public var stepIndex: Int
    public var recordDigest: String
    public var cacheKey: String
    public var outcome: String
    public var layerDigest: String?

    /// Digest columns are stored as 32 bytes (`IndexDigest`).
    public init(row: Row) {
        buildID = row["buildID"]
        stepIndex = row["stepIndex"]
        recordDigest = IndexDigest.text(row, "recordDigest") ?? ""
        cacheKey = IndexDigest.text(row, "cacheKey") ?? ""
        outcome = row["outcome"]
        layerDigest = IndexDigest.text(row, "layerDigest")
    }

    public func encode(to container: inout PersistenceContainer) {
        container["buildID"] = buildID
        container["stepIndex"] = stepIndex
        container["recordDigest"] = IndexDigest.value(recordDigest)
        container["cacheKey"] = IndexDigest.value(cacheKey)
        container["outcome"] = outcome
        container["layerDigest"] = IndexDigest.value(layerDigest)
    }

    init(_ record: StepRecord, digest: String) {
        buildID = record.buildID
        stepIndex = record.index
        recordDigest = digest
        cacheKey = record.cacheKey.description
        outcome = record.outcome.rawValue
        layerDigest = record.layer?.digest.description
    }
}
