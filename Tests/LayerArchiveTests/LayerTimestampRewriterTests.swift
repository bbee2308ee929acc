import ContentStore
import Foundation
import Testing
@testable import LayerArchive

/// BuildKit's `rewrite-timestamp`: mtimes after the epoch are lowered to it, older ones kept,
/// nothing else about an entry changes; GNU tar reads the result.
@Suite("LayerTimestampRewriter")
struct LayerTimestampRewriterTests {
    static let epoch: Int64 = 1_700_000_000

    @Test func laterMtimesAreClampedAndNothingElseChanges() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try LayerWriterTests.makeTree(at: tree, mtime: 1_800_000_000)
        try Make.mtime(tree + "/b.txt", seconds: 900_000_000)   // older than the epoch: kept
        // A layer written without an epoch, as another tool (or a build without one) would.
        let original = try LayerWriter().write(directory: tree, into: store)

        let result = try LayerTimestampRewriter(store: store, epoch: Self.epoch).rewrite(original.digest)
        #expect(result.changed)
        #expect(result.layer.diffID != original.diffID)
        let before = try LayerReader(blob: original.digest, in: store).readAllEntries()
        let after = try LayerReader(blob: result.layer.digest, in: store).readAllEntries()
        #expect(after.count == before.count && after.count == original.entryCount)
        for (old, new) in zip(before, after) {
            #expect(new.path == old.path)
            #expect(new.kind == old.kind && new.mode == old.mode && new.uid == old.uid && new.gid == old.gid)
            #expect(new.size == old.size && new.linkName == old.linkName && new.xattrs == old.xattrs)
            let expected = min(old.mtime / 1_000_000_000, Self.epoch)
            #expect(new.mtime / 1_000_000_000 == expected, "\(new.path)")
        }
        let older = after.first(where: { $0.path == "b.txt" })?.mtime
        #expect(older == Int64(900_000_000) * 1_000_000_000)
        // The same bytes as a layer written with the epoch in the first place: one tar writer.
        let clamped = try LayerWriter(sourceDateEpoch: Self.epoch).write(directory: tree, into: store)
        #expect(result.layer.diffID == clamped.diffID && result.layer.digest == clamped.digest)
        // GNU tar lists every date at or before the epoch's (2023-11-14) and extracts the same content.
        let listing = try Shell.run("/bin/tar", ["--full-time", "-tvzf", store.path(for: result.layer.digest)],
                                    environment: ["TZ": "UTC", "PATH": "/usr/bin:/bin"])
        let years = listing.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first.map(String.init)
        }
        #expect(!years.isEmpty && years.allSatisfy { $0 <= "2023-11-14" }, "\(listing)")
        #expect(years.contains("1998-07-09"), "the older mtime is kept: \(listing)")
        let content = try Shell.run("/bin/tar", ["-xzOf", store.path(for: result.layer.digest), "a/y"])
        #expect(content == String(repeating: "y", count: 70_000))
    }

    @Test func aLayerAlreadyClampedIsLeftAsItIs() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try LayerWriterTests.makeTree(at: tree, mtime: 1_800_000_000)
        let clamped = try LayerWriter(sourceDateEpoch: Self.epoch).write(directory: tree, into: store)
        let result = try LayerTimestampRewriter(store: store, epoch: Self.epoch).rewrite(clamped.digest)
        #expect(!result.changed)
        #expect(result.layer.digest == clamped.digest && result.layer.diffID == clamped.diffID)
        #expect(result.layer.size == clamped.size)
    }
}
