#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Frontend
import LayerArchive

/// The persistent directories behind `RUN --mount=type=cache`, shared by every build of one
/// journal (and by concurrent `reprise build` processes on it).
///
/// A cache is identified by its `id` (and, when seeded with `from`, by the seed's tree). It has
/// one or more *instances*, `INSTANCE/0`, `INSTANCE/1`…, each guarded by an `flock` on a lock
/// file beside it, so that the sharing modes hold across processes:
/// - `shared`: instance 0 under a shared lock; any number of steps use it at once;
/// - `locked`: instance 0 under an exclusive lock; a second step waits until the first is done;
/// - `private`: the first instance nobody holds, under an exclusive lock; when all are held a
///   new instance is made. As in BuildKit, a new instance starts empty (or from its seed), not as
///   a copy of a busy one: a copy would race with the writer that holds it.
struct CacheMountStore {
    /// `JOURNAL/cache-mounts`.
    let root: String
    /// Where each instance keeps its stat cache, so that re-snapshotting an unchanged cache
    /// reads nothing.
    let statCacheDirectory: String
    let store: BlobStore

    /// How a new cache directory is made.
    struct Creation {
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        /// Fills a fresh directory with the seed (`from`/`source`); nil: starts empty.
        var seed: ((String) throws -> Void)?
    }

    /// One instance held by one step until `release()`.
    final class Lease {
        let directory: String
        /// `<cache>/<n>`, for the record: which instance the step saw.
        let instance: String
        /// Whether this step made the instance (it was empty or freshly seeded).
        let created: Bool
        private var descriptor: Int32

        init(directory: String, instance: String, created: Bool, descriptor: Int32) {
            self.directory = directory
            self.instance = instance
            self.created = created
            self.descriptor = descriptor
        }

        func release() {
            guard descriptor >= 0 else { return }
            flock(descriptor, LOCK_UN)
            close(descriptor)
            descriptor = -1
        }

        deinit { release() }
    }

    /// The directory name of a cache: a digest of its id and seed, so any id is a safe name.
    static func cacheName(id: String, seed: Digest?) -> String {
        Digest(ofUTF8: seed.map { "\(id)\u{0}\($0)" } ?? id).short
    }

    /// Takes an instance of cache `name` as `sharing` allows, waiting for a `locked` one.
    func acquire(name: String, id: String, sharing: CacheSharing, creation: Creation) throws -> Lease {
        let directory = root + "/" + name
        try FileIO.makeDirectories(directory)
        // For people looking at the directory: which id this is.
        if !FileIO.exists(directory + "/id") { try? Data(id.utf8).write(to: URL(fileURLWithPath: directory + "/id")) }
        switch sharing {
        case .shared:
            // Usually the cache exists and a shared lock is all it takes. Its creation is
            // serialised by a lock of its own: upgrading the shared lock instead (flock converts
            // by releasing first) made two first users of a new cache wait for each other's
            // shared lock, so the second ran its step only after the first had finished.
            // ensureInstance renames a finished instance into place: a shared user that finds
            // `0` finds it whole.
            let descriptor = try lock(directory + "/0.lock", LOCK_SH)
            var created = false
            if !FileIO.isDirectory(directory + "/0") {
                let creating = try lock(directory + "/0.create.lock", LOCK_EX)
                defer { close(creating) }
                created = try ensureInstance(directory + "/0", creation: creation)
            }
            return Lease(directory: directory + "/0", instance: name + "/0", created: created, descriptor: descriptor)
        case .locked:
            let descriptor = try lock(directory + "/0.lock", LOCK_EX)
            let created = try ensureInstance(directory + "/0", creation: creation)
            return Lease(directory: directory + "/0", instance: name + "/0", created: created, descriptor: descriptor)
        case .private:
            var index = 0
            while true {
                if let descriptor = try lockIfFree(directory + "/\(index).lock") {
                    let created = try ensureInstance(directory + "/\(index)", creation: creation)
                    return Lease(directory: directory + "/\(index)", instance: name + "/\(index)", created: created,
                                 descriptor: descriptor)
                }
                index += 1
            }
        }
    }

    /// The tree of a cache instance, its contents in the store, so replay can put it back.
    func snapshot(_ lease: Lease) throws -> Digest {
        try FileIO.makeDirectories(statCacheDirectory)
        let cachePath = statCacheDirectory + "/cache-" + lease.instance.replacingOccurrences(of: "/", with: "-")
        let statCache = StatCache(contentsOf: cachePath)
        let result = try TreeSnapshotter(store: store, statCache: statCache).snapshot(directory: lease.directory)
        try? statCache.save(to: cachePath)
        return try result.snapshot.store(in: store)
    }

    /// Makes the instance directory if it does not exist: built aside, then renamed into place,
    /// so a crash never leaves a half-seeded cache. Called under the instance's exclusive lock.
    private func ensureInstance(_ path: String, creation: Creation) throws -> Bool {
        if FileIO.isDirectory(path) { return false }
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        try FileIO.makeDirectories(partial)
        try creation.seed?(partial)
        guard chmod(partial, mode_t(creation.mode)) == 0 else { throw SystemCallError("chmod", path: partial) }
        guard chown(partial, creation.uid, creation.gid) == 0 else { throw SystemCallError("chown", path: partial) }
        guard rename(partial, path) == 0 else { throw SystemCallError("rename", path: path) }
        return true
    }

    private func lock(_ path: String, _ operation: Int32) throws -> Int32 {
        let descriptor = try FileIO.open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o644)
        do {
            try retrying { flock(descriptor, operation) }
        } catch {
            close(descriptor)
            throw error
        }
        return descriptor
    }

    /// An exclusive lock on `path` if nobody holds it, else nil.
    private func lockIfFree(_ path: String) throws -> Int32? {
        let descriptor = try FileIO.open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o644)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            close(descriptor)
            if error == EWOULDBLOCK { return nil }
            throw SystemCallError("flock", path: path)
        }
        return descriptor
    }

    private func retrying(_ call: () -> Int32) throws {
        while call() != 0 {
            guard errno == EINTR else { throw SystemCallError("flock", path: root) }
        }
    }
}
