#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Frontend
import LayerArchive

/// Where the directories of `RUN --mount=type=cache` come from. A session is configured with one
/// for the whole build — the journal's live caches for a build, the states the record holds for a
/// replay — so that preparing a mount never asks which kind of run this is.
protocol CacheMountSource {
    func acquire(_ request: CacheMountRequest) throws -> CacheMountUse
}

/// One cache mount of one step, as the source needs it.
struct CacheMountRequest {
    /// The id, already prefixed by `BUILDKIT_CACHE_MOUNT_NS`.
    var id: String
    var sharing: CacheSharing
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    /// The tree a new cache starts from (`from=`/`source=`), on the host and by digest.
    var seed: (host: String, digest: Digest)?
    /// The step's index in the record.
    var step: Int
}

/// A cache directory held for one step: its state before, how to take its state after, and
/// what the record says of it beyond mode and owner.
struct CacheMountUse {
    var directory: String
    var before: Digest?
    var options: [String: String]
    var snapshotAfter: () -> Digest?
    var release: () -> Void
}

/// A build's caches: persistent directories of the journal, held as `sharing` says.
struct LiveCacheMounts: CacheMountSource {
    let store: CacheMountStore

    func acquire(_ request: CacheMountRequest) throws -> CacheMountUse {
        let blobs = store.store
        let creation = CacheMountStore.Creation(mode: request.mode, uid: request.uid, gid: request.gid,
                                                seed: request.seed.map { seed in
            { directory in try TreeSnapshot.load(seed.digest, from: blobs).materialize(into: directory, store: blobs) }
        })
        let lease = try store.acquire(name: CacheMountStore.cacheName(id: request.id, seed: request.seed?.digest),
                                      id: request.id, sharing: request.sharing, creation: creation)
        var options = ["instance": lease.instance, "created": "\(lease.created)"]
        if let seed = request.seed { options["seed"] = seed.digest.description }
        let store = self.store
        return CacheMountUse(directory: lease.directory,
                             before: Self.snapshotRetrying(lease, store: store),
                             options: options,
                             snapshotAfter: { Self.snapshotRetrying(lease, store: store) },
                             release: { lease.release() })
    }

    /// A `shared` cache may be written by another build while it is read; such a snapshot is
    /// retried, and after a few tries the state is left unrecorded rather than guessed.
    private static func snapshotRetrying(_ lease: CacheMountStore.Lease, store: CacheMountStore) -> Digest? {
        for _ in 0..<3 {
            if let digest = try? store.snapshot(lease) { return digest }
            usleep(50_000)
        }
        return nil
    }
}

/// A replay's caches: never the journal's live ones, but a fresh directory per step holding the
/// state recorded before that step (empty when none was recorded).
struct RestoredCacheMounts: CacheMountSource {
    /// Recorded states by step index, then by cache id.
    let states: [Int: [String: Digest]]
    /// The replay's scratch directory.
    let scratch: String
    let store: BlobStore

    func acquire(_ request: CacheMountRequest) throws -> CacheMountUse {
        let directory = scratch + "/replay-cache/\(request.step)-" + Digest(ofUTF8: request.id).short
        if !FileIO.isDirectory(directory) {
            try FileIO.makeDirectories(directory)
            if let tree = states[request.step]?[request.id] {
                try TreeSnapshot.load(tree, from: store).materialize(into: directory, store: store)
            } else {
                chmod(directory, mode_t(request.mode))
                chown(directory, request.uid, request.gid)
            }
        }
        let store = self.store
        let snapshot = { try? TreeSnapshotter(store: store).snapshot(directory: directory).snapshot.store(in: store) }
        return CacheMountUse(directory: directory, before: snapshot(), options: [:], snapshotAfter: snapshot,
                             release: {})
    }
}
