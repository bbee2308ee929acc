import ContentStore
import Foundation
import LayerArchive
import TestSupport
import Testing
@testable import OCIImage

@Suite struct TarFormatTests {
    /// Long names take a PAX record; bsdtar and our reader agree on every member.
    @Test func longNamesRoundTripThroughPAX() throws {
        let scratch = try TemporaryDirectory("tar")
        let long = String(repeating: "d/", count: 70) + "file-with-a-long-name"
        let fd = try FileIO.open(scratch.sub("x.tar"), O_WRONLY | O_CREAT | O_TRUNC)
        let writer = try TarStreamWriter(fileDescriptor: fd, path: scratch.sub("x.tar"), mtime: 1_700_000_000)
        try writer.addDirectory("a")
        try writer.addFile("a/short", data: Data("short".utf8))
        try writer.addFile(long, data: Data("long".utf8))
        try writer.finish()
        close(fd)

        let names = try Tool.check(["bsdtar", "-tf", scratch.sub("x.tar")]).stdout.split(separator: "\n")
        #expect(names == ["a/", "a/short", Substring(long)])
        let index = try TarIndex(archivePath: scratch.sub("x.tar"))
        #expect(index.entries.map(\.path) == ["a", "a/short", long])
        #expect(try index.read(#require(index.file(long))) == Data("long".utf8))
        let verbose = try Tool.check(["bsdtar", "-tvf", scratch.sub("x.tar")]).stdout
        #expect(verbose.contains("Nov 14  2023"), "\(verbose)")
    }

    /// `docker save` from Docker 25+ links `<id>/layer.tar` to `blobs/sha256/…`; GNU tar long
    /// names appear in older archives. Both resolve.
    @Test func symlinksAndGNULongNamesResolve() throws {
        let scratch = try TemporaryDirectory("tar-links")
        let root = scratch.sub("tree")
        let long = String(repeating: "x", count: 120)
        try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/abc", withIntermediateDirectories: true)
        try Data("layer".utf8).write(to: URL(fileURLWithPath: root + "/blobs/sha256/" + long))
        try FileManager.default.createSymbolicLink(atPath: root + "/abc/layer.tar",
                                                   withDestinationPath: "../blobs/sha256/" + long)
        try Tool.check(["tar", "--format=gnu", "-cf", scratch.sub("gnu.tar"), "-C", root, "."])
        let index = try TarIndex(archivePath: scratch.sub("gnu.tar"))
        let entry = try #require(index.file("abc/layer.tar"))
        #expect(entry.path == "blobs/sha256/" + long)
        #expect(try index.read(entry) == Data("layer".utf8))
        #expect(index.file("abc") == nil)
    }

    /// A layer far larger than any buffer streams through import and export without being held
    /// in memory.
    @Test func largeLayersStream() throws {
        let scratch = try TemporaryDirectory("large")
        // A real (uncompressed) tar: import reads every layer to its end and checks its diff id.
        try Tool.check(["dd", "if=/dev/urandom", "of=\(scratch.sub("data"))", "bs=1M", "count=128", "status=none"])
        try Tool.check(["tar", "--format=pax", "-cf", scratch.sub("layer"), "-C", scratch.path, "data"])
        let store = try BlobStore(root: scratch.sub("store"))
        let layer = try store.ingest(fileAt: scratch.sub("layer"))
        let config = try ImageConfiguration(rootfs: .init(diffIDs: [layer.digest])).canonicalData()
        try store.ingest(config)
        let manifest = ImageManifest(config: Descriptor(mediaType: MediaType.imageConfig, of: config),
            layers: [Descriptor(mediaType: MediaType.layer, digest: layer.digest, size: layer.size)])
        try store.ingest(manifest.canonicalData())

        // Linux resets the peak (VmHWM) to the current RSS when "5" is written to clear_refs.
        try Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
        let before = try Self.residentKiB("VmRSS")
        let start = Date()
        try ImageLayoutWriter(store: store).writeTar(at: scratch.sub("big.tar"),
            entries: [LayoutEntry(descriptor: manifest.descriptor(), refName: "big")])
        let other = try BlobStore(root: scratch.sub("other"))
        let imported = try ImageImporter(store: other).importImage(at: scratch.sub("big.tar"))
        let seconds = Date().timeIntervalSince(start)
        #expect(other.contains(layer.digest))
        #expect(imported.root.digest == (try manifest.descriptor().digest))
        let peak = try Self.residentKiB("VmHWM")
        let growth = peak - before
        print("128 MiB layer: export tar + import in \(String(format: "%.2f", seconds)) s, RSS \(before / 1024) MiB, peak \(peak / 1024) MiB")
        #expect(growth < 64 * 1024, "peak RSS grew by \(growth) KiB")
    }

    /// A `/proc/self/status` memory figure (`VmRSS`, `VmHWM`) in KiB.
    static func residentKiB(_ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix(field + ":") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }
}
