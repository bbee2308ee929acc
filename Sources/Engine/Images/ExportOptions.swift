import ContentStore
import Foundation
import LayerArchive
import OCIImage

/// The image exporters' options that change the bytes written (buildx's `compression`,
/// `compression-level`, `force-compression`, `oci-mediatypes`, `rewrite-timestamp`): parsed from
/// an `--output` and applied by re-encoding layers into a new manifest. The journal's image and
/// every cache key stay what the build made; only the exported manifest (and, when a rewrite
/// changed a layer, its config's diff ids) differ.
public struct ExportOptions: Sendable, Hashable {
    public var compression: LayerRecompressor.Target?
    public var level: Int?
    public var force = false
    public var ociMediaTypes: Bool?
    /// BuildKit's `rewrite-timestamp=true`: the build's own layers with every mtime after
    /// SOURCE_DATE_EPOCH lowered to it, each marked `buildkit/rewritten-timestamp=EPOCH`; the
    /// base image's layers are left as they are (BuildKit ≥ 0.13.2).
    public var rewriteTimestamp = false

    public static let keys = ["compression", "compression-level", "force-compression", "oci-mediatypes",
                              "rewrite-timestamp"]
    /// The annotation BuildKit puts on a layer descriptor it rewrote.
    public static let rewrittenTimestampAnnotation = "buildkit/rewritten-timestamp"

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
        if let text = attributes["rewrite-timestamp"] {
            guard let value = OutputSpec.parseBoolean(text) else { throw fail("rewrite-timestamp=\(text) is not a boolean") }
            rewriteTimestamp = value
        }
        if compression == .zstd, ociMediaTypes == false {
            throw fail("compression=zstd needs oci-mediatypes=true (Docker's media types have no zstd layer)")
        }
    }

    /// The manifest `manifest` re-encoded as asked, stored; its descriptor. `rewrite` is the
    /// epoch and the number of base layers when timestamps are to be rewritten.
    func convert(_ manifest: Digest, in store: BlobStore,
                 rewrite: (epoch: Int64, baseLayers: Int)? = nil) throws -> Descriptor {
        var original = try CanonicalJSON.decode(ImageManifest.self, from: try store.read(manifest))
        if let rewrite { original = try rewriteTimestamps(of: original, in: store, epoch: rewrite.epoch,
                                                          baseLayers: rewrite.baseLayers) }
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

    /// The manifest with its layers above `baseLayers` rewritten (see ``LayerTimestampRewriter``)
    /// and annotated; the config gets the new diff ids of layers that changed.
    private func rewriteTimestamps(of manifest: ImageManifest, in store: BlobStore, epoch: Int64,
                                   baseLayers: Int) throws -> ImageManifest {
        var result = manifest
        var config = try CanonicalJSON.decode(ImageConfiguration.self, from: try store.read(manifest.config.digest))
        var configChanged = false
        for index in manifest.layers.indices where index >= baseLayers {
            let rewritten = try LayerTimestampRewriter(store: store, epoch: epoch).rewrite(manifest.layers[index].digest)
            var layer = manifest.layers[index]
            if rewritten.changed {
                layer.digest = rewritten.layer.digest
                layer.size = rewritten.layer.size
                guard index < config.rootfs.diffIDs.count else {
                    throw ImageError.invalidOutputSpec("oci", reason: "rewrite-timestamp: the config lists fewer diff ids than layers")
                }
                config.rootfs.diffIDs[index] = rewritten.layer.diffID
                configChanged = true
            }
            var annotations = layer.annotations ?? [:]
            annotations[Self.rewrittenTimestampAnnotation] = String(epoch)
            layer.annotations = annotations
            result.layers[index] = layer
        }
        if configChanged {
            let data = try config.canonicalData()
            let stored = try store.ingest(data)
            result.config.digest = stored.digest
            result.config.size = stored.size
        }
        return result
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
