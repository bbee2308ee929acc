import ContentStore
import Foundation

/// An OCI 1.1 artifact manifest that refers to an image through its `subject` field: how a
/// signed envelope (or any artifact) is attached without touching the image. In a layout it is
/// listed in `index.json` without a tag; a registry lists it under the subject's referrers.
public struct ReferrerManifest: Sendable {
    public let store: BlobStore

    public init(store: BlobStore) {
        self.store = store
    }

    /// Stores an artifact manifest of `artifactType` with `blob` as its only layer, referring to
    /// `subject`; returns its descriptor (artifactType and annotations set, as the referrers API
    /// lists it).
    public func store(blob: Data, mediaType: String, artifactType: String, annotations: [String: String],
                      subject: Descriptor) throws -> Descriptor {
        _ = try store.ingest(blob)
        let empty = Data("{}".utf8)
        _ = try store.ingest(empty)
        var layer = Descriptor(mediaType: mediaType, of: blob)
        layer.annotations = annotations.isEmpty ? nil : annotations
        let subjectReference = Descriptor(mediaType: subject.mediaType, digest: subject.digest, size: subject.size)
        let manifest = ImageManifest(config: Descriptor(mediaType: MediaType.emptyJSON, of: empty), layers: [layer],
                                     artifactType: artifactType, subject: subjectReference,
                                     annotations: annotations.isEmpty ? nil : annotations)
        let data = try manifest.canonicalData()
        _ = try store.ingest(data)
        var descriptor = Descriptor(mediaType: MediaType.imageManifest, of: data)
        descriptor.artifactType = artifactType
        descriptor.annotations = annotations.isEmpty ? nil : annotations
        return descriptor
    }
}
