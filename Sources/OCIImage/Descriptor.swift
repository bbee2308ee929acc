import ContentStore
import Foundation

/// A reference to a blob by media type, digest and size (image-spec `descriptor.md`).
///
/// Optional fields are omitted from JSON when nil, as Go's `omitempty` does, so a descriptor we
/// write is byte for byte what containerd or skopeo would write for the same content.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    /// Embedded content, base64 in JSON.
    public var data: String?
    public var platform: Platform?
    public var artifactType: String?

    public init(mediaType: String, digest: Digest, size: Int64, urls: [String]? = nil,
                annotations: [String: String]? = nil, data: String? = nil,
                platform: Platform? = nil, artifactType: String? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.data = data
        self.platform = platform
        self.artifactType = artifactType
    }

    /// The descriptor of `data` as a blob of `mediaType`.
    public init(mediaType: String, of data: Data) {
        self.init(mediaType: mediaType, digest: Digest(of: data), size: Int64(data.count))
    }

    /// The tag an OCI layout's `index.json` gives this descriptor, if any.
    public var refName: String? { annotations?[AnnotationKey.refName] }

    enum CodingKeys: String, CodingKey {
        case mediaType, digest, size, urls, annotations, data, platform, artifactType
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Docker schema 2 always sets mediaType; a bare OCI descriptor without one is not valid,
        // but tolerating it costs nothing and keeps odd layouts readable.
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType) ?? ""
        digest = try c.decode(Digest.self, forKey: .digest)
        size = try c.decode(Int64.self, forKey: .size)
        urls = try c.decodeIfPresent([String].self, forKey: .urls)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
        data = try c.decodeIfPresent(String.self, forKey: .data)
        platform = try c.decodeIfPresent(Platform.self, forKey: .platform)
        artifactType = try c.decodeIfPresent(String.self, forKey: .artifactType)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mediaType, forKey: .mediaType)
        try c.encode(digest, forKey: .digest)
        try c.encode(size, forKey: .size)
        try c.encodeIfPresent(urls.nonEmpty, forKey: .urls)
        try c.encodeIfPresent(annotations.nonEmpty, forKey: .annotations)
        try c.encodeIfPresent(data.nonEmpty, forKey: .data)
        try c.encodeIfPresent(platform, forKey: .platform)
        try c.encodeIfPresent(artifactType.nonEmpty, forKey: .artifactType)
    }
}

/// `omitempty`: Go drops empty strings, slices and maps as well as nil ones.
protocol OmitEmpty {
    var isEmpty: Bool { get }
}

extension String: OmitEmpty {}
extension Array: OmitEmpty {}
extension Dictionary: OmitEmpty {}

extension Optional where Wrapped: OmitEmpty {
    /// nil when empty, so `encodeIfPresent` leaves the key out as Go's `omitempty` would.
    var nonEmpty: Wrapped? {
        guard let value = self, !value.isEmpty else { return nil }
        return value
    }
}
