import BuildJournal
import ContentStore
import Foundation
import OCIImage

/// Unpacks an image's layers into the journal's layer cache (`layers/`) when the image comes in,
/// as `docker load`, `buildah pull` and containerd's unpack do: the first build or run on the
/// image then starts from extracted layers instead of gunzipping and untarring its base on its
/// critical path. The cache is the one builds fill lazily (``LayerCache``): an image imported
/// before this, or whose layers were removed since, is extracted on first use as before.
public struct ImageUnpacker: Sendable {
    public let journal: Journal

    public init(journal: Journal) {
        self.journal = journal
    }

    /// What could not be unpacked (a layer, or the manifest when its layers and the config's
    /// diff ids disagree), with why. A layer the extractor refuses is
    /// not an import error: the blobs are what the image is, and a build on it reports the
    /// failure where it happens, with the step that needed the layer.
    public func unpack(_ image: ResolvedImage) throws -> [(subject: Digest, reason: String)] {
        let diffIDs = image.configuration.rootfs.diffIDs
        guard diffIDs.count == image.manifest.layers.count else {
            return [(image.manifestDescriptor.digest, "the manifest lists \(image.manifest.layers.count) layers and the config \(diffIDs.count) diff ids")]
        }
        let cache = try LayerCache(directory: journal.root + "/layers", store: journal.store)
        var failures: [(subject: Digest, reason: String)] = []
        for (descriptor, diffID) in zip(image.manifest.layers, diffIDs) {
            // A layer this journal keeps as a recipe (a COPY it built) is made per build from
            // the content blobs; unpacked here it would be a second copy of them for good.
            if journal.store.recipes.contains(descriptor.digest) { continue }
            do {
                _ = try cache.lowerDirectory(for: ImageState.Layer(descriptor: descriptor, diffID: diffID))
            } catch {
                failures.append((descriptor.digest, "\(error)"))
            }
        }
        return failures
    }
}
