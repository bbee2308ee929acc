import GRDB

/// An image the journal holds (imported or built), and a name that points at one.
public struct ImageRow: Codable, FetchableRecord, PersistableRecord, Sendable, Hashable {
    public static let databaseTableName = "image"

    public var manifestDigest: String
    public var configDigest: String
    /// Where it came from: `import:PATH`, `build:ID`.
    public var source: String
    public var addedAt: Double
}

public struct TagRow: Codable, FetchableRecord, PersistableRecord, Sendable, Hashable {
    public static let databaseTableName = "tag"

    public var name: String
    public var manifestDigest: String
    public var updatedAt: Double
}
