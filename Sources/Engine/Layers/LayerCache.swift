#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import LayerArchive
import Sandbox

/// Every layer the engine has met, extracted once per diff id into `DIR/<hex>` in overlayfs's
/// lower-layer format, so that a RUN step's root is an overlay of these directories and nothing
/// is unpacked twice. The directories are caches: they can be deleted at any time and come back
/// from the layer blobs in the store.
///
/// A layer written from stored contents (COPY, ADD) has a recipe (`LayerRecipe`: its tree, whose
/// entries name the content blobs). Its lower is made from the blobs (`LayerMaterializer`) into
/// `transientDirectory` — the build's scratch, removed when the build ends — and never kept in
/// `DIR`: it would be a second copy of bytes the store holds (issue 17: the journal must stay
/// under 2× its input). Base-image and RUN layers, which only a gunzip and untar can give, stay
/// cached in `DIR`.
struct LayerCache: Sendable {
    let directory: String
    let store: BlobStore
    /// Where lowers made from recipes go; nil puts them in `directory` too.
    let transientDirectory: String?
    /// Where metadata-only lowers go (see ``runLowers(for:)``); nil: nowhere, every lower is
    /// complete.
    let metadataHome: MetadataLowerHome?
    /// Recipes met in this session, by diff id (the journal's are read on first use).
    let recipes = LayerRecipes()

    init(directory: String, store: BlobStore, transientDirectory: String? = nil,
         metadataHome: MetadataLowerHome? = nil) throws {
        self.directory = directory
        self.store = store
        self.transientDirectory = transientDirectory
        self.metadataHome = metadataHome
        // Extracted layers keep their setuid bits and modes (the overlay must show them as the
        // image has them), so the directory holding them must be closed to other users.
        try PrivateDirectory.make(directory)
    }

    func path(for diffID: Digest) -> String {
        directory + "/" + diffID.hex
    }

    /// The lower directory of a layer: the cached extraction, else one made from the layer's
    /// recipe, else an extraction of its blob. Each is made in a temporary sibling renamed into
    /// place, so a kill never leaves a half-made layer that looks complete.
    func lowerDirectory(for layer: ImageState.Layer) throws -> String {
        let target = path(for: layer.diffID)
        if FileIO.isDirectory(target) { return target }
        if let recipe = recipe(for: layer) {
            let home = transientDirectory.map { $0 + "/" + layer.diffID.hex } ?? target
            if FileIO.isDirectory(home) { return home }
            let temporary = home + ".extract-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            do {
                try FileIO.makeDirectories(temporary)
                try LayerMaterializer(writer: recipe.writer).materialize(recipe.entries, from: store, into: temporary)
                try adopt(temporary, at: home)
                return home
            } catch {
                // Whatever went wrong (a blob gone, an odd entry), the layer's own tar can still
                // give the directory.
                try? FileManager.default.removeItem(atPath: temporary)
            }
        }
        let temporary = target + ".extract-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileIO.makeDirectories(temporary)
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

    /// The recipe of a layer: this session's, else the one the journal keeps for its blob
    /// (written by the build that made the layer, in whatever process).
    private func recipe(for layer: ImageState.Layer) -> LayerRecipes.Recipe? {
        if let known = recipes.recipe(for: layer.diffID) { return known }
        guard let stored = LayerRecipe.load(for: layer.descriptor.digest, from: store), stored.diffID == layer.diffID,
              let tree = try? TreeSnapshot.load(stored.tree, from: store) else { return nil }
        recipes.remember(tree.entries, writtenBy: stored.writer, as: layer.diffID)
        return recipes.recipe(for: layer.diffID)
    }

    /// The lowers of a RUN step's overlay, top-most first, and where the bytes of the
    /// metadata-only ones are.
    struct RunLowers: Sendable {
        var directories: [String]
        /// The store's blob directory and the lowers that redirect into it; nil when none does.
        var data: LowerData?
    }

    /// Lowers for a RUN step: as ``lowerDirectories(for:)``, except that a layer made from a
    /// recipe is made metadata-only (`LayerMaterializer.ContentPlacement.redirected`, in
    /// ``metadataHome``) when the kernel takes data-only lowers and `metadataOnly` allows: its
    /// files name their blobs instead of holding a third copy of their bytes (the context, the
    /// store, the lower). Read from the host, their files are holes: only the sandbox and a
    /// `LayeredRootView` given `data` may use these lowers.
    func runLowers(for layers: [ImageState.Layer], metadataOnly: Bool = true) throws -> RunLowers {
        guard metadataOnly, let metadataHome, DataOnlyLowers.isAvailable else {
            return RunLowers(directories: try lowerDirectories(for: layers))
        }
        var redirecting = Set<String>()
        let directories = try layers.reversed().map { layer -> String in
            if !FileIO.isDirectory(path(for: layer.diffID)), let recipe = recipe(for: layer),
               let made = metadataLower(of: layer, recipe: recipe, in: metadataHome) {
                redirecting.insert(made)
                return made
            }
            return try lowerDirectory(for: layer)
        }
        return RunLowers(directories: LayerCache.topmostOccurrences(directories),
                         data: redirecting.isEmpty ? nil : LowerData(directory: store.blobDirectory,
                                                                     redirectingLowers: redirecting))
    }

    /// A view of the root a stack of layers makes, for COPY and WORKDIR (owners, parents,
    /// existing directories): from the same lowers a RUN gets, so that no step makes a complete
    /// copy of a COPY layer only to look at it.
    func view(of layers: [ImageState.Layer]) throws -> LayeredRootView {
        let lowers = try runLowers(for: layers)
        return LayeredRootView(layers: lowers.directories, lowerData: lowers.data)
    }

    /// The metadata-only lower of a layer made from `recipe`, made if missing: in the home's
    /// tmpfs directory, else (tmpfs missing, full or refusing) in the journal's scratch; nil when
    /// neither can hold it, or the recipe does not fit its blobs (the caller then makes a complete
    /// lower, from the layer's own tar when the recipe is wrong).
    private func metadataLower(of layer: ImageState.Layer, recipe: LayerRecipes.Recipe,
                               in home: MetadataLowerHome) -> String? {
        for attempt in 0..<2 {
            let directory = home.directory(forEntries: recipe.entries.count)
            let onTmpfs = directory != home.fallback
            let target = directory + "/" + layer.diffID.hex + ".metadata"
            if FileIO.isDirectory(target) { return target }
            let temporary = target + ".extract-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            do {
                // The tmpfs directory is never made again here: if it went, so does the tmpfs.
                if onTmpfs {
                    guard mkdir(temporary, 0o700) == 0 else { throw SystemCallError("mkdir", path: temporary) }
                } else {
                    try FileIO.makeDirectories(temporary)
                }
                try LayerMaterializer(writer: recipe.writer, placement: .redirected)
                    .materialize(recipe.entries, from: store, into: temporary)
                try adopt(temporary, at: target)
                return target
            } catch is LayerArchiveError {
                // A blob of another size than its entry says, an entry only the tar can make.
                try? FileManager.default.removeItem(atPath: temporary)
                return nil
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                guard onTmpfs, attempt == 0 else { return nil }
                home.markUnavailable()
            }
        }
        return nil
    }

    /// Makes an already-extracted directory (a RUN's overlay upper, a COPY's staging tree) the
    /// cached form of `diffID`. When another build got there first, ours is dropped.
    func adopt(_ extracted: String, as diffID: Digest) throws {
        try adopt(extracted, at: path(for: diffID))
    }

    /// Renames a finished directory to `target`; when another build got there first, ours is dropped.
    private func adopt(_ extracted: String, at target: String) throws {
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
