import BuildJournal
import ContentStore
import Foundation
import GRDB
import TestSupport
import Testing

/// The journal's records kept as reverse deltas: what fsck, gc and the index see.
extension JournalTests {
    /// Records `count` builds; each writes several versions of its build record and two step
    /// records, so the older ones leave the window of whole documents and become deltas.
    func recordBuilds(_ count: Int, in journal: Journal) throws -> [BuildRecord] {
        var builds: [BuildRecord] = []
        for number in 0..<count {
            let (build, _) = try recordBuild(in: journal, id: String(format: "build%04d", number))
            builds.append(build)
        }
        try journal.synchronize()
        return builds
    }

    @Test func oldRecordsAreDeltasThatReadBackAndFsckChecks() throws {
        let journal = try Journal(root: root)
        let builds = try recordBuilds(6, in: journal)
        let deltas = try journal.store.deltas.list()
        #expect(!deltas.isEmpty, "older build and step records should be deltas")
        for digest in deltas { #expect(!journal.store.isStored(digest)) }
        // Every build and step reads back as it was recorded, through a fresh open.
        let reopened = try Journal(root: root)
        for build in builds {
            #expect(try reopened.build(id: build.id) == build)
            #expect(try reopened.steps(of: build).count == 2)
        }
        let clean = try reopened.fsck()
        #expect(clean.isClean, "\(clean)")
        #expect(clean.blobsChecked == (try reopened.store.list().count))

        // A damaged delta is named by fsck, with the reason.
        let victim = try #require(deltas.first)
        let path = reopened.store.deltas.path(for: victim)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0x21
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let damaged = try Journal(root: root, index: .inspect).fsck()
        #expect(!damaged.isClean)
        #expect(damaged.corrupt.contains(victim) || damaged.unmakableDeltas.contains { $0.digest == victim },
                "\(damaged.corrupt) \(damaged.unmakableDeltas)")
    }

    @Test func fsckNamesADeltaWhoseBaseIsGoneAndGcRefusesToGuess() throws {
        let journal = try Journal(root: root)
        let builds = try recordBuilds(6, in: journal)
        // The oldest build's final record is a delta against a newer document: delete that base.
        let ref = try journal.build(id: builds[0].id)
        let recordDigest = try journal.putRecord(ref)
        let delta = try #require(try journal.store.deltas.delta(of: recordDigest), "the oldest build record should be a delta")
        try journal.store.delete(delta.base)
        let report = try Journal(root: root, index: .inspect).fsck()
        #expect(!report.isClean)
        let named = report.unmakableDeltas.first { $0.digest == recordDigest }
        #expect(named?.reason.contains(delta.base.description) == true, "\(report.unmakableDeltas)")
        // gc cannot see what the record names, so it must not collect anything on a guess.
        #expect(throws: (any Error).self) { try journal.collectGarbage() }
    }

    @Test func gcKeepsTheBasesOfKeptRecordsAndDropsTheRest() throws {
        let journal = try Journal(root: root)
        let builds = try recordBuilds(8, in: journal)
        // Keep only the oldest build: its records are deltas whose bases are newer builds' documents.
        for build in builds.dropFirst() { try journal.removeBuild(id: build.id) }
        _ = try #require(try journal.collectGarbage())
        #expect(try journal.build(id: builds[0].id) == builds[0])
        #expect(try journal.steps(of: builds[0]).count == 2)
        let report = try journal.fsck()
        #expect(report.isClean, "\(report)")
        // Keep only the newest: what remains is whole, as in a journal that only ever saw it.
        let journal2Root = directory.path + "/second"
        let second = try Journal(root: journal2Root)
        let all = try recordBuilds(8, in: second)
        for build in all.dropLast() { try second.removeBuild(id: build.id) }
        _ = try #require(try second.collectGarbage())
        #expect(try second.store.deltas.list().isEmpty, "the newest build's documents are whole")
        #expect(try second.build(id: all.last!.id) == all.last!)
        #expect(try second.fsck().isClean)
    }

    @Test func indexStoresDigestsAsBytesAndConvertsAnOlderIndex() throws {
        let journal = try Journal(root: root)
        let (build, steps) = try recordBuild(in: journal)
        let queue = try DatabaseQueue(path: root + "/index.sqlite")
        let stored = try queue.read { db in
            try DatabaseValue.fetchOne(db, sql: "SELECT cacheKey FROM step WHERE buildID = ? AND stepIndex = 1",
                                       arguments: [build.id])
        }
        guard case .blob(let bytes)? = stored?.storage else {
            Issue.record("cacheKey should be stored as bytes, found \(String(describing: stored))")
            return
        }
        #expect(bytes.count == 32)
        // Columns no query reads are not kept (they are in the step records).
        let columns = try queue.read { db in try Row.fetchAll(db, sql: "PRAGMA table_info(step)").map { $0["name"] as String } }
        #expect(Set(columns) == ["buildID", "stepIndex", "recordDigest", "cacheKey", "outcome", "layerDigest"],
                "\(columns)")
        // An index written before the migration held text: put one row back as text, forget the
        // migration, and reopen — the row is converted and the cache lookup finds the step.
        try queue.write { db in
            try db.execute(sql: "UPDATE step SET cacheKey = ? WHERE buildID = ? AND stepIndex = 1",
                           arguments: [steps[1].cacheKey.description, build.id])
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v2-binary-digests'")
        }
        try queue.close()
        let reopened = try Journal(root: root)
        #expect(try reopened.cachedStep(forKey: steps[1].cacheKey) == steps[1])
        #expect(try reopened.listBuilds().first?.recordDigest.hasPrefix("sha256:") == true)
    }

    /// An index of the v3 schema (steps still holding their instruction and text) loses those
    /// columns when a newer Reprise opens it, and its cache lookups keep working.
    @Test func anIndexWithStepTextIsMigratedAndStillFindsCachedSteps() throws {
        let (_, steps) = try recordBuild(in: try Journal(root: root))
        let queue = try DatabaseQueue(path: root + "/index.sqlite")
        try queue.write { db in
            try db.execute(sql: "ALTER TABLE step ADD COLUMN instruction TEXT NOT NULL DEFAULT 'RUN'")
            try db.execute(sql: "ALTER TABLE step ADD COLUMN text TEXT NOT NULL DEFAULT 'RUN make'")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v4-step-rows-without-text'")
        }
        try queue.close()
        let reopened = try Journal(root: root)
        #expect(try reopened.cachedStep(forKey: steps[1].cacheKey) == steps[1])
        let check = try DatabaseQueue(path: root + "/index.sqlite")
        let columns = try check.read { db in try Row.fetchAll(db, sql: "PRAGMA table_info(step)").map { $0["name"] as String } }
        #expect(!columns.contains("text") && !columns.contains("instruction"), "\(columns)")
        try check.close()
    }

    @Test func aJournalOfTheFormerFormatIsMarkedCurrentAndStillRead() throws {
        let (build, _) = try recordBuild(in: try Journal(root: root))
        try Data("{\"format\":2}".utf8).write(to: URL(fileURLWithPath: root + "/journal.json"))
        let journal = try Journal(root: root)
        #expect(try journal.build(id: build.id) == build)
        let header = try String(contentsOfFile: root + "/journal.json", encoding: .utf8)
        #expect(header.contains("\"format\":\(Journal.formatVersion)") && Journal.formatVersion == 3, "\(header)")
    }
}
