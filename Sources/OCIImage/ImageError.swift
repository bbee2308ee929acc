import ContentStore

/// What can go wrong reading, importing or exporting images, worded for the person reading it.
/// Every case names the file (or layout) it is about.
public enum ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A file the format requires is absent (`index.json`, `oci-layout`, `manifest.json`).
    case missingFile(path: String, reason: String)
    /// A blob a manifest or index refers to is not there.
    case missingBlob(path: String, digest: Digest, referencedBy: String)
    /// A blob's content does not hash to its name, or has another size than its descriptor says.
    case corruptBlob(path: String, expected: Digest, actual: String)
    /// JSON that does not decode as the structure it must be.
    case malformed(path: String, reason: String)
    /// No image with that tag; `available` lists the tags that exist.
    case tagNotFound(tag: String, in: String, available: [String])
    /// No manifest with that digest in the layout.
    case digestNotFound(digest: Digest, in: String)
    /// The layout holds several images and none was named.
    case ambiguous(in: String, available: [String])
    /// An index has no manifest for the wanted platform.
    case platformNotFound(wanted: Platform, in: String, available: [String])
    /// Input in a form this code does not handle (gzip rootfs, zstd, schema 1…).
    case unsupported(path: String, reason: String)
    /// A reference, layout reference or `--output` spec that does not parse.
    case invalidReference(String, reason: String)
    case invalidOutputSpec(String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(path, reason):
            return "\(path): missing: \(reason)"
        case let .missingBlob(path, digest, referencedBy):
            return "\(path): blob \(digest) is missing (referenced by \(referencedBy))"
        case let .corruptBlob(path, expected, actual):
            return "\(path): content does not match its descriptor: expected \(expected), got \(actual)"
        case let .malformed(path, reason):
            return "\(path): \(reason)"
        case let .tagNotFound(tag, layout, available):
            let list = available.isEmpty ? "it has no tagged images" : "tags: " + available.joined(separator: ", ")
            return "\(layout): no image tagged \"\(tag)\" (\(list))"
        case let .digestNotFound(digest, layout):
            return "\(layout): no manifest \(digest)"
        case let .ambiguous(layout, available):
            return "\(layout): holds \(available.count) images; name one by tag or digest (\(available.joined(separator: ", ")))"
        case let .platformNotFound(wanted, where_, available):
            return "\(where_): no manifest for \(wanted) (platforms: \(available.joined(separator: ", ")))"
        case let .unsupported(path, reason):
            return "\(path): \(reason)"
        case let .invalidReference(text, reason):
            return "invalid reference \"\(text)\": \(reason)"
        case let .invalidOutputSpec(text, reason):
            return "invalid --output \"\(text)\": \(reason)"
        }
    }
}
