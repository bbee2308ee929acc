import CZlib
import Dispatch
import Foundation
import Synchronization

/// Streams bytes into a gzip member whose every byte is fixed by the input, compressing on every
/// core: equal input gives equal output on any machine running the same deflate, whatever its
/// number of cores.
///
/// As pigz does, the input is cut into fixed blocks of ``blockSize`` bytes; each is deflated on
/// its own (so blocks compress in parallel), primed with the 32 KiB of input before it as its
/// dictionary (so matches reach back across the cut, and the ratio stays within a fraction of a
/// percent of one stream), and ended with a sync flush (the last with `Z_FINISH`), which leaves
/// the pieces byte-aligned so that their concatenation is one valid deflate stream. The split
/// depends only on the input, never on the cores, so the output does not either. An input of at
/// most one block is one plain deflate stream, byte for byte what a single zlib stream makes
/// (so small layers keep the digests they always had).
///
/// zlib's own gzip wrapper (windowBits 31) writes the operating system byte from its build
/// (3 on Linux, 19 on recent macOS zlib), so the header is written here and zlib only produces
/// the raw deflate stream: magic, deflate method, no flags, mtime 0, XFL 0, OS 3 (Unix, as GNU
/// gzip writes), and no file name. The trailer is the CRC-32 and the input size modulo 2³².
///
/// Under the rules that store incompressible bytes (``GzipBlockRule``) the parts of a whole
/// block, not the last, that deflate cannot shrink (``IncompressibleUnits``: decided from the
/// input alone) are written as stored deflate blocks instead of being run through zlib; the runs
/// between them are deflated as a block is (primed with the 32 KiB before them under rule 1,
/// only a block's first run under the later ones). zlib at
/// level 3 spends more CPU per byte on random-looking bytes (archives, images, compressed
/// sections) than on text, and its output is 0.03% larger than its input; stored blocks cost a
/// copy and 0.008%. They are part of deflate itself (RFC 1951 §3.2.4), so every gzip reader
/// decodes them. A block with no stored chunk is deflated exactly as before the rule existed.
final class GzipEncoder {
    /// One fixed level for every layer: 3, chosen by measurement (Reports/compression-level.md,
    /// `scripts/bench-compression-level`). Deflate was half the CPU of a cold build of a large
    /// context at zlib's default 6; level 3 takes 0.71× of level 6's CPU on the bench's large
    /// context (+2.3% bytes) and 0.50× on /usr/lib/python3 (+8.4% bytes). Level 1 saves little
    /// more CPU on the first for nearly three times the size increase; 9 (Reports/archive-bench.md)
    /// costs several times the time for a fraction of a percent. `--output compression-level=`
    /// still picks any level for an export. Changing it changes every compressed digest (never a
    /// diff id): it was 6 until the change that made it 3.
    static let compressionLevel: Int32 = 3
    static let header: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]
    /// The fixed cut. Changing it changes the digest of every layer larger than it.
    static let blockSize = 1 << 20
    /// deflate's window: what a block may refer back to.
    static let dictionarySize = 32 << 10

    private let level: Int32
    private let blockRule: GzipBlockRule
    /// Blocks compressed at the same time (and held in memory at once, twice over).
    private let workers: Int
    /// Input not yet compressed: whole blocks, and the start of the next one.
    private var pending: [UInt8] = []
    /// The most input `pending` held at once: a window of blocks and a byte, whatever the calls.
    private(set) var peakPendingBytes = 0
    /// The last `dictionarySize` bytes of input already compressed.
    private var tail: [UInt8] = []
    private var crc: uLong = crc32(0, nil, 0)
    private var inputSize: UInt32 = 0
    private var wroteHeader = false
    private var finished = false

    /// `workers` nil: one per core. The output is the same for any number.
    init(level: Int32 = GzipEncoder.compressionLevel, blockRule: GzipBlockRule = .current,
         workers: Int? = nil) throws {
        self.level = level
        self.blockRule = blockRule
        self.workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Blocks being deflated or waiting for a worker at once: enough that a worker finishing a
    /// cheap block (mostly stored chunks) finds the next one queued instead of waiting for a
    /// slow neighbour, as whole rounds of blocks did.
    private var window: Int { workers * 2 }

    /// Compresses `bytes`, handing finished output to `emit` as it fills.
    func compress(_ bytes: UnsafeRawBufferPointer,
                  emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "compress after finish")
        try emitHeaderOnce(emit)
        guard bytes.count > 0 else { return }
        inputSize &+= UInt32(truncatingIfNeeded: bytes.count)
        // Taken a window of blocks at a time, so that a caller handing over a gigabyte at once
        // does not have it copied whole into `pending` and again into blocks.
        var offset = 0
        while offset < bytes.count {
            let room = max(1, window * Self.blockSize + 1 - pending.count)
            let taken = min(room, bytes.count - offset)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + taken)]))
            offset += taken
            peakPendingBytes = max(peakPendingBytes, pending.count)
            // Only blocks known not to be the last go now: the last one ends the stream.
            if pending.count > Self.blockSize {
                try compressBlocks(count: (pending.count - 1) / Self.blockSize, endingStream: false, emit: emit)
            }
        }
    }

    /// Compresses what is left, ends the deflate stream and writes the trailer.
    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "finish twice")
        try emitHeaderOnce(emit)
        let blocks = max(1, (pending.count + Self.blockSize - 1) / Self.blockSize)
        try compressBlocks(count: blocks, endingStream: true, emit: emit)
        finished = true
        var trailer = [UInt8]()
        for value in [UInt32(truncatingIfNeeded: crc), inputSize] {
            withUnsafeBytes(of: value.littleEndian) { trailer.append(contentsOf: $0) }
        }
        try trailer.withUnsafeBytes { try emit($0) }
    }

    private func emitHeaderOnce(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !wroteHeader else { return }
        wroteHeader = true
        try GzipEncoder.header.withUnsafeBytes { try emit($0) }
    }

    /// One block on its way through a worker: its output, once there, and the group to wait on.
    private final class BlockInFlight: Sendable {
        let group = DispatchGroup()
        let result = Mutex<Result<Compressed, any Error>?>(nil)
    }

    /// A block's deflate output, and the CRC-32 of its input (computed by the worker, so that the
    /// thread producing the input does not: the stream's CRC is combined from them in order).
    struct Compressed: Sendable {
        var bytes: [UInt8]
        var crc: uLong
        var length: Int
    }

    /// Blocks handed to workers and not yet emitted, in input order.
    private var inFlight: [BlockInFlight] = []
    /// The workers, from the first block handed to one until the stream ends.
    private var threads: WorkerThreads?

    deinit {
        // A stream abandoned with blocks in flight: their workers hold only their own copies.
        for block in inFlight { block.group.wait() }
        threads?.close()
    }

    /// Cuts the first `count` blocks of `pending` and hands each to a worker; with `endingStream`
    /// they are all of it, the last one finishes the stream, and everything is emitted before
    /// this returns. Otherwise up to ``window`` blocks stay in flight so that the caller can go
    /// on producing input; the oldest is emitted when a new one needs its place. The output does
    /// not depend on this: blocks and their dictionaries are cut from the input alone, and are
    /// emitted in input order.
    private func compressBlocks(count: Int, endingStream: Bool,
                                emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let size = Self.blockSize
        let total = endingStream ? pending.count : count * size
        let level = self.level
        let blockRule = self.blockRule
        // Each block with its dictionary (the 32 KiB before it, from this call or the last),
        // copied out so the workers share nothing mutable.
        let blocks: [[UInt8]] = (0..<count).map { index in
            let start = index * size
            return Array(pending[start..<min(total, start + size)])
        }
        let dictionaries: [[UInt8]] = (0..<count).map { index in
            let start = index * size
            if start >= Self.dictionarySize { return Array(pending[(start - Self.dictionarySize)..<start]) }
            return Array(tail.suffix(Self.dictionarySize - start)) + Array(pending[0..<start])
        }
        let consumed = min(total, pending.count)
        tail = Array((tail + pending[max(0, consumed - Self.dictionarySize)..<consumed]).suffix(Self.dictionarySize))
        pending.removeFirst(consumed)

        for index in 0..<count {
            let block = blocks[index], dictionary = dictionaries[index]
            let last = endingStream && index == count - 1
            let compressOne = { @Sendable () -> Result<Compressed, any Error> in
                Result {
                    try block.withUnsafeBytes { input in
                        let crc = crc32(0, input.baseAddress?.assumingMemoryBound(to: UInt8.self), uInt(input.count))
                        let bytes = try Self.encode(input, dictionary: dictionary, level: level, last: last,
                                                    blockRule: blockRule)
                        return Compressed(bytes: bytes, crc: crc, length: input.count)
                    }
                }
            }
            // The stream's last block is deflated here, while the workers finish the ones before
            // it (the caller would only wait for them): a layer of one block starts no thread.
            if workers == 1 || last {
                let result = compressOne()
                while !inFlight.isEmpty { try emitOldest(emit) }
                try emitBlock(result, emit)
                continue
            }
            while inFlight.count >= window { try emitOldest(emit) }
            let entry = BlockInFlight()
            entry.group.enter()
            let threads = self.threads ?? WorkerThreads(count: workers)
            self.threads = threads
            threads.submit {
                let result = compressOne()
                entry.result.withLock { $0 = result }
                entry.group.leave()
            }
            inFlight.append(entry)
        }
        if endingStream {
            while !inFlight.isEmpty { try emitOldest(emit) }
            threads?.close()
            threads = nil
        }
    }

    /// Waits for the oldest block in flight and emits it.
    private func emitOldest(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let oldest = inFlight.removeFirst()
        oldest.group.wait()
        try emitBlock(oldest.result.withLock { $0 }!, emit)
    }

    /// Hands a block's output to `emit` and appends its CRC-32 to the stream's; a failure throws.
    private func emitBlock(_ result: Result<Compressed, any Error>,
                           _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let block = try result.get()
        crc = crc32_combine(crc, block.crc, off_t(block.length))
        try block.bytes.withUnsafeBytes { try emit($0) }
    }

    /// One block as raw deflate: primed with `dictionary`, ended by a sync flush (byte-aligned,
    /// not final) or, for the last block, by `Z_FINISH`.
    static func deflate(_ block: UnsafeRawBufferPointer, dictionary: [UInt8], level: Int32,
                        last: Bool) throws -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        let status = reprise_deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else { throw LayerArchiveError.zlib(operation: "deflateInit2", code: status) }
        defer { deflateEnd(stream) }
        if !dictionary.isEmpty {
            let set = dictionary.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
            guard set == Z_OK else { throw LayerArchiveError.zlib(operation: "deflateSetDictionary", code: set) }
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(block.count))) + 64)
        var produced = 0
        stream.pointee.next_in = UnsafeMutablePointer(mutating: block.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = uInt(block.count)
        let flush = last ? Z_FINISH : Z_SYNC_FLUSH
        while true {
            if produced == output.count { output += [UInt8](repeating: 0, count: output.count) }
            let code = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                stream.pointee.next_out = buffer.baseAddress! + produced
                stream.pointee.avail_out = uInt(buffer.count - produced)
                let code = CZlib.deflate(stream, flush)
                produced = buffer.count - Int(stream.pointee.avail_out)
                return code
            }
            guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else {
                throw LayerArchiveError.zlib(operation: "deflate", code: code)
            }
            if last ? code == Z_STREAM_END : (stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0) {
                break
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// One block under the rule: runs of stored units as stored deflate blocks, runs of the
    /// others deflated, each ended by a sync flush and primed with the 32 KiB of input before it
    /// (under rule 1; under the later rules only a block's first run is). `dictionary` is the
    /// 32 KiB before the block.
    static func encode(_ block: UnsafeRawBufferPointer, dictionary: [UInt8], level: Int32, last: Bool,
                       blockRule: GzipBlockRule) throws -> [UInt8] {
        // The last block always goes through zlib whole: it ends the stream, and a stream of one
        // block stays zlib's own.
        guard !last, let stored = IncompressibleUnits.stored(block, dictionary: dictionary, rule: blockRule) else {
            return try deflate(block, dictionary: dictionary, level: level, last: last)
        }
        var output = [UInt8]()
        output.reserveCapacity(block.count + 4096)
        var first = 0
        while first < stored.count {
            var end = first + 1
            while end < stored.count && stored[end] == stored[first] { end += 1 }
            let offset = first * IncompressibleUnits.unitSize
            let run = UnsafeRawBufferPointer(rebasing: block[offset..<(end * IncompressibleUnits.unitSize)])
            if stored[first] {
                appendStored(run, to: &output)
            } else if first > 0 && blockRule != .storeIncompressible {
                // Runs alternate: this one follows stored units.
                output += try deflate(run, dictionary: [], level: level, last: false)
            } else {
                let before: [UInt8] = offset >= dictionarySize
                    ? Array(block[(offset - dictionarySize)..<offset])
                    : Array(dictionary.suffix(dictionarySize - offset)) + Array(block[0..<offset])
                output += try deflate(run, dictionary: before, level: level, last: false)
            }
            first = end
        }
        return output
    }

    /// `bytes` as stored deflate blocks of at most 65,535 bytes, none final. The stream is
    /// byte-aligned before (what came before ended with a sync flush or is stored) and after, as
    /// a sync flush would leave it.
    static func appendStored(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        let maximum = 65_535
        var offset = 0
        repeat {
            let length = min(maximum, bytes.count - offset)
            let inverted = ~UInt16(length)
            output.append(0) // BFINAL 0, BTYPE 00 (stored), then padding to the byte
            output.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8),
                                       UInt8(inverted & 0xff), UInt8(inverted >> 8)])
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
            offset += length
        } while offset < bytes.count
    }
}
