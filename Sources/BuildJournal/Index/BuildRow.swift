import GRDB

/// A build as the index lists it. The record blob (`recordDigest`) is the truth; this is a summary.
public struct BuildRow: Codable, FetchableRecord, PersistableRecord, Sendable, Hashable {
    public static let databaseTableName = "build"

    public var id: String
    public var recordDigest: String
    public var kind: String
    public var replayOf: String?
    public var status: String
    public var dockerfilePath: String
    public var target: String?
    public var manifestDigest: String?
    public var configDigest: String?
    public var startedAt: Double
    public var finishedAt: Double?
    public var pid: Int32?
    public var error: String?

    init(_ record: BuildRecord, digest: String) {
        id = record.id
        recordDigest = digest
        kind = record.kind.rawValue
        replayOf = record.replayOf
        status = record.status.rawValue
        dockerfilePath = record.dockerfilePath
        target = record.target
        manifestDigest = record.manifest?.description
        configDigest = record.config?.description
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        pid = record.pid
        error = record.error
    }
}
