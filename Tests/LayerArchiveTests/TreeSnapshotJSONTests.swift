import ContentStore
import Foundation
import Testing
import TestSupport
@testable import LayerArchive

/// `TreeSnapshotJSON` writes what `JSONEncoder` (`CanonicalJSON`) writes, byte for byte: the tree
/// digest of every snapshot ever stored depends on it.
@Suite("Tree snapshot JSON")
struct TreeSnapshotJSONTests {
    /// Names a context may hold: plain, with JSON's special characters, control bytes, slashes,
    /// non-ASCII (precomposed and decomposed), line separators, emoji.
    static let pieces = ["a", "src", "file.txt", "with space", "q\"uote", "back\\slash", "tab\there", "nl\nx",
                         "\u{01}ctl", "\u{7F}del", "é", "e\u{301}", "\u{2028}sep", "日本", "🙂", "x/y", "-", "0",
                         "UPPER", "ü.bin", "</script>", "%2F", "{}", "[,]"]

    static func randomEntry(_ random: inout SeededRandom, index: Int) -> TreeEntry {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        let depth = 1 + Int(random.next() % 3)
        let path = (0..<depth).map { _ in pick(pieces) }.joined(separator: "/") + "-\(index)"
        let kinds: [TreeEntry.Kind] = [.file, .directory, .symlink, .hardlink, .characterDevice, .blockDevice, .fifo, .socket]
        let kind = pick(kinds)
        var entry = TreeEntry(path: path, kind: kind, mode: UInt32(random.next() % 0o10000),
                              uid: UInt32(truncatingIfNeeded: random.next()), gid: UInt32(random.next() % 70000),
                              size: Int64(random.next() % (1 << 40)),
                              mtime: Int64(bitPattern: random.next()) / (random.next() % 2 == 0 ? 1 : 1_000_000))
        if kind == .symlink || kind == .hardlink { entry.linkTarget = pick(pieces) + "/" + pick(pieces) }
        if kind == .characterDevice || kind == .blockDevice {
            entry.deviceMajor = UInt32(random.next() % 300)
            entry.deviceMinor = UInt32(truncatingIfNeeded: random.next())
        }
        if kind == .file || kind == .hardlink, random.next() % 4 != 0 {
            entry.digest = Digest(of: Data(path.utf8))
        }
        if random.next() % 5 == 0 {
            var xattrs: [String: Data] = [:]
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let name = pick(["user.a", "user.B", "user.a10", "user.a9", "security.capability", "trusted.x",
                                 "user.\u{e9}", "user.Z", "user.z", "user.\"q\""])
                xattrs[name] = Data((0..<Int(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            }
            entry.xattrs = xattrs
        }
        return entry
    }

    @Test func writesWhatJSONEncoderWritesForSeededRandomTrees() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("TreeSnapshotJSONTests seed \(seed) (REPRISE_SEED=\(seed) repeats it)")
        var random = SeededRandom(seed: seed)
        for round in 0..<40 {
            let count = Int(random.next() % 60)
            let entries = (0..<count).map { Self.randomEntry(&random, index: $0) }
            var root = Self.randomEntry(&random, index: -1)
            root.path = ""
            let snapshot = TreeSnapshot(root: root, entries: entries)
            let fast = try snapshot.canonicalJSON()
            let reference = try CanonicalJSON.encode(snapshot)
            #expect(fast == reference, "round \(round), seed \(seed): \(String(decoding: fast, as: UTF8.self)) vs \(String(decoding: reference, as: UTF8.self))")
            // And it reads back as the same snapshot.
            #expect(try CanonicalJSON.decode(TreeSnapshot.self, from: fast) == snapshot)
        }
    }

    @Test func anEmptyTreeAndAFullyOptionalEntryMatchTheEncoder() throws {
        let root = TreeEntry(path: "", kind: .directory, mode: 0o755)
        for entries in [[], [TreeEntry(path: "dev/null", kind: .characterDevice, mode: 0o666, uid: 0, gid: 0, size: 0,
                                       mtime: -1, linkTarget: "t", xattrs: ["user.k": Data()], deviceMajor: 1,
                                       deviceMinor: 3, digest: Digest(of: Data("x".utf8)))]] {
            let snapshot = TreeSnapshot(root: root, entries: entries)
            #expect(try snapshot.canonicalJSON() == CanonicalJSON.encode(snapshot))
        }
    }
}
