#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Testing
@testable import LayerArchive

@Suite("LayerApplier")
struct LayerApplierTests {
    @Test func applyingAWrittenLayerRecreatesTheTree() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try LayerWriterTests.makeTree(at: tree)
        let layer = try LayerWriter().write(directory: tree, into: store)
        let target = scratch.path + "/target"
        let result = try LayerApplier(expectedDiffID: layer.diffID).apply(blob: layer.digest, in: store, to: target)
        #expect(result.diffID == layer.diffID && result.digest == layer.digest)
        #expect(result.compression == .gzip && result.entryCount == layer.entryCount)
        let original = try TreeSnapshotter(store: store).snapshot(directory: tree).snapshot
        let applied = try TreeSnapshotter(store: store).snapshot(directory: target).snapshot
        #expect(applied.entries == original.entries)
    }

    @Test func wrongDiffIDIsReported() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try Make.file(tree + "/a", "a")
        let layer = try LayerWriter().write(directory: tree, into: store)
        #expect(throws: LayerArchiveError.self) {
            try LayerApplier(expectedDiffID: layer.digest).apply(blob: layer.digest, in: store, to: scratch.path + "/t")
        }
    }

    /// Two layers as Python writes them: the second deletes, replaces and makes a dir opaque.
    static func makeLayers(in scratch: Scratch) throws -> (String, String) {
        let base = scratch.path + "/base.tar"
        let top = scratch.path + "/top.tar"
        try HostileLayerTests.pythonTar(base, #"""
            [f("etc/keep", b"keep"), f("etc/gone", b"gone"), f("opaque/old1", b"1"),
             f("opaque/sub/old2", b"2"), f("dir/file", b"f")]
            """#)
        try HostileLayerTests.pythonTar(top, #"""
            [f("etc/.wh.gone", b""), f("opaque/-new", b"n"), f("opaque/.wh..wh..opq", b""),
             f("opaque/sub/new", b"s"), f("dir/.wh.file", b""), f(".wh.nothing-there", b"")]
            """#)
        return (base, top)
    }

    @Test func mergeModeDeletesWhatWhiteoutsName() throws {
        let scratch = try Scratch()
        let (base, top) = try Self.makeLayers(in: scratch)
        let root = scratch.path + "/root"
        _ = try LayerApplier().apply(layerAt: base, to: root)
        _ = try LayerApplier().apply(layerAt: top, to: root)
        let listing = try Shell.run("/usr/bin/find", [root, "-mindepth", "1", "-printf", "%P\\n"])
            .split(separator: "\n").map(String.init).sorted()
        // The opaque marker sorts after "opaque/-new" yet must not delete it.
        #expect(listing == ["dir", "etc", "etc/keep", "opaque", "opaque/-new", "opaque/sub", "opaque/sub/new"])
    }

    @Test func overlayLowerModeWritesOverlayWhiteouts() throws {
        let scratch = try Scratch()
        let (_, top) = try Self.makeLayers(in: scratch)
        let lower = scratch.path + "/lower"
        _ = try LayerApplier(mode: .overlayLower).apply(layerAt: top, to: lower)
        let gone = try FileStatus.of(path: lower + "/etc/gone")
        #expect(gone.kind == .characterDevice && gone.deviceMajor == 0 && gone.deviceMinor == 0)
        #expect(try ExtendedAttributes.read(path: lower + "/opaque")?["trusted.overlay.opaque"] == Data("y".utf8))
        #expect(try Make.read(lower + "/opaque/-new") == "n")
        #expect(!FileIO.exists(lower + "/opaque/.wh..wh..opq"))
    }

    @Test func forgedOverlayXattrsAreDropped() throws {
        let scratch = try Scratch()
        let layer = scratch.path + "/layer.tar"
        try HostileLayerTests.pythonTar(layer, #"""
            [(lambda i: (setattr(i[0], "pax_headers", {"SCHILY.xattr.trusted.overlay.opaque": "y",
                                                       "SCHILY.xattr.user.kept": "yes"}), i)[1])(f("d/x"))]
            """#)
        _ = try LayerApplier(mode: .overlayLower).apply(layerAt: layer, to: scratch.path + "/lower")
        let xattrs = try ExtendedAttributes.read(path: scratch.path + "/lower/d/x")
        #expect(xattrs == ["user.kept": Data("yes".utf8)])
    }
}
