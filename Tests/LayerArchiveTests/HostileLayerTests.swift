#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Testing
@testable import LayerArchive

/// Layers built to escape the target directory. Each must be refused with an error naming the
/// entry, and the sentinel directory beside the target must be untouched.
@Suite("Hostile layers")
struct HostileLayerTests {
    /// Builds a tar with Python's tarfile (our own writer cannot produce such entries).
    /// `members` is Python source for a list of (TarInfo, bytes-or-None).
    static func pythonTar(_ path: String, gzip: Bool = false, _ members: String) throws {
        let script = """
        import io, sys, tarfile
        T = tarfile.TarInfo
        def f(name, data=b"evil"):
            i = T(name); i.size = len(data); return (i, data)
        def sym(name, target):
            i = T(name); i.type = tarfile.SYMTYPE; i.linkname = target; return (i, None)
        def hard(name, target):
            i = T(name); i.type = tarfile.LNKTYPE; i.linkname = target; return (i, None)
        def dev(name, major, minor):
            i = T(name); i.type = tarfile.CHRTYPE; i.devmajor = major; i.devminor = minor; return (i, None)
        members = \(members)
        with tarfile.open(sys.argv[1], "w:gz" if sys.argv[2] == "1" else "w", format=tarfile.PAX_FORMAT) as t:
            for info, data in members:
                t.addfile(info, io.BytesIO(data) if data is not None else None)
        """
        try Shell.python(script, [path, gzip ? "1" : "0"])
    }

    struct Fixture {
        let scratch: Scratch
        let outside: String
        let target: String

        init() throws {
            scratch = try Scratch()
            outside = try scratch.sub("outside")
            target = try scratch.sub("target")
            try Make.file(outside + "/secret", "secret\n")
        }

        func outsideIsUntouched() throws -> Bool {
            try Posix.directoryNames(outside) == ["secret"] && Make.read(outside + "/secret") == "secret\n"
                && Posix.directoryNames(scratch.path).sorted() == ["layer", "outside", "target"]
        }

        func refusal(_ options: LayerApplier = LayerApplier()) throws -> LayerArchiveError? {
            do {
                _ = try options.apply(layerAt: scratch.path + "/layer", to: target)
                return nil
            } catch let error as LayerArchiveError {
                return error
            }
        }
    }

    @Test(arguments: [
        ("path traversal", #"[f("ok"), f("../evil")]"#, "../evil"),
        ("nested traversal", #"[f("a/../../evil")]"#, "a/../../evil"),
        ("absolute path", #"[f("OUTSIDE/evil")]"#, "OUTSIDE/evil"),
        ("write through absolute symlink", #"[sym("link", "OUTSIDE"), f("link/evil")]"#, "link/evil"),
        ("write through relative symlink", #"[sym("link", "../outside"), f("link/evil")]"#, "link/evil"),
        ("symlink chain", #"[sym("a", "b"), sym("b", "../../outside"), f("a/evil")]"#, "a/evil"),
        ("hardlink escape", #"[hard("stolen", "../outside/secret")]"#, "stolen"),
        ("absolute hardlink", #"[hard("stolen", "OUTSIDE/secret")]"#, "stolen"),
        ("hardlink through symlink", #"[sym("link", "OUTSIDE"), hard("stolen", "link/secret")]"#, "stolen"),
        ("device node", #"[dev("null", 1, 3)]"#, "null"),
    ])
    func refusedAndNothingWrittenOutside(_ name: String, _ members: String, _ entry: String) throws {
        let fixture = try Fixture()
        let resolvedMembers = members.replacingOccurrences(of: "OUTSIDE", with: fixture.outside)
        let resolvedEntry = entry.replacingOccurrences(of: "OUTSIDE", with: fixture.outside)
        for gzip in [false, true] {
            try Self.pythonTar(fixture.scratch.path + "/layer", gzip: gzip, resolvedMembers)
            let error = try #require(try fixture.refusal(), "\(name) was not refused")
            #expect(error.description.contains("\"\(resolvedEntry)\""), "\(name): \(error)")
            #expect(try fixture.outsideIsUntouched(), "\(name) wrote outside the target")
        }
    }

    @Test func devicesAreAllowedOnlyWhenAsked() throws {
        let fixture = try Fixture()
        try Self.pythonTar(fixture.scratch.path + "/layer", #"[dev("null", 1, 3)]"#)
        _ = try LayerApplier(allowDevices: true).apply(layerAt: fixture.scratch.path + "/layer", to: fixture.target)
        let status = try FileStatus.of(path: fixture.target + "/null")
        #expect(status.kind == .characterDevice && status.deviceMajor == 1 && status.deviceMinor == 3)
    }

    @Test func clampingResolvesAbsoluteSymlinksInsideTheRoot() throws {
        let fixture = try Fixture()
        try Self.pythonTar(fixture.scratch.path + "/layer",
                           #"[sym("var/run", "/run"), f("var/run/pid", b"1"), sym("up", "../../.."), f("up/x", b"2")]"#)
        _ = try LayerApplier(symlinks: .clampToRoot).apply(layerAt: fixture.scratch.path + "/layer", to: fixture.target)
        #expect(try Make.read(fixture.target + "/run/pid") == "1")
        #expect(try Make.read(fixture.target + "/x") == "2")
        #expect(try fixture.outsideIsUntouched())
    }

    @Test func truncatedStreamsAreErrors() throws {
        let fixture = try Fixture()
        let layerPath = fixture.scratch.path + "/layer"
        let big = "b\"\" + bytes(range(256)) * 400"
        for gzip in [true, false] {
            try Self.pythonTar(layerPath, gzip: gzip, "[f(\"a\", b\"small\"), f(\"big\", \(big)), f(\"z\", b\"end\")]")
            let whole = try FileIO.readFile(layerPath)
            // Gzip: mid-stream and inside the trailer. Tar: mid-content, and exactly after the
            // last entry's padded content, before the end-of-archive blocks.
            var cuts = [whole.count / 2]
            if gzip {
                cuts.append(whole.count - 9)
            } else {
                let end = try #require(whole.range(of: Data("end".utf8))).lowerBound
                cuts.append((end + 511) / 512 * 512)
            }
            for cut in cuts {
                try whole.prefix(cut).write(to: URL(fileURLWithPath: layerPath))
                guard let error = try fixture.refusal() else {
                    Issue.record("cut at \(cut) of \(whole.count) (gzip \(gzip)) was accepted")
                    continue
                }
                guard case .truncated = error else {
                    Issue.record("cut at \(cut) (gzip \(gzip)): expected a truncation error, got \(error)")
                    continue
                }
            }
        }
        #expect(try fixture.outsideIsUntouched())
    }

    @Test func corruptGzipIsAnError() throws {
        let fixture = try Fixture()
        let layerPath = fixture.scratch.path + "/layer"
        try Self.pythonTar(layerPath, gzip: true, #"[f("a", b"x" * 5000)]"#)
        var bytes = try FileIO.readFile(layerPath)
        bytes[bytes.count - 6] ^= 0xff  // inside the CRC-32
        try bytes.write(to: URL(fileURLWithPath: layerPath))
        let error = try #require(try fixture.refusal())
        #expect(error.description.contains("gzip"))
    }

    /// Found by scripts/reliability: a gzip bomb (1 GiB of zeros in 1 MiB) was expanded in full.
    /// The applier keeps a reserve of free space and stops, naming the entry, once a layer
    /// would eat into it; what it wrote before stays bounded by the check interval.
    @Test func aGzipBombStopsAtTheDiskReserve() throws {
        let fixture = try Fixture()
        try Self.pythonTar(fixture.scratch.path + "/layer", gzip: true, #"[f("bomb", bytes(128 << 20))]"#)
        let compressed = try #require(try FileManager.default.attributesOfItem(
            atPath: fixture.scratch.path + "/layer")[.size] as? Int)
        #expect(compressed < (1 << 20))
        var applier = LayerApplier()
        // As if the disk had 32 MiB left above the reserve.
        applier.reserveFreeBytes = try DiskReserve.space(at: fixture.target).0 - (32 << 20)
        let error = try fixture.refusal(applier)
        guard case .wouldFillDisk(let entry, _, _)? = error else {
            Issue.record("expected wouldFillDisk, got \(String(describing: error))")
            return
        }
        #expect(entry == "bomb")
        let written = (try? FileManager.default.attributesOfItem(atPath: fixture.target + "/bomb")[.size] as? Int) ?? 0
        #expect(written <= 48 << 20)
        #expect(try fixture.outsideIsUntouched())
        // The default reserve (5% of the filesystem, at least 256 MiB) lets the same layer in on
        // a disk with room for it.
        let (available, total) = try DiskReserve.space(at: fixture.target)
        if available - (128 << 20) > max(DiskReserve.minimum, total / 20) {
            try FileManager.default.removeItem(atPath: fixture.target + "/bomb")
            #expect(try LayerApplier().apply(layerAt: fixture.scratch.path + "/layer", to: fixture.target).entryCount == 1)
        }
    }
}
