#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Foundation
import LayerArchive
import Sandbox

extension BuildSession {
    /// The mounts of one RUN, ready for the sandbox, with their records, and what must be given
    /// back after the step: cache leases (their locks) and agent forwarders.
    final class PreparedMounts {
        var sandboxMounts: [SandboxMount] = []
        var records: [MountRecord] = []
        /// Mount facts that change the step's result, for its cache key. As in BuildKit, cache
        /// mount contents are not among them (a cache is an optimisation the step must not
        /// depend on); bind sources are; secret values never are.
        var keyInputs: [String: String] = [:]
        /// Variables the mounts add (secrets with `env=`, SSH_AUTH_SOCK). Given to the sandbox
        /// only: never part of the recorded image environment.
        var environment: [String] = []
        /// Cache instances held for the step, by the index of their record.
        var cacheLeases: [(record: Int, lease: CacheMountStore.Lease)] = []
        /// A replay's cache directories, restored from the record, by the index of their record.
        var replayCacheDirectories: [(record: Int, path: String)] = []
        var forwarders: [SSHAgentForwarder] = []
        /// Host paths made for this step alone (copies behind `rw` file binds).
        var temporaryPaths: [String] = []
        let cacheStore: CacheMountStore

        init(cacheStore: CacheMountStore) { self.cacheStore = cacheStore }

        /// Records each cache mount's state after the step ran.
        func recordAfter(into records: inout [MountRecord]) {
            for (index, lease) in cacheLeases where index < records.count {
                records[index].treeAfter = Self.snapshotRetrying(lease, store: cacheStore)
            }
            for (index, path) in replayCacheDirectories where index < records.count {
                records[index].treeAfter = try? TreeSnapshotter(store: cacheStore.store).snapshot(directory: path)
                    .snapshot.store(in: cacheStore.store)
            }
        }

        /// Releases the cache locks, stops the agent relays and removes per-step copies.
        func cleanup() {
            for (_, lease) in cacheLeases { lease.release() }
            cacheLeases.removeAll()
            for forwarder in forwarders { forwarder.stop() }
            forwarders.removeAll()
            for path in temporaryPaths { try? FileManager.default.removeItem(atPath: path) }
            temporaryPaths.removeAll()
        }

        /// A `shared` cache may be written by another build while it is read; such a snapshot is
        /// retried, and after a few tries the state is left unrecorded rather than guessed.
        static func snapshotRetrying(_ lease: CacheMountStore.Lease, store: CacheMountStore) -> Digest? {
            for _ in 0..<3 {
                if let digest = try? store.snapshot(lease) { return digest }
                usleep(50_000)
            }
            return nil
        }
    }

    /// The journal's cache mounts.
    var cacheMountStore: CacheMountStore {
        CacheMountStore(root: journal.root + "/cache-mounts", statCacheDirectory: journal.root + "/statcache",
                        store: journal.store)
    }
}
