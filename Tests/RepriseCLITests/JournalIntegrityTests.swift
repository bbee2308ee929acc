import Foundation
import TestSupport
import Testing

/// Issue 11 #6 and #7: damage is found wherever it is read, reported by fsck whatever its kind,
/// and repaired by reindex as far as the refs and blobs allow.
@Suite struct JournalIntegrityTests {
    /// A journal with one finished, tagged build of two RUN steps.
    func builtWorkspace(_ label: String) throws -> (BuildWorkspace, String) {
        let workspace = try BuildWorkspace(label)
        let context = try workspace.context("FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n")
        let build = try workspace.build(["-t", "app:1", context])
        try #require(build.status == 0, "\(build.stderr)")
        return (workspace, try workspace.latestBuild())
    }

    func fsck(_ journal: String) throws -> RepriseProcess.Result {
        try RepriseProcess.run(["journal", "fsck", "--journal", journal])
    }

    // MARK: #6, every blob read is verified

    @Test func exportsOfACorruptBlobFailAndLeaveNothing() throws {
        let (workspace, build) = try builtWorkspace("corrupt-export")
        try JournalSurgery.flipByte(in: try JournalSurgery.largestBlob(in: workspace.journal), at: 100)
        let outputs = [workspace.sub("image.tar"), workspace.sub("image-dir"), workspace.sub("bundle.tar")]
        let commands = [
            ["image", "export", "app:1", "--output", "type=oci,dest=\(outputs[0])"],
            ["image", "export", "app:1", "--output", "type=oci,dest=\(outputs[1]),tar=false"],
            ["journal", "export", build, "-o", outputs[2]],
        ]
        for (command, output) in zip(commands, outputs) {
            let result = try RepriseProcess.run(command + ["--journal", workspace.journal])
            #expect(result.status != 0, "\(command) exited 0")
            #expect(result.stderr.contains("is corrupt"), "\(command): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output), "\(command) left \(output)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: workspace.scratch.path)
                .filter { $0.contains(".tmp-") }
            #expect(leftovers.isEmpty, "\(leftovers)")
        }
    }

    @Test func aBuildOverACorruptLayerFailsClearly() throws {
        let (workspace, _) = try builtWorkspace("corrupt-build")
        // The extracted copy is a cache; without it the build must read the (damaged) blob.
        try FileManager.default.removeItem(atPath: workspace.journal + "/layers")
        try JournalSurgery.flipByte(in: try JournalSurgery.largestBlob(in: workspace.journal), at: 100)
        let build = try workspace.build(["--no-cache", try workspace.context("FROM busybox\nRUN true\n")])
        #expect(build.status != 0)
        #expect(build.stderr.contains("is corrupt"), "\(build.stderr)")
        let layers = (try? FileManager.default.contentsOfDirectory(atPath: workspace.journal + "/layers")) ?? []
        #expect(layers.isEmpty, "a layer extracted from corrupt content was kept: \(layers)")
    }

    // MARK: #7, fsck sees every kind of damage; reindex repairs what it can

    @Test(arguments: ["emptied", "truncated"])
    func aDamagedBuildRefIsReportedAndRestoredFromBlobs(_ damage: String) throws {
        let (workspace, build) = try builtWorkspace("ref-\(damage)")
        let ref = workspace.journal + "/refs/builds/" + build
        let original = try String(contentsOfFile: ref, encoding: .utf8)
        try (damage == "emptied" ? "" : String(original.prefix(20))).write(toFile: ref, atomically: false, encoding: .utf8)
        let checked = try fsck(workspace.journal)
        #expect(checked.status == 1, "\(checked.stdout)")
        #expect(checked.stdout.contains("damaged ref: build \(build)"), "\(checked.stdout)")

        let reindex = try RepriseProcess.run(["journal", "reindex", "--journal", workspace.journal])
        #expect(reindex.status == 0, "\(reindex.stdout)\(reindex.stderr)")
        #expect(reindex.stdout.contains("recovered: build \(build)"), "\(reindex.stdout)")
        #expect(try String(contentsOfFile: ref, encoding: .utf8) == original)
        #expect(try fsck(workspace.journal).status == 0)
        #expect(try workspace.latestBuild() == build)
    }

    @Test func aMissingIndexIsReportedAndRebuilt() throws {
        let (workspace, build) = try builtWorkspace("index-missing")
        for suffix in ["", "-wal", "-shm"] { unlink(workspace.journal + "/index.sqlite" + suffix) }
        let checked = try fsck(workspace.journal)
        #expect(checked.status == 1)
        #expect(checked.stdout.contains("damaged index:") && checked.stdout.contains("is missing"), "\(checked.stdout)")
        #expect(!FileManager.default.fileExists(atPath: workspace.journal + "/index.sqlite"), "fsck must not repair")
        let reindex = try RepriseProcess.run(["journal", "reindex", "--journal", workspace.journal])
        #expect(reindex.status == 0, "\(reindex.stderr)")
        #expect(reindex.stdout.contains("indexed 1 build(s), 3 step(s)"), "\(reindex.stdout)")
        #expect(try workspace.latestBuild() == build)
        #expect(try fsck(workspace.journal).status == 0)
    }

    @Test func aGarbageIndexIsReportedRefusedAndRebuilt() throws {
        let (workspace, build) = try builtWorkspace("index-garbage")
        for suffix in ["", "-wal", "-shm"] { unlink(workspace.journal + "/index.sqlite" + suffix) }
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        print("garbage index seed: \(seed)")
        var state = seed
        let garbage = Data((0..<8192).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        })
        try garbage.write(to: URL(fileURLWithPath: workspace.journal + "/index.sqlite"))
        let checked = try fsck(workspace.journal)
        #expect(checked.status == 1, "seed \(seed): \(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout.contains("damaged index:"), "seed \(seed): \(checked.stdout)")
        let listing = try RepriseProcess.run(["journal", "ls", "--journal", workspace.journal])
        #expect(listing.status != 0)
        #expect(listing.stderr.contains("index.sqlite") && listing.stderr.contains("reindex"), "\(listing.stderr)")
        let reindex = try RepriseProcess.run(["journal", "reindex", "--journal", workspace.journal])
        #expect(reindex.status == 0, "seed \(seed): \(reindex.stderr)")
        #expect(try workspace.latestBuild() == build)
        #expect(try fsck(workspace.journal).status == 0)
        let kept = try FileManager.default.contentsOfDirectory(atPath: workspace.journal).filter { $0.contains(".damaged-") }
        #expect(!kept.isEmpty, "the damaged index is kept as evidence")
    }

    /// A ref pointing at an intact blob that is not a build record, beside a healthy build:
    /// fsck names it, and reindex indexes the healthy build and reports the other.
    @Test func oneUnreadableRecordIsReportedAndTheRestReindexed() throws {
        let (workspace, build) = try builtWorkspace("bad-record")
        let stray = try RepriseProcess.run(["journal", "ingest", "--journal", workspace.journal,
                                            try workspace.context("FROM busybox\n") + "/Dockerfile"])
        try #require(stray.status == 0, "\(stray.stderr)")
        let digest = try #require(stray.stdout.split(separator: " ").first.map(String.init))
        try (digest + "\n").write(toFile: workspace.journal + "/refs/builds/bogus", atomically: true, encoding: .utf8)
        let checked = try fsck(workspace.journal)
        #expect(checked.status == 1)
        #expect(checked.stdout.contains("unreadable record: build bogus"), "\(checked.stdout)")
        let reindex = try RepriseProcess.run(["journal", "reindex", "--journal", workspace.journal])
        #expect(reindex.status == 1, "some of it cannot be recovered")
        #expect(reindex.stdout.contains("not recoverable: build bogus"), "\(reindex.stdout)")
        #expect(reindex.stdout.contains("indexed 1 build(s), 3 step(s)"), "\(reindex.stdout)")
        #expect(try workspace.latestBuild() == build)
    }
    /// A step record with one flipped byte: fsck names the blob; reindex indexes the build and
    /// its other steps, reports the damaged one, and does not stop at it.
    @Test func aCorruptStepRecordIsReportedAndTheRestReindexed() throws {
        let (workspace, build) = try builtWorkspace("corrupt-record")
        let ref = try String(contentsOfFile: workspace.journal + "/refs/builds/" + build, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let record = try Data(contentsOf: URL(fileURLWithPath: workspace.journal + "/blobs/sha256/" + ref.dropFirst(7)))
        let object = try #require(try JSONSerialization.jsonObject(with: record) as? [String: Any])
        let steps = try #require(object["steps"] as? [String])
        try #require(steps.count == 3)
        let damaged = steps[1]
        try JournalSurgery.flipByte(in: workspace.journal + "/blobs/sha256/" + damaged.dropFirst(7), at: 2)
        let checked = try fsck(workspace.journal)
        #expect(checked.status == 1)
        #expect(checked.stdout.contains("corrupt: \(damaged)"), "\(checked.stdout)")
        let reindex = try RepriseProcess.run(["journal", "reindex", "--journal", workspace.journal])
        #expect(reindex.status == 1, "\(reindex.stdout)")
        #expect(reindex.stdout.contains("not recoverable: build \(build): step \(damaged)"), "\(reindex.stdout)")
        #expect(reindex.stdout.contains("indexed 1 build(s), 2 step(s)"), "\(reindex.stdout)")
        #expect(try workspace.latestBuild() == build)
    }
}
