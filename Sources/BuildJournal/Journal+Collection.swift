#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import GRDB

/// gc: deleting what no tag or build reaches, in an order a kill cannot turn into damage.
extension Journal {
    public struct CollectionReport: Sendable {
        public var kept = 0
        public var sweep = BlobStore.SweepReport()
        /// Extracted layer directories removed because no kept record names their diff id.
        public var removedLayerDirectories = 0
        /// Recipes (`recipes/sha256/`) of blobs no tag or build reaches.
        public var removedRecipes = 0
        /// `tmp/build-*` scratch directories of builds that were killed.
        public var removedScratchDirectories = 0
    }

    /// Deletes every blob that no tag or build reaches. Refuses (returns nil) while another
    /// process has the journal open, since a running build's new blobs are not referenced yet.
    ///
    /// The order makes every prefix of the work a consistent journal, so that a SIGKILL at any
    /// point leaves one that fsck calls clean: first the index forgets the images that go (an
    /// index row naming a deleted blob is damage; a blob no row names is merely garbage), then
    /// the blobs go, then the caches derived from them.
    public func collectGarbage(progress: WorkProgressHandler? = nil) throws -> CollectionReport? {
        try lock.withExclusive {
            // A damaged ref names nothing, so what it held would look like garbage; it may still
            // be recovered (reindex), so nothing is collected until it is.
            let damaged = try RefDirectory.Namespace.allCases.flatMap { namespace in
                try refs.damaged(in: namespace).map { "\(namespace.singular) \($0.name)" }
            }
            guard damaged.isEmpty else { throw JournalError.damagedRefs(root: root, refs: damaged) }
            var keep = Set<Digest>()
            var queue = try refs.all(in: .tags).map(\.digest) + refs.all(in: .builds).map(\.digest)
            while let digest = queue.popLast() {
                if keep.count % 512 == 0 { progress?(WorkProgress(phase: "marking reachable blobs", done: keep.count)) }
                guard keep.insert(digest).inserted else { continue }
                // A kept blob's recipe (a COPY layer's tree, and through it the content blobs)
                // is kept with it: a later build makes the layer's lower directory from it.
                if let required = try? store.recipes.requirements(of: digest) { queue.append(contentsOf: required) }
                // ...and the blob that holds the recipe document.
                if let document = store.recipes.documentBlob(of: digest) { queue.append(document) }
                // Only stored blobs are read: a recipe's blob is a layer, never JSON, and making
                // it to look would undo what keeping the recipe saves.
                guard store.hasContent(digest) else { continue }
                let data: Data
                if !store.isStored(digest) {
                    // A document kept as a delta that cannot be made would hide what it names:
                    // collecting now could delete blobs a build still needs.
                    data = try store.reconstruct(digest)
                } else {
                    guard let stored = try? store.read(digest, verify: false) else { continue }
                    data = stored
                }
                guard data.first == UInt8(ascii: "{") else { continue }
                // Every digest a JSON document mentions is kept: generous by design (diff ids and
                // the like mark nothing), and it needs no knowledge of each document's schema.
                queue.append(contentsOf: CanonicalJSON.referencedDigests(in: data))
            }
            var report = CollectionReport()
            let buildRefs = try refs.all(in: .builds)
            let builds = Set(buildRefs.map(\.name))
            // The index must name nothing about to go. A build killed between setting its ref and
            // indexing the new record (`save`), or an import rolled back to an older record,
            // leaves index rows naming records no ref reaches any more: found by
            // scripts/reliability (fsck after gc: "missing … named by index"). The index follows
            // the refs: such builds are indexed again from the record their ref names.
            var stale: [(BuildRecord, Digest)] = []
            let indexed = try database.read { db in
                try Dictionary(Row.fetchAll(db, sql: "SELECT id, recordDigest FROM build").map {
                    (($0["id"] as String?) ?? "", IndexDigest.text($0, "recordDigest") ?? "")
                }, uniquingKeysWith: { first, _ in first })
            }
            for (id, digest) in buildRefs where indexed[id].map({ $0 != digest.description }) ?? false {
                if let record = try? getRecord(BuildRecord.self, digest) { stale.append((record, digest)) }
            }
            try database.write { db in
                for (record, digest) in stale { try Journal.index(record, digest: digest, in: db) }
                // Step rows whose record no kept build reaches (the steps of a version of a
                // build that is gone), with their mounts.
                for row in try Row.fetchAll(db, sql: "SELECT buildID, stepIndex, recordDigest FROM step") {
                    guard let text = IndexDigest.text(row, "recordDigest"), let digest = Digest(text), !keep.contains(digest)
                    else { continue }
                    let buildID: String = row["buildID"]
                    let index: Int = row["stepIndex"]
                    try db.execute(sql: "DELETE FROM mount WHERE buildID = ? AND stepIndex = ?", arguments: [buildID, index])
                    try db.execute(sql: "DELETE FROM step WHERE buildID = ? AND stepIndex = ?", arguments: [buildID, index])
                }
                // Builds whose ref is gone: their rows would name records about to be deleted.
                for id in try String.fetchAll(db, sql: "SELECT id FROM build") where !builds.contains(id) {
                    for table in ["mount", "step", "context"] {
                        try db.execute(sql: "DELETE FROM \(table) WHERE buildID = ?", arguments: [id])
                    }
                    try db.execute(sql: "DELETE FROM build WHERE id = ?", arguments: [id])
                }
                for image in try ImageRow.fetchAll(db) where Digest(image.manifestDigest).map({ !keep.contains($0) }) ?? true {
                    try image.delete(db)
                }
            }
            let present = Set(try store.list())
            report.kept = keep.intersection(present).count
            let unreachable = present.subtracting(keep).count
            progress?(WorkProgress(phase: "deleting unreachable blobs", done: 0, total: unreachable))
            report.sweep = try store.sweep(keeping: keep) { deleted in
                Journal.collectionFault(deleted)
                if deleted % 64 == 0 || deleted == unreachable {
                    progress?(WorkProgress(phase: "deleting unreachable blobs", done: deleted, total: unreachable))
                }
            }
            // After the blobs: a recipe whose blob went is removed with it.
            report.removedRecipes = try store.recipes.sweep(keeping: keep)
            // Stored bytes of a layer that also has a recipe stay: they may be the only copy that
            // is sure to be right (pulled or imported bytes, or a recipe that cannot be read or
            // whose zlib is not this binary's), and gc never deletes reachable bytes.
            progress?(WorkProgress(phase: "removing unused extracted layers", done: 0))
            report.removedLayerDirectories = try sweepLayerDirectories(keeping: keep)
            // The index keeps the pages of deleted rows (and its WAL their history) until compacted:
            // without this, gc after deleting builds never returns the journal to the size of what
            // remains (scripts/journal-growth). Best effort: a busy reader only delays it.
            try? database.vacuum()
            try? database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            // Nobody else has the journal open: scratch without an owner is abandoned too.
            report.removedScratchDirectories = BuildScratch(directory: root + "/tmp")
                .reclaimAbandoned(includingUnowned: true)
            return report
        }
    }

    /// Fault injection for the kill-during-gc test: `REPRISE_TEST_KILL_GC_AFTER=N` SIGKILLs this
    /// process right after the N-th blob deletion, the worst moment a real kill could choose.
    private static let collectionFault: @Sendable (Int) -> Void = { deleted in
        guard let text = ProcessInfo.processInfo.environment["REPRISE_TEST_KILL_GC_AFTER"],
              let limit = Int(text), deleted >= limit else { return }
        kill(getpid(), SIGKILL)
    }

    /// `layers/<diff id>` holds layers extracted for the sandbox (a cache the engine fills); a
    /// directory whose diff id no kept config or record mentions goes with its blobs. Half-done
    /// extractions of dead processes (`<hex>.extract-PID-…`) go too.
    private func sweepLayerDirectories(keeping keep: Set<Digest>) throws -> Int {
        let directory = root + "/layers"
        guard FileIO.isDirectory(directory) else { return 0 }
        var removed = 0
        for name in try FileIO.listDirectory(directory) {
            let hex = String(name.prefix(64))
            if let digest = Digest(hex: hex), keep.contains(digest), hex == name { continue }
            if name.contains(".extract-"), let pid = Int32(name.split(separator: "-").dropFirst().first ?? ""),
               Journal.isAlive(pid) { continue }
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
            removed += 1
        }
        return removed
    }
}
