import ContentStore
import Foundation

extension LayerWriter {
    /// The descriptor `write(snapshot:contentsFrom:into:)` would return, with the layer's bytes
    /// streamed into the hashers only: for a layer kept as a `LayerRecipe`, whose bytes are made
    /// again (the same ones: the writer is deterministic) when something reads them.
    public func describe(snapshot: TreeSnapshot, contentsFrom contentStore: BlobStore) throws -> LayerDescriptor {
        var hasher = DigestHasher()
        let (diffID, tarSize, count) = try stream(entries: snapshot.entries, contents: StoreContents(store: contentStore)) {
            hasher.update($0)
        }
        return LayerDescriptor(diffID: diffID, digest: hasher.finalize(), size: hasher.count,
                               uncompressedSize: tarSize, compression: compression, entryCount: count)
    }
}
