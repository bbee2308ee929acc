import LayerArchive

/// Media types of OCI image-spec v1.1 and their Docker image manifest v2 schema 2 equivalents.
///
/// Plain strings rather than an enum: a descriptor may carry any media type (artifacts, foreign
/// layers, types newer than this code), and decoding must never fail on one we do not know.
public enum MediaType {
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    public static let imageConfig = "application/vnd.oci.image.config.v1+json"
    public static let layer = "application/vnd.oci.image.layer.v1.tar"
    public static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let layerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let layerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    public static let layerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let emptyJSON = "application/vnd.oci.empty.v1+json"
    public static let layoutHeader = "application/vnd.oci.layout.header.v1+json"

    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// An image manifest in either vocabulary.
    public static func isManifest(_ mediaType: String?) -> Bool {
        mediaType == imageManifest || mediaType == dockerManifest
    }

    /// An index (manifest list) in either vocabulary.
    public static func isIndex(_ mediaType: String?) -> Bool {
        mediaType == imageIndex || mediaType == dockerManifestList
    }

    /// The compression a layer media type declares (LayerArchive's type: there is one), or nil
    /// when it is not a layer we know.
    public static func layerCompression(_ mediaType: String) -> LayerCompression? {
        switch mediaType {
        case layer, layerNondistributable, dockerLayer:
            return LayerCompression.none
        case layerGzip, layerNondistributableGzip, dockerLayerGzip, dockerForeignLayerGzip:
            return .gzip
        case layerZstd:
            return .zstd
        default:
            return nil
        }
    }
}

/// Annotation keys the layout and exporters use.
public enum AnnotationKey {
    /// The tag of a manifest in an OCI layout's `index.json` (image-spec `image-layout.md`).
    public static let refName = "org.opencontainers.image.ref.name"
    /// The full image name containerd and BuildKit write beside `refName`.
    public static let containerdImageName = "io.containerd.image.name"
    public static let created = "org.opencontainers.image.created"
    public static let baseName = "org.opencontainers.image.base.name"
    public static let baseDigest = "org.opencontainers.image.base.digest"
}
