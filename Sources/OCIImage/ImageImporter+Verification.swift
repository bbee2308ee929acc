import ContentStore
import Foundation
import LayerArchive

/// Checking at import what a build would otherwise find out at its first RUN: that every layer
/// decompresses completely into a well-formed tar whose digest is the diff id the config lists.
extension ImageImporter {
    /// Reads every layer of `image` (already in the store) to its end; throws naming `source`,
    /// the layer's position and digest when one is truncated, not a tar, or not what the
    /// config's `rootfs.diff_ids` says. Blobs already stored stay (gc removes them once no name
    /// reaches them); the caller registers nothing.
    @discardableResult
    public func verifyLayers(of image: ResolvedImage, from source: String) throws -> ResolvedImage {
        let layers = image.manifest.layers
        let diffIDs = image.configuration.rootfs.diffIDs
        guard layers.count == diffIDs.count else {
            throw ImageError.malformed(path: source, reason:
                "the manifest lists \(layers.count) layer(s) but the config's rootfs.diff_ids lists \(diffIDs.count)")
        }
        for index in layers.indices {
            progress?(WorkProgress(phase: "verifying layers", done: index, total: layers.count))
            try verifyLayer(image, at: index, from: source)
        }
        progress?(WorkProgress(phase: "verifying layers", done: layers.count, total: layers.count))
        return image
    }

    /// Checks one layer of `image` (see `verifyLayers`); several may be checked at once.
    public func verifyLayer(_ image: ResolvedImage, at index: Int, from source: String) throws {
        let layers = image.manifest.layers
        let layer = layers[index]
        let expected = image.configuration.rootfs.diffIDs[index]
        let name = "\(source): layer \(index + 1) of \(layers.count) (\(layer.digest))"
        let actual: Digest?
        do {
            let reader = try LayerReader(blob: layer.digest, in: store)
            while try reader.next() != nil {}
            actual = reader.diffID
        } catch {
            throw ImageError.malformed(path: name, reason: "it cannot be read as a layer: \(error)")
        }
        guard let actual, actual == expected else {
            throw ImageError.corruptBlob(path: name + ", uncompressed", expected: expected,
                                         actual: actual?.description ?? "no digest")
        }
    }
}
