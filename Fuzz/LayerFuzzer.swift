// libFuzzer entry point for the layer tar reader (LayerArchive.LayerReader). Built by
// scripts/fuzz-layer against the LayerArchive module (compiled by SwiftPM with the fuzzer and
// address sanitizers). The first byte chooses the mode:
//   even: the rest is read as the layer as-is (plain tar, or gzip when it starts with its magic);
//   odd:  the rest is wrapped in a valid gzip member (stored deflate blocks, correct CRC and
//         size), so the tar parser is reached through the gzip decoder too.
import Foundation
import LayerArchive

private let crcTable: [UInt32] = (0..<256).map { index in
    var value = UInt32(index)
    for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
    return value
}

private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

private func littleEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
}

/// A gzip member holding `payload` in stored (uncompressed) deflate blocks.
private func storedGzip(_ payload: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]
    var start = payload.startIndex
    repeat {
        let end = min(payload.endIndex, start + 65535)
        let length = UInt16(end - start)
        out.append(end == payload.endIndex ? 1 : 0)
        out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
        out += payload[start..<end]
        start = end
    } while start < payload.endIndex
    out += littleEndian(crc32(payload))
    out += littleEndian(UInt32(truncatingIfNeeded: payload.count))
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func layerFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let input = bytes[0] & 1 == 0 ? Array(bytes[1...]) : storedGzip(bytes[1...])
    guard let reader = try? LayerReader(data: Data(input)) else { return 0 }
    var entries = 0
    do {
        while let entry = try reader.next() {
            entries += 1
            precondition(entry.size >= 0, "negative size for \(entry.path)")
            precondition(entry.headerOffset >= 0, "negative header offset")
            // Read the content of every other entry; the rest is skipped by next().
            if entries % 2 == 0 {
                var total: Int64 = 0
                try reader.forEachContentChunk(size: 4096) { total += Int64($0.count) }
                precondition(total == entry.size, "content of \(entry.path): \(total) ≠ \(entry.size)")
            }
        }
        // A clean end: the digests are known and cover every byte.
        precondition(reader.diffID != nil && reader.digest != nil, "ended without digests")
        if reader.compression == .none {
            precondition(reader.diffID == reader.digest, "plain tar with two digests")
        }
    } catch {
        _ = "\(error)"
    }
    return 0
}
