import ContentStore
import Foundation
import TestSupport
import Testing

/// Issue 11 #9: work killed with SIGKILL is reclaimed by the next build or gc, never a running
/// build's; a gc killed at its worst moment leaves a journal fsck calls clean.
@Suite struct KilledWorkTests {
    struct Timeout: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(what)" }
    }

    func scratchDirectories(_ workspace: BuildWorkspace) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: workspace.journal + "/tmp")) ?? [])
            .filter { $0.hasPrefix("build-") }.sorted()
    }

    /// Waits until `condition` holds (polling), or fails after `seconds`.
    func waitUntil(_ seconds: Double, _ what: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw Timeout(what: what) }
            usleep(50_000)
        }
    }

    /// Starts a build whose RUN sleeps, and waits until it is inside that step.
    func startSleepingBuild(_ workspace: BuildWorkspace, seconds: Int) throws -> (Process, String) {
        let marker = workspace.sub("started-\(UInt32.random(in: 0...UInt32.max))")
        let context = try workspace.context("FROM busybox\nRUN sleep \(seconds) # \(marker)\n")
        let before = Set(scratchDirectories(workspace))
        let process = try RepriseProcess.start(workspace.buildArguments(["--no-cache", context]))
        var mine = ""
        try waitUntil(60, "the build's scratch") {
            mine = Set(scratchDirectories(workspace)).subtracting(before).first ?? ""
            return !mine.isEmpty && FileManager.default.fileExists(atPath: workspace.journal + "/tmp/" + mine + "/run-1")
        }
        return (process, mine)
    }

    @Test func aKilledBuildsScratchIsReclaimedByTheNextBuild() throws {
        let workspace = try BuildWorkspace("killed-build")
        let (process, scratch) = try startSleepingBuild(workspace, seconds: 60)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(scratchDirectories(workspace) == [scratch], "the kill left its scratch (as expected)")

        let next = try workspace.build([try workspace.context("FROM busybox\nRUN true\n")])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(scratchDirectories(workspace).isEmpty, "left: \(scratchDirectories(workspace))")
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)")
    }

    /// Cached steps are written with the build record only before the next step that runs (or
    /// at the end): a build killed inside that step is still recorded with them, and the
    /// journal it leaves is consistent.
    @Test func aBuildKilledInsideAStepKeepsTheCachedStepsBeforeIt() throws {
        let workspace = try BuildWorkspace("killed-after-cached")
        let steps = "FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n"
        let first = try workspace.build([try workspace.context(steps)])
        #expect(first.status == 0, "\(first.stderr)")
        let marker = workspace.sub("started-\(UInt32.random(in: 0...UInt32.max))")
        let context = try workspace.context(steps + "RUN sleep 60 # \(marker)\n")
        let before = Set(scratchDirectories(workspace))
        let process = try RepriseProcess.start(workspace.buildArguments([context]))
        var mine = ""
        try waitUntil(60, "the sleeping step") {
            mine = Set(scratchDirectories(workspace)).subtracting(before).first ?? ""
            return !mine.isEmpty && FileManager.default.fileExists(atPath: workspace.journal + "/tmp/" + mine + "/run-3")
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let id = String(mine.dropFirst("build-".count))
        let recorded = try workspace.steps(id)
        #expect(recorded.map { $0["outcome"] as? String } == ["succeeded", "cached", "cached"], "\(recorded)")
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)")
    }

    /// A fully cached build did nothing a kill could lose, so its build record is written once,
    /// at the end: one version, its ref created and never renamed over (which on ext4 forces
    /// the data out first). A build whose step runs is recorded before and after that step.
    @Test func aFullyCachedBuildWritesOneVersionOfItsRecord() throws {
        let workspace = try BuildWorkspace("cached-record-versions")
        let context = try workspace.context("FROM busybox\nRUN echo one > /one\nENV A=1\nRUN echo two > /two\n")
        func recordVersions() throws -> [String: Int] {
            var versions: [String: Int] = [:]
            // Through the store: older versions are kept as deltas against newer ones.
            let store = try BlobStore(root: workspace.journal)
            for digest in try store.list() {
                guard try store.size(of: digest) < 1 << 20, let data = try? store.read(digest), let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      document["mediaType"] as? String == "application/vnd.reprise.build.v1+json",
                      let id = document["id"] as? String else { continue }
                versions[id, default: 0] += 1
            }
            return versions
        }
        let cold = try workspace.build([context])
        #expect(cold.status == 0, "\(cold.stderr)")
        let coldID = try workspace.latestBuild()
        let cached = try workspace.build([context])
        #expect(cached.status == 0, "\(cached.stderr)")
        let cachedID = try workspace.latestBuild()
        try #require(coldID != cachedID)
        let outcomes = try workspace.steps(cachedID).map { $0["outcome"] as? String }
        #expect(outcomes.count == 4 && outcomes[1] == "cached" && outcomes[3] == "cached", "\(outcomes)")
        let versions = try recordVersions()
        #expect(versions[cachedID] == 1, "\(versions)")
        // Before and after each of the two RUNs, then the end (the versions before the first RUN
        // and after it differ; the one before the second RUN adds the ENV step).
        #expect((versions[coldID] ?? 0) >= 4, "\(versions)")
    }

    /// A build leaves the index's WAL in place (no checkpoint on close, Journal.IndexLog); what
    /// it holds is the index: a build killed afterwards loses none of it, the next command reads
    /// it and, closing, folds it into index.sqlite and removes it.
    @Test func theIndexLogABuildKeepsSurvivesAKilledBuild() throws {
        let workspace = try BuildWorkspace("kept-index-log")
        let wal = workspace.journal + "/index.sqlite-wal"
        let first = try workspace.build([try workspace.context("FROM busybox\nRUN echo one > /one\n")])
        try #require(first.status == 0, "\(first.stderr)")
        let firstID = try workspace.latestBuild()  // `journal ls` checkpoints: the WAL goes
        #expect(!FileManager.default.fileExists(atPath: wal))
        let second = try workspace.build([try workspace.context("FROM busybox\nRUN echo two > /two\n")])
        try #require(second.status == 0, "\(second.stderr)")
        let walSize = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        #expect(walSize > 0, "a build keeps its WAL for the next process")
        let (process, scratch) = try startSleepingBuild(workspace, seconds: 60)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let killedID = String(scratch.dropFirst("build-".count))
        let listing = try RepriseProcess.run(["journal", "ls", "-q", "--journal", workspace.journal])
        #expect(listing.status == 0, "\(listing.stderr)")
        let ids = listing.stdout.split(separator: "\n").map(String.init)
        #expect(ids.count == 3 && ids.contains(firstID) && ids.contains(killedID), "\(ids) (killed \(killedID))")
        #expect(!FileManager.default.fileExists(atPath: wal), "closing `journal ls` checkpointed the WAL")
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        // The index and a rebuild from the refs agree on every build.
        let reindex = try RepriseProcess.run(["journal", "reindex", "--journal", workspace.journal])
        #expect(reindex.status == 0, "\(reindex.stderr)")
        let relisted = try RepriseProcess.run(["journal", "ls", "-q", "--journal", workspace.journal])
        #expect(Set(relisted.stdout.split(separator: "\n").map(String.init)) == Set(ids), "\(relisted.stdout)")
    }

    @Test func gcReclaimsAKilledBuildsScratch() throws {
        let workspace = try BuildWorkspace("killed-build-gc")
        let (process, _) = try startSleepingBuild(workspace, seconds: 60)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let gc = try RepriseProcess.run(["journal", "gc", "--journal", workspace.journal])
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stdout.contains("reclaimed 1 scratch"), "\(gc.stdout)")
        #expect(scratchDirectories(workspace).isEmpty)
    }

    /// A build that starts while another runs reclaims nothing of it; both finish.
    @Test func concurrentBuildsKeepEachOthersScratch() throws {
        let workspace = try BuildWorkspace("concurrent-scratch")
        // The sleeper outlives the other builds however slow the machine is, and is then
        // interrupted: a fixed short sleep could end before them under load, and prove nothing.
        let (running, scratch) = try startSleepingBuild(workspace, seconds: 600)
        for _ in 0..<2 {
            let other = try workspace.build([try workspace.context("FROM busybox\nRUN echo other\n")])
            #expect(other.status == 0, "\(other.stderr)")
            #expect(running.isRunning, "the sleeping build ended before the others did")
            #expect(scratchDirectories(workspace).contains(scratch), "a running build's scratch was taken")
        }
        kill(running.processIdentifier, SIGINT)
        running.waitUntilExit()
        #expect(running.terminationStatus == 130, "an interrupted build exits with 128 + SIGINT")
        #expect(scratchDirectories(workspace).isEmpty, "left: \(scratchDirectories(workspace))")
    }

    /// gc is SIGKILLed right after each of its first deletions in turn: the index must never
    /// name a deleted blob, so fsck is clean after every kill, and a later gc finishes the job.
    @Test func gcKilledAfterAnyDeletionLeavesACleanJournal() throws {
        let workspace = try BuildWorkspace("killed-gc")
        // Two tagged images, then drop one name: its manifest, config and layer become garbage,
        // and the image row naming its manifest must go before they do.
        for tag in ["keep:1", "drop:1"] {
            let context = try workspace.context("FROM busybox\nRUN echo \(tag) > /tag\n")
            let build = try workspace.build(["-t", tag, context])
            try #require(build.status == 0, "\(build.stderr)")
        }
        let builds = try FileManager.default.contentsOfDirectory(atPath: workspace.journal + "/refs/builds")
        let dropBuild = try #require(builds.sorted().last)
        unlink(workspace.journal + "/refs/builds/" + dropBuild)
        let removed = try RepriseProcess.run(["image", "rm", "drop:1", "--journal", workspace.journal])
        try #require(removed.status == 0, "\(removed.stderr)")
        #expect(try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal]).status == 0)

        // Each run deletes one more blob and dies; go on until a run is no longer killed.
        var kills = 0
        while kills < 100 {
            let gc = try RepriseProcess.run(["journal", "gc", "--journal", workspace.journal],
                                           environment: ["REPRISE_TEST_KILL_GC_AFTER": "1"])
            let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
            #expect(fsck.status == 0, "after gc killed at its deletion \(kills + 1) (status \(gc.status)): \(fsck.stdout)")
            if gc.status == 0 { break }
            kills += 1
        }
        #expect(kills >= 3, "the dropped build left at least its manifest, config and layer to delete")
        let finished = try RepriseProcess.run(["journal", "gc", "--journal", workspace.journal])
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal]).status == 0)
        let listing = try RepriseProcess.run(["image", "ls", "--all", "--journal", workspace.journal])
        #expect(listing.stdout.contains("keep"), "\(listing.stdout)")
    }
}
