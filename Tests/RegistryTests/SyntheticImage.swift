import ContentStore
import Foundation
import OCIImage
import TestSupport

/// An image made of seeded random layers, stored in a `BlobStore`: what a registry moves does
/// not depend on the layers being tars, and random bytes make any corruption visible.
struct SyntheticImage {
    var root: Descriptor
    var layers: [Descriptor]
    var config: Descriptor

    static func make(in store: BlobStore, layerSizes: [Int], seed: UInt64,
                     platform: Platform = .linuxAMD64) throws -> SyntheticImage {
        var random = SeededRandom(seed: seed)
        var layers: [Descriptor] = []
        for size in layerSizes {
            var bytes = [UInt8](repeating: 0, count: size)
            for index in stride(from: 0, to: size, by: 8) {
                var word = random.next()
                for offset in 0..<min(8, size - index) {
                    bytes[index + offset] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                }
            }
            let data = Data(bytes)
            try store.ingest(data)
            layers.append(Descriptor(mediaType: MediaType.layerGzip, of: data))
        }
        let configuration = ImageConfiguration(architecture: platform.architecture, os: platform.os,
                                               variant: platform.variant,
                                               rootfs: .init(diffIDs: layers.map(\.digest)))
        let configData = try configuration.canonicalData()
        try store.ingest(configData)
        let config = Descriptor(mediaType: MediaType.imageConfig, of: configData)
        let manifest = try ImageManifest(config: config, layers: layers).canonicalData()
        try store.ingest(manifest)
        return SyntheticImage(root: Descriptor(mediaType: MediaType.imageManifest, of: manifest),
                              layers: layers, config: config)
    }
}
