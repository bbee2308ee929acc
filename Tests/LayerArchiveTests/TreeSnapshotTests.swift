#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Testing
@testable import LayerArchive

@Suite("TreeSnapshot")
struct TreeSnapshotTests {
    static func makeContext(at root: String) throws {
        try Make.file(root + "/Dockerfile", "FROM scratch\nCOPY . /\n")
        try Make.file(root + "/src/main.c", "int main(void) { return 0; }\n")
        try Make.file(root + "/src/copy.c", "int main(void) { return 0; }\n")  // same bytes
        try Make.file(root + "/bin/run", "#!/bin/sh\n", mode: 0o4755)
        try Make.symlink(root + "/bin/latest", to: "run")
        try Make.hardlink(root + "/bin/run2", to: root + "/bin/run")
        try Make.directory(root + "/cache", mode: 0o1777)
        try Make.xattr(root + "/src/main.c", "user.origin", "test")
        guard mkfifo(root + "/pipe", 0o644) == 0 else { throw SystemCallError("mkfifo") }
        chown(root + "/src/copy.c", 1234, 5678)
        try Make.mtime(root + "/Dockerfile", seconds: 1_500_000_000, nanoseconds: 123_456_789)
    }

    @Test func snapshotRecordsEveryKindAndDeduplicatesContents() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let context = try scratch.sub("context")
        try Self.makeContext(at: context)
        let result = try TreeSnapshotter(store: store).snapshot(directory: context)
        let snapshot = result.snapshot
        #expect(snapshot.entries.map(\.path) == ["Dockerfile", "bin", "bin/latest", "bin/run", "bin/run2",
                                                 "cache", "pipe", "src", "src/copy.c", "src/main.c"])
        let main = try #require(snapshot.entry(atPath: "src/main.c"))
        let copy = try #require(snapshot.entry(atPath: "src/copy.c"))
        #expect(main.digest == copy.digest)
        #expect(main.xattrs?["user.origin"] == Data("test".utf8))
        #expect(copy.uid == 1234 && copy.gid == 5678)
        #expect(snapshot.entry(atPath: "bin/run")?.mode == 0o4755)
        #expect(snapshot.entry(atPath: "bin/run2")?.kind == .hardlink)
        #expect(snapshot.entry(atPath: "bin/run2")?.linkTarget == "bin/run")
        #expect(snapshot.entry(atPath: "bin/latest")?.linkTarget == "run")
        #expect(snapshot.entry(atPath: "cache")?.mode == 0o1777)
        #expect(snapshot.entry(atPath: "pipe")?.kind == .fifo)
        #expect(snapshot.entry(atPath: "Dockerfile")?.mtime == 1_500_000_000_123_456_789)
        #expect(snapshot.entry(atPath: "nope") == nil)
        // Three distinct contents (Dockerfile, the C file twice, the script): three blobs.
        #expect(result.statistics.filesHashed == 4)
        #expect(result.statistics.newBlobs == 3)
        #expect(try store.list().count == 3)
        // The manifest round-trips through the store by its digest.
        let digest = try snapshot.store(in: store)
        #expect(try TreeSnapshot.load(digest, from: store) == snapshot)
        #expect(digest == (try snapshot.digest()))
    }

    @Test func treeDigestChangesWithEveryRecordedFact() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let context = try scratch.sub("context")
        try Self.makeContext(at: context)
        let snapshotter = TreeSnapshotter(store: store)
        var seen: Set<Digest> = [try snapshotter.snapshot(directory: context).snapshot.digest()]
        let changes: [(String, () throws -> Void)] = [
            ("a byte", { try Make.file(context + "/src/copy.c", "int main(void) { return 1; }\n") }),
            ("a mode", { chmod(context + "/Dockerfile", 0o600) }),
            ("an owner", { chown(context + "/Dockerfile", 42, 0) }),
            ("a symlink target", {
                unlink(context + "/bin/latest")
                try Make.symlink(context + "/bin/latest", to: "run2")
            }),
            ("an xattr", { try Make.xattr(context + "/src/main.c", "user.origin", "changed") }),
            ("an mtime", { try Make.mtime(context + "/pipe", seconds: 1) }),
        ]
        for (what, change) in changes {
            let before = try snapshotter.snapshot(directory: context).snapshot.digest()
            try change()
            let after = try snapshotter.snapshot(directory: context).snapshot.digest()
            #expect(before != after, "tree digest did not change with \(what)")
            #expect(!seen.contains(after), "tree digest repeated after \(what)")
            seen.insert(after)
        }
    }

    @Test func materializeRoundTrips() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let context = try scratch.sub("context")
        try Self.makeContext(at: context)
        try Make.mtimes(under: context, seconds: 1_650_000_000)
        let original = try TreeSnapshotter(store: store).snapshot(directory: context).snapshot
        let copy = scratch.path + "/copy"
        try original.materialize(into: copy, store: store)
        let again = try TreeSnapshotter(store: store).snapshot(directory: copy).snapshot
        #expect(again == original)
        #expect(try again.digest() == original.digest())
        #expect(try Make.read(copy + "/src/main.c") == "int main(void) { return 0; }\n")
        var info = stat()
        stat(copy + "/bin/run2", &info)
        #expect(info.st_nlink == 2)
    }

    @Test func statCacheSkipsUnchangedFiles() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let context = try scratch.sub("context")
        for index in 0..<50 { try Make.file(context + "/f\(index)", "content \(index)\n") }
        // Files changed within the racy window are never cached; let it pass.
        usleep(UInt32(StatCache.racyWindowNanoseconds / 1000 * 2))
        let cachePath = scratch.path + "/statcache"
        let first = TreeSnapshotter(store: store, statCache: StatCache(contentsOf: cachePath))
        let firstResult = try first.snapshot(directory: context)
        try first.statCache!.save(to: cachePath)
        #expect(firstResult.statistics.filesHashed == 50)

        let reloaded = StatCache(contentsOf: cachePath)
        #expect(reloaded.count == 50)
        let second = try TreeSnapshotter(store: store, statCache: reloaded).snapshot(directory: context)
        #expect(second.statistics.bytesHashed == 0)
        #expect(second.statistics.statCacheHits == 50)
        #expect(second.snapshot == firstResult.snapshot)

        try Make.file(context + "/f7", "changed\n")
        let third = try TreeSnapshotter(store: store, statCache: reloaded).snapshot(directory: context)
        #expect(third.statistics.filesHashed == 1)
        #expect(third.statistics.bytesHashed == 8)
        #expect(third.snapshot.entry(atPath: "f7")?.digest == Digest(ofUTF8: "changed\n"))
    }

    /// Gives `path` back the times `info` recorded, as an editor that keeps them (or a
    /// same-tick edit) leaves the file: only ctime can tell the edit apart.
    static func restoreTimes(_ path: String, _ info: stat) throws {
        var times = [info.st_atim, info.st_mtim]
        guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw SystemCallError("utimensat", path: path) }
    }

    @Test func aSameSizeEditThatKeepsTheMtimeIsSeenInsideAndAfterTheRacyWindow() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let context = try scratch.sub("context")
        let cachePath = scratch.path + "/statcache"
        // Inside the racy window: snapshotted the moment it was written, then edited in place
        // to the same size with its mtime restored. It must not have been remembered.
        try Make.file(context + "/racy.txt", "one\n")
        var before = stat()
        #expect(lstat(context + "/racy.txt", &before) == 0)
        let cache = StatCache(contentsOf: cachePath)
        _ = try TreeSnapshotter(store: store, statCache: cache).snapshot(directory: context)
        try cache.save(to: cachePath)
        try Make.file(context + "/racy.txt", "two\n")
        try Self.restoreTimes(context + "/racy.txt", before)
        var after = stat()
        #expect(lstat(context + "/racy.txt", &after) == 0)
        #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec
                && after.st_size == before.st_size && after.st_ino == before.st_ino)
        let racy = try TreeSnapshotter(store: store, statCache: StatCache(contentsOf: cachePath)).snapshot(directory: context)
        #expect(racy.snapshot.entry(atPath: "racy.txt")?.digest == Digest(ofUTF8: "two\n"))

        // After the window: remembered, then edited the same way. Size, mtime and inode match
        // the cache entry; the ctime does not.
        usleep(UInt32(StatCache.racyWindowNanoseconds / 1000 * 2))
        let settled = StatCache(contentsOf: cachePath)
        let remembered = try TreeSnapshotter(store: store, statCache: settled).snapshot(directory: context)
        try settled.save(to: cachePath)
        #expect(remembered.statistics.filesHashed == 1)
        #expect(StatCache(contentsOf: cachePath).count == 1)
        #expect(lstat(context + "/racy.txt", &before) == 0)
        try Make.file(context + "/racy.txt", "six\n")
        try Self.restoreTimes(context + "/racy.txt", before)
        let edited = try TreeSnapshotter(store: store, statCache: StatCache(contentsOf: cachePath)).snapshot(directory: context)
        #expect(edited.statistics.filesHashed == 1)
        #expect(edited.snapshot.entry(atPath: "racy.txt")?.digest == Digest(ofUTF8: "six\n"))
    }

    @Test func savingAnUnchangedCacheLeavesTheFileAloneAndAChangedOneIsWritten() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let context = try scratch.sub("context")
        for index in 0..<5 { try Make.file(context + "/f\(index)", "content \(index)\n") }
        usleep(UInt32(StatCache.racyWindowNanoseconds / 1000 * 2))
        let cachePath = scratch.path + "/statcache"
        let first = StatCache(contentsOf: cachePath)
        _ = try TreeSnapshotter(store: store, statCache: first).snapshot(directory: context)
        #expect(first.hasChanges)
        try first.save(to: cachePath)
        var written = stat()
        #expect(lstat(cachePath, &written) == 0)

        // Everything hit: nothing to write, and the file keeps its inode (a rewrite is a rename).
        let second = StatCache(contentsOf: cachePath)
        let hit = try TreeSnapshotter(store: store, statCache: second).snapshot(directory: context)
        #expect(hit.statistics.statCacheHits == 5)
        #expect(!second.hasChanges)
        try second.save(to: cachePath)
        var kept = stat()
        #expect(lstat(cachePath, &kept) == 0)
        #expect(kept.st_ino == written.st_ino)

        // A file removed from the tree: its entry is dropped, so the cache is written again.
        unlink(context + "/f4")
        let third = StatCache(contentsOf: cachePath)
        _ = try TreeSnapshotter(store: store, statCache: third).snapshot(directory: context)
        #expect(third.hasChanges)
        try third.save(to: cachePath)
        var rewritten = stat()
        #expect(lstat(cachePath, &rewritten) == 0)
        #expect(rewritten.st_ino != written.st_ino)
        #expect(StatCache(contentsOf: cachePath).count == 4)
    }

    @Test func filterSkipsPathsAndWholeDirectories() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let context = try scratch.sub("context")
        try Make.file(context + "/keep.txt", "k")
        try Make.file(context + "/debug.log", "l")
        try Make.file(context + "/node_modules/pkg/index.js", "x")
        let snapshot = try TreeSnapshotter(store: store, include: { path, isDirectory in
            !path.hasSuffix(".log") && !(isDirectory && path == "node_modules")
        }).snapshot(directory: context).snapshot
        #expect(snapshot.entries.map(\.path) == ["keep.txt"])
    }
}
