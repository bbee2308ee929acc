#if canImport(Glibc)
import Glibc
#endif

/// Which parts of a gzip block a ``GzipBlockRule`` stores instead of deflating: integer tests on
/// the block's bytes (and the 32 KiB before it) alone, so the choice, and with it the output, is
/// the same on every machine and for any number of workers.
///
/// The answer is given per ``unitSize`` bytes, the tar block, so that a run of stored bytes can
/// end where a file's contents end in a layer's tar; rules before
/// ``GzipBlockRule/storeIncompressibleToTheTarBlock`` decide per 2 KiB chunk (four units at once).
enum IncompressibleUnits {
    /// The unit of the answer: a tar block, where a file's contents start.
    static let unitSize = 512
    /// The unit every rule judges first, 512 to a block: large enough for a histogram to tell
    /// random bytes from others with next to no error, small enough to find the incompressible
    /// part of a run of small files (a tar interleaves headers, text and compressed data every
    /// few KiB).
    static let chunkSize = 2048
    static let unitsPerChunk = chunkSize / unitSize
    /// The byte value that marks an anchor for the repeat test (one position in 256 of
    /// random-looking bytes).
    static let anchorByte: UInt8 = 0xA5

    /// Which units of `block` are stored rather than deflated, or nil when none is (then the block
    /// is one deflate run, exactly as under ``GzipBlockRule/deflateEvery``). Only a whole block
    /// (`GzipEncoder.blockSize` bytes) has stored units. A chunk is stored when
    /// 1. its byte histogram is flat: 256·Σcᵢ² ≤ 1.25·n², its collision entropy at least
    ///    7.68 bits per byte as measured (random bytes measure 1.125 ± 0.011 at n = 2048: the
    ///    excess is sampling noise), where Huffman coding has next to nothing to gain;
    /// 2. nothing in it repeats what came shortly before, which LZ77 would shrink however random
    ///    the bytes: no anchor in it (a position holding ``anchorByte``) starts 16 bytes that an
    ///    earlier anchor, in the block or its `dictionary` (the 32 KiB of input before it), at
    ///    most `GzipEncoder.dictionarySize` bytes before, also starts.
    ///
    /// Under ``GzipBlockRule/storeIncompressibleToTheTarBlock`` a unit next to a stored chunk is
    /// stored too when it passes both tests at its own size (256·Σcᵢ² ≤ 1.75·n² at n = 512:
    /// random bytes measure 1.50, and 1.68 or more once in 10,000 units), and so is the next one
    /// out, until one fails: the contents of a file of random bytes in a tar start and end at a
    /// unit, where a chunk boundary would deflate 2 KiB of them on average, at a third of the
    /// speed zlib deflates text.
    static func stored(_ block: UnsafeRawBufferPointer, dictionary: [UInt8], rule: GzipBlockRule) -> [Bool]? {
        guard rule.storesIncompressible, block.count == GzipEncoder.blockSize, let base = block.baseAddress else {
            return nil
        }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let chunkCount = block.count / chunkSize
        var flatChunks = [Bool](repeating: false, count: chunkCount)
        var anyFlat = false
        for chunk in 0..<chunkCount where isFlat(bytes + chunk * chunkSize, count: chunkSize, numerator: 5) {
            flatChunks[chunk] = true
            anyFlat = true
        }
        guard anyFlat else { return nil }
        let repeated = unitsStartingARepeat(block, dictionary: dictionary)
        let unitCount = block.count / unitSize
        var stored = [Bool](repeating: false, count: unitCount)
        var anyStored = false
        for chunk in 0..<chunkCount where flatChunks[chunk] {
            let units = (chunk * unitsPerChunk)..<((chunk + 1) * unitsPerChunk)
            guard !units.contains(where: { repeated[$0] }) else { continue }
            for unit in units { stored[unit] = true }
            anyStored = true
        }
        guard anyStored else { return nil }
        guard rule == .storeIncompressibleToTheTarBlock else { return stored }
        // A unit joins a stored run when it and every unit between it and the run pass the
        // unit's tests: the same answer whichever run is grown first.
        let chunkStored = stored
        let passes = { (unit: Int) -> Bool in
            !repeated[unit] && isFlat(bytes + unit * unitSize, count: unitSize, numerator: 7)
        }
        var growing = false
        for unit in 0..<unitCount {
            if chunkStored[unit] { growing = true } else if growing && passes(unit) { stored[unit] = true } else { growing = false }
        }
        growing = false
        for unit in (0..<unitCount).reversed() {
            if chunkStored[unit] {
                growing = true
            } else if growing && (stored[unit] || passes(unit)) {
                stored[unit] = true
            } else {
                growing = false
            }
        }
        return stored
    }

    /// Whether the `count` bytes at `bytes` have a flat histogram: 1024·Σcᵢ² ≤ numerator·n²
    /// (256·Σcᵢ² ≤ numerator/4 · n²). Four tables, so that equal bytes in a row do not wait
    /// for each other's increment.
    private static func isFlat(_ bytes: UnsafePointer<UInt8>, count: Int, numerator: UInt64) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 4 * 256) { counts in
            counts.initialize(repeating: 0)
            let table = counts.baseAddress!
            var index = 0
            while index + 4 <= count {
                table[Int(bytes[index])] &+= 1
                table[256 + Int(bytes[index + 1])] &+= 1
                table[512 + Int(bytes[index + 2])] &+= 1
                table[768 + Int(bytes[index + 3])] &+= 1
                index += 4
            }
            while index < count {
                table[Int(bytes[index])] &+= 1
                index += 1
            }
            var sumOfSquares: UInt64 = 0
            for value in 0..<256 {
                let total = UInt64(table[value]) + UInt64(table[256 + value]) + UInt64(table[512 + value])
                    + UInt64(table[768 + value])
                sumOfSquares += total * total
            }
            let n = UInt64(count)
            return 1024 * sumOfSquares <= numerator * n * n
        }
    }

    /// Per unit of `block`, whether an anchor in it starts 16 bytes an earlier anchor (in the
    /// block or `dictionary`) at most `GzipEncoder.dictionarySize` bytes before also starts.
    /// Anchors are looked for in the dictionary too (only remembered there): the first chunks of
    /// a block may repeat the end of the block before.
    private static func unitsStartingARepeat(_ block: UnsafeRawBufferPointer, dictionary: [UInt8]) -> [Bool] {
        var repeated = [Bool](repeating: false, count: block.count / unitSize)
        let context = dictionary.suffix(GzipEncoder.dictionarySize) + Array(block)
        let lead = context.count - block.count
        var lastSeen = AnchorTable()
        context.withUnsafeBytes { all in
            let start = all.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var position = 0
            while position + 16 <= all.count {
                guard let found = memchr(start + position, Int32(anchorByte), all.count - 16 + 1 - position) else { break }
                let anchor = start.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let first = all.loadUnaligned(fromByteOffset: anchor, as: UInt64.self)
                let second = all.loadUnaligned(fromByteOffset: anchor + 8, as: UInt64.self)
                if let earlier = lastSeen.replace(first, second, with: anchor),
                   anchor - earlier <= GzipEncoder.dictionarySize, anchor >= lead {
                    repeated[(anchor - lead) / unitSize] = true
                }
                position = anchor + 1
            }
        }
        return repeated
    }

    /// The last position each 16-byte key was seen at: open addressing, linear probing, grown
    /// at half full. Random bytes hold one anchor in 256 (some 4,000 a block); a Swift
    /// `Dictionary` hashed each with SipHash, a tenth of the rule's time.
    private struct AnchorTable {
        private var keys: [(UInt64, UInt64)]
        private var positions: [Int]
        private var count = 0

        init() {
            keys = Array(repeating: (0, 0), count: 1 << 14)
            positions = Array(repeating: -1, count: 1 << 14)
        }

        /// Records `position` for the key and returns the one it replaces, if any.
        mutating func replace(_ first: UInt64, _ second: UInt64, with position: Int) -> Int? {
            if 2 * (count + 1) > keys.count { grow() }
            let mask = keys.count - 1
            var slot = Self.slot(first, second, mask: mask)
            while positions[slot] >= 0 {
                if keys[slot] == (first, second) {
                    let earlier = positions[slot]
                    positions[slot] = position
                    return earlier
                }
                slot = (slot + 1) & mask
            }
            keys[slot] = (first, second)
            positions[slot] = position
            count += 1
            return nil
        }

        /// Random odd multipliers, drawn once per process: a block's bytes are anyone's (a
        /// context, a base image), and fixed ones would let them choose keys that all land in
        /// one slot (probes quadratic in the anchors). The answer depends only on which keys are
        /// equal, never on where they sit, so it is the same whatever the draw.
        private static let multipliers = (UInt64.random(in: 0...UInt64.max) | 1, UInt64.random(in: 0...UInt64.max) | 1)

        /// Multiply-add-shift: the top bits of a·first + b·second.
        private static func slot(_ first: UInt64, _ second: UInt64, mask: Int) -> Int {
            let mixed = first &* multipliers.0 &+ second &* multipliers.1
            return Int(truncatingIfNeeded: mixed >> UInt64(64 - mask.nonzeroBitCount))
        }

        private mutating func grow() {
            let oldKeys = keys, oldPositions = positions
            keys = Array(repeating: (0, 0), count: oldKeys.count * 2)
            positions = Array(repeating: -1, count: oldKeys.count * 2)
            let mask = keys.count - 1
            for index in oldKeys.indices where oldPositions[index] >= 0 {
                var slot = Self.slot(oldKeys[index].0, oldKeys[index].1, mask: mask)
                while positions[slot] >= 0 { slot = (slot + 1) & mask }
                keys[slot] = oldKeys[index]
                positions[slot] = oldPositions[index]
            }
        }
    }
}
