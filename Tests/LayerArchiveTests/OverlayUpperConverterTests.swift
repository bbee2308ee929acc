#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Testing
@testable import LayerArchive

@Suite("OverlayUpperConverter")
struct OverlayUpperConverterTests {
    /// Mounts a real overlay (as root, on the non-overlay /tmp), changes files through it and
    /// unmounts; returns (lower, upper, merged listing with contents while mounted).
    static func makeUpper(in scratch: Scratch) throws -> (lower: String, upper: String, merged: [String: String]) {
        let fsType = try Shell.run("/usr/bin/stat", ["-f", "-c", "%T", scratch.path])
        try #require(!fsType.contains("overlay"), "scratch space is itself overlayfs")
        let lower = try scratch.sub("lower")
        let upper = try scratch.sub("upper")
        let work = try scratch.sub("work")
        let merged = try scratch.sub("merged")
        try Make.file(lower + "/deleted", "lower file\n")
        try Make.file(lower + "/kept", "kept\n")
        try Make.file(lower + "/d/old1", "1\n")
        try Make.file(lower + "/d/old2", "2\n")
        try Make.file(lower + "/other/x", "x\n")
        try Make.file(lower + "/other/y", "y\n")
        try Shell.run("/bin/mount", ["-t", "overlay", "overlay", "-o",
                                     "lowerdir=\(lower),upperdir=\(upper),workdir=\(work),redirect_dir=off,metacopy=off",
                                     merged])
        var listing: [String: String] = [:]
        do {
            unlink(merged + "/deleted")
            try Shell.run("/bin/rm", ["-rf", merged + "/d"])
            try Make.directory(merged + "/d")  // recreated after removal: opaque
            try Make.file(merged + "/d/new", "new\n")
            unlink(merged + "/other/x")
            unlink(merged + "/other/y")  // both names share overlay's whiteout inode on new kernels
            try Make.file(merged + "/added", "added\n")
            try Make.xattr(merged + "/added", "user.note", "kept")
            for path in try Shell.run("/usr/bin/find", [merged, "-mindepth", "1", "-type", "f", "-printf", "%P\\n"])
                .split(separator: "\n") {
                listing[String(path)] = try Make.read(merged + "/" + path)
            }
        } catch {
            _ = try? Shell.run("/bin/umount", [merged])
            throw error
        }
        try Shell.run("/bin/umount", [merged])
        return (lower, upper, listing)
    }

    @Test func upperBecomesALayerWithWhiteoutsAndOpaqueMarkers() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let (lower, upper, merged) = try Self.makeUpper(in: scratch)
        // What the kernel left in the upper directory, as evidence for the conversion.
        let whiteout = try FileStatus.of(path: upper + "/deleted")
        #expect(whiteout.kind == .characterDevice && whiteout.deviceMajor == 0)
        #expect(try ExtendedAttributes.read(path: upper + "/d")?["trusted.overlay.opaque"] == Data("y".utf8))

        let layer = try OverlayUpperConverter().convert(upperDirectory: upper, into: store)
        let file = scratch.path + "/layer.tar.gz"
        try store.export(layer.digest, to: file)
        let names = try Shell.run("/usr/bin/tar", ["tzf", file]).split(separator: "\n").map(String.init)
        #expect(names.contains(".wh.deleted"))
        #expect(names.contains("d/.wh..wh..opq"))
        #expect(names.contains("other/.wh.x") && names.contains("other/.wh.y"))
        #expect(names.contains("d/new") && names.contains("added"))
        #expect(!names.contains("deleted") && !names.contains("kept"))

        let reader = try LayerReader(blob: layer.digest, in: store)
        while let entry = try reader.next() {
            #expect(!entry.xattrs.keys.contains { $0.hasPrefix("trusted.overlay.") }, "\(entry.path)")
            if entry.path.hasSuffix(".wh..wh..opq") || entry.path.contains("/.wh.") || entry.path.hasPrefix(".wh.") {
                #expect(entry.kind == .regular && entry.size == 0, "\(entry.path)")
            }
            if entry.path == "added" { #expect(entry.xattrs == ["user.note": Data("kept".utf8)]) }
        }
        let raw = try Shell.run("/usr/bin/env", ["sh", "-c", "gzip -dc \(file) | strings"])
        #expect(!raw.contains("trusted.overlay"))

        // Applying the layer onto a copy of the lower gives exactly what the mount showed.
        let flattened = scratch.path + "/flattened"
        try Shell.run("/bin/cp", ["-a", lower, flattened])
        _ = try LayerApplier().apply(blob: layer.digest, in: store, to: flattened)
        var applied: [String: String] = [:]
        for path in try Shell.run("/usr/bin/find", [flattened, "-mindepth", "1", "-type", "f", "-printf", "%P\\n"])
            .split(separator: "\n") {
            applied[String(path)] = try Make.read(flattened + "/" + path)
        }
        #expect(applied == merged)
    }

    @Test func redirectMetadataIsRefused() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let upper = try scratch.sub("upper")
        try Make.directory(upper + "/renamed")
        try Make.xattr(upper + "/renamed", "trusted.overlay.redirect", "/original")
        #expect(throws: LayerArchiveError.self) {
            try OverlayUpperConverter().convert(upperDirectory: upper, into: store)
        }
    }
}
