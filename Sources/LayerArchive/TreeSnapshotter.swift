#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Dispatch
import Foundation
import Synchronization

/// Snapshots a directory tree into a `TreeSnapshot`, putting file contents into a `BlobStore`.
///
/// Contents are committed with `.batched` durability: one sync instead of an fsync per file, at
/// the end of the snapshot when a stat cache will name them or the store syncs every commit;
/// otherwise a deferred store's owner syncs them at the end of its unit of work (a build, with
/// everything else it wrote). With a `StatCache`, files whose stat identity is unchanged are
/// neither read nor hashed.
///
/// ```swift
/// let cache = StatCache(contentsOf: journal + "/statcache/context")
/// let result = try TreeSnapshotter(store: store, statCache: cache, include: dockerignore)
///     .snapshot(directory: contextPath)
/// try cache.save(to: journal + "/statcache/context")
/// let treeDigest = try result.snapshot.store(in: store)
/// ```
public struct TreeSnapshotter: Sendable {
    /// What a snapshot cost: the stat cache's effect shows in `bytesHashed`.
    public struct Statistics: Sendable, Equatable {
        public var entries = 0
        public var filesHashed = 0
        public var bytesHashed: Int64 = 0
        public var statCacheHits = 0
        /// Blobs the store did not already hold.
        public var newBlobs = 0
    }

    public struct Result: Sendable {
        public let snapshot: TreeSnapshot
        public let statistics: Statistics
    }

    /// Files up to this size are read into memory and hashed before anything is written.
    static let smallFileLimit: Int64 = 1 << 20

    public let store: BlobStore
    public let statCache: StatCache?
    /// Decides which entries to keep, by relative path; returning false for a directory skips
    /// its whole subtree (so the engine should keep directories that may hold re-included
    /// files of a `.dockerignore` exception).
    public let include: (@Sendable (_ relativePath: String, _ isDirectory: Bool) -> Bool)?

    /// Files read at the same time; nil: `defaultWorkerCount`. The snapshot is the same for any
    /// number.
    public var workerCount: Int?
    /// Two per core: a worker waits for the disk whenever a file is not in the page cache (a
    /// context written minutes ago often is not: the kernel pages out what nobody touched), and
    /// the other hashes and stores meanwhile.
    public static var defaultWorkerCount: Int { 2 * ProcessInfo.processInfo.activeProcessorCount }
    /// Whether the caller syncs the store before it saves the stat cache: then the snapshot
    /// does not wait for its blobs to reach the disk (a build saves its caches after the sync
    /// that ends it, so that writing 240 MiB of new contents back overlaps its steps).
    public var callerSyncsBeforeSavingStatCache = false

    public init(store: BlobStore, statCache: StatCache? = nil,
                include: (@Sendable (_ relativePath: String, _ isDirectory: Bool) -> Bool)? = nil,
                workerCount: Int? = nil) {
        self.workerCount = workerCount
        self.store = store
        self.statCache = statCache
        self.include = include
    }

    /// Snapshots the tree at `directory`. The root's own metadata is recorded in `root`.
    ///
    /// Files are read, hashed and stored on every core (each file by one worker, in any order);
    /// the snapshot lists them in the scanner's order whatever the order they finished in, so
    /// it is the same as a one-worker snapshot's. The first failure, in listing order, is thrown.
    public func snapshot(directory: String) throws -> Result {
        let scanned = try TreeScanner(rootPath: directory, include: include).scan()
        var statistics = Statistics()
        var entries = scanned.entries.map(\.entry)
        let files = scanned.entries.indices.filter { scanned.entries[$0].entry.kind == .file }
        let outcomes = Mutex<[Int: Swift.Result<FileOutcome, any Error>]>([:])
        let workers = min(files.count, max(1, workerCount ?? TreeSnapshotter.defaultWorkerCount))
        // Workers take the next file from a shared counter: a few large files cannot leave
        // one worker with all the work.
        let next = Atomic<Int>(0)
        let work = { @Sendable (_: Int) in
            while true {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < files.count else { return }
                let index = files[position]
                let outcome = Swift.Result { try contentDigest(of: scanned.entries[index], root: directory) }
                outcomes.withLock { $0[index] = outcome }
            }
        }
        if workers > 1 {
            // Threads of their own: Dispatch would run no more of them than there are cores,
            // however many wait for the disk.
            let threads = WorkerThreads(count: workers - 1)
            let done = DispatchGroup()
            for index in 1..<workers {
                done.enter()
                threads.submit {
                    work(index)
                    done.leave()
                }
            }
            threads.close()
            work(0)
            done.wait()
        } else {
            work(0)
        }
        let finished = outcomes.withLock { $0 }
        var contentByPath: [String: (digest: Digest, size: Int64)] = [:]
        // Two workers storing equal contents at once may both find the blob new: count each
        // content once, as a one-worker snapshot does.
        var newContents = Set<Digest>()
        for index in entries.indices {
            switch entries[index].kind {
            case .file:
                let outcome = try finished[index]!.get()
                entries[index].digest = outcome.digest
                entries[index].size = outcome.size
                contentByPath[entries[index].path] = (outcome.digest, outcome.size)
                if outcome.fromStatCache {
                    statistics.statCacheHits += 1
                } else {
                    statistics.filesHashed += 1
                    statistics.bytesHashed += outcome.size
                    if outcome.newBlob { newContents.insert(outcome.digest) }
                }
            case .hardlink:
                if let target = entries[index].linkTarget, let content = contentByPath[target] {
                    entries[index].digest = content.digest
                    entries[index].size = content.size
                }
            default:
                break
            }
        }
        statistics.entries = entries.count
        statistics.newBlobs = newContents.count
        // A stat cache saved after this names every blob a hashed file gave, new or found stored
        // (another process may not have synced it), and it is not synced itself: they must be on
        // the disk first, or a power loss could leave it naming a blob whose data never got there
        // (an empty file every later build would trust). Without one, a deferred store's owner
        // syncs them with the rest of its work.
        let namedByTheCache = statCache != nil && statistics.filesHashed > 0 && !callerSyncsBeforeSavingStatCache
        if namedByTheCache || (statistics.newBlobs > 0 && store.syncPolicy == .everyCommit) { try store.synchronize() }
        return Result(snapshot: TreeSnapshot(root: scanned.root.entry, entries: entries),
                      statistics: statistics)
    }

    /// What snapshotting one file gave.
    private struct FileOutcome: Sendable {
        var digest: Digest
        var size: Int64
        var fromStatCache = false
        var newBlob = false
    }

    private func contentDigest(of item: TreeScanner.Scanned, root: String) throws -> FileOutcome {
        let status = item.status
        let key = StatCache.Key(device: status.device, inode: status.inode, size: status.size,
                                mtime: status.mtime, ctime: status.ctime)
        if let cached = statCache?.digest(for: key), store.isStored(cached) {
            return FileOutcome(digest: cached, size: status.size, fromStatCache: true)
        }
        let path = root + "/" + item.entry.path
        let start = Posix.now()
        let fd = try FileIO.open(path, O_RDONLY | O_NOFOLLOW)
        defer { close(fd) }
        let result: (digest: Digest, size: Int64, alreadyExisted: Bool)
        if status.size <= TreeSnapshotter.smallFileLimit {
            // Hash first and write only what the store lacks: re-snapshotting without a cache
            // then costs reads, not a new ingest file per file.
            let data = try readSmallFile(fd, expectedSize: status.size, path: path)
            try checkUnchanged(fd, status, size: Int64(data.count), path: path)
            let digest = Digest(of: data)
            // A context file's bytes are stored even if they equal a layer kept as a recipe
            // (`ingest` skips only bytes the store holds whole or as a delta).
            let committed = try store.ingest(data, hashedAs: digest, durability: .batched)
            result = (digest, Int64(data.count), committed.alreadyExisted)
        } else {
            let writer = try store.makeWriter()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let count = try FileIO.read(fd, into: buffer, path: path)
                if count == 0 { break }
                try writer.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
            do {
                try checkUnchanged(fd, status, size: writer.count, path: path)
            } catch {
                writer.abort()
                throw error
            }
            let committed = try writer.commit(durability: .batched)
            result = (committed.digest, committed.size, committed.alreadyExisted)
        }
        statCache?.remember(result.digest, for: key, readStartedAt: start)
        return FileOutcome(digest: result.digest, size: result.size, newBlob: !result.alreadyExisted)
    }

    private func readSmallFile(_ fd: Int32, expectedSize: Int64, path: String) throws -> Data {
        // One byte more than expected, to notice a file that grew since it was listed.
        var data = Data(count: Int(expectedSize) + 1)
        var filled = 0
        try data.withUnsafeMutableBytes { buffer in
            while filled < buffer.count {
                let count = try FileIO.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), path: path)
                if count == 0 { break }
                filled += count
            }
        }
        return data.prefix(filled)
    }

    private func checkUnchanged(_ fd: Int32, _ before: FileStatus, size: Int64, path: String) throws {
        let after = try FileStatus.of(descriptor: fd, path: path)
        guard after.size == size, before.size == size, after.mtime == before.mtime, after.ctime == before.ctime else {
            throw LayerArchiveError.changedWhileReading(path: path)
        }
    }
}
