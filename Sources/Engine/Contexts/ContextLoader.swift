import BuildJournal
import ContentStore
import Foundation
import Frontend
import LayerArchive

/// Snapshots build contexts into the journal: the main context (after `.dockerignore`) and
/// named directory contexts. Steps read their files from these snapshots, never from the host
/// directory, so a replay that has only the journal does exactly what the build did.
final class ContextLoader {
    let journal: Journal
    /// One stat cache per context directory for the whole build: two contexts on the same
    /// directory (`--build-context src=.`) share what the first one hashed, and one cache, with
    /// both sets of entries, is saved at the end.
    private var caches: [String: StatCache] = [:]

    init(journal: Journal) {
        self.journal = journal
    }

    struct Loaded: Sendable {
        var snapshot: TreeSnapshot
        var digest: Digest
        var statistics: TreeSnapshotter.Statistics
        var seconds: Double
        /// Saved by the build once the journal is synced, not before: it names blobs the
        /// snapshot did not wait to see on the disk.
        var statCache: PendingStatCache
    }

    /// A context's stat cache and where it goes.
    struct PendingStatCache: Sendable {
        let cache: StatCache
        let path: String

        /// Only after the journal's store was synced since the snapshot that filled it.
        func save() {
            // A cache: failing to write it costs the next build a re-read, nothing else.
            try? cache.save(to: path)
        }
    }

    /// Snapshots `directory`, keeping what `filter` includes.
    func load(directory: String, filter: ContextFilter) throws -> Loaded {
        let started = Date()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RequestError.missingContext(directory)
        }
        try? FileIO.makeDirectories(journal.root + "/statcache")
        let cachePath = statCachePath(for: directory)
        let cache = caches[cachePath] ?? StatCache(contentsOf: cachePath)
        caches[cachePath] = cache
        var snapshotter = TreeSnapshotter(store: journal.store, statCache: cache, include: filter.includes)
        snapshotter.callerSyncsBeforeSavingStatCache = true
        let result = try snapshotter.snapshot(directory: directory)
        // The new contents go to the disk while the steps run; the build's sync waits for them.
        if result.statistics.newBlobs > 0 { journal.store.startWriteback() }
        let digest = try result.snapshot.store(in: journal.store)
        return Loaded(snapshot: result.snapshot, digest: digest, statistics: result.statistics,
                      seconds: Date().timeIntervalSince(started),
                      statCache: PendingStatCache(cache: cache, path: cachePath))
    }

    /// The `.dockerignore` that applies to a Dockerfile, if any.
    static func ignoreFile(dockerfilePath: String, contextDirectory: String) -> DockerIgnore? {
        for candidate in DockerIgnore.candidatePaths(dockerfilePath: dockerfilePath, contextDirectory: contextDirectory) {
            if let data = FileManager.default.contents(atPath: candidate) {
                return DockerIgnore(bytes: Array(data))
            }
        }
        return nil
    }

    /// One stat cache per context directory, so re-snapshotting an unchanged tree reads nothing.
    private func statCachePath(for directory: String) -> String {
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        return journal.root + "/statcache/" + Digest(ofUTF8: absolute).short
    }
}
