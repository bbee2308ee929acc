#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import TestSupport
import Testing
@testable import LayerArchive

/// `LayerMaterializer` must make exactly the tree that extracting the layer's tar makes: a RUN
/// step sees it as a lower directory, and what it sees must not depend on which way it was made.
@Suite("LayerMaterializer")
struct LayerMaterializerTests {
    /// Every kind a COPY can put in a layer (hardlinks become files there), with modes, owners,
    /// xattrs, sub-second mtimes, an empty file, a multi-chunk file and two files of equal bytes.
    static func makeTree(at root: String) throws {
        try Make.file(root + "/Dockerfile", "FROM scratch\n")
        try Make.file(root + "/src/main.c", "int main(void) { return 0; }\n")
        try Make.file(root + "/src/same.c", "int main(void) { return 0; }\n")
        try Make.file(root + "/src/empty", "")
        try Make.file(root + "/bin/run", "#!/bin/sh\n", mode: 0o4755)
        try Make.file(root + "/big/data", String(repeating: "0123456789abcdef", count: 200_000), mode: 0o600)
        try Make.symlink(root + "/bin/latest", to: "run")
        try Make.directory(root + "/cache", mode: 0o1777)
        try Make.xattr(root + "/src/main.c", "user.origin", "test")
        guard mkfifo(root + "/pipe", 0o640) == 0 else { throw SystemCallError("mkfifo") }
        chown(root + "/src/same.c", 1234, 5678)
        try Make.mtimes(under: root, seconds: 1_600_000_000)
        try Make.mtime(root + "/Dockerfile", seconds: 1_700_000_000, nanoseconds: 123_456_789)
    }

    @Test(arguments: [nil, Int64(1_650_000_000)], [1, 4])
    func materializedTreeEqualsTheExtractedLayer(sourceDateEpoch: Int64?, workers: Int) throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try Self.makeTree(at: tree)
        let entries = try TreeSnapshotter(store: store).snapshot(directory: tree).snapshot.entries
        #expect(LayerMaterializer.canMaterialize(entries))
        let writer = LayerWriter(sourceDateEpoch: sourceDateEpoch)
        let layer = try writer.write(snapshot: TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755),
                                                            entries: entries), contentsFrom: store, into: store)
        let extracted = try scratch.sub("extracted")
        _ = try LayerApplier(mode: .overlayLower, allowDevices: true, symlinks: .clampToRoot,
                             expectedDiffID: layer.diffID).apply(blob: layer.digest, in: store, to: extracted)
        let materialized = try scratch.sub("materialized")
        try LayerMaterializer(writer: writer).materialize(entries, from: store, into: materialized, workers: workers)

        let fromTar = try TreeSnapshotter(store: store).snapshot(directory: extracted).snapshot.entries
        let direct = try TreeSnapshotter(store: store).snapshot(directory: materialized).snapshot.entries
        #expect(direct.count == entries.count)
        #expect(direct == fromTar)
        // Whole seconds, clamped: what the tar keeps, not what the tree had.
        let dockerfile = try #require(direct.first { $0.path == "Dockerfile" })
        #expect(dockerfile.mtime == min(1_700_000_000, sourceDateEpoch ?? .max) * 1_000_000_000)
        // Each file is its own inode, as after extraction; the store's blobs are untouched.
        for entry in direct where entry.kind == .file {
            let status = try FileStatus.of(path: materialized + "/" + entry.path)
            #expect(status.linkCount == 1, "\(entry.path)")
            #expect(try FileStatus.of(path: store.path(for: try #require(entry.digest))).linkCount == 1)
        }
    }

    /// A seeded tree of nested directories (some with more files than one batch), files of
    /// random sizes, modes, owners, mtimes and xattrs, symlinks to files and directories: made
    /// on 1 and 4 workers it is the tree extracted from the layer's tar, entry for entry.
    @Test func filesMadeOnSeveralWorkersGiveTheExtractedTree() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("LayerMaterializerTests seed \(seed) (REPRISE_SEED=\(seed) repeats it)")
        var random = SeededRandom(seed: seed)
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        var directories = [""]
        for index in 0..<12 {
            let parent = directories[Int(random.next() % UInt64(directories.count))]
            let path = (parent.isEmpty ? "" : parent + "/") + "d\(index)"
            try Make.directory(tree + "/" + path, mode: [0o755, 0o700, 0o1777][Int(random.next() % 3)])
            directories.append(path)
        }
        for index in 0..<400 {
            // Most files in two directories, so that they take several batches.
            let parent = index % 3 == 0 ? directories[Int(random.next() % UInt64(directories.count))]
                : directories[1 + index % 2]
            let path = tree + "/" + (parent.isEmpty ? "" : parent + "/") + "f\(index)"
            let size = Int(random.next() % 5) == 0 ? Int(random.next() % 200_000) : Int(random.next() % 3000)
            try Make.write(path, Data((0..<size).map { _ in UInt8(truncatingIfNeeded: random.next() % 7) }),
                           mode: [0o644, 0o600, 0o755, 0o4755][Int(random.next() % 4)])
            if random.next() % 5 == 0 { chown(path, UInt32(random.next() % 3000), UInt32(random.next() % 3000)) }
            if random.next() % 7 == 0 { try Make.xattr(path, "user.n", "\(index)") }
        }
        try Make.symlink(tree + "/" + directories[2] + "/to-file", to: "f2")
        try Make.symlink(tree + "/to-dir", to: directories[1])
        try Make.mtimes(under: tree, seconds: 1_600_000_000)
        for (index, directory) in directories.enumerated() where !directory.isEmpty {
            try Make.mtime(tree + "/" + directory, seconds: 1_600_000_000 + index * 1000)
        }
        let entries = try TreeSnapshotter(store: store).snapshot(directory: tree).snapshot.entries
        let writer = LayerWriter(sourceDateEpoch: nil)
        let layer = try writer.write(snapshot: TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755),
                                                            entries: entries), contentsFrom: store, into: store)
        let extracted = try scratch.sub("extracted")
        _ = try LayerApplier(mode: .overlayLower, allowDevices: true, symlinks: .clampToRoot,
                             expectedDiffID: layer.diffID).apply(blob: layer.digest, in: store, to: extracted)
        let fromTar = try TreeSnapshotter(store: store).snapshot(directory: extracted).snapshot.entries
        #expect(fromTar.count == entries.count)
        for workers in [1, 4] {
            let materialized = try scratch.sub("materialized-\(workers)")
            try LayerMaterializer(writer: writer).materialize(entries, from: store, into: materialized, workers: workers)
            let direct = try TreeSnapshotter(store: store).snapshot(directory: materialized).snapshot.entries
            #expect(direct == fromTar, "workers \(workers), seed \(seed)")
        }
    }

    /// `.redirected`: the tree a copy makes, attribute for attribute, but every file with content
    /// is a hole of its size naming its blob for overlayfs (metacopy, redirect `/HEX` from the
    /// blob directory), on one worker or several.
    @Test(arguments: [1, 4])
    func aRedirectedTreeHoldsNoBytesAndNamesEachFilesBlob(workers: Int) throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try Self.makeTree(at: tree)
        let entries = try TreeSnapshotter(store: store).snapshot(directory: tree).snapshot.entries
        let writer = LayerWriter(sourceDateEpoch: nil)
        let copied = try scratch.sub("copied")
        try LayerMaterializer(writer: writer).materialize(entries, from: store, into: copied, workers: workers)
        let redirected = try scratch.sub("redirected")
        try LayerMaterializer(writer: writer, placement: .redirected)
            .materialize(entries, from: store, into: redirected, workers: workers)

        func attribute(_ name: String, of path: String) -> String? {
            (try? ExtendedAttributes.read(path: path))??[name].map { String(decoding: $0, as: UTF8.self) }
        }
        var redirects = 0
        for entry in entries {
            let made = try FileStatus.of(path: redirected + "/" + entry.path)
            let reference = try FileStatus.of(path: copied + "/" + entry.path)
            #expect(made.kind == reference.kind && made.permissions == reference.permissions && made.uid == reference.uid
                    && made.gid == reference.gid && made.size == reference.size && made.mtime == reference.mtime,
                    "\(entry.path)")
            let path = redirected + "/" + entry.path
            if entry.kind == .file, entry.size > 0, let digest = entry.digest {
                redirects += 1
                #expect(attribute("trusted.overlay.metacopy", of: path) == "", "\(entry.path)")
                let redirect = try #require(attribute("trusted.overlay.redirect", of: path), "\(entry.path)")
                #expect(redirect == "/" + digest.hex)
                #expect(store.blobDirectory + redirect == store.path(for: digest))
                // No data at all: the first data extent is past the end.
                let fd = open(path, O_RDONLY)
                defer { close(fd) }
                #expect(lseek(fd, 0, 3 /* SEEK_DATA */) == -1 && errno == ENXIO, "\(entry.path) holds bytes")
            } else {
                #expect(attribute("trusted.overlay.metacopy", of: path) == nil, "\(entry.path)")
            }
        }
        #expect(redirects == 5)
        // The entry's own attributes are there too.
        #expect(attribute("user.origin", of: redirected + "/src/main.c") == "test")
    }

    /// A blob that is not the size its entry says is refused before anything names it.
    @Test func aRedirectToABlobOfAnotherSizeIsRefused() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let good = try store.ingest(Data("four".utf8)).digest
        var entries = (0..<20).map { index in
            TreeEntry(path: "d/f\(index)", kind: .file, mode: 0o644, size: 4, digest: good)
        }
        entries[7].size = 3
        #expect(throws: LayerArchiveError.self) {
            try LayerMaterializer(writer: LayerWriter(), placement: .redirected)
                .materialize(entries, from: store, into: try scratch.sub("out"))
        }
    }

    /// With files on several workers, a failure (here a blob shorter than its entry says) is
    /// thrown, and it is the first one in listing order.
    @Test func theFirstFailingFileInListingOrderIsThrown() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let good = try store.ingest(Data("four".utf8)).digest
        var entries = (0..<300).map { index in
            TreeEntry(path: "d\(index % 3)/f\(String(format: "%03d", index))", kind: .file, mode: 0o644, size: 4, digest: good)
        }
        for index in [290, 170] { entries[index].size = 5 }
        do {
            try LayerMaterializer(writer: LayerWriter()).materialize(entries, from: store, into: try scratch.sub("out"), workers: 4)
            Issue.record("a blob of the wrong size was accepted")
        } catch {
            #expect(String(describing: error).contains("d2/f170"), "\(error)")
        }
    }

    /// Listings where making files apart from the rest could differ are made in order.
    @Test func listingsWithAPathTwiceOrBelowANonDirectoryAreMadeInOrder() throws {
        func prepared(_ paths: [(String, TreeEntry.Kind)]) -> [LayerMaterializer.PreparedEntry] {
            paths.map { path, kind in
                LayerMaterializer.PreparedEntry(entry: TreeEntry(path: path, kind: kind, mode: 0o644), components: path.split(separator: "/").map(String.init),
                                                shown: path, source: nil)
            }
        }
        #expect(LayerMaterializer.filesMayBeMadeApart(prepared([("a", .directory), ("a/b", .file), ("c", .symlink)])))
        #expect(!LayerMaterializer.filesMayBeMadeApart(prepared([("a", .symlink), ("a/b", .file)])))
        #expect(!LayerMaterializer.filesMayBeMadeApart(prepared([("a", .file), ("a/b/c", .file)])))
        #expect(!LayerMaterializer.filesMayBeMadeApart(prepared([("a", .file), ("a", .file)])))
    }

    @Test func entriesExtractionWouldChangeAreLeftToExtraction() throws {
        let file = TreeEntry(path: "a", kind: .file, mode: 0o644, size: 1, digest: Digest(of: Data("a".utf8)))
        #expect(LayerMaterializer.canMaterialize([file]))
        var whiteout = file
        whiteout.path = "dir/.wh.a"
        #expect(!LayerMaterializer.canMaterialize([file, whiteout]))
        let hardlink = TreeEntry(path: "b", kind: .hardlink, mode: 0o644, linkTarget: "a")
        #expect(!LayerMaterializer.canMaterialize([file, hardlink]))
        var undigested = file
        undigested.digest = nil
        #expect(!LayerMaterializer.canMaterialize([undigested]))
    }

    @Test func aBlobOfTheWrongSizeIsRefused() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let digest = try store.ingest(Data("four".utf8)).digest
        let entry = TreeEntry(path: "f", kind: .file, mode: 0o644, size: 5, digest: digest)
        #expect(throws: LayerArchiveError.self) {
            try LayerMaterializer(writer: LayerWriter()).materialize([entry], from: store, into: try scratch.sub("out"))
        }
    }

    @Test func fileCopierCopiesExactlyAndChecksTheSize() throws {
        let scratch = try Scratch()
        let content = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try content.write(to: URL(fileURLWithPath: scratch.path + "/source"))
        let source = try FileIO.open(scratch.path + "/source", O_RDONLY)
        defer { close(source) }
        let destination = try FileIO.open(scratch.path + "/copy", O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        let method = try FileCopier.copy(from: source, to: destination, byteCount: Int64(content.count),
                                         path: scratch.path + "/source")
        close(destination)
        #expect(method != .userCopy)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/copy")) == content)
        #expect(throws: StoreError.self) {
            try FileCopier.copy(from: source, to: source, byteCount: 10, path: scratch.path + "/source")
        }
    }
}
