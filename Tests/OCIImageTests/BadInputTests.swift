import ContentStore
import Foundation
import TestSupport
import Testing
@testable import OCIImage

/// Bad layouts give errors that name the file, and nothing half-imported becomes visible.
@Suite struct BadInputTests {
    /// A good layout tagged `good`, written by us, to break in one way per test.
    func makeLayout(_ scratch: TemporaryDirectory) throws -> (layout: String, image: TestImage) {
        let store = try BlobStore(root: scratch.sub("source-store"))
        let image = try TestImage.make(in: store)
        let layout = scratch.sub("layout")
        try ImageLayoutWriter(store: store).writeDirectory(
            at: layout, entries: [LayoutEntry(descriptor: image.manifest, refName: "good")])
        return (layout, image)
    }

    func importError(_ path: String, _ selector: ImageSelector?, scratch: TemporaryDirectory) throws -> ImageError? {
        let importer = ImageImporter(store: try BlobStore(root: scratch.sub("store")))
        return #expect(throws: ImageError.self) { try importer.importLayout(at: path, selector: selector) }
    }

    @Test func missingIndexJSON() throws {
        let scratch = try TemporaryDirectory("bad-index")
        let (layout, _) = try makeLayout(scratch)
        try FileManager.default.removeItem(atPath: layout + "/index.json")
        let error = try importError(layout, .tag("good"), scratch: scratch)
        #expect(error?.description == "\(layout)/index.json: missing: an OCI image layout needs an index.json")
    }

    @Test func corruptLayerBlob() throws {
        let scratch = try TemporaryDirectory("bad-blob")
        let (layout, image) = try makeLayout(scratch)
        let layer = Digest(of: image.layerGzip).hex
        let path = layout + "/blobs/sha256/" + layer
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
        let error = try importError(layout, .tag("good"), scratch: scratch)
        #expect(error?.description.hasPrefix(path + ": content does not match its descriptor") == true, "\(String(describing: error))")
        // Nothing of the corrupt blob reached the store.
        #expect(!(try BlobStore(root: scratch.sub("store")).contains(Digest(of: bytes))))
    }

    @Test func corruptManifestInATar() throws {
        let scratch = try TemporaryDirectory("bad-tar")
        let (layout, image) = try makeLayout(scratch)
        let path = layout + "/blobs/sha256/" + image.manifest.digest.hex
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.startIndex] = UInt8(ascii: " ")
        try bytes.write(to: URL(fileURLWithPath: path))
        try Tool.check(["bsdtar", "-cf", scratch.sub("layout.tar"), "-C", layout, "."])
        let error = try importError(scratch.sub("layout.tar"), nil, scratch: scratch)
        #expect(error?.description.hasPrefix(scratch.sub("layout.tar") + ":blobs/sha256/\(image.manifest.digest.hex): content does not match") == true,
                "\(String(describing: error))")
    }

    @Test func manifestReferencingAMissingBlob() throws {
        let scratch = try TemporaryDirectory("missing-blob")
        let (layout, image) = try makeLayout(scratch)
        let missing = layout + "/blobs/sha256/" + image.config.digest.hex
        try FileManager.default.removeItem(atPath: missing)
        let error = try importError(layout, .tag("good"), scratch: scratch)
        #expect(error?.description == "\(missing): blob \(image.config.digest) is missing (referenced by \(layout)/blobs/sha256/\(image.manifest.digest.hex))")
    }

    @Test func unknownTagListsTheTagsThatExist() throws {
        let scratch = try TemporaryDirectory("bad-tag")
        let (layout, _) = try makeLayout(scratch)
        let error = try importError(layout, .tag("nope"), scratch: scratch)
        #expect(error?.description == "\(layout): no image tagged \"nope\" (tags: good)")
    }

    @Test func notATarAndGzippedTars() throws {
        let scratch = try TemporaryDirectory("not-tar")
        try Data("hello, this is not a tar".utf8).write(to: URL(fileURLWithPath: scratch.sub("x")))
        #expect(throws: ImageError.malformed(path: scratch.sub("x"), reason: "is not a tar archive")) {
            try ImageLayout(at: scratch.sub("x"))
        }
        let (layout, _) = try makeLayout(scratch)
        try Tool.check(["bsdtar", "-czf", scratch.sub("l.tgz"), "-C", layout, "."])
        let error = #expect(throws: ImageError.self) { try ImageLayout(at: scratch.sub("l.tgz")) }
        #expect(error?.description.contains("gzip") == true)
    }
}
