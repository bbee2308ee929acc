#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import GRDB

/// Recording builds and steps, and reading them back.
extension Journal {
    /// Saves a new version of a build record: blob first, then the ref, then the index. A kill
    /// between any two leaves the previous version in force (the index catches up on `reindex`).
    @discardableResult
    public func save(_ build: BuildRecord) throws -> Digest {
        try save(build, indexing: [])
    }

    /// Saves a new version of a build record, and indexes with it, in the same transaction,
    /// steps whose records are already stored (`putRecord`) and listed in it.
    @discardableResult
    public func save(_ build: BuildRecord, indexing steps: [(record: StepRecord, digest: Digest)]) throws -> Digest {
        let digest = try putRecord(build)
        try refs.set(build.id, in: .builds, to: digest)
        try database.write { db in
            try Journal.index(build, digest: digest, in: db)
            for step in steps { try Journal.index(step.record, digest: step.digest, in: db) }
        }
        return digest
    }

    /// Records a finished step: its blob, its place in the build record, its index rows.
    @discardableResult
    public func append(_ step: StepRecord, to build: inout BuildRecord) throws -> Digest {
        try insert(step, at: build.steps.count, in: &build)
    }

    /// Records a finished step at `position` in the build record's list of steps: stages that
    /// run at the same time finish out of order, and the list stays in step-index order.
    @discardableResult
    public func insert(_ step: StepRecord, at position: Int, in build: inout BuildRecord) throws -> Digest {
        precondition(step.buildID == build.id, "step of another build")
        precondition(build.steps.indices.contains(position) || position == build.steps.count, "no such position")
        let digest = try putRecord(step)
        build.steps.insert(digest, at: position)
        // One transaction for the build's row and the step's: a kill leaves both or neither.
        try save(build, indexing: [(step, digest)])
        return digest
    }

    // The index rows are written with cached statements and UPSERT rather than GRDB's record
    // `save` (an UPDATE, then an INSERT when nothing matched, through reflection-built
    // statements): a build writes its row once per step, and a fully cached build is mostly
    // this. Not INSERT OR REPLACE: replacing a build row deletes it first, and the foreign keys
    // would cascade to its steps.
    static func index(_ build: BuildRecord, digest: Digest, in db: Database) throws {
        let row = BuildRow(build, digest: digest.description)
        try db.cachedStatement(sql: """
            INSERT INTO build (id, recordDigest, kind, replayOf, status, dockerfilePath, target, manifestDigest,
                               configDigest, startedAt, finishedAt, pid, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET recordDigest = excluded.recordDigest, kind = excluded.kind,
                replayOf = excluded.replayOf, status = excluded.status, dockerfilePath = excluded.dockerfilePath,
                target = excluded.target, manifestDigest = excluded.manifestDigest,
                configDigest = excluded.configDigest, startedAt = excluded.startedAt,
                finishedAt = excluded.finishedAt, pid = excluded.pid, error = excluded.error
            """).execute(arguments: [row.id, IndexDigest.value(row.recordDigest), row.kind, row.replayOf, row.status,
                                     row.dockerfilePath, row.target, IndexDigest.value(row.manifestDigest),
                                     IndexDigest.value(row.configDigest), row.startedAt,
                                     row.finishedAt, row.pid, row.error])
        try db.cachedStatement(sql: "DELETE FROM context WHERE buildID = ?").execute(arguments: [build.id])
        for context in build.contexts {
            try db.cachedStatement(
                sql: "INSERT INTO context (buildID, name, origin, treeDigest, imageDigest) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [build.id, context.name, context.origin, IndexDigest.value(context.tree),
                                     IndexDigest.value(context.image)])
        }
    }

    static func index(_ step: StepRecord, digest: Digest, in db: Database) throws {
        let row = StepRow(step, digest: digest.description)
        try db.cachedStatement(sql: """
            INSERT INTO step (buildID, stepIndex, recordDigest, cacheKey, outcome, layerDigest)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (buildID, stepIndex) DO UPDATE SET recordDigest = excluded.recordDigest,
                cacheKey = excluded.cacheKey, outcome = excluded.outcome, layerDigest = excluded.layerDigest
            """).execute(arguments: [row.buildID, row.stepIndex, IndexDigest.value(row.recordDigest),
                                     IndexDigest.value(row.cacheKey), row.outcome, IndexDigest.value(row.layerDigest)])
        try db.cachedStatement(sql: "DELETE FROM mount WHERE buildID = ? AND stepIndex = ?")
            .execute(arguments: [step.buildID, step.index])
        for (ordinal, mount) in step.mounts.enumerated() {
            try db.cachedStatement(sql: """
                    INSERT INTO mount (buildID, stepIndex, ordinal, kind, target, mountID, treeBefore, treeAfter)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                .execute(arguments: [step.buildID, step.index, ordinal, mount.kind.rawValue, mount.target, mount.id,
                                     IndexDigest.value(mount.treeBefore), IndexDigest.value(mount.treeAfter)])
        }
    }

    /// The newest record of a build, by exact id.
    public func build(id: String) throws -> BuildRecord {
        guard let digest = try refs.get(id, in: .builds) else { throw JournalError.noSuchBuild(id) }
        var record = try getRecord(BuildRecord.self, digest)
        if record.status == .running, let pid = record.pid, !Journal.isAlive(pid) {
            record.status = .interrupted
        }
        return record
    }

    /// Resolves what a user typed: a build id, a unique prefix of one, or an image tag (the newest
    /// build that produced the image the tag names).
    public func resolveBuild(_ reference: String) throws -> String {
        try database.read { db in
            if try BuildRow.fetchOne(db, key: reference) != nil { return reference }
            let escaped = reference.replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            let matches = try String.fetchAll(
                db, sql: "SELECT id FROM build WHERE id LIKE ? ESCAPE '\\' ORDER BY id", arguments: [escaped + "%"])
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 { throw JournalError.ambiguousBuild(reference, candidates: matches) }
            if let manifest = try String.fetchOne(db, sql: "SELECT manifestDigest FROM tag WHERE name = ?",
                                                  arguments: [reference]),
               let id = try String.fetchOne(
                db, sql: "SELECT id FROM build WHERE manifestDigest = ? ORDER BY startedAt DESC LIMIT 1",
                arguments: [IndexDigest.value(manifest)]) {
                return id
            }
            throw JournalError.noSuchBuild(reference)
        }
    }

    /// The step records of a build, in order.
    public func steps(of build: BuildRecord) throws -> [StepRecord] {
        try build.steps.map { try getRecord(StepRecord.self, $0) }
    }

    /// Builds, newest first.
    public func listBuilds() throws -> [BuildRow] {
        try database.read { db in
            try BuildRow.fetchAll(db, sql: "SELECT * FROM build ORDER BY startedAt DESC, id DESC")
        }.map { row in
            var row = row
            if row.status == BuildRecord.Status.running.rawValue, let pid = row.pid, !Journal.isAlive(pid) {
                row.status = BuildRecord.Status.interrupted.rawValue
            }
            return row
        }
    }

    /// A finished, successful step with this cache key that made a layer, if any build recorded
    /// one. Only steps with layers: a stage's `FROM <stage>` record carries the key of the step
    /// it starts from, and being newer it would otherwise hide that step's layer.
    public func cachedStep(forKey key: Digest) throws -> StepRecord? {
        let digest = try database.read { db in
            try DatabaseValue.fetchOne(db, sql: """
                SELECT recordDigest FROM step WHERE cacheKey = ? AND outcome IN ('succeeded', 'cached')
                AND layerDigest IS NOT NULL ORDER BY rowid DESC LIMIT 1
                """, arguments: [IndexDigest.value(key)]).flatMap(IndexDigest.text)
        }
        guard let digest = digest.flatMap({ Digest($0) }), store.contains(digest) else { return nil }
        return try getRecord(StepRecord.self, digest)
    }

    /// Forgets a build (its blobs go at the next `gc`).
    public func removeBuild(id: String) throws {
        try refs.remove(id, in: .builds)
        _ = try database.write { db in try BuildRow.deleteOne(db, key: id) }
    }

    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
