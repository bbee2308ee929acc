#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import GRDB

/// The journal: a blob store plus an SQLite index over it, in one directory (`./.reprise` by
/// default).
///
/// Blobs and refs are the truth; the index is for queries and can be rebuilt from them
/// (`reindex`). Layout:
///
///     journal.json            format version (a newer one is refused)
///     blobs/sha256/<hex>      content (ContentStore)
///     ingest/                 blobs being written
///     refs/builds/<id>        digest of the newest record of each build
///     refs/tags/<name>        digest of the manifest a name points at
///     index.sqlite            the index
///     secret.key              the key for keyed digests of secrets (mode 0600)
public final class Journal: Sendable {
    /// The on-disk format this version writes and reads.
    public static let formatVersion = 1

    public let root: String
    public let store: BlobStore
    let database: DatabasePool
    let refs: RefDirectory
    let lock: JournalLock

    /// Opens the journal at `root`, creating it when `create` is true and nothing is there.
    ///
    /// Every write is atomic and survives the process being killed at any point. With the
    /// default `.deferred` policy, writes reach the disk itself (surviving power loss) at
    /// `synchronize()`, which the engine calls when a build ends; `.everyCommit` fsyncs each
    /// blob and ref as it is written, at about 4 ms each on this kind of machine.
    public init(root: String, create: Bool = true, syncPolicy: BlobStore.SyncPolicy = .deferred) throws {
        self.root = root
        let marker = root + "/journal.json"
        if !FileIO.exists(marker) {
            guard create else { throw JournalError.notAJournal(root) }
            try FileIO.makeDirectories(root)
            let header = JournalHeader(format: Journal.formatVersion)
            try FileIO.writeFileAtomically(marker, CanonicalJSON.encode(header))
        }
        let header: JournalHeader
        do {
            header = try CanonicalJSON.decode(JournalHeader.self, from: FileIO.readFile(marker))
        } catch {
            throw JournalError.notAJournal(root)
        }
        guard header.format <= Journal.formatVersion else {
            throw JournalError.newerFormat(path: root, found: header.format, supported: Journal.formatVersion)
        }
        self.store = try BlobStore(root: root, syncPolicy: syncPolicy)
        self.refs = try RefDirectory(root: root + "/refs", durable: syncPolicy == .everyCommit)
        self.lock = try JournalLock(root: root)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        if syncPolicy == .deferred {
            // WAL with synchronous=NORMAL stays consistent across a crash; only the last
            // transactions may be lost on power failure, and reindex rebuilds them from refs.
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        }
        self.database = try DatabasePool(path: root + "/index.sqlite", configuration: configuration)
        try Journal.migrate(database, path: root)
    }

    private static func migrate(_ database: DatabasePool, path: String) throws {
        let migrator = IndexSchema.migrator
        let unknown = try database.read { db in
            try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
        }
        guard unknown.isEmpty else {
            throw JournalError.newerSchema(path: path, unknownMigrations: unknown.sorted())
        }
        try migrator.migrate(database)
    }

    /// Makes everything written so far durable on disk (one sync for a whole build).
    public func synchronize() throws {
        try store.synchronize()
    }

    /// A fresh build id: time-ordered so `ls` sorts naturally, random so two machines never clash.
    public func makeBuildID() -> String {
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        let random = UInt32.random(in: 0...UInt32.max)
        return String(format: "%011llx%08x", millis, random)
    }

    /// Writes a record as a canonical JSON blob and returns its digest.
    @discardableResult
    public func putRecord<T: Encodable>(_ value: T) throws -> Digest {
        try store.ingest(CanonicalJSON.encode(value)).digest
    }

    public func getRecord<T: Decodable>(_ type: T.Type, _ digest: Digest) throws -> T {
        let data = try store.read(digest)
        do {
            return try CanonicalJSON.decode(type, from: data)
        } catch {
            throw JournalError.corruptRecord(digest: digest.description, reason: "\(error)")
        }
    }
}

struct JournalHeader: Codable {
    var format: Int
}
