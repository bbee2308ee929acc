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

    /// Digest columns are stored as 32 bytes (`IndexDigest`).
    public init(row: Row) {
        id = row["id"]
        recordDigest = IndexDigest.text(row, "recordDigest") ?? ""
        kind = row["kind"]
        replayOf = row["replayOf"]
        status = row["status"]
        dockerfilePath = row["dockerfilePath"]
        target = row["target"]
        manifestDigest = IndexDigest.text(row, "manifestDigest")
        configDigest = IndexDigest.text(row, "configDigest")
        startedAt = row["startedAt"]
        finishedAt = row["finishedAt"]
        pid = row["pid"]
        error = row["error"]
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["recordDigest"] = IndexDigest.value(recordDigest)
        container["kind"] = kind
        container["replayOf"] = replayOf
        container["status"] = status
        container["dockerfilePath"] = dockerfilePath
        container["target"] = target
        container["manifestDigest"] = IndexDigest.value(manifestDigest)
        container["configDigest"] = IndexDigest.value(configDigest)
        container["startedAt"] = startedAt
        container["finishedAt"] = finishedAt
        container["pid"] = pid
        container["error"] = error
    }

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
