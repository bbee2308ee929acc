import ContentStore
import Foundation
import GRDB
import LayerArchive

/// fsck: finding every kind of damage a journal can suffer, without repairing any of it.
extension Journal {
    public struct FsckReport: Sendable, Equatable {
        public var blobsChecked = 0
        public var bytesChecked: Int64 = 0
        /// Blobs whose content no longer matches their name.
        public var corrupt: [Digest] = []
        /// Blobs kept as a delta (`deltas/sha256/`) that cannot be made: the base is gone, the delta
        /// file is damaged. Each with why.
        public var unmakableDeltas: [(digest: Digest, reason: String)] = []
        /// (who refers, what is missing): a record, ref or index row naming an absent blob.
        public var missing: [(referrer: String, digest: Digest)] = []
        /// Ref files that do not hold a digest (emptied, truncated, overwritten): "tag NAME: why".
        public var damagedRefs: [String] = []
        /// Records a ref or build names that exist but cannot be read as what they should be.
        public var unreadableRecords: [String] = []
        /// Why `index.sqlite` could not be used (missing, not a database), if it could not.
        public var indexDamage: String?
        /// Builds and tags the refs hold that the index does not list: not damage on its own (a
        /// build killed between writing its ref and its index row leaves this), but
        /// `journal reindex` catches the index up.
        public var unindexed: [String] = []
        /// Ingest files of processes that died mid-write; harmless, `gc` removes them.
        public var staleIngestFiles = 0
        /// `deep`: layers kept only as a recipe that were made again (into the hashers) and matched.
        public var layersRemade = 0
        /// `deep`: layers whose recipe does not make their bytes, each with what came out instead.
        public var unremakable: [(digest: Digest, reason: String)] = []

        public var isClean: Bool {
            corrupt.isEmpty && unmakableDeltas.isEmpty && missing.isEmpty && damagedRefs.isEmpty && unreadableRecords.isEmpty
                && indexDamage == nil && unremakable.isEmpty
        }

        public static func == (lhs: FsckReport, rhs: FsckReport) -> Bool {
            lhs.blobsChecked == rhs.blobsChecked && lhs.corrupt == rhs.corrupt
                && lhs.unmakableDeltas.map { "\($0.digest) \($0.reason)" } == rhs.unmakableDeltas.map { "\($0.digest) \($0.reason)" }
                && lhs.missing.map { "\($0.referrer) \($0.digest)" } == rhs.missing.map { "\($0.referrer) \($0.digest)" }
                && lhs.damagedRefs == rhs.damagedRefs && lhs.unreadableRecords == rhs.unreadableRecords
                && lhs.indexDamage == rhs.indexDamage && lhs.unindexed == rhs.unindexed
                && lhs.layersRemade == rhs.layersRemade
                && lhs.unremakable.map { "\($0.digest) \($0.reason)" } == rhs.unremakable.map { "\($0.digest) \($0.reason)" }
        }
    }

    /// Re-hashes every blob and checks every reference the refs, records and index hold, that
    /// every ref holds a digest and every record reads as one. Open the journal with
    /// `index: .inspect` so that a damaged index is reported here rather than refused.
    ///
    /// `deep` also makes every reachable layer that is kept only as a recipe again, into hashers
    /// (nothing is written), and checks it against its digest, diff id and size: what a reader would
    /// get, on this machine's zlib and libarchive.
    public func fsck(deep: Bool = false, progress: (Int, Int) -> Void = { _, _ in }) throws -> FsckReport {
        var report = FsckReport()
        report.indexDamage = indexDamage
        let all = try store.list()
        let present = Set(all)
        for (offset, digest) in all.enumerated() {
            progress(offset, all.count)
            report.blobsChecked += 1
            report.bytesChecked += (try? store.size(of: digest)) ?? 0
            switch try store.verify(digest) {
            case .corrupt: report.corrupt.append(digest)
            case .unmakable(let reason): report.unmakableDeltas.append((digest, reason))
            case .intact, .missing: break
            }
        }
        // A delta beside a full copy is checked too: gc would keep it as the only copy.
        for digest in try store.deltas.list() where store.isStored(digest) {
            switch store.verifyDelta(of: digest) {
            case .corrupt(let actual):
                report.unmakableDeltas.append((digest, "its delta \(store.deltas.path(for: digest)) makes \(actual)"))
            case .unmakable(let reason): report.unmakableDeltas.append((digest, reason))
            case .intact, .missing: break
            }
        }
        let unmakable = Set(report.unmakableDeltas.map(\.digest))
        let corrupt = Set(report.corrupt)
        func need(_ digest: Digest, by referrer: String) {
            if !present.contains(digest), !store.recipes.contains(digest) { report.missing.append((referrer, digest)) }
        }
        for namespace in RefDirectory.Namespace.allCases {
            for damaged in try refs.damaged(in: namespace) {
                report.damagedRefs.append("\(namespace.singular) \(damaged.name): \(damaged.reason)")
            }
        }
        let tags = try refs.all(in: .tags)
        let builds = try refs.all(in: .builds)
        for (name, digest) in tags { need(digest, by: "tag \(name)") }
        for (id, digest) in builds { need(digest, by: "build \(id)") }
        report.unreadableRecords = checkRecords(of: builds, present: present, corrupt: corrupt)
        // Walk what the records and manifests reachable from the refs name.
        var queue = tags.map(\.digest) + builds.map(\.digest)
        var seen = Set<Digest>()
        while let digest = queue.popLast() {
            guard seen.insert(digest).inserted else { continue }
            // A blob's recipe (a COPY layer's) must name blobs the store holds, and be readable.
            if let document = store.recipes.documentBlob(of: digest) {
                need(document, by: "recipe of \(digest)")
                queue.append(document)
            }
            do {
                for required in try store.recipes.requirements(of: digest) ?? [] {
                    need(required, by: "recipe of \(digest)")
                    queue.append(required)
                }
            } catch {
                report.unreadableRecords.append("recipe of \(digest) (\(store.recipes.path(for: digest))) cannot be read: \(error)")
            }
            guard present.contains(digest), !corrupt.contains(digest), !unmakable.contains(digest),
                  let data = try? store.read(digest, verify: false), data.first == UInt8(ascii: "{") else { continue }
            for reference in references(in: data) {
                need(reference, by: "blob \(digest)")
                queue.append(reference)
            }
        }
        let (rows, indexedBuilds, indexedTags) = try database.read { db in
            (try DatabaseValue.fetchAll(db, sql: """
                SELECT recordDigest FROM build UNION SELECT recordDigest FROM step
                UNION SELECT manifestDigest FROM image UNION SELECT configDigest FROM image
                """).compactMap(IndexDigest.text),
             Set(try String.fetchAll(db, sql: "SELECT id FROM build")),
             Set(try String.fetchAll(db, sql: "SELECT name FROM tag")))
        }
        for row in rows { if let digest = Digest(row) { need(digest, by: "index") } }
        if report.indexDamage == nil {
            report.unindexed = builds.filter { !indexedBuilds.contains($0.name) }.map { "build \($0.name)" }
                + tags.filter { !indexedTags.contains($0.name) }.map { "tag \($0.name)" }
        }
        report.staleIngestFiles = try store.staleIngestFiles().count
        if deep {
            for digest in seen.sorted(by: { $0.description < $1.description })
            where !present.contains(digest) && store.recipes.contains(digest) {
                guard let recipe = LayerRecipe.load(for: digest, from: store) else {
                    report.unremakable.append((digest, "its recipe cannot be read"))
                    continue
                }
                if recipe.compression == .gzip, recipe.blockRule == nil {
                    report.unremakable.append((digest, "its recipe names gzip block rule \(recipe.gzipBlockRule ?? -1), which this Reprise does not know"))
                    continue
                }
                do {
                    let tree = try TreeSnapshot.load(recipe.tree, from: store)
                    let made = try recipe.writer.describe(snapshot: tree, contentsFrom: store)
                    if made.digest == digest, made.diffID == recipe.diffID, made.size == recipe.size {
                        report.layersRemade += 1
                    } else {
                        report.unremakable.append((digest, "made again it is \(made.digest) (diff id \(made.diffID), "
                            + "\(made.size) bytes); made with \(recipe.madeWith ?? "an unrecorded zlib"), "
                            + "this Reprise has \(LayerRecipe.libraries)"))
                    }
                } catch {
                    report.unremakable.append((digest, "\(error)"))
                }
            }
        }
        return report
    }

    /// Every build record a ref names, and every step record it lists, must decode (a blob can
    /// hash correctly and still not be a record: written by a bug, or planted).
    private func checkRecords(of builds: [(name: String, digest: Digest)], present: Set<Digest>,
                              corrupt: Set<Digest>) -> [String] {
        var problems: [String] = []
        for (id, digest) in builds where present.contains(digest) && !corrupt.contains(digest) {
            let build: BuildRecord
            do {
                build = try CanonicalJSON.decode(BuildRecord.self, from: store.read(digest, verify: false))
            } catch {
                problems.append("build \(id): record \(digest) is not a build record: \(error)")
                continue
            }
            if build.id != id { problems.append("build \(id): record \(digest) is of build \(build.id)") }
            for step in build.steps where present.contains(step) && !corrupt.contains(step) {
                do {
                    _ = try CanonicalJSON.decode(StepRecord.self, from: store.read(step, verify: false))
                } catch {
                    problems.append("build \(id): step record \(step) cannot be read: \(error)")
                }
            }
        }
        return problems
    }

    /// The blobs a JSON blob names that must exist, by what kind of document it is.
    func references(in data: Data) -> Set<Digest> {
        guard let probe = try? JSONDecoder().decode(MediaTypeProbe.self, from: data) else { return [] }
        switch probe.mediaType {
        case RecordMediaType.build:
            return (try? CanonicalJSON.decode(BuildRecord.self, from: data))?.blobReferences ?? []
        case RecordMediaType.step:
            return (try? CanonicalJSON.decode(StepRecord.self, from: data))?.blobReferences ?? []
        case let type? where Journal.documentsOfBlobs.contains(type):
            return CanonicalJSON.referencedDigests(in: data)
        default:
            return DescriptorReferences.digests(inManifestOrIndex: data) ?? []
        }
    }

    /// Media types of JSON documents in which every digest names a blob (tree snapshots).
    static let documentsOfBlobs: Set<String> = ["application/vnd.reprise.tree.v1+json"]
}

struct MediaTypeProbe: Decodable {
    var mediaType: String?
}
