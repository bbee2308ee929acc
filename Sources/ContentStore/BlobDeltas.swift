#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Blobs kept as a delta against another blob (`deltas/sha256/<hex>`) instead of their bytes.
///
/// Only the journal's small documents (tree listings, records, image configs and manifests) are
/// kept so, and only once a newer document of the same kind exists to be their base: the newest
/// ones stay whole (reverse deltas, as RCS keeps its trunk), so what a build reads back — the
/// records and trees of the latest builds — costs no reconstruction, and each older version costs
/// a few hundred bytes instead of a full listing. See `BlobStore+Deltas`.
///
/// A delta file is the byte 0xD1, the base's 32 digest bytes, the blob's size (LEB128), then the
/// operations of `DeltaEncoding`. It is written to a temporary name and renamed into place, and is
/// durable before the full copy it replaces is removed, so a kill at any point leaves the blob
/// readable one way or the other. Readers verify what they reconstruct against the blob's digest.
public struct BlobDeltas: Sendable {
    private let files: DigestNamedFiles
    public var directory: String { files.directory }
    let recentDirectory: String

    /// The first byte of a delta file (its format).
    static let magic: [UInt8] = [0xD1]

    init(root: String, durable: Bool, deferSync: @escaping @Sendable (String) -> Void) {
        self.files = DigestNamedFiles(directory: root + "/deltas/sha256", durable: durable, deferSync: deferSync)
        self.recentDirectory = root + "/deltas/recent"
    }

    /// What a delta file says: the blob it is made from, the size it makes, and the operations.
    public struct Delta: Sendable, Equatable {
        public let base: Digest
        public let size: Int
        public let operations: Data

        public init(base: Digest, size: Int, operations: Data) {
            self.base = base
            self.size = size
            self.operations = operations
        }

        public func encoded() -> Data {
            var data = Data(BlobDeltas.magic)
            data.append(contentsOf: base.rawBytes)
            DeltaEncoding.appendVarint(UInt64(size), to: &data)
            data.append(operations)
            return data
        }

        public init(decoding data: Data, path: String) throws {
            let bytes = [UInt8](data)
            let start = BlobDeltas.magic.count
            guard bytes.count >= start + 33, Array(bytes[0..<start]) == BlobDeltas.magic else {
                throw DeltaEncoding.DeltaError.malformed("\(path) is not a delta (its first byte is not 0xD1)")
            }
            guard let base = Digest(rawBytes: bytes[start..<(start + 32)]) else {
                throw DeltaEncoding.DeltaError.malformed("\(path): bad base digest")
            }
            var cursor = start + 32
            let size = try DeltaEncoding.readVarint(bytes, &cursor)
            // No document larger than this is ever made a delta: a larger size is damage, and
            // reserving it would abort the reader.
            guard size <= UInt64(BlobStore.largestDeltaDocument) else {
                throw DeltaEncoding.DeltaError.malformed("\(path): size \(size)")
            }
            self.base = base
            self.size = Int(size)
            self.operations = data.subdata(in: data.startIndex + cursor..<data.endIndex)
        }
    }

    public func path(for digest: Digest) -> String {
        files.path(for: digest)
    }

    public func contains(_ digest: Digest) -> Bool {
        files.contains(digest)
    }

    /// The delta of `digest`; nil when there is none, a thrown error when it cannot be read.
    public func delta(of digest: Digest) throws -> Delta? {
        let data: Data
        do {
            data = try FileIO.readFile(path(for: digest))
        } catch let error as SystemCallError where error.errno == ENOENT {
            return nil
        }
        return try Delta(decoding: data, path: path(for: digest))
    }

    /// Writes `delta` as the way to make `digest`: atomically, and durable now or at the store's
    /// next `synchronize()`.
    func store(_ delta: Delta, for digest: Digest) throws {
        try files.write(delta.encoded(), for: digest)
    }

    /// Every digest that has a delta.
    public func list() throws -> [Digest] {
        try files.list()
    }

    public func remove(_ digest: Digest) throws {
        try files.remove(digest)
    }

    /// Temporary files left by interrupted writes of processes no longer running.
    func removeStaleTemporaries() {
        files.removeStaleTemporaries()
    }

    // MARK: - The recent documents of each kind

    /// The newest documents of one kind, newest first (`deltas/recent/<kind>`): the candidates a
    /// document leaving the window is made a delta against. A lost update (two processes at once)
    /// only leaves one document whole; nothing depends on this file for correctness.
    func recent(kind: String) -> [Digest] {
        // A hint, never trusted: only a small regular file is read (not a symlink to /dev/zero).
        let path = recentDirectory + "/" + kind
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= 4096,
              let data = try? FileIO.readFile(path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { Digest(hex: String($0)) }
    }

    func setRecent(_ digests: [Digest], kind: String) {
        if !FileIO.isDirectory(recentDirectory) {
            try? PrivateDirectory.make((recentDirectory as NSString).deletingLastPathComponent)
            try? PrivateDirectory.make(recentDirectory)
        }
        let text = digests.map(\.hex).joined(separator: "\n")
        try? FileIO.writeFileAtomically(recentDirectory + "/" + kind, Data(text.utf8), mode: 0o600, durable: false)
    }
}
