#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Testing
@testable import LayerArchive

@Suite("LayerWriter")
struct LayerWriterTests {
    /// A small tree with every kind of entry a layer holds, made in the given order.
    static func makeTree(at root: String, reversed: Bool = false, mtime: Int = 1_600_000_000) throws {
        var steps: [() throws -> Void] = [
            { try Make.file(root + "/b.txt", "bee\n") },
            { try Make.file(root + "/a-b", "dash sorts before slash\n", mode: 0o600) },
            { try Make.file(root + "/a/x", "x\n", mode: 0o4755) },
            { try Make.file(root + "/a/y", String(repeating: "y", count: 70_000)) },
            { try Make.file(root + "/deep/dir/ünïcode file", "utf8 name\n") },
            { try Make.directory(root + "/empty", mode: 0o1777) },
        ]
        if reversed { steps.reverse() }
        for step in steps { try step() }
        try Make.symlink(root + "/link", to: "a/x")
        try Make.hardlink(root + "/hard", to: root + "/b.txt")
        try Make.xattr(root + "/a/x", "user.reprise", "value")
        chown(root + "/a/y", 1000, 1000)
        try Make.mtimes(under: root, seconds: mtime)
    }

    @Test func sameTreeSameDigestWhateverTheCreationOrder() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let one = try scratch.sub("one")
        let two = try scratch.sub("two")
        try Self.makeTree(at: one)
        try Self.makeTree(at: two, reversed: true)
        let writer = LayerWriter()
        let first = try writer.write(directory: one, into: store)
        let second = try writer.write(directory: two, into: store)
        #expect(first == second)
        #expect(first.mediaType == "application/vnd.oci.image.layer.v1.tar+gzip")
        #expect(first.digest != first.diffID)
    }

    @Test func sourceDateEpochClampsMtimes() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let one = try scratch.sub("one")
        let two = try scratch.sub("two")
        try Self.makeTree(at: one, mtime: 1_700_000_000)
        try Self.makeTree(at: two, mtime: 1_800_000_000)
        let plain = LayerWriter()
        #expect(try plain.write(directory: one, into: store) != plain.write(directory: two, into: store))
        let clamped = LayerWriter(sourceDateEpoch: 1_000_000_000)
        #expect(try clamped.write(directory: one, into: store) == clamped.write(directory: two, into: store))
        // An mtime older than the epoch is kept: clamping never moves time forward.
        let old = try scratch.sub("old")
        try Self.makeTree(at: old, mtime: 900_000_000)
        #expect(try clamped.write(directory: old, into: store) != clamped.write(directory: one, into: store))
    }

    @Test func tarListsEntriesSortedWithNumericOwners() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try Self.makeTree(at: tree)
        let layer = try LayerWriter().write(directory: tree, into: store)
        let file = scratch.path + "/layer.tar.gz"
        try store.export(layer.digest, to: file)
        let listing = try Shell.run("/usr/bin/tar", ["tvzf", file], environment: ["LC_ALL": "C", "TZ": "UTC"])
        let lines = listing.split(separator: "\n").map(String.init)
        let names = try Shell.run("/usr/bin/tar", ["tzf", file]).split(separator: "\n").map(String.init)
        // Sorted by path bytes without the directories' trailing slash: "a" < "a-b" < "a/x".
        #expect(names == ["a/", "a-b", "a/x", "a/y", "b.txt", "deep/", "deep/dir/", "deep/dir/ünïcode file",
                          "empty/", "hard", "link"])
        for line in lines where !line.contains(" a/y") {
            #expect(line.contains(" 0/0 "), "owner not numeric 0/0: \(line)")
        }
        #expect(lines.contains { $0.contains(" 1000/1000 ") && $0.hasSuffix(" a/y") })
        #expect(lines.contains { $0.hasPrefix("-rwsr-xr-x") && $0.hasSuffix(" a/x") })
        #expect(lines.contains { $0.hasPrefix("drwxrwxrwt") && $0.hasSuffix(" empty/") })
        #expect(lines.contains { $0.hasSuffix("hard link to b.txt") })
        #expect(lines.contains { $0.hasSuffix("link -> a/x") })
        // The raw tar names no user or host and carries xattrs only as SCHILY records.
        let tar = try Shell.run("/usr/bin/env", ["sh", "-c", "gzip -dc \(file) | strings"])
        #expect(tar.contains("SCHILY.xattr.user.reprise=value"))
        #expect(!tar.contains("LIBARCHIVE"))
        #expect(!tar.contains("atime") && !tar.contains("ctime"))
        #expect(!tar.contains("hdrcharset"))
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        let hostname = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(!tar.contains("root") && (hostname.count < 4 || !tar.contains(hostname)))
    }

    @Test func gzipHeaderIsFixedAndDiffIDIsTheTarDigest() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try Self.makeTree(at: tree)
        let layer = try LayerWriter().write(directory: tree, into: store)
        let blob = try store.read(layer.digest)
        #expect(Array(blob.prefix(10)) == [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03])
        #expect(Int64(blob.count) == layer.size)
        let file = scratch.path + "/layer.tar.gz"
        try store.export(layer.digest, to: file)
        let tarDigest = try Shell.run("/usr/bin/env", ["sh", "-c", "gzip -dc \(file) | sha256sum"])
        #expect(tarDigest.hasPrefix(layer.diffID.hex))
        let uncompressed = try LayerWriter(compression: .none).write(directory: tree, into: store)
        #expect(uncompressed.diffID == layer.diffID)
        #expect(uncompressed.digest == layer.diffID)
        #expect(uncompressed.size == layer.uncompressedSize)
        #expect(uncompressed.mediaType == "application/vnd.oci.image.layer.v1.tar")
    }

    @Test func snapshotAndDirectoryGiveTheSameLayer() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try Self.makeTree(at: tree)
        let snapshot = try TreeSnapshotter(store: store).snapshot(directory: tree).snapshot
        let writer = LayerWriter(sourceDateEpoch: 1_650_000_000)
        #expect(try writer.write(snapshot: snapshot, contentsFrom: store, into: store)
                == writer.write(directory: tree, into: store))
    }

    /// Guards the byte format: if this digest changes, every layer Reprise ever wrote changes.
    /// Only update it on purpose, and say why in the commit.
    @Test func goldenLayerDigest() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try Make.file(tree + "/etc/hostname", "reprise\n")
        try Make.file(tree + "/bin/tool", "#!/bin/sh\necho hi\n", mode: 0o755)
        try Make.symlink(tree + "/bin/alias", to: "tool")
        try Make.directory(tree + "/tmp", mode: 0o1777)
        try Make.mtimes(under: tree, seconds: 1_234_567_890)
        // Nothing may depend on the umask or the user running the test.
        chmod(tree + "/etc", 0o755)
        chmod(tree + "/bin", 0o755)
        for path in ["etc", "etc/hostname", "bin", "bin/tool", "bin/alias", "tmp"] {
            lchown(tree + "/" + path, 0, 0)
        }
        let layer = try LayerWriter(sourceDateEpoch: 1_700_000_000).write(directory: tree, into: store)
        #expect(layer.diffID.description == Self.goldenDiffID)
        #expect(layer.digest.description == Self.goldenDigest)
    }

    static let goldenDiffID = "sha256:0efe303739411547b2984c42860807fea83875c376776d7d4542719ff9b37329"
    /// Depends on the deflate implementation and level too (zlib 1.2.13 here, level 3; it was
    /// `sha256:a6e45ec4…` at level 6); the diff id does not. The layer is under one gzip block, so
    /// its deflate stream is zlib's own (GzipEncoderTests.oneBlockIsOneZlibStream checks that).
    static let goldenDigest = "sha256:9a3eca4fc8de8c358a622aa33ac12068f777cda5f99322a9ee8c106211ca6a50"
}
