import ContentStore
import Foundation

/// An image manifest (image-spec `manifest.md`; Docker schema 2 decodes into it too).
public struct ImageManifest: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    /// Base layer first. Always written, even when empty: the spec requires the array.
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: String? = MediaType.imageManifest, config: Descriptor, layers: [Descriptor],
                artifactType: String? = nil, subject: Descriptor? = nil,
                annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.subject = subject
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion, mediaType, artifactType, config, layers, subject, annotations
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType)
        artifactType = try c.decodeIfPresent(String.self, forKey: .artifactType)
        config = try c.decode(Descriptor.self, forKey: .config)
        layers = try c.decodeIfPresent([Descriptor].self, forKey: .layers) ?? []
        subject = try c.decodeIfPresent(Descriptor.self, forKey: .subject)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encodeIfPresent(mediaType.nonEmpty, forKey: .mediaType)
        try c.encodeIfPresent(artifactType.nonEmpty, forKey: .artifactType)
        try c.encode(config, forKey: .config)
        try c.encode(layers, forKey: .layers)
        try c.encodeIfPresent(subject, forKey: .subject)
        try c.encodeIfPresent(annotations.nonEmpty, forKey: .annotations)
    }

    /// The canonical bytes of this manifest, the ones its digest names. Only for manifests
    /// Reprise writes: a decoded foreign manifest re-encodes to other bytes (key order, unknown
    /// fields), so its digest is the one of the bytes it came as.
    public func canonicalData() throws -> Data { try CanonicalJSON.encode(self) }

    /// The descriptor of this manifest's canonical bytes, ready for an index.
    public func descriptor(annotations: [String: String]? = nil, platform: Platform? = nil) throws -> Descriptor {
        var descriptor = Descriptor(mediaType: mediaType ?? MediaType.imageManifest, of: try canonicalData())
        descriptor.annotations = annotations
        descriptor.platform = platform
        return descriptor
    }
}
