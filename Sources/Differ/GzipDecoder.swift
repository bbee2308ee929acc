import CZlib
import Foundation

/// Decompresses gzip data in memory, refusing to grow past a limit (a gzip bomb stops there).
enum GzipDecoder {
    /// The decompressed bytes of every member, or nil when the data is not gzip, is corrupt, or
    /// would exceed `limit` bytes.
    static func decompress(_ data: Data, limit: Int) -> Data? {
        var stream = z_stream()
        guard reprise_inflateInit2(&stream, 15 + 32) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        let input = [UInt8](data)
        var status: Int32 = Z_OK
        return input.withUnsafeBufferPointer { source -> Data? in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                let produced: Int = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunk - Int(stream.avail_out)
                }
                output.append(contentsOf: buffer[0..<produced])
                if output.count > limit { return nil }
                if status == Z_STREAM_END {
                    // Concatenated members (gzip allows them): continue with the next one.
                    if stream.avail_in > 0 && inflateReset(&stream) == Z_OK { continue }
                    return output
                }
                if status != Z_OK { return nil }
                if stream.avail_in == 0 && produced == 0 { return nil }
            }
        }
    }

    /// The header's MTIME field (seconds since the epoch, 0 when unset).
    static func headerTime(_ data: Data) -> UInt32 {
        guard data.count >= 8 else { return 0 }
        let base = data.startIndex
        return UInt32(data[base + 4]) | UInt32(data[base + 5]) << 8 | UInt32(data[base + 6]) << 16
            | UInt32(data[base + 7]) << 24
    }

    /// The header's original file name, when FNAME is set.
    static func headerName(_ data: Data) -> String? {
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
