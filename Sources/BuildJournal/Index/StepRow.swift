import GRDB

/// A step as the index lists it, and the cache lookup by key.
public struct StepRow: Codable, FetchableRecord, PersistableRecord, Sendable, Hashable {
    public static let databaseTableName = "step"

    public var buildID: String
    public var stepIndex: Int
    public var recordDigest: String
    public var stage: String
    public var instruction: String
    public var text: String
    public var line: Int?
    public var cacheKey: String
    public var outcome: String
    public var exitCode: Int32?
    public var durationSeconds: Double
    public var layerDiffID: String?
    public var layerDigest: String?
    public var layerSize: Int64?

    /// Digest columns are stored as 32 bytes (`IndexDigest`).
    public init(row: Row) {
        buildID = row["buildID"]
        stepIndex = row["stepIndex"]
        recordDigest = IndexDigest.text(row, "recordDigest") ?? ""
        stage = row["stage"]
        instruction = row["instruction"]
        text = row["text"]
        line = row["line"]
        cacheKey = IndexDigest.text(row, "cacheKey") ?? ""
        outcome = row["outcome"]
        exitCode = row["exitCode"]
        durationSeconds = row["durationSeconds"]
        layerDiffID = IndexDigest.text(row, "layerDiffID")
        layerDigest = IndexDigest.text(row, "layerDigest")
        layerSize = row["layerSize"]
    }

    public func encode(to container: inout PersistenceContainer) {
        container["buildID"] = buildID
        container["stepIndex"] = stepIndex
        container["recordDigest"] = IndexDigest.value(recordDigest)
        container["stage"] = stage
        container["instruction"] = instruction
        container["text"] = text
        container["line"] = line
        container["cacheKey"] = IndexDigest.value(cacheKey)
        container["outcome"] = outcome
        container["exitCode"] = exitCode
        container["durationSeconds"] = durationSeconds
        container["layerDiffID"] = IndexDigest.value(layerDiffID)
        container["layerDigest"] = IndexDigest.value(layerDigest)
        container["layerSize"] = layerSize
    }

    init(_ record: StepRecord, digest: String) {
        buildID = record.buildID
        stepIndex = record.index
        recordDigest = digest
        stage = record.stage
        instruction = record.instruction
        text = record.text
        line = record.location?.startLine
        cacheKey = record.cacheKey.description
        outcome = record.outcome.rawValue
        exitCode = record.exitCode
        durationSeconds = record.durationSeconds
        layerDiffID = record.layer?.diffID.description
        layerDigest = record.layer?.digest.description
        layerSize = record.layer?.size
    }
}
