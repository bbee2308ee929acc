import ContentStore
import Foundation

/// Makes a layer blob kept as a `LayerRecipe`: its tree, written again by the same deterministic
/// writer from the content blobs, checked against the recipe's digest and diff id. Installed on
/// a journal's store (`BlobStore.install(_:)`) when the journal is opened.
public struct LayerRecipeProducer: BlobProducer {
    public init() {}

    public func produce(_ digest: Digest, recipe document: Data, in store: BlobStore) throws {
        let recipe: LayerRecipe
        do {
            recipe = try CanonicalJSON.decode(LayerRecipe.self, from: document)
        } catch {
            throw LayerArchiveError.unsupported("the recipe of \(digest) (\(store.recipes.path(for: digest))) cannot be read: \(error)")
        }
        guard recipe.mediaType == LayerRecipe.mediaType, recipe.schemaVersion <= LayerRecipe.currentSchemaVersion,
              recipe.digest == digest else {
            throw LayerArchiveError.unsupported("\(store.recipes.path(for: digest)) is not a layer recipe this Reprise reads, or not of \(digest)")
        }
        if let level = recipe.gzipLevel, recipe.compression == .gzip, !(1...9).contains(level) {
            throw LayerArchiveError.unsupported("the recipe of \(digest) (\(store.recipes.path(for: digest))) names gzip level \(level), which does not exist")
        }
        if recipe.compression == .gzip, recipe.blockRule == nil {
            throw LayerArchiveError.unsupported("the recipe of \(digest) (\(store.recipes.path(for: digest))) names gzip block rule \(recipe.gzipBlockRule ?? -1), which this Reprise does not know (made by a newer one?)")
        }
        let tree = try TreeSnapshot.load(recipe.tree, from: store)
        // A cache of bytes the recipe keeps: no fsync (a lost copy is made again).
        let layer = try recipe.writer.write(snapshot: tree, contentsFrom: store, into: store, durability: .batched)
        guard layer.digest == digest, layer.diffID == recipe.diffID, layer.size == recipe.size else {
            // (What was made is stored under its own digest; nothing names it, so gc takes it.)
            let libraries = recipe.madeWith.map { " The recipe was made with \($0); this Reprise has \(LayerRecipe.libraries)." } ?? ""
            throw LayerArchiveError.unsupported("layer \(digest) made again from its recipe (\(store.recipes.path(for: digest))) came out as \(layer.digest), diff id \(layer.diffID).\(libraries) Its stored bytes are needed: pull or import the image or bundle again")
        }
    }
}
