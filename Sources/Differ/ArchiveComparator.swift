import DifferenceModel
import Foundation

/// Nested archives (tar, zip, jar) opened and compared entry by entry, like a layer.
struct ArchiveComparator: ContentComparator {
    let name = "archive"

    func compare(_ pair: ContentPair, context: ContentContext) -> DifferenceNode? {
        let tar = Sniff.isTar(pair.a) && Sniff.isTar(pair.b)
        let zip = Sniff.isZip(pair.a) && Sniff.isZip(pair.b)
        guard tar || zip, context.depth < context.options.maxNestingDepth else { return nil }
        let sourceA = ArchiveSource(data: pair.a, label: pair.path + " (A)")
        let sourceB = ArchiveSource(data: pair.b, label: pair.path + " (B)")
        let comparer = EntryComparer(context: context.nested())
        guard let result = try? comparer.compare(sourceA, sourceB, concurrently: false) else { return nil }
        var node = DifferenceNode(kind: .content, name: "content", a: "\(pair.a.count) bytes", b: "\(pair.b.count) bytes",
                                  comparator: tar ? "tar" : "zip", children: result.children,
                                  omittedChildren: result.omitted)
        if result.children.isEmpty {
            node.children.append(DifferenceNode(
                kind: .note, name: "archive framing",
                detail: Detail(format: .text, lines: [Detail.Line(.context,
                    "every member is the same; the archive's own headers or padding differ")])))
        }
        return node
    }
}
