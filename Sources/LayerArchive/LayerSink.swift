import ContentStore

/// Receives the tar stream libarchive produces, hashes it (the diff id) and passes it on —
/// through the gzip encoder when compressing — to the final destination.
final class LayerSink {
    private(set) var tarHasher = DigestHasher()
    private let encoder: GzipEncoder?
    private let destination: (UnsafeRawBufferPointer) throws -> Void
    /// The first error from `destination`, kept while libarchive unwinds its own failure.
    var failure: (any Error)?

    init(compression: LayerCompression, gzipLevel: Int32 = GzipEncoder.compressionLevel,
         gzipBlockRule: GzipBlockRule = .current,
         destination: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        switch compression {
        case .none: encoder = nil
        case .gzip: encoder = try GzipEncoder(level: gzipLevel, blockRule: gzipBlockRule)
        case .zstd: throw LayerArchiveError.unsupported("writing zstd-compressed layers")
        }
        self.destination = destination
    }

    func consume(_ bytes: UnsafeRawBufferPointer) throws {
        tarHasher.update(bytes)
        if let encoder {
            try encoder.compress(bytes, emit: destination)
        } else {
            try destination(bytes)
        }
    }

    func finish() throws {
        try encoder?.finish(emit: destination)
    }
}
