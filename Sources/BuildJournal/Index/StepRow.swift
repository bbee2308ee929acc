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
