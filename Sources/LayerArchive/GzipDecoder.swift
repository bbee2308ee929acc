import CZlib

/// Inflates gzip members one buffer at a time; strict about the end, because a layer cut short
/// must be an error and never a shorter tar.
final class GzipDecoder {
    enum Progress {
        /// Consumed and produced so many bytes; call again.
        case more(consumed: Int, produced: Int)
        /// The member's trailer (CRC and size) checked out after `consumed` input bytes.
        case memberEnded(consumed: Int, produced: Int)
    }

    private let stream: UnsafeMutablePointer<z_stream>

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: gzip wrapper only, with its CRC-32 and length checked by zlib.
        let status = reprise_inflateInit2(stream, 15 + 16)
        guard status == Z_OK else {
            stream.deallocate()
            throw LayerArchiveError.zlib(operation: "inflateInit2", code: status)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Prepares for a further member (gzip allows several, concatenated).
    func reset() { inflateReset(stream) }

    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Progress {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        let consumed = input.count - Int(stream.pointee.avail_in)
        let produced = output.count - Int(stream.pointee.avail_out)
        switch status {
        case Z_STREAM_END:
            return .memberEnded(consumed: consumed, produced: produced)
        case Z_OK, Z_BUF_ERROR:
            return .more(consumed: consumed, produced: produced)
        case Z_DATA_ERROR:
            let reason = stream.pointee.msg.map { String(cString: $0) } ?? "corrupt data"
            throw LayerArchiveError.malformed("gzip: \(reason)")
        default:
            throw LayerArchiveError.zlib(operation: "inflate", code: status)
        }
    }
}
