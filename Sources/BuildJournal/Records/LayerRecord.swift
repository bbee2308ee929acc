import ContentStore

/// The layer a step produced, as it appears in the image.
public struct LayerRecord: Codable, Sendable, Hashable {
    /// sha256 of the uncompressed tar (the config's diff_id).
    public var diffID: Digest
    /// sha256 of the blob as stored (compressed).
    public var digest: Digest
    public var size: Int64
    public var mediaType: String

    public init(diffID: Digest, digest: Digest, size: Int64, mediaType: String) {
        self.diffID = diffID
        self.digest = digest
        self.size = size
        self.mediaType = mediaType
    }
}
