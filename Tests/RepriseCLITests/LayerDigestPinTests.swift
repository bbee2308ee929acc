import Foundation
import TestSupport
import Testing

/// The bytes of a COPY layer are part of every image digest Reprise reports: a change to how
/// layers are stored, extracted or scheduled must not change them. The diff id is pinned from the
/// build before COPY lowers were made from blobs (release of 6bf16d3) and has never changed. The
/// compressed digest and size changed once, on purpose, when the gzip level went from 6
/// (`sha256:f60f4e34…`, 19426 bytes) to 3 (Reports/compression-level.md); the new values were
/// checked independently by recompressing the layer's tar with Python's zlib at level 3 the way
/// `GzipEncoder` cuts it. The layer is over 1 MiB, so the block-parallel gzip is covered too.
@Suite struct LayerDigestPinTests {
    @Test func aCopyLayerKeepsItsPinnedDigests() throws {
        let workspace = try BuildWorkspace("layer-pin")
        // The bytes a Python one-liner can make as well: ((i*i + 7*i) >> 3) & 0xff.
        let blob = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: (($0 &* $0) &+ 7 &* $0) >> 3) })
        let directory = try workspace.context("FROM busybox\nCOPY . /ctx/\n", files: ["a.txt": "pinned\n"])
        try blob.write(to: URL(fileURLWithPath: directory + "/blob.bin"))
        for name in ["Dockerfile", "a.txt", "blob.bin"] { chmod(directory + "/" + name, 0o644) }
        chmod(directory, 0o755)
        let built = try workspace.build(["--build-arg", "SOURCE_DATE_EPOCH=1700000000", directory])
        try #require(built.status == 0, "\(built.stderr)")
        let copy = try #require(try workspace.steps(try workspace.latestBuild()).last)
        let layer = try #require(copy["layer"] as? [String: Any])
        #expect(layer["diffID"] as? String == "sha256:aeb400cfa2d5277f3c9375bf12ca879db3f71207bc46a5f10cf92f7145e3fc84")
        #expect(layer["digest"] as? String == "sha256:412682fe70ccbaf69148aaae481315837164131ea3e4da35d9fe8d977e19c123")
        #expect(layer["size"] as? Int == 27714)

        // The journal keeps the layer as a recipe; an export makes the bytes again, and they are
        // the pinned ones (the layout's blob is re-hashed here, not trusted by name).
        let hex = "412682fe70ccbaf69148aaae481315837164131ea3e4da35d9fe8d977e19c123"
        let stored = workspace.journal + "/blobs/sha256/" + hex
        #expect(!FileManager.default.fileExists(atPath: stored), "the COPY layer's gzip is stored")
        #expect(FileManager.default.fileExists(atPath: workspace.journal + "/recipes/sha256/" + hex))
        let layout = workspace.sub("pinned-layout")
        let exported = try workspace.build(["--build-arg", "SOURCE_DATE_EPOCH=1700000000",
                                            "--output", "type=oci,dest=\(layout),tar=false", directory])
        try #require(exported.status == 0, "\(exported.stderr)")
        let hashed = try Tool.run(["sha256sum", layout + "/blobs/sha256/" + hex])
        #expect(hashed.stdout.hasPrefix(hex + " "), "\(hashed)")
        // The copy made for the export stays (gc never deletes stored bytes a record reaches), the
        // recipe too, and fsck is clean.
        let gc = try RepriseProcess.run(["journal", "gc", "--journal", workspace.journal])
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(FileManager.default.fileExists(atPath: stored), "gc deleted the layer's stored bytes")
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    }
}
