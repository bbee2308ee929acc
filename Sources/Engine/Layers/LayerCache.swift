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
    /// Layers of this session that can be made from their entries (see `LayerMaterializer`).
    let recipes = LayerRecipes()

    init(directory: String, store: BlobStore) throws {
        self.directory = directory
        self.store = store
        // Extracted layers keep their setuid bits and modes (the overlay must show them as the
        // image has them), so the directory holding them must be closed to other users.
        try PrivateDirectory.make(directory)
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
        if let recipe = recipes.recipe(for: layer.diffID) {
            do {
                try LayerMaterializer(writer: recipe.writer).materialize(recipe.entries, from: store, into: temporary)
                try adopt(temporary, as: layer.diffID)
                return target
            } catch {
                // Whatever went wrong (a blob gone, an odd entry), the layer's own tar can still
                // give the directory; start again from an empty one.
                try? FileManager.default.removeItem(atPath: temporary)
                try FileIO.makeDirectories(temporary)
            }
        }
        do {
            var applier = LayerApplier(mode: .overlayLower, allowDevices: true, symlinks: .clampToRoot)
            applier.expectedDiffID = layer.diffID
            _ = try applier.apply(blob: layer.descriptor.digest, in: store, to: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            // Damage usually shows first as a gzip or tar error; name the real cause.
            if case .corrupt(let actual)? = try? store.verify(layer.descriptor.digest) {
                throw StoreError.corruptBlob(layer.descriptor.digest, actual: actual,
                                             path: store.path(for: layer.descriptor.digest))
            }
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
    ///
    /// Each directory appears once: overlayfs refuses a lower given twice (ELOOP, "Too many
    /// levels of symbolic links"), which three empty RUN steps in a row (or any repeated layer)
    /// would otherwise produce. Keeping only the top-most occurrence shows the same tree: every
    /// name a lower occurrence could show, the top-most one shows too and wins over it, and its
    /// whiteouts and opaque markers hide everything below it as well.
    func lowerDirectories(for layers: [ImageState.Layer]) throws -> [String] {
        try LayerCache.topmostOccurrences(layers.reversed().map { try lowerDirectory(for: $0) })
    }

    /// `paths` (top-most first) without repeats, keeping the first (top-most) of each.
    static func topmostOccurrences(_ paths: [String]) -> [String] {
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }
}
