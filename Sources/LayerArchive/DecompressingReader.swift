import CLibArchive
import ContentStore
import Foundation

/// Reads a blob through whichever compression it has — gzip, bzip2, xz, zstd, lz4, or none —
/// as libarchive recognises it by its magic, and hands out the decompressed bytes. `ADD` of a
/// local `.tar.bz2`, `.tar.xz` or `.tar.zst` unpacks through it, as BuildKit does.
///
/// The bytes come from the store's own reader, so whatever checks that reader makes still hold.
public final class DecompressingReader {
    /// What libarchive's read callback reads from: the blob and a buffer it may point into.
    private final class Source {
        let reader: BlobReader
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        var failure: (any Error)?

        init(reader: BlobReader) { self.reader = reader }
        deinit { buffer.deallocate() }
    }

    private let archive: OpaquePointer
    private let source: Source
    private var ended = false
    /// The compression found, by libarchive's name ("gzip", "xz", …); "none" for plain bytes.
    public private(set) var compression = "none"

    public init(blob digest: Digest, in store: BlobStore) throws {
        guard let archive = archive_read_new() else { throw LayerArchiveError.unsupported("libarchive: out of memory") }
        self.archive = archive
        source = Source(reader: try store.openReader(digest))
        archive_read_support_filter_all(archive)
        archive_read_support_format_raw(archive)
        let context = Unmanaged.passUnretained(source).toOpaque()
        let opened = archive_read_open(archive, context, nil, { _, context, buffer in
            let source = Unmanaged<DecompressingReader.Source>.fromOpaque(context!).takeUnretainedValue()
            do {
                let count = try source.reader.read(into: source.buffer)
                buffer?.pointee = UnsafeRawPointer(source.buffer.baseAddress)
                return count
            } catch {
                source.failure = error
                return -1
            }
        }, nil)
        guard opened == ARCHIVE_OK else { throw failure("open") }
        var entry: OpaquePointer?
        guard archive_read_next_header(archive, &entry) == ARCHIVE_OK else { throw failure("read") }
        // Filter 0 is the outermost one; the raw "none" filter means no compression.
        if archive_filter_count(archive) > 1, let name = archive_filter_name(archive, 0) {
            compression = String(cString: name)
        }
    }

    deinit {
        archive_read_free(archive)
    }

    /// Fills `buffer` with decompressed bytes; 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !ended, buffer.count > 0 else { return 0 }
        let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if count < 0 { throw failure("decompress") }
        if count == 0 { ended = true }
        return count
    }

    /// The first `count` decompressed bytes (fewer if the stream is shorter).
    public static func prefix(of digest: Digest, in store: BlobStore, count: Int) throws -> [UInt8] {
        let reader = try DecompressingReader(blob: digest, in: store)
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while filled < count {
                let read = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                if read == 0 { break }
                filled += read
            }
        }
        return Array(bytes.prefix(filled))
    }

    private func failure(_ action: String) -> any Error {
        if let failure = source.failure { return failure }
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return LayerArchiveError.malformed("\(action) compressed stream: \(message)")
    }
}
