import GRDB

/// A step as the index lists it, and the cache lookup by key: what Reprise's queries use (the
/// cache lookup by key, gc and fsck by record) and the instruction for people. Everything else a
/// step recorded (stage, line, exit code, duration, the layer's diff id and size) is in its record
/// (`recordDigest`); migration `v3-lean-step-rows` dropped those columns, which no query read and
/// which were a sixth of what each build added to the index (Reports/journal-growth.md).
public struct StepRow: Codable, FetchableRecord, PersistableRecord, Sendable, Hashable {
    public static let databaseTableName = "step"

    public var buildID: String
    public var stepIndex: Int
    public var recordDigest: String
    public var instruction: String
    public var text: String
    public var cacheKey: String
    public var outcome: String
    public var layerDigest: String?

    /// Digest columns are stored as 32 bytes (`IndexDigest`).
    public init(row: Row) {
        buildID = row["buildID"]
        stepIndex = row["stepIndex"]
        recordDigest = IndexDigest.text(row, "recordDigest") ?? ""
        instruction = row["instruction"]
        text = row["text"]
        cacheKey = IndexDigest.text(row, "cacheKey") ?? ""
        outcome = row["outcome"]
        layerDigest = IndexDigest.text(row, "layerDigest")
    }

    public func encode(to container: inout PersistenceContainer) {
        container["buildID"] = buildID
        container["stepIndex"] = stepIndex
        container["recordDigest"] = IndexDigest.value(recordDigest)
        container["instruction"] = instruction
        container["text"] = text
        container["cacheKey"] = IndexDigest.value(cacheKey)
        container["outcome"] = outcome
        container["layerDigest"] = IndexDigest.value(layerDigest)
    }

    init(_ record: StepRecord, digest: String) {
        buildID = record.buildID
        stepIndex = record.index
        recordDigest = digest
        instruction = record.instruction
        text = record.text
        cacheKey = record.cacheKey.description
        outcome = record.outcome.rawValue
        layerDigest = record.layer?.digest.description
    }
}
