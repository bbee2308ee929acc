#if canImport(Glibc)
import Glibc
#endif
import CFileSystem
import Foundation
import Synchronization

/// Blobs by sha256 digest in `ROOT/blobs/sha256/<hex>`, written through `ROOT/ingest/`.
///
/// The store is deliberately dumb (as containerd's content store is): it knows bytes and digests,
/// nothing of what they mean. Several processes may use one store at once; every visible blob is
/// complete and matches its name.
public final class BlobStore: Sendable {
    public struct CommitResult: Sendable, Equatable {
        public let digest: Digest
        public let size: Int64
        /// True when the store already held this content; the new copy was discarded.
        public let alreadyExisted: Bool
    }

    public enum Verification: Sendable, Equatable {
        case intact
        case missing
        case corrupt(actual: Digest)
        /// Kept as a delta that cannot be made (its base is gone, the delta file is damaged).
        case unmakable(reason: String)
    }

    public struct SweepReport: Sendable, Equatable {
        public var removedBlobs: [Digest] = []
        public var removedBytes: Int64 = 0
        public var removedIngestFiles: Int = 0

        public init() {}
    }

    /// When blobs reach the disk itself (not just the page cache, which already survives a killed
    /// process).
    public enum SyncPolicy: Sendable {
        /// Each commit asked for `.immediate` is fsynced before it returns.
        case everyCommit
        /// No commit is fsynced; the owner calls `synchronize()` at the end of a unit of work
        /// (a build), trading one sync for hundreds of fsyncs.
        case deferred
    }

    public let root: String
    public let syncPolicy: SyncPolicy
    public let blobDirectory: String
    let ingestDirectory: String
    /// Whether the blob directory's filesystem makes unnamed files (`O_TMPFILE`, see
    /// `BlobWriter`); cleared at its first refusal.
    private let unnamedFileSupport = Mutex(true)
    var unnamedFilesSupported: Bool {
        get { unnamedFileSupport.withLock { $0 } }
        set { unnamedFileSupport.withLock { $0 = newValue } }
    }
    /// Blobs this process linked into place from bytes it hashed as it wrote them: read back
    /// (from the page cache, moments later) without being hashed again. Any other blob is
    /// checked against its name as it is read. The trust lasts as long as the process (a
    /// command, not a daemon): a blob it wrote and something else then damaged is caught by the
    /// next command that reads it, or by fsck.
    private let writtenHere = Mutex<Set<Digest>>([])
    func noteWritten(_ digest: Digest) { writtenHere.withLock { _ = $0.insert(digest) } }
    private func wasWrittenHere(_ digest: Digest) -> Bool { writtenHere.withLock { $0.contains(digest) } }
    private let pendingSync = Mutex<[String]>([])
    private let producer = Mutex<(any BlobProducer)?>(nil)
    /// Full copies of blobs just made deltas, removed by `synchronize()` once the deltas are durable.
    let supersededCopies = Mutex<[String]>([])
    /// The document windows this process has moved (see `BlobStore+Deltas`).
    let documentWindows = Mutex<DocumentWindows>(DocumentWindows())

    /// Opens (creating if needed) the store under `root`.
    public init(root: String, syncPolicy: SyncPolicy = .everyCommit) throws {
        self.root = root
        self.syncPolicy = syncPolicy
        self.blobDirectory = root + "/blobs/sha256"
        self.ingestDirectory = root + "/ingest"
        // Private: blobs are image layers and build inputs other local users have no business
        // reading (see PrivateDirectory).
        try PrivateDirectory.make(root + "/blobs")
        try PrivateDirectory.make(blobDirectory)
        try PrivateDirectory.make(ingestDirectory)
        // Made with the store rather than by its first recipe or delta, whose build would pay
        // for the directories' syncs.
        // Best effort: a journal on read-only media still opens for reading; a write makes them.
        try? recipes.makeDirectory()
        try? deltas.makeDirectory()
    }

    public func path(for digest: Digest) -> String {
        blobDirectory + "/" + digest.hex
    }

    /// How blobs that are not stored can be made again (see `BlobRecipes`).
    public var recipes: BlobRecipes {
        BlobRecipes(root: root, durable: syncPolicy == .everyCommit, deferSync: { [self] in deferSync(of: $0) },
                    readBlob: { [self] in try read($0) }, storeBlob: { [self] in try ingestDocument($0).digest })
    }

    /// How blobs kept as a delta against another blob are made (see `BlobDeltas`).
    public var deltas: BlobDeltas {
        BlobDeltas(root: root, durable: syncPolicy == .everyCommit) { [self] in deferSync(of: $0) }
    }

    /// Whether the store has the blob: stored, kept as a delta, or made on demand from its recipe.
    public func contains(_ digest: Digest) -> Bool {
        hasContent(digest) || canProduce(digest)
    }

    /// Whether the blob's bytes are in the store: whole in `blobs/`, or as a delta against another
    /// blob (exact: what is made is checked against the digest). Not a recipe's layer.
    public func hasContent(_ digest: Digest) -> Bool {
        isStored(digest) || deltas.contains(digest)
    }

    /// Whether the blob is whole in `blobs/`, or a delta that makes it: what `ingest` may skip
    /// storing. A damaged delta does not count, so the real bytes, when they come, are stored
    /// and repair it (gc then drops the delta).
    ///
    /// Under the deferred policy a whole copy found here joins this process's next sync: another
    /// process may have committed it without syncing it yet, and what this one records naming it
    /// must not become durable first. (A delta's process synced it before removing the copy.)
    func holdsMakable(_ digest: Digest) -> Bool {
        if isStored(digest) {
            if syncPolicy == .deferred { deferSync(of: path(for: digest)) }
            return true
        }
        return deltas.contains(digest) && verifyDelta(of: digest) == .intact
    }

    /// Whether the blob's bytes are in `blobs/` now (not just a recipe for them).
    public func isStored(_ digest: Digest) -> Bool {
        FileIO.exists(path(for: digest))
    }

    public func size(of digest: Digest) throws -> Int64 {
        var info = stat()
        guard stat(path(for: digest), &info) == 0 else {
            if errno == ENOENT {
                if let delta = try? deltas.delta(of: digest) { return Int64(delta.size) }
                if canProduce(digest), let header = try recipes.header(of: digest) { return header.size }
                throw StoreError.missing(digest)
            }
            throw SystemCallError("stat", path: path(for: digest))
        }
        return Int64(info.st_size)
    }

    /// Makes blobs that have a recipe readable (see `BlobProducer`); the journal installs it.
    public func install(_ producer: any BlobProducer) {
        self.producer.withLock { $0 = producer }
    }

    private func canProduce(_ digest: Digest) -> Bool {
        producer.withLock { $0 != nil } && recipes.contains(digest)
    }

    /// Makes a blob that is not stored from its recipe, if it has one. The made copy stays in
    /// `blobs/` (gc keeps stored bytes: they are sure, a recipe depends on this binary's zlib).
    public func produceIfNeeded(_ digest: Digest) throws {
        guard !isStored(digest), let producer = producer.withLock({ $0 }),
              let recipe = recipes.document(for: digest) else { return }
        try producer.produce(digest, recipe: recipe, in: self)
        guard isStored(digest) else { throw StoreError.missing(digest) }
    }

    /// The path of a blob's bytes for a reader that opens it itself (sendfile, hard links):
    /// made from its recipe first when it is not stored.
    /// A blob kept as a delta is made whole in `blobs/` (gc drops one of the two copies again).
    public func readablePath(for digest: Digest) throws -> String {
        if isStored(digest) { return path(for: digest) }
        if deltas.contains(digest) {
            let writer = try makeWriter()
            try writer.write(try reconstruct(digest))
            try writer.commit(expected: digest, durability: .batched)
            return path(for: digest)
        }
        try produceIfNeeded(digest)
        return path(for: digest)
    }

    /// `readablePath(for:)` and what one stat of it says: its size, and whether it is a regular
    /// file (a damaged or hostile store may hold anything under a digest's name). A blob held
    /// whole costs that one stat.
    public func readableStatus(for digest: Digest) throws -> (path: String, size: Int64, isRegularFile: Bool) {
        var info = stat()
        var path = path(for: digest)
        if stat(path, &info) != 0 {
            path = try readablePath(for: digest)
            guard stat(path, &info) == 0 else { throw SystemCallError("stat", path: path) }
        }
        return (path, Int64(info.st_size), (info.st_mode & S_IFMT) == S_IFREG)
    }

    /// A writer for one new blob. Commit or abort it; dropping it aborts.
    public func makeWriter() throws -> BlobWriter {
        try BlobWriter(store: self)
    }

    /// Stores bytes already in memory.
    @discardableResult
    public func ingest(_ data: Data, expected: Digest? = nil,
                       durability: BlobWriter.Durability = .immediate) throws -> CommitResult {
        if let expected, holdsMakable(expected) {
            return CommitResult(digest: expected, size: Int64(data.count), alreadyExisted: true)
        }
        // Bytes in memory are hashed before anything is written: records and configs a rebuild
        // makes again are mostly ones the store holds, and then one stat replaces creating,
        // writing and unlinking an ingest file. (Small data only: a large one is hashed twice.)
        if expected == nil, data.count <= 1 << 20 {
            let digest = Digest(of: data)
            if holdsMakable(digest) { return CommitResult(digest: digest, size: Int64(data.count), alreadyExisted: true) }
        }
        let writer = try makeWriter()
        try writer.write(data)
        return try writer.commit(expected: expected, durability: durability)
    }

    /// Stores bytes in memory whose digest the caller has just computed from them (a snapshot
    /// hashes a file to know whether the store holds it): they are written without being hashed
    /// again.
    @discardableResult
    public func ingest(_ data: Data, hashedAs digest: Digest,
                       durability: BlobWriter.Durability = .immediate) throws -> CommitResult {
        if holdsMakable(digest) {
            return CommitResult(digest: digest, size: Int64(data.count), alreadyExisted: true)
        }
        let writer = try BlobWriter(store: self, knownDigest: digest)
        try writer.write(data)
        return try writer.commit(durability: durability)
    }

    /// Stores a file's content, streaming.
    @discardableResult
    public func ingest(fileAt path: String, expected: Digest? = nil,
                       durability: BlobWriter.Durability = .immediate) throws -> CommitResult {
        let fd = try FileIO.open(path, O_RDONLY)
        defer { close(fd) }
        let writer = try makeWriter()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try FileIO.read(fd, into: buffer, path: path)
            if n == 0 { break }
            try writer.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return try writer.commit(expected: expected, durability: durability)
    }

    /// Makes every blob committed without fsync durable. Under `.deferred` the store knows which
    /// ones those are: a few are fsynced one by one, in parallel (syncfs would also wait for every
    /// other writer on a shared disk); from ``syncFilesystemThreshold`` on, one syncfs of the
    /// store's filesystem replaces them (a large context's ten thousand new blobs cost one ext4
    /// journal commit instead of ten thousand). Otherwise it always asks the filesystem to flush.
    /// Either way, when this returns every blob committed before the call is on the disk, so a
    /// record written after it never names a blob a power loss could take.
    public func synchronize() throws {
        try synchronize(then: {})
    }

    /// Starts writing what the filesystem holds dirty back to the disk, on a thread of its own,
    /// and returns, when as many blobs wait for a sync as make `synchronize()` sync the whole
    /// filesystem: that sync then finds less to wait for. Only a hint: nothing is durable because
    /// of it and it takes nothing off the list `synchronize()` syncs; an error it meets is kept
    /// for `synchronize()` to throw (syncfs reports a writeback error once).
    public func startWriteback() {
        guard pendingSyncCount >= syncFilesystemThreshold else { return }
        let directory = blobDirectory
        let failure = writebackFailure
        let thread = Thread {
            let fd = open(directory, O_RDONLY | O_DIRECTORY)
            guard fd >= 0 else { return }
            if reprise_syncfs(fd) != 0 { failure.record(errno) }
            close(fd)
        }
        thread.name = "reprise-writeback"
        thread.start()
    }

    /// `synchronize()`, with `next` run once the blobs are durable and before the full copies
    /// that deltas replaced are removed: the journal makes its refs durable there, so that the
    /// removals, which need no sync, wait for no other sync either.
    public func synchronize(then next: () throws -> Void) throws {
        // One at a time: a second caller that found the list already taken must not return
        // before the first has made those blobs durable (it may have committed some of them).
        try synchronizing.withLock { _ in
            // The deltas of documents that left their windows join this sync.
            makePendingDeltas()
            let paths = pendingSync.withLock { pending in
                defer { pending.removeAll() }
                return pending
            }
            do {
                // A writeback hint that failed saw an error this sync must report: its syncfs
                // marked the file system's error seen, so a syncfs here would return 0.
                let hinted = writebackFailure.take()
                if hinted != 0 {
                    throw SystemCallError("syncfs (writeback started after a context snapshot)", path: blobDirectory,
                                          errno: hinted)
                }
                if syncPolicy == .deferred, paths.count < syncFilesystemThreshold {
                    // The files and the directories naming them in one round of parallel fsyncs:
                    // each fsync commits the filesystem's journal, which on a busy disk costs
                    // milliseconds, and only all of them together are the durable state.
                    var directories: [String] = paths.isEmpty ? [] : [blobDirectory]
                    if paths.contains(where: { $0.hasPrefix(recipes.directory) }) { directories.append(recipes.directory) }
                    if paths.contains(where: { $0.hasPrefix(deltas.directory) }) { directories.append(deltas.directory) }
                    try FileIO.syncFiles(paths + directories)
                } else {
                    let fd = try FileIO.open(blobDirectory, O_RDONLY | O_DIRECTORY)
                    defer { close(fd) }
                    guard reprise_syncfs(fd) == 0 else { throw SystemCallError("syncfs", path: blobDirectory) }
                    syncfsCalls.add(1, ordering: .relaxed)
                }
            } catch {
                // Not durable: they stay on the list, so that a later sync tries them again
                // instead of finding nothing to do and reporting success.
                pendingSync.withLock { $0.insert(contentsOf: paths, at: 0) }
                syncFailed.store(true, ordering: .relaxed)
                throw error
            }
            syncedFiles.add(paths.count, ordering: .relaxed)
            try next()
            // Only now, with the deltas that replace them on the disk, do full copies go.
            removeSupersededCopies(alreadySynced: Set(paths))
        }
    }
    private let synchronizing = Mutex<Void>(())
    /// What a writeback hint's failed syncfs said, until a sync reports it.
    private let writebackFailure = WritebackFailure()

    /// Whether a sync of this store failed in this process. A retry that succeeds proves
    /// little: fsync and syncfs report a lost write once, so whatever must only be written after
    /// the blobs are on the disk (a stat cache naming them) is not written at all.
    public var hasFailedToSync: Bool { syncFailed.load(ordering: .relaxed) }
    private let syncFailed = Atomic<Bool>(false)

    /// How many pending files `synchronize()` has made durable, one by one or through syncfs
    /// (for tests of the durability protocol).
    public var synchronizedFileCount: Int { syncedFiles.load(ordering: .relaxed) }
    private let syncedFiles = Atomic<Int>(0)

    /// Pending blobs from which `synchronize()` syncs the whole filesystem instead of each blob.
    /// Measured on ext4 (Reports/build-vs-buildah.md, large case): 10,000 parallel fsyncs take
    /// seconds, one syncfs a fraction of that; under a few dozen, fsyncs cost less than flushing
    /// whatever else the machine has written.
    public static let defaultSyncFilesystemThreshold = 64
    public var syncFilesystemThreshold: Int {
        get { threshold.load(ordering: .relaxed) }
        set { threshold.store(newValue, ordering: .relaxed) }
    }
    private let threshold = Atomic<Int>(BlobStore.defaultSyncFilesystemThreshold)

    /// How many times `synchronize()` used syncfs (for tests of the durability protocol).
    public var syncFilesystemCount: Int { syncfsCalls.load(ordering: .relaxed) }
    private let syncfsCalls = Atomic<Int>(0)

    /// Blobs committed without fsync that the next `synchronize()` makes durable.
    public var pendingSyncCount: Int { pendingSync.withLock { $0.count } }

    /// Under the deferred policy, makes the next `synchronize()` sync a blob this process found
    /// already stored (another process may not have synced it yet) before anything naming it.
    public func includeInNextSync(_ digest: Digest) {
        if syncPolicy == .deferred, isStored(digest) { deferSync(of: path(for: digest)) }
    }

    /// Notes a blob committed without fsync, for the next `synchronize()`.
    func deferSync(of path: String) {
        pendingSync.withLock { $0.append(path) }
    }

    /// A streaming reader that verifies the content when it reaches the end (see `BlobReader`).
    public func openReader(_ digest: Digest) throws -> BlobReader {
        // Most blobs are stored whole: one open finds them (a layer of 10,000 files made three
        // stats per file before), and only a blob it does not find takes the paths below.
        do {
            return try BlobReader(digest: digest, path: path(for: digest), verifying: !wasWrittenHere(digest))
        } catch StoreError.missing {}
        if deltas.contains(digest) {
            return BlobReader(digest: digest, contents: try reconstruct(digest), path: deltas.path(for: digest))
        }
        // Asked after the blob is made from its recipe: made here, it was hashed as it was written.
        let path = try readablePath(for: digest)
        return try BlobReader(digest: digest, path: path, verifying: !wasWrittenHere(digest))
    }

    /// The whole blob in memory: for records and manifests, not for layers. Verified against its
    /// name unless `verify` is false (for callers that just verified it, as fsck does).
    public func read(_ digest: Digest, verify: Bool = true) throws -> Data {
        guard contains(digest) else { throw StoreError.missing(digest) }
        // Made whole and checked against its digest whatever `verify` says.
        if !isStored(digest), deltas.contains(digest) { return try reconstruct(digest) }
        let data: Data
        do {
            data = try FileIO.readFile(readablePath(for: digest))
        } catch let error as SystemCallError where error.errno == ENOENT && deltas.contains(digest) {
            // Made a delta (and its full copy removed) by another process since the check.
            return try reconstruct(digest)
        }
        if verify {
            let actual = Digest(of: data)
            if actual != digest { throw StoreError.corruptBlob(digest, actual: actual, path: path(for: digest)) }
        }
        return data
    }

    /// Re-hashes a blob and compares it with its name.
    public func verify(_ digest: Digest) throws -> Verification {
        guard contains(digest) else { return .missing }
        if !isStored(digest), deltas.contains(digest) { return verifyDelta(of: digest) }
        let reader = try BlobReader(digest: digest, path: readablePath(for: digest), verifying: false)
        var hasher = DigestHasher()
        try reader.forEachChunk { hasher.update($0) }
        let actual = hasher.finalize()
        return actual == digest ? .intact : .corrupt(actual: actual)
    }

    /// Every blob in the store, in digest order. Stray names that are not digests are skipped.
    /// Blobs kept as deltas are listed too.
    public func list() throws -> [Digest] {
        let stored = try FileIO.listDirectory(blobDirectory).compactMap { Digest(hex: $0) }
        let delta = try deltas.list()
        return delta.isEmpty ? stored.sorted() : Array(Set(stored).union(delta)).sorted()
    }

    /// Deletes the blob's bytes, whole and as a delta.
    public func delete(_ digest: Digest) throws {
        guard unlink(path(for: digest)) == 0 || errno == ENOENT else {
            throw SystemCallError("unlink", path: path(for: digest))
        }
        try deltas.remove(digest)
    }

    /// Deletes every blob not in `keep`, and ingest files left by processes that no longer run.
    /// `afterEachDeletion` is called with the count so far (fault injection in tests).
    public func sweep(keeping keep: Set<Digest>,
                      afterEachDeletion: (Int) -> Void = { _ in }) throws -> SweepReport {
        var report = SweepReport()
        // A kept blob kept as a delta keeps its base, and that base's base.
        let keep = try keepingDeltaBases(of: keep)
        for digest in deletionOrder(try list().filter { !keep.contains($0) }) {
            var size: Int64 = 0
            for file in [path(for: digest), deltas.path(for: digest)] {
                var info = stat()
                if stat(file, &info) == 0 { size += Int64(info.st_size) }
            }
            try delete(digest)
            report.removedBlobs.append(digest)
            report.removedBytes += size
            afterEachDeletion(report.removedBlobs.count)
        }
        for name in try staleIngestFiles() {
            if unlink(ingestDirectory + "/" + name) == 0 { report.removedIngestFiles += 1 }
        }
        report.removedBytes += dropDuplicateCopies()
        deltas.removeStaleTemporaries()
        return report
    }

    /// Ingest files whose writer process is gone (killed mid-write). A live writer's file is kept.
    public func staleIngestFiles() throws -> [String] {
        try FileIO.listDirectory(ingestDirectory).filter { name in
            guard let pid = name.split(separator: "-").first.flatMap({ pid_t($0) }) else { return true }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
    }
}
