import ContentStore
import Foundation
import Testing
@testable import LayerArchive

/// A COPY layer is kept as a recipe and made again on demand; the bytes made must be the ones
/// first reported, even after the default gzip level changed (6 → 3): a recipe remembers the level.
@Suite("LayerRecipe")
struct LayerRecipeTests {
    @Test(arguments: [Int32(6), LayerWriter.defaultGzipLevel])
    func aRecipeRemakesItsLayerAtTheLevelItWasMadeAt(level: Int32) throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        store.install(LayerRecipeProducer())
        let tree = try scratch.sub("tree")
        try LayerMaterializerTests.makeTree(at: tree)
        let snapshot = try TreeSnapshotter(store: store).snapshot(directory: tree).snapshot
        let writer = LayerWriter(sourceDateEpoch: 1_650_000_000, gzipLevel: level)
        let layer = try writer.write(snapshot: snapshot, contentsFrom: store, into: store)
        let first = try Data(contentsOf: URL(fileURLWithPath: store.path(for: layer.digest)))
        let recipe = try LayerRecipe.record(snapshot, writtenBy: writer, as: layer, in: store)
        #expect(recipe.gzipLevel == level)

        try store.delete(layer.digest)
        #expect(!store.isStored(layer.digest))
        let remade = try Data(contentsOf: URL(fileURLWithPath: try store.readablePath(for: layer.digest)))
        #expect(remade == first, "the layer made again differs from the one first written at level \(level)")
        if level != LayerWriter.defaultGzipLevel {
            // The level matters: the default level gives other bytes for the same tree.
            let other = try LayerWriter(sourceDateEpoch: 1_650_000_000).write(snapshot: snapshot, contentsFrom: store, into: store)
            #expect(other.diffID == layer.diffID)
            #expect(other.digest != layer.digest)
        }
    }
}
