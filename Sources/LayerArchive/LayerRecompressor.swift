import CLibArchive
import ContentStore
import Foundation

/// Re-encodes a layer blob for an export that asks for another compression (buildx's
/// `compression=uncompressed|gzip|zstd`, `compression-level`, `force-compression`): the blob is
/// decompressed (whatever it is) and compressed again into the store. The tar inside is the same
/// bytes, so the diff id, and with it the image config, never changes. gzip is written with the
/// same fixed header as every layer (``GzipEncoder``); zstd by libarchive's zstd filter, whose
/// frames carry no time or name, so equal input and level give equal output.
public struct LayerRecompressor {
    public enum Target: String, Sendable, CaseIterable {
        case uncompressed, gzip, zstd
    }

    public let store: BlobStore

    public init(store: BlobStore) {
        self.store = store
    }

    /// The new blob's digest and size.
    public func recompress(_ digest: Digest, to target: Target, level: Int?) throws -> (digest: Digest, size: Int64) {
        let reader = try DecompressingReader(blob: digest, in: store)
        let writer = try store.makeWriter()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        func eachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
            while true {
                let count = try reader.read(into: buffer)
                if count == 0 { return }
                try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
        }
        switch target {
        case .uncompressed:
            try eachChunk { try writer.write($0) }
        case .gzip:
            let encoder = try GzipEncoder(level: Int32(level ?? Int(GzipEncoder.compressionLevel)))
            try eachChunk { chunk in try encoder.compress(chunk) { try writer.write($0) } }
            try encoder.finish { try writer.write($0) }
        case .zstd:
            try ZstdFilter(level: level ?? 3).run(eachChunk) { try writer.write($0) }
        }
        let committed = try writer.commit()
        return (committed.digest, committed.size)
    }
}

/// libarchive's zstd write filter over its raw format: compressed bytes out, no archive around.
private struct ZstdFilter {
    let level: Int

    final class Sink {
        let emit: (UnsafeRawBufferPointer) throws -> Void
        var failure: (any Error)?
        init(emit: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.emit = emit }
    }

    func run(_ chunks: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void,
             emit: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let archive = archive_write_new() else { throw LayerArchiveError.unsupported("libarchive: out of memory") }
        defer { archive_write_free(archive) }
        func check(_ status: Int32, _ what: String) throws {
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                let message = archive_error_string(archive).map { String(cString: $0) } ?? "status \(status)"
                throw LayerArchiveError.unsupported("zstd \(what): \(message)")
            }
        }
        try check(archive_write_add_filter_zstd(archive), "filter")
        try check(archive_write_set_filter_option(archive, "zstd", "compression-level", String(level)), "level \(level)")
        try check(archive_write_set_format_raw(archive), "format")
        // Unpadded: the last block is as long as the data, not a multiple of 10240.
        archive_write_set_bytes_in_last_block(archive, 1)
        let sink = Sink(emit: emit)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        try check(archive_write_open2(archive, context, nil, { _, context, buffer, length in
            let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
            do {
                try sink.emit(UnsafeRawBufferPointer(start: buffer, count: length))
                return length
            } catch {
                sink.failure = error
                return -1
            }
        }, nil, nil), "open")
        guard let entry = archive_entry_new() else { throw LayerArchiveError.unsupported("libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, "layer.tar")
        archive_entry_set_filetype(entry, reprise_AE_IFREG)
        try check(archive_write_header(archive, entry), "header")
        try chunks { chunk in
            guard let base = chunk.baseAddress else { return }
            if archive_write_data(archive, base, chunk.count) < 0 {
                if let failure = sink.failure { throw failure }
                try check(ARCHIVE_FATAL, "write")
            }
        }
        if archive_write_close(archive) != ARCHIVE_OK, let failure = sink.failure { throw failure }
        if let failure = sink.failure { throw failure }
    }
}
