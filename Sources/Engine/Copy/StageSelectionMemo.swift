#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import LayerArchive

/// What `COPY --from=<stage or image>` selected from that tree, remembered across builds.
///
/// The part of a stage's tree a copy's sources can name is a function of the stage's layers
/// (content-addressed: the same digests are the same files) and of the source patterns. Working
/// it out means flattening every layer of the stage (a gunzip and untar of its base image, too)
/// into the build's scratch and snapshotting what the patterns reach: most of a fully cached
/// multi-stage build. So the tree digest it gave is kept in `statcache/selection-<key>`, and a
/// later build reads the tree back from the store instead. A memo whose tree is gone or
/// unreadable is ignored and made again; `--no-cache`, replays and presented directories never
/// use it.
struct StageSelectionMemo: Sendable {
    let directory: String
    let store: BlobStore

    /// The memo's key: the layers, the patterns, and the snapshot format that made the tree.
    /// `stage-selection-vN` must change with anything else that changes the tree a stage and
    /// patterns give (how a stage is flattened, what the snapshot keeps): memos made by another
    /// version are then never read. Excludes, `--parents`, `--chown`, `--chmod` and `--link`
    /// apply after the selection, and the platform is in the layers.
    static func key(layers: [Digest], patterns: [String]) -> Digest {
        let text = (["stage-selection-v1", "tree-schema-\(TreeSnapshot.currentSchemaVersion)"]
            + layers.map(\.description) + ["--"] + patterns).joined(separator: "\n")
        return Digest(ofUTF8: text)
    }

    private func path(for key: Digest) -> String {
        directory + "/selection-" + key.hex
    }

    /// The remembered tree, when its blob still reads back and the store still has every file
    /// content it names (gc may keep a tree only as another blob's delta base, without them).
    func tree(for key: Digest) -> TreeSnapshot? {
        guard let data = try? FileIO.readFile(path(for: key)), data.count <= 128,
              let digest = Digest(String(decoding: data, as: UTF8.self)),
              let tree = try? TreeSnapshot.load(digest, from: store),
              tree.entries.allSatisfy({ entry in entry.digest.map { store.contains($0) } ?? true }) else { return nil }
        return tree
    }

    /// Stores the tree (deferred, with the build's other blobs) and remembers it; best effort.
    func remember(_ tree: TreeSnapshot, for key: Digest) {
        guard let digest = try? tree.store(in: store, durability: .batched) else { return }
        try? FileIO.writeFileAtomically(path(for: key), Data(digest.description.utf8), mode: 0o600, durable: false)
    }
}
