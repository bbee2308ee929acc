import CZlib
import Foundation

/// Inflates gzip members one buffer at a time; strict about the end, because a layer cut short
/// must be an error and never a shorter tar. The one gzip decoder: layers stream through it, and
/// the differ inflates contents in memory with ``decompress(_:limit:)``.
public final class GzipDecoder {
    enum Progress {
        /// Consumed and produced so many bytes; call again.
        case more(consumed: Int, produced: Int)
        /// The member's trailer (CRC and size) checked out after `consumed` input bytes.
        case memberEnded(consumed: Int, produced: Int)
    }

    private let stream: UnsafeMutablePointer<z_stream>

    public init() throws {
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

extension GzipDecoder {
    /// Every member of `data` inflated, or nil when it is not gzip, is corrupt or cut short, or
    /// would grow past `limit` bytes (a gzip bomb stops there).
    public static func decompress(_ data: Data, limit: Int) -> Data? {
        guard let decoder = try? GzipDecoder() else { return nil }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        return data.withUnsafeBytes { input -> Data? in
            var offset = 0
            while true {
                let progress: Progress
                do {
                    progress = try buffer.withUnsafeMutableBytes { out in
                        try decoder.inflate(UnsafeRawBufferPointer(rebasing: input[offset...]), into: out)
                    }
                } catch {
                    return nil
                }
                switch progress {
                case .more(let consumed, let produced):
                    output.append(contentsOf: buffer[0..<produced])
                    offset += consumed
                    if output.count > limit || (consumed == 0 && produced == 0) { return nil }
                case .memberEnded(let consumed, let produced):
                    output.append(contentsOf: buffer[0..<produced])
                    offset += consumed
                    if output.count > limit { return nil }
                    if offset >= input.count { return output }
                    decoder.reset()  // concatenated members, as gzip allows
                }
            }
        }
    }
}

/// What a gzip member's header says besides its contents (RFC 1952 §2.3).
public enum GzipHeader {
    /// The MTIME field (seconds since the epoch, 0 when unset).
    public static func time(_ data: Data) -> UInt32 {
        guard data.count >= 8 else { return 0 }
        let base = data.startIndex
        return UInt32(data[base + 4]) | UInt32(data[base + 5]) << 8 | UInt32(data[base + 6]) << 16
            | UInt32(data[base + 7]) << 24
    }

    /// The original file name, when FNAME is set.
    public static func fileName(_ data: Data) -> String? {
        guard data.count >= 10, data[data.startIndex + 3] & 0x08 != 0 else { return nil }
        var index = data.startIndex + 10
        if data[data.startIndex + 3] & 0x04 != 0 {
            guard index + 2 <= data.endIndex else { return nil }
            index += 2 + Int(data[index]) | Int(data[index + 1]) << 8
        }
        guard index < data.endIndex, let end = data[index...].firstIndex(of: 0) else { return nil }
        return String(decoding: data[index..<end], as: UTF8.self)
    }
}
