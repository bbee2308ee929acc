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
        /// Cache directories held for the step, by the index of their record.
        var cacheUses: [(record: Int, use: CacheMountUse)] = []
        var forwarders: [SSHAgentForwarder] = []
        /// Host paths made for this step alone (copies behind `rw` file binds).
        var temporaryPaths: [String] = []
        /// Records each cache mount's state after the step ran.
        func recordAfter(into records: inout [MountRecord]) {
            for (index, use) in cacheUses where index < records.count {
                records[index].treeAfter = use.snapshotAfter()
            }
        }

        /// Releases the cache locks, stops the agent relays and removes per-step copies.
        func cleanup() {
            for (_, use) in cacheUses { use.release() }
            cacheUses.removeAll()
            for forwarder in forwarders { forwarder.stop() }
            forwarders.removeAll()
            for path in temporaryPaths { try? FileManager.default.removeItem(atPath: path) }
            temporaryPaths.removeAll()
        }
    }

    /// The journal's cache mounts.
    var cacheMountStore: CacheMountStore {
        CacheMountStore(root: journal.root + "/cache-mounts", statCacheDirectory: journal.root + "/statcache",
                        store: journal.store)
    }

    /// Where this run's cache mounts come from: configured by the request, not asked per mount.
    var cacheMounts: any CacheMountSource {
        guard let replay = request.replay else { return LiveCacheMounts(store: cacheMountStore) }
        return RestoredCacheMounts(states: replay.cacheStates, scratch: scratch, store: journal.store)
    }
}
