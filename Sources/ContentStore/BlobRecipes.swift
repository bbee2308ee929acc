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
///
/// The document itself is a blob of the store (`ingestDocument`, so that an older recipe is kept
/// as a delta against a newer one: recipes of successive builds differ in a few digests), and the
/// file `recipes/sha256/<hex>` holds its 32 digest bytes. A file that is JSON (written before
/// journal format 3) is the document itself.
public struct BlobRecipes: Sendable {
    private let files: DigestNamedFiles
    public var directory: String { files.directory }
    private let readBlob: @Sendable (Digest) throws -> Data
    private let storeBlob: @Sendable (Data) throws -> Digest

    init(root: String, durable: Bool, deferSync: @escaping @Sendable (String) -> Void,
         readBlob: @escaping @Sendable (Digest) throws -> Data, storeBlob: @escaping @Sendable (Data) throws -> Digest) {
        self.files = DigestNamedFiles(directory: root + "/recipes/sha256", durable: durable, deferSync: deferSync)
        self.readBlob = readBlob
        self.storeBlob = storeBlob
    }

    /// The blob holding the recipe document of `digest`, when the recipe file points at one.
    public func documentBlob(of digest: Digest) -> Digest? {
        guard let data = try? FileIO.readFile(path(for: digest)) else { return nil }
        return Digest(rawBytes: data)
    }

    /// The recipe document of `digest`; nil when there is none, thrown when the file points at a
    /// blob that cannot be read.
    func readDocument(for digest: Digest) throws -> Data? {
        guard contains(digest) else { return nil }
        let data = try FileIO.readFile(path(for: digest))
        guard data.count == 32, let blob = documentBlob(of: digest) else { return data }
        return try readBlob(blob)
    }

    public func path(for digest: Digest) -> String {
        files.path(for: digest)
    }

    public func contains(_ digest: Digest) -> Bool {
        files.contains(digest)
    }

    /// The recipe document of `digest`, or nil when there is none.
    public func document(for digest: Digest) -> Data? {
        try? readDocument(for: digest)
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
        guard let data = try readDocument(for: digest) else { return nil }
        return try CanonicalJSON.decode(Header.self, from: data)
    }

    /// The blobs `digest`'s recipe needs; nil when there is no recipe.
    public func requirements(of digest: Digest) throws -> [Digest]? {
        try header(of: digest)?.requires
    }

    public func store(_ document: Data, for digest: Digest) throws {
        // The document blob first (durable with it at the same sync), then the file naming it.
        let blob = try storeBlob(document)
        try files.write(Data(blob.rawBytes), for: digest)
    }

    /// Every digest that has a recipe.
    public func list() throws -> [Digest] {
        try files.list()
    }

    public func remove(_ digest: Digest) throws {
        try files.remove(digest)
    }

    /// Removes every recipe whose digest is not in `keep`, and temporary files left by
    /// interrupted writes of processes no longer running. Returns how many recipes went.
    @discardableResult
    public func sweep(keeping keep: Set<Digest>) throws -> Int {
        var removed = 0
        for digest in try files.list() where !keep.contains(digest) {
            try files.remove(digest)
            removed += 1
        }
        files.removeStaleTemporaries()
        return removed
    }
}
