import CZlib
import Foundation

/// Streams bytes into a gzip member whose every header byte is fixed, so that equal input gives
/// equal output on any machine running the same deflate.
///
/// zlib's own gzip wrapper (windowBits 31) writes the operating system byte from its build
/// (3 on Linux, 19 on recent macOS zlib), so the header is written here and zlib only produces
/// the raw deflate stream: magic, deflate method, no flags, mtime 0, XFL 0, OS 3 (Unix, as GNU
/// gzip writes), and no file name. The trailer is the CRC-32 and the input size modulo 2³².
final class GzipEncoder {
    /// One fixed level for every layer: 6, zlib's and Go's default (so sizes compare with Docker's
    /// and BuildKit's layers). Measured against 1 and 9 in Reports/archive-bench.md: 9 costs
    /// several times the time for a fraction of a percent; 1 is faster for a few percent more
    /// bytes. Changing it changes every compressed digest (never a diff id).
    static let compressionLevel: Int32 = 6
    static let header: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]

    // zlib keeps a pointer back to its z_stream and checks it, so the stream must not move.
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutablePointer<UInt8>
    private let outputSize = 1 << 18
    private var crc: uLong = crc32(0, nil, 0)
    private var inputSize: UInt32 = 0
    private var wroteHeader = false
    private var finished = false

    init(level: Int32 = GzipEncoder.compressionLevel) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: outputSize)
        let status = reprise_deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw LayerArchiveError.zlib(operation: "deflateInit2", code: status)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// Compresses `bytes`, handing finished output to `emit` as it fills.
    func compress(_ bytes: UnsafeRawBufferPointer,
                  emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "compress after finish")
        try emitHeaderOnce(emit)
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        // zlib's counters are 32-bit; feed at most 1 GiB at a time.
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 30)
            let start = base.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            crc = crc32(crc, start, uInt(chunk))
            inputSize &+= UInt32(truncatingIfNeeded: chunk)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: start)
            stream.pointee.avail_in = uInt(chunk)
            try run(flush: Z_NO_FLUSH, emit: emit)
            offset += chunk
        }
    }

    /// Flushes the deflate stream and writes the trailer.
    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "finish twice")
        try emitHeaderOnce(emit)
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(flush: Z_FINISH, emit: emit)
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

    private func run(flush: Int32, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        while true {
            stream.pointee.next_out = output
            stream.pointee.avail_out = uInt(outputSize)
            let status = deflate(stream, flush)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw LayerArchiveError.zlib(operation: "deflate", code: status)
            }
            let produced = outputSize - Int(stream.pointee.avail_out)
            if produced > 0 { try emit(UnsafeRawBufferPointer(start: output, count: produced)) }
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 {
                return
            }
        }
    }
}
