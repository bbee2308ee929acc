#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// Writes reproducible layers: the same tree gives the same bytes, whatever order its files were
/// created in, whoever wrote it on whichever machine, and — with `sourceDateEpoch` — whenever.
///
/// Entries are sorted by path bytes; directories are named `path/`; ids are numeric; mtimes are
/// whole seconds, clamped to `sourceDateEpoch` when given; the gzip header is fixed (see
/// `GzipEncoder`). The tar is hashed (diff id) and compressed in one streaming pass straight into
/// a `BlobWriter`; no layer is ever held in memory.
///
/// ```swift
/// let writer = LayerWriter(sourceDateEpoch: epoch)
/// let layer = try writer.write(snapshot: tree, contentsFrom: store, into: store)
/// // layer.diffID → config rootfs.diff_ids, layer.digest/size/mediaType → manifest
/// ```
public struct LayerWriter: Sendable {
    public var compression: LayerCompression
    /// Seconds since the epoch; every later mtime is lowered to it.
    public var sourceDateEpoch: Int64?
    /// The deflate level of `.gzip` layers. Every new layer uses `GzipEncoder.compressionLevel`;
    /// a layer kept as a recipe is made again at the level it was first made at.
    public var gzipLevel: Int32
    /// Which blocks of a `.gzip` layer are deflated (the others are stored). Every new layer
    /// uses `GzipBlockRule.current`; a layer kept as a recipe is made again under its own rule.
    public var gzipBlockRule: GzipBlockRule

    public init(compression: LayerCompression = .gzip, sourceDateEpoch: Int64? = nil,
                gzipLevel: Int32 = LayerWriter.defaultGzipLevel, gzipBlockRule: GzipBlockRule = .current) {
        self.compression = compression
        self.sourceDateEpoch = sourceDateEpoch
        self.gzipLevel = gzipLevel
        self.gzipBlockRule = gzipBlockRule
    }

    /// The level every new gzip layer is written at (see `GzipEncoder.compressionLevel`).
    public static var defaultGzipLevel: Int32 { GzipEncoder.compressionLevel }

    /// The layer of everything under `directory` (the directory itself is not an entry).
    public func write(directory: String, into store: BlobStore,
                      durability: BlobWriter.Durability = .immediate) throws -> LayerDescriptor {
        let scanned = try TreeScanner(rootPath: directory, include: nil).scan()
        return try write(entries: scanned.entries.map(\.entry),
                         contents: DirectoryContents(root: directory), into: store, durability: durability)
    }

    /// The layer of a snapshot, with contents read from `contentStore`.
    public func write(snapshot: TreeSnapshot, contentsFrom contentStore: BlobStore,
                      into store: BlobStore,
                      durability: BlobWriter.Durability = .immediate) throws -> LayerDescriptor {
        try write(entries: snapshot.entries, contents: StoreContents(store: contentStore),
                  into: store, durability: durability)
    }

    /// Streams the layer of `directory` to `destination` instead of the store (for export to a
    /// file or a pipe). Returns the descriptor; its digest is of the bytes handed out.
    public func write(directory: String,
                      to destination: (UnsafeRawBufferPointer) throws -> Void) throws -> LayerDescriptor {
        let scanned = try TreeScanner(rootPath: directory, include: nil).scan()
        var hasher = DigestHasher()
        let (diffID, tarSize, count) = try stream(entries: scanned.entries.map(\.entry),
                                                  contents: DirectoryContents(root: directory)) {
            hasher.update($0)
            try destination($0)
        }
        return LayerDescriptor(diffID: diffID, digest: hasher.finalize(), size: hasher.count,
                               uncompressedSize: tarSize, compression: compression, entryCount: count)
    }

    func write(entries: [TreeEntry], contents: any LayerContents, into store: BlobStore,
               durability: BlobWriter.Durability) throws -> LayerDescriptor {
        let blob = try store.makeWriter()
        let (diffID, tarSize, count) = try stream(entries: entries, contents: contents) {
            try blob.write($0)
        }
        let committed = try blob.commit(durability: durability)
        return LayerDescriptor(diffID: diffID, digest: committed.digest, size: committed.size,
                               uncompressedSize: tarSize, compression: compression, entryCount: count)
    }

    /// The one pass: entries in path-byte order → libarchive → diff id hasher → gzip → out.
    func stream(entries: [TreeEntry], contents: any LayerContents,
                to destination: (UnsafeRawBufferPointer) throws -> Void)
        throws -> (diffID: Digest, tarSize: Int64, entryCount: Int) {
        // The closure only lives for this call; libarchive needs it stored in the sink.
        try UTF8Locale.run { try withoutActuallyEscaping(destination) { destination in
            let sink = try LayerSink(compression: compression, gzipLevel: gzipLevel,
                                     gzipBlockRule: gzipBlockRule, destination: destination)
            let tar = try TarArchiveWriter(sink: sink)
            var count = 0
            let sorted = entries.sorted { $0.path.precedesByBytes($1.path) }
            for entry in sorted where entry.kind != .socket {
                try tar.writeHeader(entry, path: entry.path, mtimeSeconds: clampedSeconds(entry.mtime))
                if entry.kind == .file && entry.size > 0 {
                    var written: Int64 = 0
                    try contents.forEachChunk(of: entry) { chunk in
                        written += Int64(chunk.count)
                        guard written <= entry.size else { return }
                        try tar.writeData(chunk, path: entry.path)
                    }
                    guard written == entry.size else {
                        throw LayerArchiveError.changedWhileReading(path: entry.path)
                    }
                }
                count += 1
            }
            try tar.finish()
            return (sink.tarHasher.finalize(), sink.tarHasher.count, count)
        } }
    }

    /// The whole seconds a tar header of this writer holds for `nanoseconds`: what a layer keeps
    /// of an entry's time, so a cache key made of it changes exactly when the layer would.
    public func clampedSeconds(_ nanoseconds: Int64) -> Int64 {
        // Floor division: a time before 1970 must not round towards zero.
        var seconds = nanoseconds / 1_000_000_000
        if nanoseconds < 0 && nanoseconds % 1_000_000_000 != 0 { seconds -= 1 }
        if let sourceDateEpoch { seconds = min(seconds, sourceDateEpoch) }
        return seconds
    }
}
