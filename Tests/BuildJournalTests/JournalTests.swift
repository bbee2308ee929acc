import BuildJournal
import ContentStore
import Foundation
import GRDB
import TestSupport
import Testing

@Suite struct JournalTests {
    let directory: TemporaryDirectory
    var root: String { directory.path + "/journal" }

    init() throws { directory = try TemporaryDirectory() }

    static let host = BuildRecord.HostFacts(kernel: "6.1", architecture: "amd64", repriseVersion: "test")

    /// Records a two-step build whose second step wrote a layer and some output.
    func recordBuild(in journal: Journal, id: String? = nil) throws -> (BuildRecord, [StepRecord]) {
        var build = BuildRecord(id: id ?? journal.makeBuildID(), dockerfilePath: "Dockerfile",
                                host: Self.host, startedAt: 1000, pid: getpid())
        try journal.save(build)
        let stdout = try journal.store.ingest(Data("hello\n".utf8)).digest
        let layerBlob = try journal.store.ingest(Data("pretend gzip".utf8)).digest
        let first = StepRecord(buildID: build.id, index: 0, stage: "0", instruction: "FROM", text: "FROM scratch",
                               location: SourceLocation(file: "Dockerfile", startLine: 1, endLine: 1),
                               cacheKey: Digest(ofUTF8: "key-0"), outcome: .succeeded, startedAt: 1000,
                               durationSeconds: 0)
        let second = StepRecord(buildID: build.id, index: 1, stage: "0", instruction: "RUN", text: "RUN echo hello",
                                location: SourceLocation(file: "Dockerfile", startLine: 2, endLine: 2),
                                cacheKey: Digest(ofUTF8: "key-1"), argv: ["/bin/sh", "-c", "echo hello"],
                                outcome: .succeeded, exitCode: 0, stdout: stdout, startedAt: 1001,
                                durationSeconds: 0.5,
                                layer: LayerRecord(diffID: Digest(ofUTF8: "tar"), digest: layerBlob, size: 12,
                                                   mediaType: "application/vnd.oci.image.layer.v1.tar+gzip"))
        try journal.append(first, to: &build)
        try journal.append(second, to: &build)
        build.status = .succeeded
        build.finishedAt = 1002
        try journal.save(build)
        return (build, [first, second])
    }

    @Test func recordsABuildAndReadsItBack() throws {
        let journal = try Journal(root: root)
        let (build, steps) = try recordBuild(in: journal)
        let reopened = try Journal(root: root)
        let record = try reopened.build(id: build.id)
        #expect(record == build)
        #expect(try reopened.steps(of: record) == steps)
        #expect(try reopened.listBuilds().map(\.id) == [build.id])
        #expect(try reopened.cachedStep(forKey: Digest(ofUTF8: "key-1")) == steps[1])
        #expect(try reopened.cachedStep(forKey: Digest(ofUTF8: "key-9")) == nil)
    }

    /// The index rows are upserts: saving a build again updates its row in place (a replace
    /// would delete it first and the foreign keys would take its steps and contexts with it),
    /// and a step's row and the build's row land in one transaction.
    @Test func savingABuildAgainUpdatesItsRowAndKeepsItsStepsAndContexts() throws {
        let journal = try Journal(root: root)
        var (build, steps) = try recordBuild(in: journal)
        build.contexts = [BuildRecord.Context(name: "context", origin: "directory", tree: Digest(ofUTF8: "tree"))]
        try journal.save(build)
        build.status = .failed
        build.error = "later"
        build.finishedAt = 3000
        try journal.save(build)
        let database = try DatabaseQueue(path: root + "/index.sqlite")
        let (row, stepCount, contexts, keys) = try database.read { db in
            (try Row.fetchOne(db, sql: "SELECT status, error, finishedAt, recordDigest FROM build WHERE id = ?",
                              arguments: [build.id]),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM step WHERE buildID = ?", arguments: [build.id]),
             try Data.fetchAll(db, sql: "SELECT treeDigest FROM context WHERE buildID = ?", arguments: [build.id]),
             try Data.fetchAll(db, sql: "SELECT cacheKey FROM step WHERE buildID = ? ORDER BY stepIndex",
                               arguments: [build.id]))
        }
        #expect(row?["status"] as String? == "failed")
        #expect(row?["error"] as String? == "later")
        #expect(row?["finishedAt"] as Double? == 3000)
        let newest = try journal.putRecord(build)
        // Digests are stored as their 32 bytes (IndexDigest).
        func bytes(_ digest: Digest) -> Data {
            Data(stride(from: 0, to: 64, by: 2).map { offset in
                let start = digest.hex.index(digest.hex.startIndex, offsetBy: offset)
                return UInt8(digest.hex[start..<digest.hex.index(start, offsetBy: 2)], radix: 16)!
            })
        }
        #expect(row?["recordDigest"] as Data? == bytes(newest))
        #expect(stepCount == 2)
        #expect(contexts == [bytes(Digest(ofUTF8: "tree"))])
        #expect(keys == steps.map { bytes($0.cacheKey) })
        #expect(try journal.cachedStep(forKey: Digest(ofUTF8: "key-1")) == steps[1])
    }

    @Test func resolvesIdsPrefixesAndTags() throws {
        let journal = try Journal(root: root)
        let (one, _) = try recordBuild(in: journal, id: "aaaa1111")
        var (two, _) = try recordBuild(in: journal, id: "aaaa2222")
        let manifest = try journal.store.ingest(Data("{\"schemaVersion\":2}".utf8)).digest
        two.manifest = manifest
        try journal.save(two)
        try journal.tag("example/app:1", manifest: manifest)
        #expect(try journal.resolveBuild("aaaa1111") == one.id)
        #expect(try journal.resolveBuild("aaaa2") == two.id)
        #expect(try journal.resolveBuild("example/app:1") == two.id)
        #expect(throws: JournalError.ambiguousBuild("aaaa", candidates: ["aaaa1111", "aaaa2222"])) {
            try journal.resolveBuild("aaaa")
        }
        #expect(throws: JournalError.noSuchBuild("zz")) { try journal.resolveBuild("zz") }
    }

    /// Tag names with `/` and `%` become one file name each and come back unchanged, also with a
    /// ref file someone edited to carry spaces and newlines around the digest.
    @Test func tagNamesWithSlashesAndPercentsRoundTripThroughTheirRefFiles() throws {
        let journal = try Journal(root: root)
        let manifest = try journal.store.ingest(Data("{\"schemaVersion\":2,\"n\":1}".utf8)).digest
        let names = ["example.org:5000/team/app:1", "odd%2Fname/x:latest", "plain:v2", "100%/done:1"]
        for name in names { try journal.tag(name, manifest: manifest) }
        #expect(try journal.tags().map(\.name).sorted() == names.sorted())
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/refs/tags").sorted()
        #expect(files.count == names.count && files.allSatisfy { !$0.contains("/") })
        try " \n\(manifest)\n\t".write(toFile: root + "/refs/tags/plain:v2", atomically: true, encoding: .utf8)
        #expect(try journal.resolveImage("plain:v2") == manifest)
    }

    @Test func aBuildWhoseProcessDiedIsInterrupted() throws {
        let journal = try Journal(root: root)
        var build = BuildRecord(id: "dead", dockerfilePath: "Dockerfile", host: Self.host, startedAt: 1,
                                pid: try Self.pidOfExitedProcess())
        try journal.save(build)
        #expect(try journal.build(id: "dead").status == .interrupted)
        #expect(try journal.listBuilds().first?.status == "interrupted")
        build.pid = getpid()
        try journal.save(build)
        #expect(try journal.build(id: "dead").status == .running)
    }

    @Test func reindexRebuildsTheIndexFromBlobsAndRefs() throws {
        let (build, _) = try {
            let journal = try Journal(root: root)
            let recorded = try recordBuild(in: journal)
            let manifest = try journal.store.ingest(Data("""
                {"schemaVersion":2,"config":{"digest":"\(Digest(ofUTF8: "cfg"))","size":3},"layers":[]}
                """.utf8)).digest
            try journal.tag("base", manifest: manifest)
            return recorded
        }()
        try FileManager.default.removeItem(atPath: root + "/index.sqlite")
        // A fsck-style open sees the loss (and repairs nothing)...
        #expect(try Journal(root: root, index: .inspect).indexDamage?.contains("is missing") == true)
        // ...an ordinary open rebuilds the missing index from the refs at once (issue 11 #7)...
        let journal = try Journal(root: root)
        #expect(try journal.listBuilds().map(\.id) == [build.id])
        // ...and an explicit reindex gives the same.
        let report = try journal.reindex()
        #expect(report == Journal.ReindexReport(builds: 1, steps: 2, tags: 1, images: 1))
        #expect(try journal.listBuilds().map(\.id) == [build.id])
        #expect(try journal.cachedStep(forKey: Digest(ofUTF8: "key-1"))?.text == "RUN echo hello")
        #expect(try journal.tags().map(\.name) == ["base"])
    }

    /// Under the default deferred policy refs are written without fsync; synchronize() (called
    /// when a build ends) makes them durable after the blobs they name, so that a power loss after
    /// a build reported success cannot take its record.
    @Test func synchronizeMakesTheRefsWrittenSinceDurable() throws {
        let journal = try Journal(root: root)
        let (build, _) = try recordBuild(in: journal)
        #expect(journal.unsyncedRefCount == 1, "the build's ref waits for synchronize")
        try journal.synchronize()
        #expect(journal.unsyncedRefCount == 0)
        try journal.removeBuild(id: build.id)
        #expect(journal.unsyncedRefCount == 1, "a removal is a change of the directory")
        try journal.synchronize()
        #expect(journal.unsyncedRefCount == 0)
        let everyCommit = try Journal(root: directory.path + "/durable", syncPolicy: .everyCommit)
        _ = try recordBuild(in: everyCommit)
        #expect(everyCommit.unsyncedRefCount == 0, "fsynced as written")
    }

    @Test func refusesAJournalFromANewerVersion() throws {
        _ = try Journal(root: root)
        try Data("{\"format\":99}".utf8).write(to: URL(fileURLWithPath: root + "/journal.json"))
        #expect(throws: JournalError.newerFormat(path: root, found: 99, supported: Journal.formatVersion)) {
            try Journal(root: root)
        }
    }

    @Test func refusesAnIndexWithUnknownMigrations() throws {
        _ = try Journal(root: root)
        let queue = try DatabaseQueue(path: root + "/index.sqlite")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')")
        }
        #expect(throws: JournalError.newerSchema(path: root, unknownMigrations: ["v9-from-the-future"])) {
            try Journal(root: root)
        }
    }

    @Test func refusesToOpenWithoutCreateWhereThereIsNoJournal() {
        #expect(throws: JournalError.notAJournal(root)) { try Journal(root: root, create: false) }
    }

    @Test func garbageCollectionKeepsWhatBuildsAndTagsReach() throws {
        var unreferenced: Digest
        var stdout: Digest?
        do {
            let journal = try Journal(root: root)
            let (_, steps) = try recordBuild(in: journal)
            stdout = steps[1].stdout
            unreferenced = try journal.store.ingest(Data("orphan".utf8)).digest
        }
        let journal = try Journal(root: root)
        let report = try #require(try journal.collectGarbage())
        #expect(report.sweep.removedBlobs.contains(unreferenced))
        #expect(!journal.store.contains(unreferenced))
        #expect(journal.store.contains(try #require(stdout)))
        #expect(try journal.fsck().isClean)
    }

    @Test func garbageCollectionRemovesExtractedLayersNoRecordNames() throws {
        let kept: Digest
        do {
            let journal = try Journal(root: root)
            let (_, steps) = try recordBuild(in: journal)
            kept = try #require(steps[1].layer?.diffID)
        }
        let orphan = Digest(ofUTF8: "no record names this layer")
        for digest in [kept, orphan] {
            try FileManager.default.createDirectory(atPath: root + "/layers/" + digest.hex + "/etc",
                                                    withIntermediateDirectories: true)
        }
        let report = try #require(try Journal(root: root).collectGarbage())
        #expect(report.removedLayerDirectories == 1)
        #expect(FileManager.default.fileExists(atPath: root + "/layers/" + kept.hex))
        #expect(!FileManager.default.fileExists(atPath: root + "/layers/" + orphan.hex))
    }

    /// A layer kept as a recipe (recipes/sha256/<layer digest>): gc keeps the recipe and what it
    /// requires while a record names the layer, keeps its stored bytes (pulled, imported or made:
    /// the only copy sure to be right when the recipe cannot be read or this binary's zlib makes
    /// other bytes), and drops the recipes of layers nothing names; fsck takes a layer with only
    /// a recipe for present and checks what the recipe requires.
    @Test func recipesAreKeptWithWhatTheyRequireAndChecked() throws {
        let journal = try Journal(root: root)
        let (_, steps) = try recordBuild(in: journal)
        let layer = try #require(steps[1].layer?.digest)
        let tree = try journal.store.ingest(Data("{\"entries\":[]}".utf8)).digest
        func recipe(requiring digest: Digest) -> Data {
            Data("{\"requires\":[\"\(digest)\"],\"size\":12}".utf8)
        }
        try journal.store.recipes.store(recipe(requiring: tree), for: layer)
        let orphan = Digest(ofUTF8: "a layer nothing names")
        try journal.store.recipes.store(recipe(requiring: tree), for: orphan)
        // Stored bytes besides the recipe, and a recipe that cannot be read: gc keeps the bytes.
        #expect(journal.store.isStored(layer))
        let report = try #require(try journal.collectGarbage())
        #expect(report.removedRecipes == 1)
        #expect(try journal.store.recipes.list() == [layer])
        #expect(journal.store.isStored(layer), "gc deleted the stored bytes of a layer that has a recipe")
        #expect(try journal.fsck().isClean)
        try journal.store.delete(layer)
        #expect(journal.store.contains(layer), "a layer with a recipe is present")
        #expect(try journal.store.size(of: layer) == 12)
        #expect(journal.store.isStored(tree), "gc dropped the tree a kept recipe requires")
        #expect(try journal.fsck().isClean)
        try journal.store.delete(tree)
        let damaged = try journal.fsck()
        #expect(damaged.missing.map(\.digest) == [tree])
        #expect(damaged.missing.first?.referrer == "recipe of \(layer)")
    }

    @Test func garbageCollectionWaitsForOtherUsersOfTheJournal() throws {
        let journal = try Journal(root: root)
        let other = try Journal(root: root)
        #expect(try journal.collectGarbage() == nil)
        _ = other
    }

    @Test func fsckFindsCorruptAndMissingBlobs() throws {
        let journal = try Journal(root: root)
        let (_, steps) = try recordBuild(in: journal)
        #expect(try journal.fsck().isClean)
        let stdout = try #require(steps[1].stdout)
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: journal.store.path(for: stdout)))
        let layer = try #require(steps[1].layer?.digest)
        try journal.store.delete(layer)
        let report = try journal.fsck()
        #expect(!report.isClean)
        #expect(report.corrupt == [stdout])
        #expect(report.missing.map(\.digest) == [layer])
    }

    @Test func secretDigestsAreKeyedPerJournalAndTheKeyIsPrivate() throws {
        let journal = try Journal(root: root)
        let first = try journal.keyedDigest(ofSecret: Data("s3cr3t".utf8))
        #expect(first.hasPrefix("hmac-sha256:"))
        #expect(try journal.keyedDigest(ofSecret: Data("s3cr3t".utf8)) == first)
        #expect(try journal.keyedDigest(ofSecret: Data("other".utf8)) != first)
        let elsewhere = try Journal(root: directory.path + "/second")
        #expect(try elsewhere.keyedDigest(ofSecret: Data("s3cr3t".utf8)) != first)
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/secret.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    /// Found by scripts/reliability: a replay killed mid-way left `tmp/replay-<pid>-<n>` behind
    /// for ever; neither the next build nor gc reclaimed it.
    @Test func scratchOfAKilledReplayIsReclaimed() throws {
        let journal = try Journal(root: root)
        let dead = root + "/tmp/replay-\(try Self.pidOfExitedProcess())-12345"
        let mine = root + "/tmp/replay-\(getpid())-678"
        for path in [dead, mine] {
            try FileManager.default.createDirectory(atPath: path + "/dockerfile", withIntermediateDirectories: true)
        }
        _ = journal.makeBuildID()  // a build starting reclaims what dead processes left
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: mine))  // its owner runs: kept
        // gc's exclusive lock means no other process replays: any other replay-* goes, never ours.
        let other = root + "/tmp/replay-1-99"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        #expect(try journal.collectGarbage() != nil)
        #expect(!FileManager.default.fileExists(atPath: other))
        #expect(FileManager.default.fileExists(atPath: mine))
    }

    /// Found by scripts/reliability: a build killed between setting its ref to a new record and
    /// indexing it left the index naming the previous record, which no ref reaches; gc deleted
    /// it and fsck then failed ("missing … named by index").
    @Test func gcAfterAKillBetweenRefAndIndexLeavesACleanJournal() throws {
        let journal = try Journal(root: root)
        var (build, _) = try recordBuild(in: journal)
        // The kill: the ref moves to a newer record, the index is never told.
        build.finishedAt = 2000
        let newer = try journal.putRecord(build)
        try Data((newer.description + "\n").utf8).write(to: URL(fileURLWithPath: root + "/refs/builds/" + build.id))
        #expect(try journal.fsck().isClean)  // nothing missing yet: the old record is still there
        _ = try #require(try journal.collectGarbage())
        let report = try journal.fsck()
        #expect(report.isClean, "\(report)")
        #expect(try journal.build(id: build.id).finishedAt == 2000)
    }

    /// Found by scripts/reliability: `journal import` killed while writing its intent left
    /// `tmp/.import-<pid>-<n>.intent` for ever. The next process to open the journal removes it.
    @Test func aHalfWrittenImportIntentOfADeadProcessIsRemoved() throws {
        _ = try Journal(root: root)
        let dead = try Self.pidOfExitedProcess()
        let litter = root + "/tmp/.import-\(dead)-42.intent"
        let live = root + "/tmp/.import-\(getpid())-43.intent"
        for path in [litter, live] { try Data("[".utf8).write(to: URL(fileURLWithPath: path)) }
        _ = try Journal(root: root)
        #expect(!FileManager.default.fileExists(atPath: litter))
        #expect(FileManager.default.fileExists(atPath: live))
    }

    static func pidOfExitedProcess() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
