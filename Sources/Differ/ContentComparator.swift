import DifferenceModel
import Foundation

/// Two contents of one path, both in memory.
struct ContentPair: Sendable {
    /// The entry's path, for comparators that look at names (`.json`, `.gz`).
    var path: String
    var a: Data
    var b: Data
}

/// What a comparator may use beyond the pair: the registry (to recurse into nested content),
/// limits, and the cause classifier.
struct ContentContext: Sendable {
    let registry: ContentComparatorRegistry
    let options: DiffOptions
    let classifier: CauseClassifier
    /// How many archives deep this content is (0 in a layer).
    let depth: Int
    let spool: SpoolDirectory
    let statistics: StatisticsCounter

    func nested() -> ContentContext {
        ContentContext(registry: registry, options: options, classifier: classifier, depth: depth + 1,
                       spool: spool, statistics: statistics)
    }
}

/// One way of comparing contents. `compare` returns nil to decline, and the next comparator in
/// the registry gets the pair (diffoscope's ordered list of comparators).
protocol ContentComparator: Sendable {
    var name: String { get }
    func compare(_ pair: ContentPair, context: ContentContext) -> DifferenceNode?
}

/// The ordered comparators; the first that accepts a pair wins, and bytes always accept.
struct ContentComparatorRegistry: Sendable {
    let comparators: [any ContentComparator]

    static let standard = ContentComparatorRegistry(comparators: [
        ArchiveComparator(), GzipComparator(), ELFComparator(), JSONComparator(), TextComparator(),
        BinaryComparator(),
    ])

    /// The content node for two different contents, with causes classified from the raw bytes.
    func compare(_ pair: ContentPair, context: ContentContext) -> DifferenceNode {
        var node = comparators.lazy.compactMap { $0.compare(pair, context: context) }.first
            ?? BinaryComparator().compareAlways(pair)
        if node.effectiveCauses.isEmpty {
            for cause in context.classifier.classifyContent(pair.a, pair.b) { node.addCause(cause) }
        }
        return node
    }

    /// Contents too large for memory: compared as bytes by streaming the two files.
    func compareLarge(_ a: ContentHandle, _ b: ContentHandle, path: String) throws -> DifferenceNode {
        try BinaryComparator().compareStreams(a, b, path: path)
    }
}

/// Cheap checks on the first bytes of a content.
enum Sniff {
    static func isGzip(_ data: Data) -> Bool {
        data.count >= 18 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    static func isZip(_ data: Data) -> Bool {
        data.count >= 22 && data.prefix(4) == Data([0x50, 0x4b, 0x03, 0x04])
    }

    static func isTar(_ data: Data) -> Bool {
        guard data.count >= 512 else { return false }
        let magic = data[data.startIndex + 257..<data.startIndex + 262]
        return magic == Data("ustar".utf8)
    }

    static func isELF(_ data: Data) -> Bool {
        data.count >= 52 && data.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46])
    }

    /// Valid UTF-8 with no NUL and few control characters: worth a line diff.
    static func isText(_ data: Data) -> Bool {
        if data.isEmpty { return true }
        var controls = 0
        for byte in data.prefix(1 << 16) {
            if byte == 0 { return false }
            if byte < 0x09 || (byte > 0x0d && byte < 0x20) { controls += 1 }
        }
        guard controls * 100 <= min(data.count, 1 << 16) else { return false }
        return String(validating: data, as: UTF8.self) != nil
    }
}
