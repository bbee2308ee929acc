import CLibArchive
import CZlib
import ContentStore
import Foundation

/// How a layer written from stored contents (COPY, ADD) is made again: its tree snapshot (whose
/// entries name the content blobs) and the writer's parameters, with the descriptor the writer
/// gave, so that whoever remakes it can check the result. Stored as canonical JSON in the
/// store's `recipes/sha256/<layer digest>` (see `BlobRecipes`).
///
/// Today a recipe lets a later process make the layer's lower directory from the content blobs
/// (`LayerMaterializer`) instead of keeping an extracted copy in `layers/`.
public struct LayerRecipe: Codable, Sendable, Hashable {
    public static let mediaType = "application/vnd.reprise.layer-recipe.v1+json"
    public static let currentSchemaVersion = 1

    public let schemaVersion: Int
    public let mediaType: String
    /// The tree snapshot whose entries the layer holds (a blob in the store).
    public let tree: Digest
    public let diffID: Digest
    public let digest: Digest
    public let size: Int64
    public let compression: LayerCompression
    public let sourceDateEpoch: Int64?
    /// The deflate level the gzip was made at: the layer is made again at this level, so a change
    /// of the default level (6 → 3) never strands the recipes made before it (nil in recipes
    /// written before the field existed, all at the level of the binary that wrote them, 6).
    public let gzipLevel: Int32?
    /// Which blocks the gzip stored instead of deflating (`GzipBlockRule` raw value): the layer is
    /// made again under this rule (nil in recipes written before rules existed: every block was
    /// deflated, `GzipBlockRule.deflateEvery`).
    public let gzipBlockRule: Int?
    /// The zlib and libarchive that made the layer (`LayerRecipe.libraries`): the bytes are the
    /// same only where deflate and the tar writer are; named when a remake does not match.
    public let madeWith: String?
    /// The blobs it needs, as every recipe states them (`BlobRecipes.Requirements`): the tree.
    /// (The content blobs are named by the tree.)
    public let requires: [Digest]

    public init(tree: Digest, layer: LayerDescriptor, writer: LayerWriter) {
        schemaVersion = Self.currentSchemaVersion
        mediaType = Self.mediaType
        self.tree = tree
        diffID = layer.diffID
        digest = layer.digest
        size = layer.size
        compression = writer.compression
        sourceDateEpoch = writer.sourceDateEpoch
        gzipLevel = writer.compression == .gzip ? writer.gzipLevel : nil
        gzipBlockRule = writer.compression == .gzip ? writer.gzipBlockRule.rawValue : nil
        madeWith = Self.libraries
        requires = [tree]
    }

    /// The libraries whose output a remade layer depends on, as this binary has them.
    public static var libraries: String {
        "zlib \(String(cString: zlibVersion())), \(String(cString: archive_version_string()))"
    }

    /// Recipes without `gzipLevel` were written only by binaries that compressed at level 6.
    static let levelBeforeItWasRecorded: Int32 = 6

    /// The writer that makes the layer again. A rule this Reprise does not know (a recipe from a
    /// newer one) is `nil` here: see `LayerRecipeProducer`, which refuses it by name.
    public var writer: LayerWriter {
        LayerWriter(compression: compression, sourceDateEpoch: sourceDateEpoch,
                    gzipLevel: gzipLevel ?? Self.levelBeforeItWasRecorded,
                    gzipBlockRule: blockRule ?? .deflateEvery)
    }

    /// The recorded block rule; recipes without one deflated every block.
    public var blockRule: GzipBlockRule? {
        guard let gzipBlockRule else { return .deflateEvery }
        return GzipBlockRule(rawValue: gzipBlockRule)
    }

    /// Stores the tree first, then the recipe that names it: a kill in between leaves a tree
    /// nobody names (garbage), never a recipe naming nothing.
    @discardableResult
    public static func record(_ snapshot: TreeSnapshot, writtenBy writer: LayerWriter, as layer: LayerDescriptor,
                              in store: BlobStore,
                              durability: BlobWriter.Durability = .immediate) throws -> LayerRecipe {
        let tree = try snapshot.store(in: store, durability: durability)
        let recipe = LayerRecipe(tree: tree, layer: layer, writer: writer)
        try store.recipes.store(try CanonicalJSON.encode(recipe), for: layer.digest)
        return recipe
    }

    /// The recipe of layer blob `digest`, or nil when there is none or it cannot be read.
    public static func load(for digest: Digest, from store: BlobStore) -> LayerRecipe? {
        guard let data = store.recipes.document(for: digest),
              let recipe = try? CanonicalJSON.decode(LayerRecipe.self, from: data),
              recipe.mediaType == mediaType, recipe.schemaVersion <= currentSchemaVersion, recipe.digest == digest
        else { return nil }
        return recipe
    }
}
