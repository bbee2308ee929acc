import DifferenceModel
import Foundation
import LayerArchive

/// gzip members: compared by their decompressed content; when that is the same, the header
/// (mtime, file name) or the compressor made the difference.
struct GzipComparator: ContentComparator {
    let name = "gzip"

    func compare(_ pair: ContentPair, context: ContentContext) -> DifferenceNode? {
        guard Sniff.isGzip(pair.a), Sniff.isGzip(pair.b), context.depth < context.options.maxNestingDepth,
              let a = GzipDecoder.decompress(pair.a, limit: context.options.maxContentBytes),
              let b = GzipDecoder.decompress(pair.b, limit: context.options.maxContentBytes) else { return nil }
        var node = DifferenceNode(kind: .content, name: "content", a: "\(pair.a.count) bytes gzip",
                                  b: "\(pair.b.count) bytes gzip", comparator: name)
        let timeA = GzipHeader.time(pair.a)
        let timeB = GzipHeader.time(pair.b)
        if timeA != timeB {
            var field = DifferenceNode(kind: .field, name: "gzip header mtime", a: "\(timeA)", b: "\(timeB)")
            field.addCause(context.classifier.timestampCause(Int64(timeA), Int64(timeB), what: "gzip header mtime"))
            node.children.append(field)
        }
        let nameA = GzipHeader.fileName(pair.a)
        let nameB = GzipHeader.fileName(pair.b)
        if nameA != nameB {
            var field = DifferenceNode(kind: .field, name: "gzip header name", a: nameA ?? "(none)", b: nameB ?? "(none)")
            for cause in context.classifier.classifyContent(Data((nameA ?? "").utf8), Data((nameB ?? "").utf8)) {
                field.addCause(cause)
            }
            node.children.append(field)
        }
        if a == b {
            if node.children.isEmpty {
                node.addCause(Cause(.compression, .certain, evidence: "the same decompressed content, compressed differently"))
            }
            return node
        }
        let innerPath = pair.path.hasSuffix(".gz") ? String(pair.path.dropLast(3))
            : pair.path.hasSuffix(".tgz") ? String(pair.path.dropLast(4)) + ".tar" : pair.path + " (decompressed)"
        var inner = context.registry.compare(ContentPair(path: innerPath, a: a, b: b), context: context.nested())
        inner.name = "decompressed"
        node.children.append(inner)
        return node
    }
}
