import ContentStore
import Foundation

/// Attaches in-toto attestations to an image the way BuildKit does: an image index holding the
/// image manifest and an attestation manifest (platform `unknown/unknown`, annotated
/// `vnd.docker.reference.type=attestation-manifest` and `vnd.docker.reference.digest=<image
/// manifest>`) whose layers are the statements. The image manifest is untouched, so its digest
/// is the same with or without attestations; only the index is new.
public struct AttestationManifest: Sendable {
    /// One statement to attach: its bytes and its predicate type.
    public struct Statement: Sendable, Hashable {
        public var data: Data
        public var predicateType: String

        public init(data: Data, predicateType: String) {
            self.data = data
            self.predicateType = predicateType
        }
    }

    public static let statementMediaType = "application/vnd.in-toto+json"
    public static let referenceTypeKey = "vnd.docker.reference.type"
    public static let referenceDigestKey = "vnd.docker.reference.digest"
    public static let attestationType = "attestation-manifest"
    public static let predicateTypeKey = "in-toto.io/predicate-type"
    public static let unknownPlatform = Platform(architecture: "unknown", os: "unknown")

    public let store: BlobStore

    public init(store: BlobStore) {
        self.store = store
    }

    /// Stores the attestation manifest and the index, and returns the index's descriptor (what
    /// the layout should list instead of the bare manifest).
    /// `annotations` go on the index, `manifestAnnotations` on its descriptor of the image
    /// (`--annotation index:…`, `manifest-descriptor:…`).
    public func attach(_ statements: [Statement], to manifest: Digest, platform: Platform,
                       annotations: [String: String] = [:], manifestAnnotations: [String: String] = [:]) throws -> Descriptor {
        var image = try store.imageDescriptor(for: manifest)
        image.platform = platform
        let attestation = try attestationManifest(statements, for: image)
        if !manifestAnnotations.isEmpty { image.annotations = manifestAnnotations }
        let index = ImageIndex(manifests: [image, attestation], annotations: annotations.isEmpty ? nil : annotations)
        let data = try index.canonicalData()
        _ = try store.ingest(data)
        return Descriptor(mediaType: MediaType.imageIndex, of: data)
    }

    func attestationManifest(_ statements: [Statement], for image: Descriptor) throws -> Descriptor {
        var layers: [Descriptor] = []
        for statement in statements {
            _ = try store.ingest(statement.data)
            var layer = Descriptor(mediaType: Self.statementMediaType, of: statement.data)
            layer.annotations = [Self.predicateTypeKey: statement.predicateType]
            layers.append(layer)
        }
        // BuildKit's config for it: an image config of platform unknown/unknown whose diff ids
        // are the statements, so tools that insist on configs still read it.
        let config = AttestationConfig(rootfs: .init(diffIDs: layers.map(\.digest)))
        let configData = try CanonicalJSON.encode(config)
        _ = try store.ingest(configData)
        let manifest = ImageManifest(config: Descriptor(mediaType: MediaType.imageConfig, of: configData), layers: layers)
        let manifestData = try manifest.canonicalData()
        _ = try store.ingest(manifestData)
        var descriptor = Descriptor(mediaType: MediaType.imageManifest, of: manifestData)
        descriptor.annotations = [Self.referenceTypeKey: Self.attestationType,
                                  Self.referenceDigestKey: image.digest.description]
        descriptor.platform = Self.unknownPlatform
        return descriptor
    }

    /// The statements attached to `manifest` under `root` (an index as `attach` writes it, or as
    /// BuildKit does), with their predicate types.
    public static func statements(in root: Descriptor, for manifest: Digest,
                                  read: (Descriptor) throws -> Data) throws -> [Statement] {
        guard MediaType.isIndex(root.mediaType) else { return [] }
        let index = try CanonicalJSON.decode(ImageIndex.self, from: try read(root))
        var result: [Statement] = []
        for entry in index.manifests where entry.annotations?[referenceTypeKey] == attestationType
            && entry.annotations?[referenceDigestKey] == manifest.description {
            let attestation = try CanonicalJSON.decode(ImageManifest.self, from: try read(entry))
            for layer in attestation.layers where layer.mediaType == statementMediaType {
                result.append(Statement(data: try read(layer),
                                        predicateType: layer.annotations?[predicateTypeKey] ?? ""))
            }
        }
        return result
    }
}

/// `{"architecture":"unknown","os":"unknown","config":{},"rootfs":{…}}`, as BuildKit writes it.
struct AttestationConfig: Codable, Hashable, Sendable {
    var architecture = "unknown"
    var os = "unknown"
    var config = EmptyObject()
    var rootfs: ImageConfiguration.RootFS
}
