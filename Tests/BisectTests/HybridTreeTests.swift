@testable import Bisect
import ContentStore
import LayerArchive
import Testing

/// Good's context tree with some of bad's entries: parents come along, removed directories take
/// nothing away that the result still needs.
@Suite struct HybridTreeTests {
    static func file(_ path: String, _ content: String) -> TreeEntry {
        TreeEntry(path: path, kind: .file, mode: 0o644, size: Int64(content.utf8.count), digest: Digest(ofUTF8: content))
    }

    static func directory(_ path: String, mtime: Int64 = 0) -> TreeEntry {
        TreeEntry(path: path, kind: .directory, mode: 0o755, mtime: mtime)
    }

    static let root = TreeEntry(path: "", kind: .directory, mode: 0o755)

    @Test func takesChosenPathsFromBadAndKeepsTheRestOfGood() {
        let good = TreeSnapshot(root: Self.root, entries: [Self.file("a", "1"), Self.file("b", "1"), Self.directory("d"),
                                                           Self.file("d/x", "1")])
        let bad = TreeSnapshot(root: Self.root, entries: [Self.file("a", "2"), Self.directory("d", mtime: 5), Self.file("d/x", "2"),
                                                          Self.directory("n"), Self.file("n/new", "2")])
        // a changed, b removed, n/new added (its directory comes along), d/x untouched.
        let hybrid = HybridInputs.hybridTree(good: good, bad: bad, paths: ["a", "b", "n/new"])
        #expect(hybrid.entries.map(\.path) == ["a", "d", "d/x", "n", "n/new"])
        #expect(hybrid.entry(atPath: "a")?.digest == Digest(ofUTF8: "2"))
        #expect(hybrid.entry(atPath: "d")?.mtime == 0)
        #expect(hybrid.entry(atPath: "d/x")?.digest == Digest(ofUTF8: "1"))
        // All of bad's changes give bad's tree.
        let all = HybridInputs.hybridTree(good: good, bad: bad, paths: ["a", "b", "d", "d/x", "n", "n/new"])
        #expect(all == bad)
        // Nothing gives good's.
        #expect(HybridInputs.hybridTree(good: good, bad: bad, paths: []) == good)
    }

    @Test func aRemovedDirectoryStaysWhileAnEntryBelowItIsKept() {
        let good = TreeSnapshot(root: Self.root, entries: [Self.directory("d"), Self.file("d/x", "1")])
        let bad = TreeSnapshot(root: Self.root, entries: [])
        let hybrid = HybridInputs.hybridTree(good: good, bad: bad, paths: ["d"])
        #expect(hybrid.entries.map(\.path) == ["d", "d/x"])
        #expect(HybridInputs.hybridTree(good: good, bad: bad, paths: ["d", "d/x"]).entries.isEmpty)
    }
}
