#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Testing
@testable import LayerArchive

@Suite("LayerReader")
struct LayerReaderTests {
    @Test func readsOurLayersEntryByEntryWithContents() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try LayerWriterTests.makeTree(at: tree)
        let snapshot = try TreeSnapshotter(store: store).snapshot(directory: tree).snapshot
        for compression in [LayerCompression.gzip, .none] {
            let layer = try LayerWriter(compression: compression).write(snapshot: snapshot, contentsFrom: store, into: store)
            let reader = try LayerReader(blob: layer.digest, in: store)
            #expect(reader.compression == compression)
            #expect(reader.diffID == nil)
            var paths: [String] = []
            while let entry = try reader.next() {
                paths.append(entry.path)
                let name = entry.path.hasSuffix("/") ? String(entry.path.dropLast()) : entry.path
                let expected = try #require(snapshot.entry(atPath: name))
                #expect(entry.mode == expected.mode && entry.uid == expected.uid && entry.gid == expected.gid)
                #expect(entry.userName.isEmpty && entry.groupName.isEmpty)
                #expect((entry.xattrs.isEmpty ? nil : entry.xattrs) == expected.xattrs)
                if expected.kind == .file {
                    #expect(Digest(of: try reader.readContent()) == expected.digest)
                }
                if expected.kind == .symlink { #expect(entry.kind == .symlink && entry.linkName == expected.linkTarget) }
                if expected.kind == .hardlink { #expect(entry.kind == .hardlink && entry.size == 0) }
            }
            #expect(paths.count == snapshot.entries.count)
            #expect(reader.diffID == layer.diffID)
            #expect(reader.digest == layer.digest)
            #expect(reader.size == layer.size && reader.uncompressedSize == layer.uncompressedSize)
        }
    }

    @Test func readsGNUAndPaxTarsFromOtherTools() throws {
        let scratch = try Scratch()
        let tree = try scratch.sub("tree")
        let longName = String(repeating: "long-directory-name/", count: 8) + "file.txt"
        try Make.file(tree + "/" + longName, "deep\n")
        try Make.file(tree + "/big", String(repeating: "0123456789", count: 100_000))
        try Make.symlink(tree + "/" + String(repeating: "l", count: 120), to: String(repeating: "t", count: 150))
        chown(tree + "/big", 3_000_000, 42)
        for format in ["gnu", "posix"] {
            let file = scratch.path + "/\(format).tar"
            try Shell.run("/usr/bin/tar", ["--format=\(format)", "-C", tree, "-cf", file, "."])
            let reader = try LayerReader(path: file)
            var seen: [String: LayerEntry] = [:]
            while let entry = try reader.next() {
                seen[entry.path] = entry
                if entry.path == "./big" {
                    var hasher = DigestHasher()
                    try reader.forEachContentChunk(size: 4096) { hasher.update($0) }
                    #expect(hasher.count == 1_000_000)
                }
            }
            #expect(seen["./" + longName]?.size == 5, "\(format)")
            #expect(seen["./" + String(repeating: "l", count: 120)]?.linkName == String(repeating: "t", count: 150))
            #expect(seen["./big"]?.uid == 3_000_000 && seen["./big"]?.gid == 42, "\(format)")
            #expect(seen["./big"]?.userName != nil)
            if format == "posix" {
                // GNU tar's pax output records atime/ctime: the differ will want to see them.
                #expect(seen["./big"]?.paxRecords["atime"] != nil)
                #expect(seen["./big"]?.format == "pax")
            } else {
                #expect(seen["./big"]?.format == "gnu")
            }
            let sha = try Shell.run("/usr/bin/sha256sum", [file])
            #expect(sha.hasPrefix(try #require(reader.diffID).hex))
        }
    }

    @Test func refusesOtherCompressionsAndGarbage() throws {
        #expect(throws: LayerArchiveError.unsupported("zstd-compressed layers")) {
            _ = try LayerReader(data: Data([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]))
        }
        let garbage = try LayerReader(data: Data(repeating: 0x41, count: 1024))
        #expect(throws: LayerArchiveError.self) { _ = try garbage.next() }
        let empty = try LayerReader(data: Data())
        #expect(throws: LayerArchiveError.truncated("tar stream ends without its end-of-archive blocks")) {
            _ = try empty.next()
        }
    }

    @Test func numbersInBase256AndOctal() {
        func parse(_ bytes: [UInt8]) -> Int64? { bytes.withUnsafeBytes { TarHeader.number($0) } }
        #expect(parse(Array("0000644\0".utf8)) == 0o644)
        #expect(parse(Array("  755 \0".utf8)) == 0o755)
        #expect(parse([0x80, 0, 0, 0, 0, 0, 0x01, 0x00]) == 256)
        #expect(parse([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]) == -2)
        #expect(parse(Array("12a".utf8)) == nil)
        #expect(TarHeader.paxTime("1700000000.5") == 1_700_000_000_500_000_000)
        #expect(TarHeader.paxTime("-1.25") == -1_250_000_000)
    }
}
