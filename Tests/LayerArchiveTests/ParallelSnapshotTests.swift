#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Testing
import TestSupport
@testable import LayerArchive

/// The snapshotter reads, hashes and stores files on several workers; what it returns and what
/// the store holds must not depend on how many, and a large batch of new blobs is made durable
/// by one syncfs before the snapshot is handed out.
@Suite("ParallelSnapshot")
struct ParallelSnapshotTests {
    /// A random tree: files of random sizes (some empty, some over the in-memory limit, some
    /// equal to others), hard links and symlinks, in nested directories.
    static func makeTree(at root: String, files: Int, random: inout SeededRandom) throws -> Int {
        var paths: [String] = []
        var bytes = 0
        for index in 0..<files {
            let directory = "d\(Int.random(in: 0..<7, using: &random))/e\(Int.random(in: 0..<3, using: &random))"
            let path = "\(directory)/f\(index)"
            let size: Int
            switch Int.random(in: 0..<20, using: &random) {
            case 0: size = 0
            case 1: size = Int(TreeSnapshotter.smallFileLimit) + Int.random(in: 1..<300_000, using: &random)
            default: size = Int.random(in: 1..<20_000, using: &random)
            }
            let seed = Int.random(in: 0..<4, using: &random) == 0 ? 42 : index  // some equal contents
            let content = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed &* 13 &+ ($0 >> 8)) })
            try Make.write(root + "/" + path, content)
            paths.append(path)
            bytes += size
        }
        try FileIO.makeDirectories(root + "/links")
        for index in 0..<files / 10 {
            let target = paths[Int.random(in: 0..<paths.count, using: &random)]
            if index % 2 == 0 {
                try Make.hardlink(root + "/links/h\(index)", to: root + "/" + target)
            } else {
                try Make.symlink(root + "/links/s\(index)", to: "../" + target)
            }
        }
        return bytes
    }

    @Test func aSnapshotIsTheSameWhateverTheNumberOfWorkers() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("ParallelSnapshotTests seed \(seed) (repeat with REPRISE_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        let scratch = try Scratch()
        let tree = try scratch.sub("tree")
        _ = try Self.makeTree(at: tree, files: 300, random: &random)

        let one = try TreeSnapshotter(store: BlobStore(root: scratch.path + "/one"), workerCount: 1)
            .snapshot(directory: tree)
        let manyStore = try BlobStore(root: scratch.path + "/many")
        let many = try TreeSnapshotter(store: manyStore, workerCount: 8).snapshot(directory: tree)
        #expect(many.snapshot == one.snapshot)
        #expect(many.statistics == one.statistics)
        #expect(many.statistics.filesHashed == 300)
        #expect(try manyStore.list() == BlobStore(root: scratch.path + "/one").list())
        #expect(try many.snapshot.store(in: manyStore) == one.snapshot.store(in: manyStore))
        // Every file's digest is its content's, and its blob holds exactly that content.
        for entry in many.snapshot.entries where entry.kind == .file {
            let content = try Data(contentsOf: URL(fileURLWithPath: tree + "/" + entry.path))
            #expect(entry.digest == Digest(of: content), "\(entry.path)")
            #expect(entry.size == Int64(content.count))
            let digest = try #require(entry.digest)
            #expect(try manyStore.read(digest) == content)
        }
        // Hard links carry their target's content.
        for entry in many.snapshot.entries where entry.kind == .hardlink {
            let linkTarget = try #require(entry.linkTarget)
            let target = try #require(many.snapshot.entry(atPath: linkTarget))
            #expect(entry.digest == target.digest)
        }
        // With a stat cache, a second snapshot on many workers reads nothing and gives the same tree.
        let cache = StatCache()
        _ = try TreeSnapshotter(store: manyStore, statCache: cache, workerCount: 4).snapshot(directory: tree)
        let cached = try TreeSnapshotter(store: manyStore, statCache: cache, workerCount: 4).snapshot(directory: tree)
        #expect(cached.snapshot == one.snapshot)
        #expect(cached.statistics.filesHashed == 0)
        #expect(cached.statistics.statCacheHits == 300)
    }

    @Test(arguments: [1, 4])
    func aFailureOnAWorkerFailsTheSnapshot(workers: Int) throws {
        let scratch = try Scratch()
        let tree = try scratch.sub("tree")
        for index in 0..<40 { try Make.file(tree + "/f\(index)", "content \(index)\n") }
        let store = try BlobStore(root: scratch.path + "/store")
        // Without its blob and ingest directories the store cannot take a new blob.
        try Shell.run("/bin/rm", ["-rf", scratch.path + "/store/ingest", scratch.path + "/store/blobs/sha256"])
        #expect(throws: SystemCallError.self) {
            try TreeSnapshotter(store: store, workerCount: workers).snapshot(directory: tree)
        }
        try FileManager.default.createDirectory(atPath: scratch.path + "/store/blobs/sha256", withIntermediateDirectories: false)
        #expect(try store.list().isEmpty)
    }

    @Test func manyNewBlobsAreMadeDurableByOneSyncfsAndFewByFsyncs() throws {
        let scratch = try Scratch()
        let small = try scratch.sub("small")
        let large = try scratch.sub("large")
        for index in 0..<(BlobStore.defaultSyncFilesystemThreshold - 2) {
            try Make.file(small + "/f\(index)", "small \(index)\n")
        }
        for index in 0..<(BlobStore.defaultSyncFilesystemThreshold * 2) {
            try Make.file(large + "/f\(index)", "large \(index)\n")
        }
        // A deferred store's blobs wait for its owner's sync (a build's, with all else it wrote).
        let store = try BlobStore(root: scratch.path + "/store", syncPolicy: .deferred)
        let few = try TreeSnapshotter(store: store).snapshot(directory: small)
        #expect(few.statistics.newBlobs == BlobStore.defaultSyncFilesystemThreshold - 2)
        #expect(store.pendingSyncCount == few.statistics.newBlobs)
        try store.synchronize()
        #expect(store.pendingSyncCount == 0)
        #expect(store.syncFilesystemCount == 0, "a few blobs are fsynced one by one")
        let many = try TreeSnapshotter(store: store).snapshot(directory: large)
        #expect(many.statistics.newBlobs == BlobStore.defaultSyncFilesystemThreshold * 2)
        #expect(store.pendingSyncCount == many.statistics.newBlobs)
        try store.synchronize()
        #expect(store.pendingSyncCount == 0)
        #expect(store.syncFilesystemCount == 1, "many blobs: one syncfs")
        // Nothing left to sync: no further syncfs.
        try store.synchronize()
        #expect(store.syncFilesystemCount == 1)
        // With a stat cache (which names them and is not synced itself) a snapshot's new blobs are
        // durable when it returns, before the cache is saved.
        let cached = try BlobStore(root: scratch.path + "/cached", syncPolicy: .deferred)
        let withCache = try TreeSnapshotter(store: cached, statCache: StatCache(contentsOf: scratch.path + "/no-cache-yet"))
            .snapshot(directory: small)
        #expect(withCache.statistics.newBlobs == BlobStore.defaultSyncFilesystemThreshold - 2)
        #expect(cached.pendingSyncCount == 0)
        #expect(cached.synchronizedFileCount == withCache.statistics.newBlobs)
        // A store that syncs every commit has a snapshot's blobs durable when the snapshot returns.
        let eager = try BlobStore(root: scratch.path + "/eager", syncPolicy: .everyCommit)
        let synced = try TreeSnapshotter(store: eager).snapshot(directory: small)
        #expect(synced.statistics.newBlobs == BlobStore.defaultSyncFilesystemThreshold - 2)
        #expect(eager.pendingSyncCount == 0)
        #expect(eager.syncFilesystemCount == 1, "its batched blobs are flushed by one syncfs at the end")
    }
}
