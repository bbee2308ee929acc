#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import LayerArchive

/// Every layer the engine has met, extracted once per diff id into `DIR/<hex>` in overlayfs's
/// lower-layer format, so that a RUN step's root is an overlay of these directories and nothing
/// is unpacked twice. The directories are caches: they can be deleted at any time and come back
/// from the layer blobs in the store.
struct LayerCache: Sendable {
    let directory: String
    let store: BlobStore

    init(directory: String, store: BlobStore) throws {
        self.directory = directory
        self.store = store
        try FileIO.makeDirectories(directory)
    }

    func path(for diffID: Digest) -> String {
        directory + "/" + diffID.hex
    }

    /// The extracted directory of a layer, extracting it from its blob first when needed.
    /// Extraction goes to a temporary sibling renamed into place, so a kill never leaves a
    /// half-extracted layer that looks complete.
    func lowerDirectory(for layer: ImageState.Layer) throws -> String {
        let target = path(for: layer.diffID)
        if FileIO.isDirectory(target) { return target }
        let temporary = target + ".extract-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileIO.makeDirectories(temporary)
        do {
            var applier = LayerApplier(mode: .overlayLower, allowDevices: true, symlinks: .clampToRoot)
            applier.expectedDiffID = layer.diffID
            _ = try applier.apply(blob: layer.descriptor.digest, in: store, to: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        try adopt(temporary, as: layer.diffID)
        return target
    }

    /// Makes an already-extracted directory (a RUN's overlay upper, a COPY's staging tree) the
    /// cached form of `diffID`. When another build got there first, ours is dropped.
    func adopt(_ extracted: String, as diffID: Digest) throws {
        let target = path(for: diffID)
        if rename(extracted, target) != 0 {
            let failure = errno
            try? FileManager.default.removeItem(atPath: extracted)
            guard failure == EEXIST || failure == ENOTEMPTY else {
                throw SystemCallError("rename", path: target, errno: failure)
            }
        }
    }

    /// Lower directories for a stack of layers, top-most first, as overlayfs wants them.
    func lowerDirectories(for layers: [ImageState.Layer]) throws -> [String] {
        try layers.reversed().map { try lowerDirectory(for: $0) }
    }
}
