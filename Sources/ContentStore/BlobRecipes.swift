#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Small documents, one per blob digest, that say how that blob can be made again from other
/// content of the store (today: a COPY layer, from its tree snapshot and the content blobs).
/// They live beside the blobs in `recipes/sha256/<hex>`; the store does not read them, their
/// owners do (LayerArchive's `LayerRecipe` is the document, BuildJournal's gc marks what they
/// reference and drops those of blobs it drops).
///
/// A recipe is written to a temporary name and renamed into place, so a kill leaves either no
/// recipe or a whole one; the documents it references must be stored before it.
public struct BlobRecipes: Sendable {
    public let directory: String
    private let durable: Bool
    /// Under a deferred sync policy: notes a file for the store's next `synchronize()`.
    private let deferSync: @Sendable (String) -> Void

    init(root: String, durable: Bool, deferSync: @escaping @Sendable (String) -> Void) {
        self.directory = root + "/recipes/sha256"
        self.durable = durable
        self.deferSync = deferSync
    }

    public func path(for digest: Digest) -> String {
        directory + "/" + digest.hex
    }

    public func contains(_ digest: Digest) -> Bool {
        FileIO.exists(path(for: digest))
    }

    /// The recipe document of `digest`, or nil when there is none.
    public func document(for digest: Digest) -> Data? {
        guard contains(digest) else { return nil }
        return try? FileIO.readFile(path(for: digest))
    }

    /// What every recipe document states at its top level, whatever else it holds: the blobs
    /// that making the blob needs (gc keeps them, fsck checks them) and the size of the blob it
    /// makes (what `BlobStore.size(of:)` answers without making it).
    public struct Header: Codable, Sendable {
        public let requires: [Digest]
        public let size: Int64
        public init(requires: [Digest], size: Int64) {
            self.requires = requires
            self.size = size
        }
    }

    /// The header of `digest`'s recipe; nil when there is no recipe, and a thrown error when
    /// the document cannot be read as one.
    public func header(of digest: Digest) throws -> Header? {
        guard let data = document(for: digest) else { return nil }
        return try CanonicalJSON.decode(Header.self, from: data)
    }

    /// The blobs `digest`'s recipe needs; nil when there is no recipe.
    public func requirements(of digest: Digest) throws -> [Digest]? {
        try header(of: digest)?.requires
    }

    public func store(_ document: Data, for digest: Digest) throws {
        if !FileIO.isDirectory(directory) {
            let parent = (directory as NSString).deletingLastPathComponent
            try PrivateDirectory.make(parent)
            try PrivateDirectory.make(directory)
            // Once per journal: the new directories' own entries, so that a power loss cannot
            // take the directory a durable recipe is in.
            try FileIO.syncDirectory(parent)
            try FileIO.syncDirectory((parent as NSString).deletingLastPathComponent)
        }
        try FileIO.writeFileAtomically(path(for: digest), document, mode: 0o600, durable: durable)
        if !durable { deferSync(path(for: digest)) }
    }

    /// Every digest that has a recipe. Temporary files of interrupted writes are not digests.
    public func list() throws -> [Digest] {
        guard FileIO.isDirectory(directory) else { return [] }
        return try FileIO.listDirectory(directory).compactMap { Digest(hex: $0) }.sorted()
    }

    public func remove(_ digest: Digest) throws {
        guard unlink(path(for: digest)) == 0 || errno == ENOENT else {
            throw SystemCallError("unlink", path: path(for: digest))
        }
    }

    /// Removes every recipe whose digest is not in `keep`, and temporary files left by
    /// interrupted writes of processes no longer running. Returns how many recipes went.
    @discardableResult
    public func sweep(keeping keep: Set<Digest>) throws -> Int {
        guard FileIO.isDirectory(directory) else { return 0 }
        var removed = 0
        for name in try FileIO.listDirectory(directory) {
            if let digest = Digest(hex: name) {
                if keep.contains(digest) { continue }
                try remove(digest)
                removed += 1
            } else if let pid = name.split(separator: "-").dropFirst().first.flatMap({ pid_t($0) }),
                      kill(pid, 0) != 0, errno == ESRCH {
                unlink(directory + "/" + name)
            }
        }
        return removed
    }
}
