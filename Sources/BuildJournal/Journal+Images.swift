import ContentStore
import Foundation
import GRDB

/// Images held in the journal and the names that point at them.
extension Journal {
    /// Notes that the store holds an image (its manifest and everything it references). An image
    /// already known keeps the source it first came from: a build that uses an imported base, or
    /// rebuilds the same image, does not rewrite where it came from.
    public func registerImage(manifest: Digest, config: Digest, source: String) throws {
        // Plain SQL: the record API's key lookup introspects the schema first, which on a fresh
        // connection is most of what a fully cached build spends in SQLite.
        try database.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO image (manifestDigest, configDigest, source, addedAt) VALUES (?, ?, ?, ?)",
                           arguments: [IndexDigest.value(manifest), IndexDigest.value(config), source,
                                       Date().timeIntervalSince1970])
        }
    }

    /// Points `name` at a manifest, replacing what it pointed at.
    public func tag(_ name: String, manifest: Digest) throws {
        try refs.set(name, in: .tags, to: manifest)
        try database.write { db in
            try TagRow(name: name, manifestDigest: manifest.description,
                       updatedAt: Date().timeIntervalSince1970).save(db)
        }
    }

    public func untag(_ name: String) throws {
        guard try refs.get(name, in: .tags) != nil else { throw JournalError.noSuchImage(name) }
        try refs.remove(name, in: .tags)
        _ = try database.write { db in try TagRow.deleteOne(db, key: name) }
    }

    public func tags() throws -> [TagRow] {
        try database.read { db in try TagRow.order(Column("name")).fetchAll(db) }
    }

    public func images() throws -> [ImageRow] {
        try database.read { db in try ImageRow.order(Column("addedAt").desc).fetchAll(db) }
    }

    public func image(manifest: Digest) throws -> ImageRow? {
        try database.read { db in try ImageRow.fetchOne(db, key: IndexDigest.value(manifest)) }
    }

    /// A name as given to `tag`, a manifest digest, or a unique prefix of a digest's hex.
    public func resolveImage(_ reference: String) throws -> Digest {
        if let digest = try refs.get(reference, in: .tags) { return digest }
        if let digest = Digest(reference), try image(manifest: digest) != nil { return digest }
        let hexPrefix = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        if hexPrefix.count >= 4, hexPrefix.allSatisfy(\.isHexDigit) {
            let matches = try database.read { db in
                try DatabaseValue.fetchAll(db, sql: "SELECT manifestDigest FROM image WHERE lower(hex(manifestDigest)) LIKE ?",
                                           arguments: [hexPrefix.lowercased() + "%"]).compactMap(IndexDigest.text)
            }
            if matches.count == 1, let digest = Digest(matches[0]) { return digest }
        }
        throw JournalError.noSuchImage(reference)
    }
}
