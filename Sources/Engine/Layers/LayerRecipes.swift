import ContentStore
import LayerArchive
import Synchronization

/// The tree entries each layer this session wrote from stored contents (COPY, ADD) was made of,
/// by diff id: enough for `LayerCache` to make the layer's lower directory straight from the
/// content blobs instead of inflating and untarring the layer it has just compressed.
final class LayerRecipes: Sendable {
    struct Recipe: Sendable {
        let entries: [TreeEntry]
        let writer: LayerWriter
    }

    private let recipes = Mutex<[Digest: Recipe]>([:])

    func remember(_ entries: [TreeEntry], writtenBy writer: LayerWriter, as diffID: Digest) {
        guard LayerMaterializer.canMaterialize(entries) else { return }
        recipes.withLock { $0[diffID] = Recipe(entries: entries, writer: writer) }
    }

    func recipe(for diffID: Digest) -> Recipe? {
        recipes.withLock { $0[diffID] }
    }
}
