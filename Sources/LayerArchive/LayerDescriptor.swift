import ContentStore

/// How a layer's tar stream is stored: the one type for it, whether a layer is written here or
/// its media type read from someone else's manifest (`MediaType.layerCompression`).
public enum LayerCompression: String, Codable, Sendable, Hashable {
    case none
    case gzip
    /// Read from other tools' images by media type; Reprise neither writes nor extracts zstd
    /// layers yet (``LayerArchiveError/unsupported(_:)``).
    case zstd

    /// The OCI media type of a layer stored this way.
    public var mediaType: String {
        switch self {
        case .none: return "application/vnd.oci.image.layer.v1.tar"
        case .gzip: return "application/vnd.oci.image.layer.v1.tar+gzip"
        case .zstd: return "application/vnd.oci.image.layer.v1.tar+zstd"
        }
    }
}

/// A layer written into the store: what an OCI manifest and image config need to refer to it.
public struct LayerDescriptor: Codable, Sendable, Hashable {
    /// The digest of the uncompressed tar: the image config's `rootfs.diff_ids` entry.
    public let diffID: Digest
    /// The digest of the stored blob (equal to `diffID` when uncompressed): the manifest's
    /// layer digest and the blob's name in the store.
    public let digest: Digest
    /// The size of the stored blob.
    public let size: Int64
    /// The size of the tar stream.
    public let uncompressedSize: Int64
    public let compression: LayerCompression
    /// The number of tar entries written.
    public let entryCount: Int

    public var mediaType: String { compression.mediaType }

    public init(diffID: Digest, digest: Digest, size: Int64, uncompressedSize: Int64,
                compression: LayerCompression, entryCount: Int) {
        self.diffID = diffID
        self.digest = digest
        self.size = size
        self.uncompressedSize = uncompressedSize
        self.compression = compression
        self.entryCount = entryCount
    }
}
