import DifferenceModel
import Foundation

/// The fallback: differing byte ranges, with a hexdump of the first ones.
struct BinaryComparator: ContentComparator {
    let name = "binary"
    /// Ranges closer than this are merged into one.
    static let mergeGap = 8
    static let maxRanges = 16

    func compare(_ pair: ContentPair, context: ContentContext) -> DifferenceNode? {
        compareAlways(pair)
    }

    func compareAlways(_ pair: ContentPair) -> DifferenceNode {
        let a = [UInt8](pair.a)
        let b = [UInt8](pair.b)
        let ranges = Self.differingRanges(a, b)
        var node = DifferenceNode(kind: .content, name: "content", a: "\(a.count) bytes", b: "\(b.count) bytes",
                                  comparator: name)
        node.detail = Self.hexdump(a, b, ranges: ranges.ranges.prefix(3))
        node.children = [Self.summary(ranges, sizeA: a.count, sizeB: b.count)]
        return node
    }

    /// Both contents streamed side by side (for contents too large to hold).
    func compareStreams(_ a: ContentHandle, _ b: ContentHandle, path: String) throws -> DifferenceNode {
        var tracker = RangeTracker()
        var offset = 0
        var excerptA: [UInt8] = []
        var excerptB: [UInt8] = []
        var excerptStart: Int?
        try ChunkPairReader(a, b).forEachPair { chunkA, chunkB in
            let common = min(chunkA.count, chunkB.count)
            for index in 0..<common where chunkA[index] != chunkB[index] {
                tracker.mark(offset + index)
                if excerptStart == nil {
                    excerptStart = max(0, offset + index - 16) / 16 * 16
                }
            }
            if let start = excerptStart, excerptA.count < 64 {
                let from = max(0, start - offset)
                if from < common {
                    excerptA += chunkA[from..<min(common, from + 64 - excerptA.count)]
                    excerptB += chunkB[from..<min(common, from + 64 - excerptB.count)]
                }
            }
            offset += common
        }
        let ranges = tracker.finish()
        var node = DifferenceNode(kind: .content, name: "content", a: "\(a.size) bytes", b: "\(b.size) bytes",
                                  comparator: name)
        if let start = excerptStart {
            node.detail = Self.rows(excerptA, excerptB, base: start)
        }
        node.children = [Self.summary(ranges, sizeA: Int(a.size), sizeB: Int(b.size))]
        return node
    }

    struct Ranges {
        var ranges: [Range<Int>] = []
        var more = 0
        var bytes = 0
    }

    struct RangeTracker {
        var result = Ranges()
        private var current: Range<Int>?

        mutating func mark(_ offset: Int) {
            result.bytes += 1
            if let range = current, offset - range.upperBound <= BinaryComparator.mergeGap {
                current = range.lowerBound..<(offset + 1)
                return
            }
            flush()
            current = offset..<(offset + 1)
        }

        private mutating func flush() {
            guard let range = current else { return }
            if result.ranges.count < BinaryComparator.maxRanges { result.ranges.append(range) } else { result.more += 1 }
            current = nil
        }

        mutating func finish() -> Ranges {
            flush()
            return result
        }
    }

    static func differingRanges(_ a: [UInt8], _ b: [UInt8]) -> Ranges {
        var tracker = RangeTracker()
        for index in 0..<min(a.count, b.count) where a[index] != b[index] { tracker.mark(index) }
        return tracker.finish()
    }

    static func summary(_ ranges: Ranges, sizeA: Int, sizeB: Int) -> DifferenceNode {
        var parts: [String] = []
        let shown = ranges.ranges.map { "0x\(String($0.lowerBound, radix: 16))–0x\(String($0.upperBound, radix: 16))" }
        if !shown.isEmpty {
            parts.append("\(ranges.bytes) bytes differ in \(ranges.ranges.count + ranges.more) ranges: "
                         + shown.prefix(6).joined(separator: ", ") + (shown.count > 6 || ranges.more > 0 ? ", …" : ""))
        }
        if sizeA != sizeB { parts.append("sizes differ by \(sizeB - sizeA) bytes (from offset \(min(sizeA, sizeB)))") }
        return DifferenceNode(kind: .section, name: "byte ranges", a: nil, b: nil,
                              detail: Detail(format: .text, lines: parts.map { Detail.Line(.context, $0) }))
    }

    /// 16-byte rows around the first ranges: A's as removed lines, B's as added.
    static func hexdump(_ a: [UInt8], _ b: [UInt8], ranges: ArraySlice<Range<Int>>) -> Detail {
        var lines: [Detail.Line] = []
        var rangesToShow = Array(ranges)
        if rangesToShow.isEmpty && a.count != b.count {
            rangesToShow = [min(a.count, b.count)..<(min(a.count, b.count) + 1)]
        }
        for range in rangesToShow {
            let start = max(0, range.lowerBound - 16) / 16 * 16
            // A shifted tail makes one range of the whole rest of the file: show its start only.
            let end = min(max(a.count, b.count), (range.upperBound + 31) / 16 * 16, start + 128)
            let sliceA = Array(a[min(start, a.count)..<min(end, a.count)])
            let sliceB = Array(b[min(start, b.count)..<min(end, b.count)])
            lines += rows(sliceA, sliceB, base: start).lines
            if lines.count > 24 { break }
        }
        return Detail(format: .hexdump, lines: lines)
    }

    static func rows(_ a: [UInt8], _ b: [UInt8], base: Int) -> Detail {
        var lines: [Detail.Line] = []
        var row = 0
        while row * 16 < max(a.count, b.count) {
            let rowA = Array(a.dropFirst(row * 16).prefix(16))
            let rowB = Array(b.dropFirst(row * 16).prefix(16))
            let address = String(base + row * 16, radix: 16).leftPadded(to: 8)
            if rowA == rowB {
                lines.append(Detail.Line(.context, format(address, rowA)))
            } else {
                if !rowA.isEmpty { lines.append(Detail.Line(.removed, format(address, rowA))) }
                if !rowB.isEmpty { lines.append(Detail.Line(.added, format(address, rowB))) }
            }
            row += 1
        }
        return Detail(format: .hexdump, lines: lines)
    }

    static func format(_ address: String, _ bytes: [UInt8]) -> String {
        var hex = ""
        for (index, byte) in bytes.enumerated() {
            hex += String(byte, radix: 16).leftPadded(to: 2)
            hex += index == 7 ? "  " : " "
        }
        hex = hex.padding(toLength: 49, withPad: " ", startingAt: 0)
        let ascii = String(bytes.map { (0x20..<0x7f).contains($0) ? Character(UnicodeScalar($0)) : "." })
        return address + ": " + hex + " " + ascii
    }
}

/// Reads two contents in lock step, chunk by chunk.
struct ChunkPairReader {
    let a: ContentHandle
    let b: ContentHandle

    init(_ a: ContentHandle, _ b: ContentHandle) {
        self.a = a
        self.b = b
    }

    func forEachPair(_ body: ([UInt8], [UInt8]) throws -> Void) throws {
        let readerA = try Self.open(a)
        let readerB = try Self.open(b)
        while true {
            let chunkA = try readerA(1 << 20)
            let chunkB = try readerB(1 << 20)
            if chunkA.isEmpty && chunkB.isEmpty { return }
            try body(chunkA, chunkB)
        }
    }

    private static func open(_ handle: ContentHandle) throws -> (Int) throws -> [UInt8] {
        switch handle {
        case .memory(let data):
            var offset = 0
            return { size in
                defer { offset = min(data.count, offset + size) }
                return [UInt8](data[data.startIndex + offset..<data.startIndex + min(data.count, offset + size)])
            }
        case .file(let path, _):
            guard let file = FileHandle(forReadingAtPath: path) else {
                throw DifferError.unreadable(path, reason: "cannot open")
            }
            return { size in [UInt8](try file.read(upToCount: size) ?? Data()) }
        }
    }
}
