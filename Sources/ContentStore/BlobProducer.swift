/// Makes a blob the store does not hold from its recipe (`BlobRecipes`). The store consults the
/// producer installed on it (`BlobStore.install(_:)`) when a reader asks for such a blob, so that
/// every reader — export, push, bundles, the differ — gets the bytes without knowing that they
/// were not stored. ContentStore knows no recipe format; the journal installs the producer that
/// does (LayerArchive's `LayerRecipeProducer`).
public protocol BlobProducer: Sendable {
    /// Makes blob `digest` from `recipe` (its document) and commits it to `store`. The committed
    /// blob must be the one named `digest`: a producer that makes other bytes throws.
    func produce(_ digest: Digest, recipe: Data, in store: BlobStore) throws
}

import Foundation
