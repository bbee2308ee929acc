import GRDB

/// An image the journal holds (imported or built), and a name that points at one.
public struct ImageRow: Codable, FetchableRecord, PersistableRecord, Sendable, Hashable {
    public static let databaseTableName = "image"

    public var manifestDigest: String
    public var configDigest: String
    /// Where it came from: `import:PATH`, `build:ID`.
    public var source: String
    public var addedAt: Double

    public init(manifestDigest: String, configDigest: String, source: String, addedAt: Double) {
        self.manifestDigest = manifestDigest
        self.configDigest = configDigest
        self.source = source
        self.addedAt = addedAt
    }

    /// Digest columns are stored as 32 bytes (`IndexDigest`).
    public init(row: Row) {
        manifestDigest = IndexDigest.text(row, "manifestDigest") ?? ""
        configDigest = IndexDigest.text(row, "configDigest") ?? ""
        source = row["source"]
        addedAt = row["addedAt"]
    }

    public func encode(to container: inout PersistenceContainer) {
        container["manifestDigest"] = IndexDigest.value(manifestDigest)
        container["configDigest"] = IndexDigest.value(configDigest)
        container["source"] = source
        container["addedAt"] = addedAt
    }
}

public struct TagRow: Codable, FetchableRecord, PersistableRecord, Sendable, Hashable {
    public static let databaseTableName = "tag"

    public var name: String
    public var manifestDigest: String
    public var updatedAt: Double
}
