import ContentStore
import Foundation
import GRDB

/// How the index stores a digest: its 32 bytes as a BLOB rather than the 71 characters of
/// `sha256:<hex>` (a build adds some twenty of them to the index, in rows and in the indexes on
/// them; as text they were most of the index's growth, see Reports/journal-growth.md).
/// Rows written before migration `v2-binary-digests` were text; the migration converts them, and
/// reading still accepts text. Swift code sees `sha256:<hex>` strings either way.
enum IndexDigest {
    /// The stored form of `text`: 32 bytes when it is a sha256 digest, else the text itself.
    static func value(_ text: String?) -> DatabaseValue {
        guard let text else { return .null }
        guard let digest = Digest(text) else { return text.databaseValue }
        return Data(digest.rawBytes).databaseValue
    }

    static func value(_ digest: Digest?) -> DatabaseValue {
        value(digest?.description)
    }

    /// The `sha256:<hex>` form of a stored value (BLOB or older TEXT); nil for NULL.
    static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .blob(let data) where data.count == 32:
            return Digest(rawBytes: data)?.description
        case .string(let string):
            return string
        default:
            return nil
        }
    }

    static func text(_ row: Row, _ column: String) -> String? {
        text(row[column] as DatabaseValue)
    }

    /// The digest columns of each table (tags keep text: a handful of rows, read by people).
    static let columns: [String: [String]] = [
        "build": ["recordDigest", "manifestDigest", "configDigest"],
        "step": ["recordDigest", "cacheKey", "layerDigest"],
        "context": ["treeDigest", "imageDigest"],
        "mount": ["treeBefore", "treeAfter"],
        "image": ["manifestDigest", "configDigest"],
    ]

    /// Migration `v2-binary-digests`: rewrites every text digest of an older index as 32 bytes.
    static func convertTextDigests(in db: Database) throws {
        for (table, names) in columns.sorted(by: { $0.key < $1.key }) {
            for column in names {
                let rows = try Row.fetchAll(db, sql: "SELECT rowid, \(column) AS value FROM \(table) WHERE typeof(\(column)) = 'text'")
                for row in rows {
                    let rowid: Int64 = row["rowid"]
                    let stored = value(row["value"] as String?)
                    try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE rowid = ?", arguments: [stored, rowid])
                }
            }
        }
    }
}
