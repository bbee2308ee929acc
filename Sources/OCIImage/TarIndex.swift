#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import LayerArchive

/// One member of a tar archive, located by offset so its content can be streamed on demand.
public struct TarEntry: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case file, directory, symlink, hardlink, other
    }

    /// Normalised: no leading `./` or `/`, no trailing `/`.
    public var path: String
    public var kind: Kind
    /// Where the content starts in the archive.
    public var offset: Int64
    public var size: Int64
    public var linkTarget: String
}

/// The members of an uncompressed tar archive (ustar, PAX or GNU), indexed by path.
///
/// Only headers are read when indexing; content is read later with `pread`, so an archive of
/// gigabyte layers is indexed in a few reads and never held in memory. Layouts and `docker save`
/// archives are always uncompressed tars; a compressed one is refused with a clear error.
public struct TarIndex: Sendable {
    public let archivePath: String
    /// Members in archive order; a later member of the same path replaces an earlier one.
    public let entries: [TarEntry]
    private let byPath: [String: Int]

    /// Reads every header of the archive at `archivePath`.
    public init(archivePath: String) throws {
        self.archivePath = archivePath
        let fd = try FileIO.open(archivePath, O_RDONLY)
        defer { close(fd) }
        var entries: [TarEntry] = []
        var byPath: [String: Int] = [:]
        var offset: Int64 = 0
        var pax: [String: String] = [:]
        var longName: String?
        var longLink: String?
        var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
        while true {
            let n = try Self.pread(fd, &block, at: offset, path: archivePath)
            if offset == 0, n >= 2, block[0] == 0x1f, block[1] == 0x8b {
                throw ImageError.unsupported(path: archivePath,
                    reason: "is a gzip-compressed archive; decompress it first (gzip -dk)")
            }
            if n == 0 || block.allSatisfy({ $0 == 0 }) { break }
            // LayerArchive's header reader: one tar reader for layers and layouts alike.
            let header: TarHeader
            do {
                guard n == TarHeader.blockSize else { throw ImageError.malformed(path: archivePath, reason: "") }
                header = try block.withUnsafeBytes { try TarHeader(block: $0, offset: offset) }
            } catch {
                throw ImageError.malformed(path: archivePath,
                    reason: offset == 0 ? "is not a tar archive" : "corrupt tar header at byte \(offset)")
            }
            let size = header.size
            let dataOffset = offset + Int64(TarHeader.blockSize)
            offset = dataOffset + (size + 511) / 512 * 512
            switch header.typeflag {
            case UInt8(ascii: "x"):
                let data = try Self.readRange(fd, at: dataOffset, count: size, path: archivePath)
                let records = (try? TarHeader.paxRecords(data, offset: dataOffset)) ?? []
                for record in records { pax[record.key] = String(decoding: record.value, as: UTF8.self) }
                continue
            case UInt8(ascii: "g"):
                continue
            case UInt8(ascii: "L"):
                longName = Self.cString(try Self.readRange(fd, at: dataOffset, count: size, path: archivePath)[...])
                continue
            case UInt8(ascii: "K"):
                longLink = Self.cString(try Self.readRange(fd, at: dataOffset, count: size, path: archivePath)[...])
                continue
            default:
                break
            }
            let name = pax["path"] ?? longName ?? String(decoding: header.name, as: UTF8.self)
            let link = pax["linkpath"] ?? longLink ?? String(decoding: header.linkName, as: UTF8.self)
            let realSize = pax["size"].flatMap { Int64($0) } ?? size
            if realSize != size {
                offset = dataOffset + (realSize + 511) / 512 * 512
            }
            let kind: TarEntry.Kind
            switch header.typeflag {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
            case UInt8(ascii: "1"): kind = .hardlink
            case UInt8(ascii: "2"): kind = .symlink
            case UInt8(ascii: "5"): kind = .directory
            default: kind = .other
            }
            let entry = TarEntry(path: Self.normalize(name), kind: kind, offset: dataOffset,
                                 size: kind == .file ? realSize : 0, linkTarget: link)
            byPath[entry.path] = entries.count
            entries.append(entry)
            pax = [:]
            longName = nil
            longLink = nil
        }
        self.entries = entries
        self.byPath = byPath
    }

    /// The regular file at `path`, following symlinks and hard links (as `docker save` writes
    /// `<id>/layer.tar -> ../blobs/sha256/…`). Nil when there is no such file.
    public func file(_ path: String) -> TarEntry? {
        var current = Self.normalize(path)
        for _ in 0..<32 {
            guard let index = byPath[current] else { return nil }
            let entry = entries[index]
            switch entry.kind {
            case .file:
                return entry
            case .hardlink:
                current = Self.normalize(entry.linkTarget)
            case .symlink:
                let base = entry.linkTarget.hasPrefix("/") ? "" : (current as NSString).deletingLastPathComponent
                current = Self.normalize(base.isEmpty ? entry.linkTarget : base + "/" + entry.linkTarget)
            default:
                return nil
            }
        }
        return nil
    }

    /// Whether the archive has a member (of any kind) at `path`.
    public func contains(_ path: String) -> Bool { byPath[Self.normalize(path)] != nil }

    /// A member's whole content; for small files (JSON).
    public func read(_ entry: TarEntry) throws -> Data {
        let fd = try FileIO.open(archivePath, O_RDONLY)
        defer { close(fd) }
        return Data(try Self.readRange(fd, at: entry.offset, count: entry.size, path: archivePath))
    }

    /// Streams a member's content in chunks.
    public func stream(_ entry: TarEntry, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = try FileIO.open(archivePath, O_RDONLY)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var done: Int64 = 0
        while done < entry.size {
            let want = Int(min(Int64(buffer.count), entry.size - done))
            let n = Glibc.pread(fd, buffer.baseAddress!, want, off_t(entry.offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("pread", path: archivePath)
            }
            guard n > 0 else {
                throw ImageError.malformed(path: archivePath, reason: "truncated at \(entry.path)")
            }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            done += Int64(n)
        }
    }

    /// `./a//b/` → `a/b`; `..` is kept (and then matches nothing a layout holds).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == "..", let last = parts.last, last != ".." { parts.removeLast() } else { parts.append(part) }
        }
        return parts.joined(separator: "/")
    }

    private static func pread(_ fd: Int32, _ buffer: inout [UInt8], at offset: Int64, path: String) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = buffer.withUnsafeMutableBytes { raw in
                Glibc.pread(fd, raw.baseAddress! + total, raw.count - total, off_t(offset) + off_t(total))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("pread", path: path)
            }
            if n == 0 { break }
            total += n
        }
        return total
    }

    private static func readRange(_ fd: Int32, at offset: Int64, count: Int64, path: String) throws -> [UInt8] {
        guard count <= 64 << 20 else {
            throw ImageError.malformed(path: path, reason: "header data at byte \(offset) is implausibly large")
        }
        var bytes = [UInt8](repeating: 0, count: Int(count))
        guard try pread(fd, &bytes, at: offset, path: path) == bytes.count else {
            throw ImageError.malformed(path: path, reason: "truncated at byte \(offset)")
        }
        return bytes
    }

    private static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }

    /// Whether a 512-byte block is a tar header (its checksum holds).
    static func isHeader(_ block: [UInt8]) -> Bool {
        block.count == TarHeader.blockSize
            && (try? block.withUnsafeBytes { try TarHeader(block: $0, offset: 0) }) != nil
    }
}
