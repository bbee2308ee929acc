import ContentStore
import Foundation
import OCIImage

/// Turns a finished stage state into an image in the store: the config blob, then the manifest
/// that names it and the layers. Both are canonical JSON, so equal images have equal digests.
struct ImageAssembler {
    let store: BlobStore

    struct Assembled: Sendable {
        var manifest: Descriptor
        var config: Descriptor
    }

    func assemble(_ state: ImageState, created: String?, annotations: [String: String] = [:]) throws -> Assembled {
        var configuration = state.configuration
        configuration.created = created
        configuration.rootfs = ImageConfiguration.RootFS(diffIDs: state.diffIDs)
        let configData = try configuration.canonicalData()
        let config = Descriptor(mediaType: MediaType.imageConfig, of: configData)
        try store.ingestDocument(configData, expected: config.digest)
        let manifest = ImageManifest(config: config, layers: state.layers.map(\.descriptor),
                                     annotations: annotations.isEmpty ? nil : annotations)
        let manifestData = try manifest.canonicalData()
        let descriptor = Descriptor(mediaType: MediaType.imageManifest, of: manifestData)
        try store.ingestDocument(manifestData, expected: descriptor.digest)
        return Assembled(manifest: descriptor, config: config)
    }

    /// The config of an intermediate state, stored so a step record can name its parent and
    /// result exactly (replay compares them).
    func storeConfiguration(of state: ImageState) throws -> Digest {
        var configuration = state.configuration
        configuration.rootfs = ImageConfiguration.RootFS(diffIDs: state.diffIDs)
        let data = try configuration.canonicalData()
        return try store.ingestDocument(data).digest
    }
}
