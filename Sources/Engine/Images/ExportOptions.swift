import ContentStore
import Foundation
import LayerArchive
import OCIImage

/// The image exporters' options that change the bytes written (buildx's `compression`,
/// `compression-level`, `force-compression`, `oci-mediatypes`): parsed from an `--output` and
/// applied by re-encoding layers into a new manifest. The diff ids, so the config, the journal's
/// image and every cache key, stay what the build made; only the exported manifest differs.
public struct ExportOptions: Sendable, Hashable {
    public var compression: LayerRecompressor.Target?
    public var level: Int?
    public var force = false
    public var ociMediaTypes: Bool?

    public static let keys = ["compression", "compression-level", "force-compression", "oci-mediatypes"]

    /// Nil when the output asks for none of them.
    public init?(_ output: OutputSpec) throws {
        let attributes = output.attributes
        guard Self.keys.contains(where: { attributes[$0] != nil }) else { return nil }
        func fail(_ reason: String) -> ImageError { .invalidOutputSpec(output.type.rawValue, reason: reason) }
        if let text = attributes["compression"] {
            guard let value = LayerRecompressor.Target(rawValue: text) else {
                throw fail("compression=\(text): expected uncompressed, gzip or zstd")
            }
            compression = value
        }
        if let text = attributes["compression-level"] {
            let range = compression == .zstd ? 0...22 : 0...9
            guard let value = Int(text), range.contains(value) else {
                throw fail("compression-level=\(text): expected \(range.lowerBound)-\(range.upperBound) for \(compression?.rawValue ?? "gzip")")
            }
            level = value
        }
        if let text = attributes["force-compression"] {
            guard let value = OutputSpec.parseBoolean(text) else { throw fail("force-compression=\(text) is not a boolean") }
            force = value
        }
        if let text = attributes["oci-mediatypes"] {
            guard let value = OutputSpec.parseBoolean(text) else { throw fail("oci-mediatypes=\(text) is not a boolean") }
            ociMediaTypes = value
        }
        if compression == .zstd, ociMediaTypes == false {
            throw fail("compression=zstd needs oci-mediatypes=true (Docker's media types have no zstd layer)")
        }
    }

    /// The manifest `manifest` re-encoded as asked, stored; its descriptor.
    func convert(_ manifest: Digest, in store: BlobStore) throws -> Descriptor {
        let original = try CanonicalJSON.decode(ImageManifest.self, from: try store.read(manifest))
        let oci = ociMediaTypes ?? true
        var layers: [Descriptor] = []
        for layer in original.layers {
            let current: LayerRecompressor.Target = layer.mediaType.hasSuffix("gzip") ? .gzip
                : layer.mediaType.hasSuffix("zstd") ? .zstd : .uncompressed
            let target = compression ?? current
            var converted = layer
            if target != current || force {
                let (digest, size) = try LayerRecompressor(store: store).recompress(layer.digest, to: target, level: level)
                converted.digest = digest
                converted.size = size
            }
            converted.mediaType = Self.layerMediaType(target, oci: oci)
            layers.append(converted)
        }
        var config = original.config
        config.mediaType = oci ? MediaType.imageConfig : MediaType.dockerConfig
        let result = ImageManifest(mediaType: oci ? MediaType.imageManifest : MediaType.dockerManifest,
                                   config: config, layers: layers, annotations: original.annotations)
        let data = try result.canonicalData()
        try store.ingest(data)
        return Descriptor(mediaType: result.mediaType ?? MediaType.imageManifest, of: data)
    }

    static func layerMediaType(_ compression: LayerRecompressor.Target, oci: Bool) -> String {
        switch (compression, oci) {
        case (.uncompressed, true): return MediaType.layer
        case (.gzip, true): return MediaType.layerGzip
        case (.zstd, _): return MediaType.layerZstd
        case (.uncompressed, false): return MediaType.dockerLayer
        case (.gzip, false): return MediaType.dockerLayerGzip
        }
    }
}
