#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// Writes a deterministic tar of plain files and directories: ustar headers, numeric owner 0/0,
/// no user or group names, one fixed mtime, PAX records only where ustar cannot say it (long
/// paths, sizes of 8 GiB and more). The caller adds members in sorted order.
///
/// Enough for OCI layouts and `docker save` archives, which hold nothing else; layer tars are
/// LayerArchive's business.
final class TarWriter {
    private let fd: Int32
    private let path: String
    private let mtime: Int64
    private var written: Int64 = 0

    /// Writes to `fd` (not closed here); `path` names the destination in errors.
    init(fileDescriptor fd: Int32, path: String, mtime: Int64 = 0) {
        self.fd = fd
        self.path = path
        self.mtime = mtime
    }

    func addDirectory(_ name: String, mode: Int = 0o755) throws {
        try writeHeader(name: name.hasSuffix("/") ? name : name + "/", size: 0, mode: mode,
                        type: UInt8(ascii: "5"))
    }

    func addFile(_ name: String, data: Data, mode: Int = 0o644) throws {
        try writeHeader(name: name, size: Int64(data.count), mode: mode, type: UInt8(ascii: "0"))
        try data.withUnsafeBytes { try write($0) }
        try pad()
    }

    /// Adds a member whose `size` bytes `produce` streams through the sink it is given.
    func addFile(_ name: String, size: Int64, mode: Int = 0o644,
                 produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try writeHeader(name: name, size: size, mode: mode, type: UInt8(ascii: "0"))
        let start = written
        try produce { try self.write($0) }
        guard written - start == size else {
            throw ImageError.malformed(path: name, reason: "changed size while being archived")
        }
        try pad()
    }

    /// The end-of-archive marker: two zero blocks.
    func finish() throws {
        try write(zeros: 1024)
    }

    private func writeHeader(name: String, size: Int64, mode: Int, type: UInt8) throws {
        var pax: [(String, String)] = []
        if name.utf8.count > 100 || !name.utf8.allSatisfy({ $0 < 0x80 }) { pax.append(("path", name)) }
        if size > 0o77777777777 { pax.append(("size", String(size))) }
        if !pax.isEmpty {
            var records = Data()
            for (key, value) in pax { records.append(Self.paxRecord(key: key, value: value)) }
            let paxName = "PaxHeaders/" + String(name.suffix(80)).replacingOccurrences(of: "/", with: "_")
            try write(Self.header(name: paxName, size: Int64(records.count), mode: 0o644,
                                  type: UInt8(ascii: "x"), mtime: mtime))
            try records.withUnsafeBytes { try write($0) }
            try pad()
        }
        try write(Self.header(name: name, size: size, mode: mode, type: type, mtime: mtime))
    }

    static func header(name: String, size: Int64, mode: Int, type: UInt8, mtime: Int64) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ string: String, at offset: Int, width: Int) {
            for (i, byte) in string.utf8.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            put(Self.octal(value, digits: width - 1), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(Int64(mode), at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(min(size, 0o77777777777), at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        block[156] = type
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        octal(0, at: 329, width: 8)
        octal(0, at: 337, width: 8)
        for i in 148..<156 { block[i] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(Self.octal(Int64(sum), digits: 6), at: 148, width: 6)
        block[154] = 0
        block[155] = 0x20
        return block
    }

    private static func octal(_ value: Int64, digits: Int) -> String {
        let text = String(value, radix: 8)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    private static func paxRecord(key: String, value: String) -> Data {
        // The length prefix counts itself, so find the fixed point.
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).count + body.utf8.count != length { length += 1 }
        return Data((String(length) + body).utf8)
    }

    private func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        try FileIO.writeAll(fd, bytes, path: path)
        written += Int64(bytes.count)
    }

    private func write(zeros count: Int) throws {
        try write([UInt8](repeating: 0, count: count))
    }

    private func pad() throws {
        let remainder = Int(written % 512)
        if remainder != 0 { try write(zeros: 512 - remainder) }
    }
}
