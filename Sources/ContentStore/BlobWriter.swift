#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Streams one blob into the store's ingest area, hashing as it writes.
///
/// Nothing is visible under `blobs/` until `commit` has checked size and digest and renamed the
/// file into place, so a process killed mid-write leaves only an ingest file that `gc` removes.
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
    private let ingestPath: String
    private var fd: Int32
    private var hasher = DigestHasher()
    private var finished = false

    init(store: BlobStore) throws {
        self.store = store
        let name = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        self.ingestPath = store.ingestDirectory + "/" + name
        self.fd = try FileIO.open(ingestPath, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
    }

    deinit {
        if !finished { abort() }
    }

    /// Bytes written so far.
    public var count: Int64 { hasher.count }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after commit or abort")
        hasher.update(bytes)
        try FileIO.writeAll(fd, bytes, path: ingestPath)
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
        defer { unlink(ingestPath) }
        let digest = hasher.finalize()
        let size = hasher.count
        let synchronous = durability == .immediate && store.syncPolicy == .everyCommit
        if synchronous, fsync(fd) != 0 {
            let failure = SystemCallError("fsync", path: ingestPath)
            close(fd)
            throw failure
        }
        close(fd)
        if let expectedSize, expectedSize != size {
            throw StoreError.sizeMismatch(expected: expectedSize, actual: size)
        }
        if let expected, expected != digest {
            throw StoreError.digestMismatch(expected: expected, actual: digest)
        }
        let target = store.path(for: digest)
        if FileIO.exists(target) {
            // Another process may have committed it and not synced it yet: what this one records
            // naming it must not become durable before it does.
            if store.syncPolicy == .deferred { store.deferSync(of: target) }
            return .init(digest: digest, size: size, alreadyExisted: true)
        }
        // rename() replaces atomically: two processes committing the same content race harmlessly.
        guard rename(ingestPath, target) == 0 else { throw SystemCallError("rename", path: target) }
        if synchronous {
            try FileIO.syncDirectory(store.blobDirectory)
        } else if store.syncPolicy == .deferred {
            store.deferSync(of: target)
        }
        return .init(digest: digest, size: size, alreadyExisted: false)
    }

    /// Throws the partial content away.
    public func abort() {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(ingestPath)
    }
}
