/// What a client moved, for reports, progress and tests (nothing sent twice, mounts used).
public struct TransferStatistics: Sendable, Hashable {
    public var blobsDownloaded = 0
    public var bytesDownloaded: Int64 = 0
    public var blobsUploaded = 0
    public var bytesUploaded: Int64 = 0
    /// `PATCH` requests of chunked uploads (blobs larger than the chunk size).
    public var chunksUploaded = 0
    /// Blobs the registry already had (HEAD said so): not sent.
    public var blobsAlreadyPresent = 0
    /// Blobs the registry linked from another repository instead of receiving them.
    public var blobsMounted = 0
    /// Blobs already in the local store: not fetched.
    public var blobsAlreadyLocal = 0
    public var manifestsPushed = 0
    /// Requests repeated after a 429, a 5xx, a broken connection or bad content.
    public var retries = 0

    public init() {}
}
