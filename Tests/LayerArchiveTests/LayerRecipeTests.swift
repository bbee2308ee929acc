import ContentStore
import Foundation
import TestSupport
import Testing
@testable import LayerArchive

/// A COPY layer is kept as a recipe and made again on demand; the bytes made must be the ones
/// first reported, even after the default gzip level changed (6 → 3): a recipe remembers the level.
@Suite("LayerRecipe")
struct LayerRecipeTests {
    /// A store with the layer producer installed, holding the contents of every kind of entry a
    /// COPY makes (`LayerMaterializerTests.makeTree`), and that tree's snapshot.
    static func storeWithTree(in scratch: Scratch) throws -> (BlobStore, TreeSnapshot) {
        let store = try scratch.store()
        store.install(LayerRecipeProducer())
        let tree = try scratch.sub("tree")
        try LayerMaterializerTests.makeTree(at: tree)
        return (store, try TreeSnapshotter(store: store).snapshot(directory: tree).snapshot)
    }

    @Test(arguments: [Int32(6), LayerWriter.defaultGzipLevel])
    func aRecipeRemakesItsLayerAtTheLevelItWasMadeAt(level: Int32) throws {
        let scratch = try Scratch()
        let (store, snapshot) = try Self.storeWithTree(in: scratch)
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

    /// A recipe that cannot make its layer's bytes (here: the level it names is not the one the
    /// bytes were made at, as after an upgrade to another zlib): the remake fails, naming the
    /// libraries and what to do, and the real bytes, when given (a pull, a bundle import), are
    /// stored instead of being taken for present.
    @Test func aRecipeThatCannotMakeItsBytesIsNamedAndTheRealBytesAreStored() throws {
        let scratch = try Scratch()
        let (store, snapshot) = try Self.storeWithTree(in: scratch)
        let writer = LayerWriter(sourceDateEpoch: 1_650_000_000)
        let layer = try writer.write(snapshot: snapshot, contentsFrom: store, into: store)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: store.path(for: layer.digest)))
        try LayerRecipe.record(snapshot, writtenBy: writer, as: layer, in: store)
        let document = try #require(store.recipes.document(for: layer.digest))
        var fields = try #require(try JSONSerialization.jsonObject(with: document) as? [String: Any])
        #expect((fields["madeWith"] as? String)?.hasPrefix("zlib ") == true)
        fields["gzipLevel"] = Int(writer.gzipLevel) == 9 ? 1 : 9
        try store.recipes.store(try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), for: layer.digest)
        try store.delete(layer.digest)

        #expect(store.contains(layer.digest), "a layer with a recipe is taken for present")
        do {
            _ = try store.readablePath(for: layer.digest)
            Issue.record("a recipe that makes other bytes was accepted")
        } catch {
            let message = String(describing: error)
            #expect(message.contains("zlib") && message.contains("pull or import"), "\(message)")
        }
        #expect(!store.isStored(layer.digest))

        try store.ingest(bytes, expected: layer.digest)
        #expect(store.isStored(layer.digest), "the real bytes were taken for already present and dropped")
        #expect(try Data(contentsOf: URL(fileURLWithPath: try store.readablePath(for: layer.digest))) == bytes)
    }

    /// A layer large enough for stored chunks (3 MiB of random bytes and some text): the rule
    /// changes its bytes, not its diff id; a recipe records the rule and is made again under it,
    /// a recipe written before rules existed (no field) is made again deflating every block, and
    /// one naming a rule this Reprise does not know is refused by name.
    @Test func aRecipeRemakesItsLayerUnderTheBlockRuleItWasMadeWith() throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        store.install(LayerRecipeProducer())
        let tree = try scratch.sub("tree")
        var random = SeededRandom(seed: 17)
        let noise = Data((0..<(3 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        try noise.write(to: URL(fileURLWithPath: tree + "/noise.bin"))
        try Data(String(repeating: "layer recipe rule\n", count: 100_000).utf8).write(to: URL(fileURLWithPath: tree + "/text"))
        // Small binary and text files taking turns: text runs after stored chunks inside a block.
        try FileManager.default.createDirectory(atPath: tree + "/mixed", withIntermediateDirectories: false)
        for index in 0..<8 {
            let bytes = index % 2 == 0 ? Data((0..<40_000).map { _ in UInt8(truncatingIfNeeded: random.next()) })
                : Data(String(repeating: "text between binaries \(index)\n", count: 1_500).utf8)
            try bytes.write(to: URL(fileURLWithPath: tree + "/mixed/\(index)"))
        }
        let snapshot = try TreeSnapshotter(store: store).snapshot(directory: tree).snapshot
        var layers: [GzipBlockRule: (LayerDescriptor, Data)] = [:]
        for rule in [GzipBlockRule.deflateEvery, .storeIncompressible, .storeIncompressibleFreshAfterStored,
                     .storeIncompressibleToTheTarBlock] {
            let writer = LayerWriter(sourceDateEpoch: 1_650_000_000, gzipBlockRule: rule)
            let layer = try writer.write(snapshot: snapshot, contentsFrom: store, into: store)
            layers[rule] = (layer, try Data(contentsOf: URL(fileURLWithPath: store.path(for: layer.digest))))
            let recipe = try LayerRecipe.record(snapshot, writtenBy: writer, as: layer, in: store)
            #expect(recipe.gzipBlockRule == rule.rawValue)
        }
        let (old, oldBytes) = try #require(layers[.deflateEvery])
        let (new, newBytes) = try #require(layers[.storeIncompressible])
        #expect(old.diffID == new.diffID)
        #expect(old.digest != new.digest)
        #expect(new.size < old.size, "stored random chunks are smaller than zlib's output for them")
        let (fresh, freshBytes) = try #require(layers[.storeIncompressibleFreshAfterStored])
        #expect(fresh.diffID == new.diffID)
        #expect(fresh.digest != new.digest, "the text after the noise was primed with it under both rules")
        let (grown, grownBytes) = try #require(layers[.storeIncompressibleToTheTarBlock])
        #expect(grown.diffID == new.diffID)
        #expect(grown.digest != fresh.digest, "the binaries' edges are stored to the tar block")
        #expect(grown.size < fresh.size)
        #expect(LayerWriter().gzipBlockRule == .current)

        // A recipe from before the rule: the same document without the field.
        let document = try #require(store.recipes.document(for: old.digest))
        var fields = try #require(try JSONSerialization.jsonObject(with: document) as? [String: Any])
        fields.removeValue(forKey: "gzipBlockRule")
        try store.recipes.store(try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), for: old.digest)
        for (layer, bytes) in [(old, oldBytes), (new, newBytes), (fresh, freshBytes), (grown, grownBytes)] {
            try store.delete(layer.digest)
            let remade = try Data(contentsOf: URL(fileURLWithPath: try store.readablePath(for: layer.digest)))
            #expect(remade == bytes, "\(layer.digest) made again differs")
        }

        // A rule from a newer Reprise.
        let newDocument = try #require(store.recipes.document(for: new.digest))
        var newFields = try #require(try JSONSerialization.jsonObject(with: newDocument) as? [String: Any])
        newFields["gzipBlockRule"] = 7
        try store.recipes.store(try JSONSerialization.data(withJSONObject: newFields, options: [.sortedKeys]), for: new.digest)
        try store.delete(new.digest)
        do {
            _ = try store.readablePath(for: new.digest)
            Issue.record("a recipe naming an unknown block rule was used")
        } catch {
            #expect(String(describing: error).contains("block rule 7"), "\(error)")
        }
    }
}
