import ContentStore
import Foundation
import GRDB

/// reindex: rebuilding the SQLite index from the refs and blobs, which are the truth, recovering
/// what damaged refs lost where the blobs still tell it, and reporting the rest.
extension Journal {
    public struct ReindexReport: Sendable, Equatable {
        public var builds = 0
        public var steps = 0
        public var tags = 0
        public var images = 0
        /// Refs rewritten from what the blobs hold ("build ID: …").
        public var recovered: [String] = []
        /// What could not be indexed or recovered, and why; everything else was.
        public var unrecoverable: [String] = []

        public init(builds: Int = 0, steps: Int = 0, tags: Int = 0, images: Int = 0) {
            self.builds = builds
            self.steps = steps
            self.tags = tags
            self.images = images
        }
    }

    /// Rebuilds the index from the refs and the records they reach. A damaged build ref is
    /// restored from the newest record of that build found among the blobs, a damaged tag from
    /// a build that was tagged with it; a record that cannot be read skips that build (or step)
    /// only. Open the journal with `index: .rebuild` so that an unreadable index is replaced.
    public func reindex() throws -> ReindexReport {
        var report = ReindexReport()
        try recoverDamagedRefs(&report)
        let builds = try refs.all(in: .builds)
        let tags = try refs.all(in: .tags)
        try database.write { db in
            for table in ["mount", "step", "context", "build", "tag", "image"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            var images: [Digest: String] = [:]
            for (id, digest) in builds {
                let build: BuildRecord
                do {
                    build = try getRecord(BuildRecord.self, digest)
                } catch {
                    report.unrecoverable.append("build \(id): \(error)")
                    continue
                }
                try Journal.index(build, digest: digest, in: db)
                report.builds += 1
                for stepDigest in build.steps {
                    do {
                        try Journal.index(getRecord(StepRecord.self, stepDigest), digest: stepDigest, in: db)
                        report.steps += 1
                    } catch {
                        report.unrecoverable.append("build \(id): step \(stepDigest): \(error)")
                    }
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
                else {
                    report.unrecoverable.append("image \(manifest) (\(source)): its manifest cannot be read")
                    continue
                }
                try ImageRow(manifestDigest: manifest.description, configDigest: config.description,
                             source: source, addedAt: Date().timeIntervalSince1970).insert(db)
                report.images += 1
            }
        }
        return report
    }

    /// Rewrites refs that hold no digest from the blobs: the newest record of the build (finished
    /// before running, then the most steps, then the latest finish), or the manifest of the newest
    /// build that was tagged with the name.
    private func recoverDamagedRefs(_ report: inout ReindexReport) throws {
        let damagedBuilds = try refs.damaged(in: .builds)
        let damagedTags = try refs.damaged(in: .tags)
        guard !damagedBuilds.isEmpty || !damagedTags.isEmpty else { return }
        var newest: [String: (record: BuildRecord, digest: Digest)] = [:]
        for digest in try store.list() {
            guard let data = try? store.read(digest), data.first == UInt8(ascii: "{"),
                  (try? JSONDecoder().decode(MediaTypeProbe.self, from: data))?.mediaType == RecordMediaType.build,
                  let record = try? CanonicalJSON.decode(BuildRecord.self, from: data) else { continue }
            if let current = newest[record.id], Journal.recency(current.record) >= Journal.recency(record) { continue }
            newest[record.id] = (record, digest)
        }
        for damaged in damagedBuilds {
            if let found = newest[damaged.name] {
                try refs.set(damaged.name, in: .builds, to: found.digest)
                report.recovered.append("build \(damaged.name): ref restored to \(found.digest) (\(damaged.reason))")
            } else {
                report.unrecoverable.append("build \(damaged.name): \(damaged.reason), and no record of it is left")
            }
        }
        for damaged in damagedTags {
            let tagged = newest.values.filter { $0.record.tags.contains(damaged.name) && $0.record.manifest != nil }
                .max { Journal.recency($0.record) < Journal.recency($1.record) }
            if let tagged, let manifest = tagged.record.manifest, store.contains(manifest) {
                try refs.set(damaged.name, in: .tags, to: manifest)
                report.recovered.append("tag \(damaged.name): restored to \(manifest) from build \(tagged.record.id)")
            } else {
                report.unrecoverable.append("tag \(damaged.name): \(damaged.reason), and no build records it")
            }
        }
    }

    /// Orders the versions of one build record: later versions finish, and only grow.
    private static func recency(_ record: BuildRecord) -> (Int, Int, Double) {
        (record.status == .running ? 0 : 1, record.steps.count, record.finishedAt ?? record.startedAt)
    }
}

private struct ManifestConfigProbe: Decodable {
    struct Config: Decodable { var digest: Digest }
    var config: Config
}
