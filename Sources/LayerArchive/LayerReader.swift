#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// Reads a layer (tar, or gzip-compressed tar recognised by its magic) entry by entry, streaming:
/// the differ compares layers with it and `LayerApplier` extracts them.
///
/// ```swift
/// let reader = try LayerReader(blob: digest, in: store)
/// while let entry = try reader.next() {
///     try reader.forEachContentChunk { chunk in … }   // optional; skipped otherwise
/// }
/// reader.diffID   // known once next() has returned nil
/// ```
///
/// The reader is strict where silence would hide damage: a stream that ends inside an entry,
/// before the end-of-archive blocks or before the gzip trailer is an error, as are bad header
/// checksums. Names must be UTF-8. GNU sparse files are refused (layers do not use them).
public final class LayerReader {
    private let input: LayerInput
    private var contentLeft: Int64 = 0
    private var paddingLeft = 0
    private var globalRecords: [String: String] = [:]
    var globalRecordsSnapshot: [String: String] { globalRecords }
    private var ended = false
    private var position: Int64 = 0
    private let block = UnsafeMutableRawBufferPointer.allocate(byteCount: TarHeader.blockSize, alignment: 16)
    private var currentPath = ""

    /// Reads from any source of bytes (`read`-like: fills the buffer, 0 at the end).
    public init(source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        input = try LayerInput(source: source)
    }

    /// Reads the layer file at `path`.
    public convenience init(path: String) throws {
        let fd = try FileIO.open(path, O_RDONLY)
        let handle = FileHandleBox(fd: fd)
        try self.init(source: { try FileIO.read(handle.fd, into: $0, path: path) })
    }

    /// Reads a layer blob from the store.
    public convenience init(blob digest: Digest, in store: BlobStore) throws {
        let reader = try store.openReader(digest)
        try self.init(source: { try reader.read(into: $0) })
    }

    /// Reads a layer held in memory (tests, small fixtures).
    public convenience init(data: Data) throws {
        var offset = 0
        try self.init(source: { buffer in
            let count = min(buffer.count, data.count - offset)
            data.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        })
    }

    deinit { block.deallocate() }

    public var compression: LayerCompression { input.compression }
    /// The tar stream's digest; nil until the end of the archive has been read.
    public var diffID: Digest? { ended ? input.diffID : nil }
    /// The stored bytes' digest (equal to `diffID` for a plain tar); nil until the end.
    public var digest: Digest? { ended ? input.storedDigest : nil }
    public var uncompressedSize: Int64? { ended ? input.tarSize : nil }
    public var size: Int64? { ended ? input.storedSize : nil }

    /// The next entry, or nil after the end-of-archive marker (the rest of the stream has then
    /// been read and checked, and the digests are final).
    public func next() throws -> LayerEntry? {
        guard !ended else { return nil }
        try skipRest()
        var local: [String: [UInt8]] = [:]
        var longName: [UInt8]?
        var longLink: [UInt8]?
        var headerOffset: Int64?
        while true {
            let offset = position
            guard try readBlock(allowEnd: true) else {
                throw LayerArchiveError.truncated("tar stream ends without its end-of-archive blocks")
            }
            if block.allSatisfy({ $0 == 0 }) {
                // End of archive: a second zero block should follow; tolerate its absence as GNU
                // tar does, then read whatever padding is left so the digests cover it.
                if try readBlock(allowEnd: true), !block.allSatisfy({ $0 == 0 }) {
                    throw LayerArchiveError.malformed("a lone zero block at offset \(offset) inside the tar")
                }
                try drain()
                ended = true
                return nil
            }
            headerOffset = headerOffset ?? offset
            let header = try TarHeader(block: UnsafeRawBufferPointer(block), offset: offset)
            switch header.typeflag {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let records = try TarHeader.paxRecords(try readPayload(header.size, what: "pax header"), offset: offset)
                for (key, value) in records {
                    if header.typeflag == UInt8(ascii: "g") {
                        globalRecords[key] = String(decoding: value, as: UTF8.self)
                    } else {
                        local[key] = value
                    }
                }
                continue
            case UInt8(ascii: "L"):
                longName = Array(try readPayload(header.size, what: "GNU long name").prefix { $0 != 0 })
                continue
            case UInt8(ascii: "K"):
                longLink = Array(try readPayload(header.size, what: "GNU long link").prefix { $0 != 0 })
                continue
            default:
                break
            }
            let entry = try makeEntry(header, local: local, longName: longName, longLink: longLink,
                                      headerOffset: headerOffset!)
            contentLeft = entry.size
            paddingLeft = Int((TarHeader.blockSize - Int(entry.size % Int64(TarHeader.blockSize))) % TarHeader.blockSize)
            currentPath = entry.path
            return entry
        }
    }

    /// Reads the current entry's content; 0 at its end.
    public func readContent(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard contentLeft > 0, buffer.count > 0 else { return 0 }
        let wanted = Int(min(Int64(buffer.count), contentLeft))
        let count = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
        guard count > 0 else {
            throw LayerArchiveError.truncated("tar stream ends inside the content of \"\(currentPath)\"")
        }
        contentLeft -= Int64(count)
        position += Int64(count)
        return count
    }

    /// Calls `body` with the current entry's content in chunks.
    public func forEachContentChunk(size: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try readContent(into: buffer)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The current entry's whole content, for small files.
    public func readContent() throws -> Data {
        var data = Data()
        try forEachContentChunk { data.append(contentsOf: $0) }
        return data
    }

    /// Reads all remaining entries and returns them (contents skipped).
    public func readAllEntries() throws -> [LayerEntry] {
        var entries: [LayerEntry] = []
        while let entry = try next() { entries.append(entry) }
        return entries
    }

    private func skipRest() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while contentLeft > 0 { _ = try readContent(into: buffer) }
        if paddingLeft > 0 {
            try readExactly(UnsafeMutableRawBufferPointer(rebasing: block[0..<paddingLeft]),
                            what: "the padding after \"\(currentPath)\"")
            paddingLeft = 0
        }
    }

    /// Reads one block; false when the stream ended cleanly before it (only if `allowEnd`).
    private func readBlock(allowEnd: Bool) throws -> Bool {
        let first = try input.read(into: block)
        if first == 0 && allowEnd { return false }
        position += Int64(first)
        if first < block.count {
            try readExactly(UnsafeMutableRawBufferPointer(rebasing: block[first...]), what: "a tar header")
        }
        return true
    }

    private func readExactly(_ buffer: UnsafeMutableRawBufferPointer, what: String) throws {
        var filled = 0
        while filled < buffer.count {
            let count = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            guard count > 0 else { throw LayerArchiveError.truncated("tar stream ends inside \(what)") }
            filled += count
            position += Int64(count)
        }
    }

    private func readPayload(_ size: Int64, what: String) throws -> [UInt8] {
        guard size <= 1 << 24 else { throw LayerArchiveError.malformed("\(what) of \(size) bytes") }
        let padded = (Int(size) + TarHeader.blockSize - 1) / TarHeader.blockSize * TarHeader.blockSize
        var bytes = [UInt8](repeating: 0, count: padded)
        try bytes.withUnsafeMutableBytes { try readExactly($0, what: what) }
        return Array(bytes.prefix(Int(size)))
    }

    private func drain() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while try input.read(into: buffer) > 0 {}
    }
}

/// Closes a descriptor when the reader that captured it goes away.
private final class FileHandleBox {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}
