/// What can go wrong with blobs, worded for the person reading the error.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    case missing(Digest)
    case digestMismatch(expected: Digest, actual: Digest)
    case sizeMismatch(expected: Int64, actual: Int64)
    case notAStore(String)
    /// A stored blob whose content no longer matches its name (bit rot, tampering).
    case corruptBlob(Digest, actual: Digest, path: String)
    /// A blob kept as a delta (`BlobDeltas`) that cannot be made: its base is gone, or the delta
    /// file is damaged.
    case damagedDelta(Digest, reason: String, path: String)

    public var description: String {
        switch self {
        case .missing(let digest):
            return "blob \(digest) is not in the store"
        case .digestMismatch(let expected, let actual):
            return "content does not match its digest: expected \(expected), got \(actual)"
        case .sizeMismatch(let expected, let actual):
            return "content has the wrong size: expected \(expected) bytes, got \(actual)"
        case .notAStore(let path):
            return "\(path) is not a blob store"
        case .corruptBlob(let digest, let actual, let path):
            return "blob \(digest) is corrupt: \(path) now hashes to \(actual); nothing made from it was kept ('reprise journal fsck' lists every damaged blob)"
        case .damagedDelta(let digest, let reason, let path):
            return "blob \(digest) is kept as a delta (\(path)) that cannot be made: \(reason) ('reprise journal fsck' lists every damaged blob)"
        }
    }
}
