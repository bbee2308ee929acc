import Foundation

/// Decoding of one 512-byte tar header block and of pax extended-header records: the one tar
/// header reader, used by layer reading here and by OCIImage's index of layout archives.
public struct TarHeader: Sendable {
    public static let blockSize = 512

    public let name: [UInt8]
    public let mode: UInt32
    public let uid: UInt32
    public let gid: UInt32
    public let size: Int64
    public let mtime: Int64
    public let typeflag: UInt8
    public let linkName: [UInt8]
    public let userName: [UInt8]
    public let groupName: [UInt8]
    public let deviceMajor: UInt32
    public let deviceMinor: UInt32
    public let format: String

    /// Parses a header block; `offset` only feeds error messages.
    public init(block: UnsafeRawBufferPointer, offset: Int64) throws {
        func field(_ range: Range<Int>) -> [UInt8] {
            Array(block[range].prefix { $0 != 0 })
        }
        func number(_ range: Range<Int>, _ what: String) throws -> Int64 {
            guard let value = TarHeader.number(UnsafeRawBufferPointer(rebasing: block[range])) else {
                throw LayerArchiveError.malformed("tar header at offset \(offset): bad \(what) field")
            }
            return value
        }
        let recorded = try number(148..<156, "checksum")
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? 0x20 : byte
            unsigned += Int64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        guard recorded == unsigned || recorded == signed else {
            throw LayerArchiveError.malformed("tar header at offset \(offset): checksum mismatch")
        }
        let magic = Array(block[257..<265])
        let isUstar = magic.starts(with: Array("ustar\0".utf8))
        format = isUstar ? "ustar" : magic == Array("ustar  \0".utf8) ? "gnu" : "v7"
        var name = field(0..<100)
        if isUstar {
            let prefix = field(345..<500)
            if !prefix.isEmpty { name = prefix + [UInt8(ascii: "/")] + name }
        }
        self.name = name
        mode = UInt32(truncatingIfNeeded: try number(100..<108, "mode")) & 0o7777
        uid = UInt32(truncatingIfNeeded: try number(108..<116, "uid"))
        gid = UInt32(truncatingIfNeeded: try number(116..<124, "gid"))
        size = try number(124..<136, "size")
        mtime = try TarHeader.nanoseconds(seconds: try number(136..<148, "mtime"), offset: offset)
        typeflag = block[156]
        linkName = field(157..<257)
        userName = format == "v7" ? [] : field(265..<297)
        groupName = format == "v7" ? [] : field(297..<329)
        let isDevice = typeflag == UInt8(ascii: "3") || typeflag == UInt8(ascii: "4")
        deviceMajor = isDevice ? UInt32(truncatingIfNeeded: try number(329..<337, "devmajor")) : 0
        deviceMinor = isDevice ? UInt32(truncatingIfNeeded: try number(337..<345, "devminor")) : 0
        guard size >= 0 else {
            throw LayerArchiveError.malformed("tar header at offset \(offset): negative size")
        }
    }

    /// Octal (NUL/space padded) or GNU base-256 (high bit set); nil when neither.
    static func number(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard let first = bytes.first else { return 0 }
        if first & 0x80 != 0 {
            // Base-256, big-endian two's complement: 0x80 marks positive, 0xff negative.
            var value: Int64 = first == 0xff ? -1 : Int64(first & 0x7f)
            for byte in bytes.dropFirst() {
                guard value >> 55 == 0 || value >> 55 == -1 else { return nil }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var digits = bytes.drop { $0 == 0x20 || $0 == 0 }[...]
        digits = digits.prefix { $0 != 0x20 && $0 != 0 }
        for digit in digits {
            guard (0x30...0x37).contains(digit), value < Int64.max >> 3 else { return nil }
            value = value << 3 | Int64(digit - 0x30)
        }
        return value
    }

    /// Parses pax records (`"%d %s=%s\n"`), values as raw bytes.
    public static func paxRecords(_ data: [UInt8], offset: Int64) throws -> [(key: String, value: [UInt8])] {
        var records: [(String, [UInt8])] = []
        var index = 0
        while index < data.count {
            if data[index] == 0 { break }  // some writers pad the record block with NULs
            guard let space = data[index...].firstIndex(of: 0x20),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)),
                  length > space - index, length <= data.count - index, data[index + length - 1] == 0x0a,
                  let equals = data[(space + 1)..<(index + length)].firstIndex(of: 0x3d) else {
                throw LayerArchiveError.malformed("pax header at offset \(offset): bad record")
            }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            records.append((key, Array(data[(equals + 1)..<(index + length - 1)])))
            index += length
        }
        return records
    }

    /// A pax time ("1700000000.123456789", possibly negative) in nanoseconds.
    static func paxTime(_ text: String) -> Int64? {
        let negative = text.hasPrefix("-")
        let body = negative ? text.dropFirst() : Substring(text)
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let seconds = Int64(parts[0]) else { return nil }
        var nanoseconds: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            guard digits.allSatisfy(\.isASCII), let fraction = Int64(digits.isEmpty ? "0" : String(digits)) else { return nil }
            nanoseconds = fraction * Int64(pow(10, Double(9 - digits.count)))
        }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, scaled <= Int64.max - nanoseconds else { return nil }
        return negative ? -(scaled + nanoseconds) : scaled + nanoseconds
    }

    /// Seconds to nanoseconds, refusing times an Int64 of nanoseconds cannot hold (±292 years
    /// around 1970) instead of trapping on overflow.
    static func nanoseconds(seconds: Int64, offset: Int64) throws -> Int64 {
        let (value, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else {
            throw LayerArchiveError.malformed("tar header at offset \(offset): mtime out of range")
        }
        return value
    }
}
