#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import CSQLiteOptions
import Foundation
import GRDB
import LayerArchive

/// The journal: a blob store plus an SQLite index over it, in one directory (`./.reprise` by
/// default).
///
/// Blobs and refs are the truth; the index is for queries and can be rebuilt from them
/// (`reindex`). Layout:
///
///     journal.json            format version (a newer one is refused)
///     blobs/sha256/<hex>      content (ContentStore)
///     recipes/sha256/<hex>    how a blob not stored is made again (a COPY layer: LayerRecipe)
///     deltas/sha256/<hex>     an older small document kept as a delta against a newer one
///     deltas/recent/<kind>    the newest documents of each kind (whole; BlobDeltas)
///     ingest/                 blobs being written
///     refs/builds/<id>        digest of the newest record of each build
///     refs/tags/<name>        digest of the manifest a name points at
///     index.sqlite            the index
///     secret.key              the key for keyed digests of secrets (mode 0600)
public final class Journal: Sendable {
    /// The on-disk format this version writes and reads. 2: a COPY layer may be kept as a
    /// recipe (`recipes/sha256/<layer digest>`) instead of a blob, which a version-1 reader would
    /// take for a missing blob. 3: an older version of a record, tree listing, config or manifest
    /// may be kept as a delta against a newer one (`deltas/sha256/<hex>`), which a version-2
    /// reader would take for a missing blob. An older journal is marked 3 when this version opens it.
    public static let formatVersion = 3

    public let root: String
    public let store: BlobStore
    let database: any DatabaseWriter
    let refs: RefDirectory
    let lock: JournalLock
    /// Why the index could not be used as it was found, when `IndexPolicy.inspect` replaced it
    /// with an empty one (fsck reports it); nil when it was fine.
    public let indexDamage: String?

    /// What closing the index does with its write-ahead log (`index.sqlite-wal`).
    public enum IndexLog: Sendable {
        /// SQLite's default: the last connection to close copies the WAL into `index.sqlite`
        /// (fdatasync of both) and deletes it, so the next process creates it again (a
        /// directory fsync and a header fdatasync): four syncs for every process that writes.
        case checkpointOnClose
        /// Leave the WAL in place for the next process (a build: it writes a few pages, and a
        /// fully cached one is bounded by process start and these syncs). `synchronize()` then
        /// fsyncs the WAL itself, so what was committed is as durable at the end of a build as
        /// the checkpoint made it. A build that finds the WAL over ``keptLogLimit`` closes as
        /// before (checkpoint, remove), and so does every other command (`journal ls`, gc...).
        case keptForNextOpen
    }

    /// A build keeps the WAL only while it is smaller than this when the build opens the
    /// journal; a build that finds it larger closes as every other command does (checkpoint,
    /// remove), so the WAL beside the index never holds more than this plus one build's pages
    /// (a cached small build commits ~33 KiB). Every open reads the whole WAL to rebuild its
    /// index, and the journal's size (scripts/journal-growth) counts it.
    static let keptLogLimit = 128 << 10

    let indexLog: IndexLog

    /// What to do when `index.sqlite` is missing or unreadable.
    public enum IndexPolicy: Sendable {
        /// Refuse a damaged index with a clear error (it names `reindex`); a missing one is
        /// recreated and rebuilt from the refs at once, since refs and blobs are the truth.
        case require
        /// Leave the file as it is and work on an empty in-memory index, noting `indexDamage`:
        /// for fsck, which must report damage rather than repair it.
        case inspect
        /// Move a damaged index aside (`index.sqlite.damaged-…`) and start a fresh one: reindex.
        case rebuild
    }

    /// The journal's own directories, created private (0700) and narrowed if found wider.
    static let privateDirectories = ["blobs", "ingest", "refs", "layers", "tmp", "cache-mounts", "statcache"]

    /// Opens the journal at `root`, creating it when `create` is true and nothing is there.
    ///
    /// Every write is atomic and survives the process being killed at any point. With the
    /// default `.deferred` policy, writes reach the disk itself (surviving power loss) at
    /// `synchronize()`, which the engine calls when a build ends; `.everyCommit` fsyncs each
    /// blob and ref as it is written, at about 4 ms each on this kind of machine.
    public init(root: String, create: Bool = true, syncPolicy: BlobStore.SyncPolicy = .deferred,
                index policy: IndexPolicy = .require, indexLog: IndexLog = .checkpointOnClose) throws {
        self.root = root
        var wal = stat()
        let walSize = stat(root + "/index.sqlite-wal", &wal) == 0 ? Int(wal.st_size) : 0
        self.indexLog = indexLog == .keptForNextOpen && walSize >= Journal.keptLogLimit ? .checkpointOnClose : indexLog
        let marker = root + "/journal.json"
        let existed = FileIO.exists(marker)
        if !existed {
            guard create else { throw JournalError.notAJournal(root) }
            try PrivateDirectory.make(root)
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
        if header.format < Journal.formatVersion {
            try? FileIO.writeFileAtomically(marker, CanonicalJSON.encode(JournalHeader(format: Journal.formatVersion)))
        }
        // Journals made by older versions were 0755: narrow them on every open.
        try PrivateDirectory.narrow(root)
        for name in Journal.privateDirectories { try PrivateDirectory.make(root + "/" + name) }
        self.store = try BlobStore(root: root, syncPolicy: syncPolicy)
        store.install(LayerRecipeProducer())
        self.refs = try RefDirectory(root: root + "/refs", durable: syncPolicy == .everyCommit)
        self.lock = try JournalLock(root: root)
        let indexPath = root + "/index.sqlite"
        let indexMissing = existed && !FileIO.exists(indexPath)
        var damage: String? = indexMissing ? "\(indexPath) is missing" : nil
        var opened: (any DatabaseWriter)?
        if !(indexMissing && policy == .inspect) {
            do {
                opened = try Journal.openIndex(at: indexPath, log: self.indexLog)
            } catch let error as JournalError {
                throw error  // a newer schema is not damage: it must never be overwritten
            } catch {
                let reason = "\(indexPath) cannot be read: \(error)"
                switch policy {
                case .require:
                    throw JournalError.damagedIndex(path: indexPath, reason: "\(error)")
                case .inspect:
                    damage = reason
                case .rebuild:
                    try Journal.moveAside(indexPath)
                    opened = try Journal.openIndex(at: indexPath, log: self.indexLog)
                }
            }
        }
        if let opened {
            self.database = opened
        } else {
            let memory = try DatabaseQueue()
            try IndexSchema.migrator.migrate(memory)
            self.database = memory
        }
        self.indexDamage = policy == .inspect ? damage : nil
        if indexMissing && policy == .require {
            _ = try reindex()
        }
        // fsck reports and never repairs; every other open finishes off killed imports.
        if policy != .inspect { rollBackAbandonedImports() }
    }

    private static func openIndex(at path: String, log: IndexLog) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        // One connection, in WAL mode as a pool would be: a pool opens a reader connection
        // beside the writer, and setting up each costs a fully cached build about a millisecond.
        // The journal's queries are short; concurrent stages wait for each other's microseconds.
        // WAL mode is a property of the file: once set, GRDB's setting it again (a pragma, and a
        // write transaction when the log is empty) is skipped.
        configuration.journalMode = Self.isInWALMode(path) ? .default : .wal
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL stays consistent across a crash; only the last
            // transactions may be lost on power failure, and reindex rebuilds them from refs.
            // Set for every policy and every open (GRDB set it only when it set up WAL mode).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if log == .keptForNextOpen {
                // On every connection: whichever closes last would checkpoint.
                let code = reprise_sqlite_keep_wal_on_close(db.sqliteConnection)
                guard code == 0 else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
            }
        }
        let database = try DatabaseQueue(path: path, configuration: configuration)
        // The index every open but the first finds: one query says the file is a database and
        // holds exactly the migrations this version knows, where the migrator would introspect
        // the schema twice (a measurable share of a fully cached build).
        if let applied = try? database.read({ db in try String.fetchSet(db, sql: "SELECT identifier FROM grdb_migrations") }),
           applied == Set(IndexSchema.migrator.migrations) {
            return database
        }
        // A garbage file opens lazily; reading the schema is what finds out.
        _ = try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        try Journal.migrate(database, path: (path as NSString).deletingLastPathComponent)
        return database
    }

    /// Whether the SQLite file at `path` is in WAL mode: its header's read and write format
    /// versions (bytes 18 and 19) are 2.
    static func isInWALMode(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 20)
        return pread(fd, &header, 20, 0) == 20 && header[18] == 2 && header[19] == 2
    }

    /// Keeps a damaged index (and its WAL) for inspection instead of deleting evidence.
    private static func moveAside(_ path: String) throws {
        let stamp = "damaged-\(Int(Date().timeIntervalSince1970))-\(getpid())"
        for suffix in ["", "-wal", "-shm"] where FileIO.exists(path + suffix) {
            guard rename(path + suffix, path + suffix + "." + stamp) == 0 else {
                throw SystemCallError("rename", path: path + suffix)
            }
        }
    }

    private static func migrate(_ database: any DatabaseWriter, path: String) throws {
        let migrator = IndexSchema.migrator
        let unknown = try database.read { db in
            try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
        }
        guard unknown.isEmpty else {
            throw JournalError.newerSchema(path: path, unknownMigrations: unknown.sorted())
        }
        try migrator.migrate(database)
    }

    /// Makes everything written so far durable on disk (one sync for a whole build): the blobs
    /// first, then the refs that name them.
    public func synchronize() throws {
        // The refs, and what the checkpoint on close would have made durable (see ``IndexLog``;
        // a missing WAL, the index just checkpointed, has nothing to sync): after the blobs.
        let keptLog = indexLog == .keptForNextOpen && store.syncPolicy == .deferred
        try store.synchronize { try refs.synchronize(alongWith: keptLog ? [root + "/index.sqlite-wal"] : []) }
    }

    /// Refs written or removed and not yet made durable (for tests of the durability protocol).
    public var unsyncedRefCount: Int { refs.unsyncedCount }

    /// A fresh build id: time-ordered so `ls` sorts naturally, random so two machines never clash.
    ///
    /// Its scratch directory `tmp/build-<id>` is made here, owned (see ``BuildScratch``) by this
    /// process for as long as it lives, and the scratch of killed builds is reclaimed first.
    public func makeBuildID() -> String {
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        let random = UInt32.random(in: 0...UInt32.max)
        let id = Self.zeroPadded(String(millis, radix: 16), to: 11) + Self.zeroPadded(String(random, radix: 16), to: 8)
        let scratch = BuildScratch(directory: root + "/tmp")
        scratch.reclaimAbandoned()
        // Best effort: if this fails the engine makes the directory itself, unowned, and only
        // an exclusive gc reclaims it should the build be killed.
        try? scratch.claim(id)
        return id
    }

    private static func zeroPadded(_ text: String, to width: Int) -> String {
        String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Writes a record as a canonical JSON blob and returns its digest.
    @discardableResult
    public func putRecord<T: Encodable>(_ value: T) throws -> Digest {
        try store.ingestDocument(CanonicalJSON.encode(value)).digest
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
