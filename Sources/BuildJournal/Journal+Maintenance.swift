import ContentStore
import Foundation
import GRDB

/// fsck, gc and reindex: keeping the journal honest and small.
extension Journal {
    public struct FsckReport: Sendable, Equatable {
        public var blobsChecked = 0
        public var bytesChecked: Int64 = 0
        /// Blobs whose content no longer matches their name.
        public var corrupt: [Digest] = []
        /// (who refers, what is missing): a record, ref or index row naming an absent blob.
        public var missing: [(referrer: String, digest: Digest)] = []
        /// Ingest files of processes that died mid-write; harmless, `gc` removes them.
        public var staleIngestFiles = 0

        public var isClean: Bool { corrupt.isEmpty && missing.isEmpty }

        public static func == (lhs: FsckReport, rhs: FsckReport) -> Bool {
            lhs.blobsChecked == rhs.blobsChecked && lhs.corrupt == rhs.corrupt
                && lhs.missing.map { "\($0.referrer) \($0.digest)" } == rhs.missing.map { "\($0.referrer) \($0.digest)" }
        }
    }

    public struct CollectionReport: Sendable {
        public var kept = 0
        public var sweep = BlobStore.SweepReport()
        /// Extracted layer directories removed because no kept record names their diff id.
        public var removedLayerDirectories = 0
    }

    public struct ReindexReport: Sendable, Equatable {
        public var builds = 0
        public var steps = 0
        public var tags = 0
        public var images = 0

        public init(builds: Int = 0, steps: Int = 0, tags: Int = 0, images: Int = 0) {
            self.builds = builds
            self.steps = steps
            self.tags = tags
            self.images = images
        }
    }

    /// Re-hashes every blob and checks every reference the refs, records and index hold.
    public func fsck(progress: (Int, Int) -> Void = { _, _ in }) throws -> FsckReport {
        var report = FsckReport()
        let all = try store.list()
        let present = Set(all)
        for (offset, digest) in all.enumerated() {
            progress(offset, all.count)
            report.blobsChecked += 1
            report.bytesChecked += (try? store.size(of: digest)) ?? 0
            if case .corrupt = try store.verify(digest) { report.corrupt.append(digest) }
        }
        let corrupt = Set(report.corrupt)
        func need(_ digest: Digest, by referrer: String) {
            if !present.contains(digest) { report.missing.append((referrer, digest)) }
        }
        for (name, digest) in try refs.all(in: .tags) { need(digest, by: "tag \(name)") }
        for (id, digest) in try refs.all(in: .builds) { need(digest, by: "build \(id)") }
        // Walk what the records and manifests reachable from the refs name.
        var queue = try refs.all(in: .tags).map(\.digest) + refs.all(in: .builds).map(\.digest)
        var seen = Set<Digest>()
        while let digest = queue.popLast() {
            guard seen.insert(digest).inserted, present.contains(digest), !corrupt.contains(digest),
                  let data = try? store.read(digest), data.first == UInt8(ascii: "{") else { continue }
            for reference in references(in: data) {
                need(reference, by: "blob \(digest)")
                queue.append(reference)
            }
        }
        let rows = try database.read { db in
            try String.fetchAll(db, sql: """
                SELECT recordDigest FROM build UNION SELECT recordDigest FROM step
                UNION SELECT manifestDigest FROM image UNION SELECT configDigest FROM image
                """)
        }
        for row in rows { if let digest = Digest(row) { need(digest, by: "index") } }
        report.staleIngestFiles = try store.staleIngestFiles().count
        return report
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

    /// Deletes every blob that no tag or build reaches. Refuses (returns nil) while another
    /// process has the journal open, since a running build's new blobs are not referenced yet.
    public func collectGarbage() throws -> CollectionReport? {
        try lock.withExclusive {
            var keep = Set<Digest>()
            var queue = try refs.all(in: .tags).map(\.digest) + refs.all(in: .builds).map(\.digest)
            while let digest = queue.popLast() {
                guard keep.insert(digest).inserted, store.contains(digest),
                      let data = try? store.read(digest), data.first == UInt8(ascii: "{") else { continue }
                // Every digest a JSON document mentions is kept: generous by design (diff ids and
                // the like mark nothing), and it needs no knowledge of each document's schema.
                queue.append(contentsOf: CanonicalJSON.referencedDigests(in: data))
            }
            let present = Set(try store.list())
            var report = CollectionReport()
            report.kept = keep.intersection(present).count
            report.sweep = try store.sweep(keeping: keep)
            try database.write { db in
                for image in try ImageRow.fetchAll(db) where !keep.contains(Digest(image.manifestDigest)!) {
                    try image.delete(db)
                }
            }
            report.removedLayerDirectories = try sweepLayerDirectories(keeping: keep)
            return report
        }
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

    /// Rebuilds the index from the refs and the records they reach.
    public func reindex() throws -> ReindexReport {
        var report = ReindexReport()
        let builds = try refs.all(in: .builds)
        let tags = try refs.all(in: .tags)
        try database.write { db in
            for table in ["mount", "step", "context", "build", "tag", "image"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            var images: [Digest: String] = [:]
            for (_, digest) in builds {
                let build = try getRecord(BuildRecord.self, digest)
                try Journal.index(build, digest: digest, in: db)
                report.builds += 1
                for stepDigest in build.steps {
                    try Journal.index(getRecord(StepRecord.self, stepDigest), digest: stepDigest, in: db)
                    report.steps += 1
                }
                if let manifest = build.manifest { images[manifest] = "build:\(build.id)" }
                for (name, manifest) in build.baseImages where images[manifest] == nil {
                    images[manifest] = "base:\(name)"
                }
            }
            for (name, manifest) in tags {
                try TagRow(name: name, manifestDigest: manifest.description, updatedAt: Date().timeIntervalSince1970)
                    .insert(db)
                report.tags += 1
                if images[manifest] == nil { images[manifest] = "tag:\(name)" }
            }
            for (manifest, source) in images.sorted(by: { $0.key < $1.key }) {
                guard let data = try? store.read(manifest),
                      let config = try? JSONDecoder().decode(ManifestConfigProbe.self, from: data).config.digest
                else { continue }
                try ImageRow(manifestDigest: manifest.description, configDigest: config.description,
                             source: source, addedAt: Date().timeIntervalSince1970).insert(db)
                report.images += 1
            }
        }
        return report
    }
}

private struct MediaTypeProbe: Decodable {
    var mediaType: String?
}

private struct ManifestConfigProbe: Decodable {
    struct Config: Decodable { var digest: Digest }
    var config: Config
}
