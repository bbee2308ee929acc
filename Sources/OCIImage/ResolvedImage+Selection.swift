import ContentStore
import Foundation

/// What a client fetching an image one blob at a time (a registry pull) needs of the walk
/// `resolve` does over a store: which kind of document a blob is, and which manifest of an
/// index serves a platform.
extension ResolvedImage {
    public enum DocumentKind: Sendable, Equatable {
        case index(ImageIndex)
        case manifest(ImageManifest)
    }

    /// Decodes a manifest or index; `location` names it in errors.
    public static func document(_ data: Data, declared: String, location: String) throws -> DocumentKind {
        switch kind(of: data, declared: declared) {
        case .index: return .index(try decode(ImageIndex.self, data, path: location))
        case .manifest: return .manifest(try decode(ImageManifest.self, data, path: location))
        case .unknown(let reason): throw ImageError.unsupported(path: location, reason: reason)
        }
    }

    /// The manifest of `index` that serves `platform` (see `selectManifest`).
    public static func platformManifest(in index: ImageIndex, platform: Platform, location: String) throws -> Descriptor {
        try selectManifest(in: index, platform: platform, location: location)
    }
}
