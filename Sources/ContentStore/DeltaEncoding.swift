import Foundation

/// A copy/insert delta of one byte string against another (as git's diff-delta makes between
/// objects of a pack), for the journal's small documents: a tree listing or a record differs from
/// its neighbour in a few entries or digests, so it is stored as "copy these ranges of the base,
/// insert these bytes".
///
/// Encoding (after the header `BlobDeltas` writes): a sequence of operations, each a LEB128
/// varint `length << 2 | kind`, then
/// - kind 0, copy: a varint offset into the base; `length` bytes are copied from there;
/// - kind 1, literal: `length` bytes follow;
/// - kind 2, hex: `length` lowercase hexadecimal characters follow packed two to a byte (digests
///   are most of what differs between two records, and this halves them).
///
/// Deterministic: the same base and target give the same delta. `apply` checks every bound; a
/// delta that does not make the target's bytes is caught by the digest check of whoever reads.
public enum DeltaEncoding {
    /// Matches shorter than this are inserted as literals.
    static let minimumMatch = 12

    /// The operations that make `target` from `base`.
    public static func encode(target: Data, base: Data) -> Data {
        let targetBytes = [UInt8](target), baseBytes = [UInt8](base)
        var output = Data()
        output.reserveCapacity(256)
        let index = BlockIndex(baseBytes, width: minimumMatch)
        let n = targetBytes.count
        var position = 0, literalStart = 0
        // Where the last copy ended in the base and the target: the next copy most often
        // continues there, shifted by what was inserted (a digest replaced by another of the same
        // length), and trying that first keeps repetitive JSON from matching the wrong entry.
        var lastBaseEnd = 0, lastTargetEnd = 0
        while position + minimumMatch <= n {
            var bestOffset = -1, bestLength = 0
            let predicted = lastBaseEnd + (position - lastTargetEnd)
            if predicted >= 0, predicted < baseBytes.count {
                let length = matchLength(targetBytes, position, baseBytes, predicted)
                if length >= minimumMatch { bestOffset = predicted; bestLength = length }
            }
            if bestLength < 64 {
                index.candidates(for: targetBytes, at: position) { candidate in
                    let length = matchLength(targetBytes, position, baseBytes, candidate)
                    if length > bestLength, length >= minimumMatch { bestOffset = candidate; bestLength = length }
                }
            }
            guard bestOffset >= 0 else {
                position += 1
                continue
            }
            // Extend backwards into bytes not yet emitted.
            var back = 0
            while position - back > literalStart, bestOffset - back > 0,
                  targetBytes[position - back - 1] == baseBytes[bestOffset - back - 1] { back += 1 }
            emitLiteral(targetBytes[literalStart..<(position - back)], into: &output)
            appendVarint(UInt64(bestLength + back) << 2, to: &output)
            appendVarint(UInt64(bestOffset - back), to: &output)
            position += bestLength
            literalStart = position
            lastBaseEnd = bestOffset + bestLength
            lastTargetEnd = position
        }
        emitLiteral(targetBytes[literalStart..<n], into: &output)
        return output
    }

    /// Makes the target from `base` and the operations; throws on any operation that leaves the
    /// base's bounds or runs past the end, and when the result is not `size` bytes.
    public static func apply(_ operations: Data, to base: Data, size: Int) throws -> Data {
        guard size >= 0, size <= BlobStore.largestDeltaDocument else {
            throw DeltaError.malformed("a size of \(size) bytes, more than any document made a delta")
        }
        let ops = [UInt8](operations)
        var result = [UInt8]()
        result.reserveCapacity(size)
        var cursor = 0
        try base.withUnsafeBytes { (base: UnsafeRawBufferPointer) in
            while cursor < ops.count {
                let word = try readVarint(ops, &cursor)
                let length = Int(word >> 2)
                guard length <= size - result.count else { throw DeltaError.malformed("operation runs past the blob's size") }
                switch word & 3 {
                case 0:
                    let at = try readVarint(ops, &cursor)
                    guard let offset = Int(exactly: at), offset <= base.count, length <= base.count - offset else {
                        throw DeltaError.malformed("copy of \(length) bytes at \(at) outside a base of \(base.count)")
                    }
                    result.append(contentsOf: base[offset..<(offset + length)])
                case 1:
                    guard length <= ops.count - cursor else { throw DeltaError.malformed("literal runs past the end") }
                    result.append(contentsOf: ops[cursor..<(cursor + length)])
                    cursor += length
                case 2:
                    let packed = (length + 1) / 2
                    guard length % 2 == 0, packed <= ops.count - cursor else { throw DeltaError.malformed("hex run runs past the end") }
                    for byte in ops[cursor..<(cursor + packed)] {
                        result.append(hexDigits[Int(byte >> 4)])
                        result.append(hexDigits[Int(byte & 15)])
                    }
                    cursor += packed
                default:
                    throw DeltaError.malformed("unknown operation \(word & 3)")
                }
            }
        }
        guard result.count == size else { throw DeltaError.malformed("makes \(result.count) bytes, not \(size)") }
        return Data(result)
    }

    public enum DeltaError: Error, CustomStringConvertible, Equatable {
        case malformed(String)
        public var description: String {
            switch self { case .malformed(let why): return "malformed delta: \(why)" }
        }
    }

    // MARK: - Pieces

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    private static func matchLength(_ target: [UInt8], _ t: Int, _ base: [UInt8], _ b: Int) -> Int {
        let limit = min(target.count - t, base.count - b)
        var length = 0
        while length < limit, target[t + length] == base[b + length] { length += 1 }
        return length
    }

    /// Literal bytes, with runs of 16 or more lowercase hex characters packed two to a byte.
    private static func emitLiteral(_ bytes: ArraySlice<UInt8>, into output: inout Data) {
        var start = bytes.startIndex, cursor = bytes.startIndex
        func flushPlain(upTo end: Int) {
            guard end > start else { return }
            appendVarint(UInt64(end - start) << 2 | 1, to: &output)
            output.append(contentsOf: bytes[start..<end])
        }
        while cursor < bytes.endIndex {
            var runEnd = cursor
            while runEnd < bytes.endIndex, hexValue(bytes[runEnd]) != nil { runEnd += 1 }
            let runLength = (runEnd - cursor) & ~1
            if runLength >= 16 {
                flushPlain(upTo: cursor)
                appendVarint(UInt64(runLength) << 2 | 2, to: &output)
                var i = cursor
                while i < cursor + runLength {
                    output.append(hexValue(bytes[i])! << 4 | hexValue(bytes[i + 1])!)
                    i += 2
                }
                cursor += runLength
                start = cursor
            } else {
                cursor = max(runEnd, cursor + 1)
            }
        }
        flushPlain(upTo: bytes.endIndex)
    }

    static func appendVarint(_ value: UInt64, to output: inout Data) {
        var value = value
        while value >= 0x80 {
            output.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        output.append(UInt8(value))
    }

    static func readVarint(_ bytes: [UInt8], _ cursor: inout Int) throws -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard cursor < bytes.count, shift < 64 else { throw DeltaError.malformed("truncated number") }
            let byte = bytes[cursor]
            cursor += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// Positions of the base by a hash of the `width` bytes starting there: an open-addressing
    /// table of a few candidates per hash, so that repeated JSON fragments keep more than one
    /// place to extend from.
    private struct BlockIndex {
        private var slots: [Int32]
        private let mask: Int
        private let width: Int

        init(_ base: [UInt8], width: Int) {
            self.width = width
            var capacity = 1024
            while capacity < base.count * 2 { capacity <<= 1 }
            slots = [Int32](repeating: -1, count: capacity)
            mask = capacity - 1
            guard base.count >= width else { return }
            for position in 0...(base.count - width) {
                var slot = Int(truncatingIfNeeded: BlockIndex.hash(base, position, width)) & mask
                // At most four probes: later copies of a common fragment are dropped.
                for _ in 0..<4 {
                    if slots[slot] < 0 { slots[slot] = Int32(position); break }
                    slot = (slot + 1) & mask
                }
            }
        }

        func candidates(for target: [UInt8], at position: Int, _ body: (Int) -> Void) {
            var slot = Int(truncatingIfNeeded: BlockIndex.hash(target, position, width)) & mask
            for _ in 0..<4 {
                let found = slots[slot]
                if found < 0 { return }
                body(Int(found))
                slot = (slot + 1) & mask
            }
        }

        static func hash(_ bytes: [UInt8], _ position: Int, _ width: Int) -> UInt64 {
            var h: UInt64 = 0xcbf29ce484222325
            for i in position..<(position + width) { h = (h ^ UInt64(bytes[i])) &* 0x100000001b3 }
            return h ^ (h >> 29)
        }
    }
}
