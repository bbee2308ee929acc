import ContentStore

/// An in-toto v1 ResourceDescriptor: what a subject, a dependency or a byproduct is, by name,
/// location and digests (https://github.com/in-toto/attestation/blob/main/spec/v1/resource_descriptor.md).
///
/// Every field is optional in the spec, but at least one of uri, digest and content must be
/// set; the builders here always give a digest.
public struct ResourceDescriptor: Codable, Sendable, Hashable {
    public var uri: String?
    /// Algorithm name → lowercase hex, e.g. `["sha256": "…"]`.
    public var digest: [String: String]?
    public var name: String?
    public var downloadLocation: String?
    public var mediaType: String?
    public var annotations: [String: String]?

    public init(uri: String? = nil, digest: [String: String]? = nil, name: String? = nil,
                downloadLocation: String? = nil, mediaType: String? = nil,
                annotations: [String: String]? = nil) {
        self.uri = uri
        self.digest = digest
        self.name = name
        self.downloadLocation = downloadLocation
        self.mediaType = mediaType
        self.annotations = annotations
    }

    /// A descriptor naming one sha256 digest.
    public init(name: String?, sha256 digest: Digest, uri: String? = nil, mediaType: String? = nil,
                annotations: [String: String]? = nil) {
        self.init(uri: uri, digest: ["sha256": digest.hex], name: name, mediaType: mediaType,
                  annotations: annotations)
    }

    /// The sha256 digest it names, when it names one well-formed.
    public var sha256: Digest? { digest?["sha256"].flatMap { Digest(hex: $0) } }
}
