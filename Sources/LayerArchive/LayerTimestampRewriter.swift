import ContentStore
import Foundation

/// BuildKit's `rewrite-timestamp=true`: a layer whose entries are dated after `SOURCE_DATE_EPOCH`
/// written again with those mtimes lowered to the epoch (older ones are kept, as clamping means).
///
/// The entries go through the same tar writer every layer is written with, in the order the layer
/// holds them, with their kind, mode, ids, link target, device numbers, extended attributes and
/// contents unchanged. What that writer never writes is dropped on the way: sub-second mtimes,
/// user and group names, atime/ctime records. A layer Reprise wrote with the same epoch comes
/// out byte for byte the same, and is then left as it is (no new blob).
///
/// ```swift
/// let result = try LayerTimestampRewriter(store: store, epoch: 1_700_000_000).rewrite(layer.digest)
/// if result.changed { /* new digest and diff id for the manifest and the config */ }
/// ```
public struct LayerTimestampRewriter {
    public struct Result: Sendable {
        public var layer: LayerDescriptor
        /// Whether any byte of the tar changed (a new diff id and blob).
        public var changed: Bool
    }

    public let store: BlobStore
    /// Seconds since 1970: the latest mtime an entry keeps.
    public let epoch: Int64

    public init(store: BlobStore, epoch: Int64) {
        self.store = store
        self.epoch = epoch
    }

    /// Rewrites the layer blob `digest` into the store, compressed as it was (gzip or none).
    public func rewrite(_ digest: Digest) throws -> Result {
        let reader = try LayerReader(blob: digest, in: store)
        let compression = reader.compression
        guard compression != .zstd else {
            throw LayerArchiveError.unsupported("rewrite-timestamp of a zstd layer (\(digest)): export it with compression=gzip")
        }
        let blob = try store.makeWriter()
        var committed = false
        defer { if !committed { blob.abort() } }
        let clamp = LayerWriter(compression: compression, sourceDateEpoch: epoch)
        let (diffID, tarSize, count) = try UTF8Locale.run {
            let sink = try LayerSink(compression: compression) { try blob.write($0) }
            let tar = try TarArchiveWriter(sink: sink)
            var count = 0
            while let entry = try reader.next() {
                let tree = try Self.treeEntry(entry)
                try tar.writeHeader(tree, path: entry.path, mtimeSeconds: clamp.clampedSeconds(entry.mtime))
                if tree.kind == .file && entry.size > 0 {
                    try reader.forEachContentChunk { try tar.writeData($0, path: entry.path) }
                }
                count += 1
            }
            try tar.finish()
            return (sink.tarHasher.finalize(), sink.tarHasher.count, count)
        }
        guard let originalDiffID = reader.diffID, let originalSize = reader.size else {
            throw LayerArchiveError.malformed("layer \(digest) ended before its end-of-archive blocks")
        }
        if diffID == originalDiffID {
            return Result(layer: LayerDescriptor(diffID: diffID, digest: digest, size: originalSize,
                                                 uncompressedSize: tarSize, compression: compression, entryCount: count),
                          changed: false)
        }
        let stored = try blob.commit()
        committed = true
        return Result(layer: LayerDescriptor(diffID: diffID, digest: stored.digest, size: stored.size,
                                             uncompressedSize: tarSize, compression: compression, entryCount: count),
                      changed: true)
    }

    /// The writer's view of a read entry; kinds a layer writer cannot produce are refused.
    static func treeEntry(_ entry: LayerEntry) throws -> TreeEntry {
        let kind: TreeEntry.Kind
        switch entry.kind {
        case .regular: kind = .file
        case .directory: kind = .directory
        case .symlink: kind = .symlink
        case .hardlink: kind = .hardlink
        case .characterDevice: kind = .characterDevice
        case .blockDevice: kind = .blockDevice
        case .fifo: kind = .fifo
        case .other(let flag):
            throw LayerArchiveError.unsupported("rewrite-timestamp: entry \"\(entry.path)\" has tar type \(flag)")
        }
        let isLink = kind == .symlink || kind == .hardlink
        let isDevice = kind == .characterDevice || kind == .blockDevice
        return TreeEntry(path: entry.path, kind: kind, mode: entry.mode & 0o7777, uid: entry.uid, gid: entry.gid,
                         size: kind == .file ? entry.size : 0, mtime: entry.mtime,
                         linkTarget: isLink ? entry.linkName : nil,
                         xattrs: entry.xattrs.isEmpty ? nil : entry.xattrs,
                         deviceMajor: isDevice ? entry.deviceMajor : nil, deviceMinor: isDevice ? entry.deviceMinor : nil)
    }
}
