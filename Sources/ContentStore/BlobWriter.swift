#if canImport(Glibc)
import Glibc
#endif
import CFileSystem
import Foundation

/// Streams one blob into the store, hashing as it writes.
///
/// The bytes go to an unnamed file in the blob directory (`O_TMPFILE`) that `commit` links under
/// its digest once size and digest are checked: nothing is visible under `blobs/` before, and a
/// process killed mid-write leaves nothing at all. One directory operation per blob (the link),
/// where an ingest file took three (create, rename across directories under the filesystem's
/// rename lock, unlink): a snapshot of 10,000 files on every core spent a tenth of its CPU
/// spinning on those directory locks. Where the filesystem has no `O_TMPFILE`, an ingest file
/// in `ingest/` renamed into place, which `gc` removes if the process died.
public final class BlobWriter {
    public enum Durability: Sendable {
        /// fsync the blob and its directory before returning: survives power loss on its own.
        case immediate
        /// Skip fsync; the caller calls `BlobStore.synchronize()` once after a batch (one syncfs
        /// instead of thousands of fsyncs when snapshotting a large tree). Still safe against a
        /// killed process, since the page cache outlives it.
        case batched
    }

    private let store: BlobStore
    /// The ingest file; nil when the bytes go to an unnamed file.
    private let ingestPath: String?
    private var fd: Int32
    private var hasher = DigestHasher()
    /// The digest the caller computed from the very bytes it writes (`BlobStore.ingest(_:hashedAs:)`):
    /// then they are not hashed a second time.
    private let knownDigest: Digest?
    private var written: Int64 = 0
    private var finished = false

    init(store: BlobStore, knownDigest: Digest? = nil) throws {
        self.store = store
        self.knownDigest = knownDigest
        if store.unnamedFilesSupported {
            let unnamed = reprise_open_unnamed(store.blobDirectory, 0o644)
            let failure = errno
            if unnamed >= 0 {
                ingestPath = nil
                fd = unnamed
                return
            }
            if failure == EOPNOTSUPP || failure == EISDIR || failure == EINVAL { store.unnamedFilesSupported = false }
        }
        let path = store.ingestDirectory + "/\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        ingestPath = path
        fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
    }

    /// Where errors name the blob being written.
    private var shownPath: String { ingestPath ?? store.blobDirectory + "/(unnamed)" }

    deinit {
        if !finished { abort() }
    }

    /// Bytes written so far.
    public var count: Int64 { written }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after commit or abort")
        if knownDigest == nil { hasher.update(bytes) }
        written += Int64(bytes.count)
        try FileIO.writeAll(fd, bytes, path: shownPath)
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Moves the blob into place. Throws `StoreError.digestMismatch` / `.sizeMismatch` when the
    /// content is not what the caller expected, in which case nothing becomes visible.
    @discardableResult
    public func commit(expected: Digest? = nil, expectedSize: Int64? = nil,
                       durability: Durability = .immediate) throws -> BlobStore.CommitResult {
        precondition(!finished, "commit after commit or abort")
        finished = true
        // An ingest file goes unless it was renamed into place; an unnamed file with its descriptor.
        var placed = false
        defer {
            close(fd)
            if let ingestPath, !placed { unlink(ingestPath) }
        }
        let digest = knownDigest ?? hasher.finalize()
        let size = written
        let synchronous = durability == .immediate && store.syncPolicy == .everyCommit
        if synchronous, fsync(fd) != 0 {
            throw SystemCallError("fsync", path: shownPath)
        }
        if let expectedSize, expectedSize != size {
            throw StoreError.sizeMismatch(expected: expectedSize, actual: size)
        }
        if let expected, expected != digest {
            throw StoreError.digestMismatch(expected: expected, actual: digest)
        }
        let target = store.path(for: digest)
        // An unnamed file is linked without looking first: the link fails when the blob is there.
        if let ingestPath {
            if FileIO.exists(target) {
                return alreadyStored(target, digest: digest, size: size)
            }
            // rename() replaces atomically: two processes committing the same content race harmlessly.
            guard rename(ingestPath, target) == 0 else { throw SystemCallError("rename", path: target) }
            placed = true
        } else if reprise_link_unnamed(fd, target) != 0 {
            // Another process linked the same content first.
            guard errno == EEXIST else { throw SystemCallError("link", path: target) }
            return alreadyStored(target, digest: digest, size: size)
        }
        // Hashed as written, or by the caller from the very bytes (`hashedAs`).
        store.noteWritten(digest)
        if synchronous {
            try FileIO.syncDirectory(store.blobDirectory)
        } else if store.syncPolicy == .deferred {
            store.deferSync(of: target)
        }
        return .init(digest: digest, size: size, alreadyExisted: false)
    }

    /// Another process may have committed the blob and not synced it yet: what this one records
    /// naming it must not become durable before it does.
    private func alreadyStored(_ target: String, digest: Digest, size: Int64) -> BlobStore.CommitResult {
        if store.syncPolicy == .deferred { store.deferSync(of: target) }
        return .init(digest: digest, size: size, alreadyExisted: true)
    }

    /// Throws the partial content away.
    public func abort() {
        guard !finished else { return }
        finished = true
        close(fd)
        if let ingestPath { unlink(ingestPath) }
    }
}
