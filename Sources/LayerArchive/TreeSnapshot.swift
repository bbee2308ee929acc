import ContentStore
import Foundation

/// A directory tree as a Merkle manifest: every entry's metadata, and for files the digest of
/// content kept in a `BlobStore`. The canonical JSON of the snapshot is itself a blob, and its
/// digest (the "tree digest") names the tree: any changed byte, mode, owner, time, link target
/// or extended attribute changes it.
///
/// A snapshot together with its store is enough to recreate the tree (`materialize`), which is
/// how replay restores build contexts and cache mounts.
public struct TreeSnapshot: Codable, Hashable, Sendable {
    /// The media type under which the canonical JSON is stored and exported.
    public static let mediaType = "application/vnd.reprise.tree.v1+json"
    public static let currentSchemaVersion = 1

    public let schemaVersion: Int
    /// The root directory itself (path ""): its mode, owner, time and xattrs.
    public let root: TreeEntry
    /// Every entry below the root, sorted by path bytes.
    public let entries: [TreeEntry]

    /// Builds a snapshot; entries are sorted by path bytes whatever order they come in.
    public init(root: TreeEntry, entries: [TreeEntry]) {
        self.schemaVersion = TreeSnapshot.currentSchemaVersion
        self.root = root
        // Scanners hand them over sorted already: checking is one comparison per entry.
        let sorted = zip(entries, entries.dropFirst()).allSatisfy { !$1.path.precedesByBytes($0.path) }
        self.entries = sorted ? entries : entries.sorted { $0.path.precedesByBytes($1.path) }
    }

    /// The entry at `path` (relative, no leading `./`), found by binary search.
    public func entry(atPath path: String) -> TreeEntry? {
        guard let index = index(ofPath: path) else { return nil }
        return entries[index]
    }

    /// The position of `path` in `entries`.
    public func index(ofPath path: String) -> Int? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].path.precedesByBytes(path) { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].path == path ? low : nil
    }

    /// The entries directly inside the directory at `path` ("" for the root), in path order.
    public func children(ofDirectory path: String) -> [TreeEntry] {
        entries.filter { $0.parentPath == path }
    }

    /// The content digests the snapshot refers to: what GC must keep alive for it.
    public var contentDigests: Set<Digest> {
        Set(entries.compactMap(\.digest))
    }

    /// Total content bytes of regular files (each hardlinked inode counted once).
    public var totalFileBytes: Int64 {
        entries.lazy.filter { $0.kind == .file }.reduce(0) { $0 + $1.size }
    }

    /// The canonical JSON: sorted keys, no whitespace, no escaped slashes. Same snapshot, same bytes.
    /// (`CanonicalJSON.encode(self)` gives the same bytes; `TreeSnapshotJSON` writes them faster.)
    public func canonicalJSON() throws -> Data {
        try TreeSnapshotJSON.encode(self)
    }

    /// The tree digest: the sha256 of the canonical JSON.
    public func digest() throws -> Digest {
        Digest(of: try canonicalJSON())
    }

    /// Stores the canonical JSON as a blob and returns the tree digest.
    @discardableResult
    public func store(in store: BlobStore,
                      durability: BlobWriter.Durability = .immediate) throws -> Digest {
        try store.ingestDocument(try canonicalJSON(), durability: durability).digest
    }

    /// Reads a snapshot back from its tree digest.
    public static func load(_ digest: Digest, from store: BlobStore) throws -> TreeSnapshot {
        let data = try store.read(digest)
        let snapshot = try JSONDecoder().decode(TreeSnapshot.self, from: data)
        guard snapshot.schemaVersion <= currentSchemaVersion else {
            throw LayerArchiveError.unsupported(
                "tree snapshot \(digest) has schema version \(snapshot.schemaVersion); this Reprise reads up to \(currentSchemaVersion)")
        }
        return snapshot
    }
}
