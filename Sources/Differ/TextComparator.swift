import DifferenceModel
import Foundation

/// Text as a unified diff of lines; the same lines in another order are named as ordering.
struct TextComparator: ContentComparator {
    let name = "text"
    /// Beyond this many lines a line diff costs too much; the bytes comparator takes over.
    let maxLines = 200_000
    let maxMiddleLines = 20_000

    func compare(_ pair: ContentPair, context: ContentContext) -> DifferenceNode? {
        guard Sniff.isText(pair.a), Sniff.isText(pair.b) else { return nil }
        let textA = String(decoding: pair.a, as: UTF8.self)
        let textB = String(decoding: pair.b, as: UTF8.self)
        let linesA = textA.split(separator: "\n", omittingEmptySubsequences: false)
        let linesB = textB.split(separator: "\n", omittingEmptySubsequences: false)
        guard linesA.count <= maxLines, linesB.count <= maxLines else { return nil }
        // Myers costs (N+M)·D: a middle this long that differs throughout goes to bytes instead.
        let (prefix, suffix) = LineDiff.commonEnds(linesA, linesB)
        guard linesA.count - prefix - suffix <= maxMiddleLines,
              linesB.count - prefix - suffix <= maxMiddleLines else { return nil }
        var node = DifferenceNode(kind: .content, name: "content", a: Self.describe(linesA, pair.a),
                                  b: Self.describe(linesB, pair.b), comparator: name)
        if linesA != linesB && linesA.sorted() == linesB.sorted() {
            node.addCause(Cause(.ordering, .certain,
                                evidence: "the same \(linesA.count) lines in another order"))
        }
        if linesA == linesB {
            // Only the line ending style or a trailing byte differs: show the bytes.
            return nil
        }
        node.detail = LineDiff.unified(linesA, linesB, limit: context.options.maxDetailLines)
        return node
    }

    static func describe(_ lines: [Substring], _ data: Data) -> String {
        "\(data.count) bytes, \(lines.count) lines"
    }
}
