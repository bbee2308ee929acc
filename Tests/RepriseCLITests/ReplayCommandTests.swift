import Foundation
import TestSupport
import Testing

/// `reprise replay`, `verify` and `journal export/import`, on the real binary and sandbox.
@Suite(.serialized) struct ReplayCommandTests {
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory("replay") }

    /// The parts of the replay report the tests read.
    struct Report: Decodable {
        struct Step: Decodable {
            var index: Int
            var line: Int?
            var verdict: String
            struct Layer: Decodable { var digest: String; var diffID: String }
            var recordedLayer: Layer?
            var replayedLayer: Layer?
        }
        var build: String
        var replay: String?
        var reproducible: Bool
        var recordedManifest: String?
        var replayedManifest: String?
        var variations: [String: String]
        var steps: [Step]
        var firstDivergence: Step?
    }

    struct VerifyReport: Decodable {
        var reproducible: Bool
        var divergentSteps: [Report.Step]
        var replays: [Report]
    }

    func freshJournal(_ name: String) throws -> String {
        let journal = scratch.sub(name)
        let imported = try RepriseProcess.run(["image", "import", try CorpusBaseImage.path(), "--name", "busybox",
                                               "--journal", journal])
        try #require(imported.status == 0, "\(imported.stderr)")
        return journal
    }

    /// Builds and returns the build id (from --metadata-file).
    func build(_ arguments: [String], journal: String) throws -> String {
        let metadata = scratch.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        let result = try RepriseProcess.run(["build", "--journal", journal, "--progress", "quiet",
                                             "--metadata-file", metadata] + arguments)
        try #require(result.status == 0, "build failed:\n\(result.stderr)")
        // buildx's keys include a descriptor object, so the document is not all strings.
        let values = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metadata))) as? [String: Any]
        return try #require(values?["reprise.build.id"] as? String)
    }

    func replay(_ build: String, journal: String, _ extra: [String] = [], environment: [String: String] = [:])
        throws -> (status: Int32, report: Report?, stderr: String) {
        let result = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", "--json", build] + extra,
                                            environment: environment)
        let report = try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        return (result.status, report, result.stderr)
    }

    /// Copies a Corpus case to a directory of its own, so it can be deleted after the build.
    func copyCase(_ corpusCase: CorpusCase) throws -> String {
        let copy = scratch.sub("case-\(corpusCase.name)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.copyItem(atPath: corpusCase.directory, toPath: copy)
        return copy
    }

    func caseArguments(_ corpusCase: CorpusCase, directory: String) -> [String] {
        corpusCase.flags(context: directory)
    }

    @Test(arguments: CorpusCase.deterministic)
    func deterministicCaseReplaysElsewhereFromItsBundle(_ corpusCase: CorpusCase) throws {
        let recording = try freshJournal("record-\(corpusCase.name)")
        let directory = try copyCase(corpusCase)
        let id = try build(caseArguments(corpusCase, directory: directory), journal: recording,
                           environment: corpusCase.buildEnvironment)
        try FileManager.default.removeItem(atPath: directory)
        let bundle = scratch.sub("\(corpusCase.name).bundle.tar")
        let exported = try RepriseProcess.run(["journal", "export", "--journal", recording, id, "-o", bundle])
        try #require(exported.status == 0, "\(exported.stderr)")

        // Another journal, in another directory, that has never seen the base image.
        let elsewhere = scratch.sub("elsewhere-\(corpusCase.name)")
        let imported = try RepriseProcess.run(["journal", "import", "--journal", elsewhere, bundle])
        try #require(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == id)
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", elsewhere])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")

        let replayed = try replay(id, journal: elsewhere, corpusCase.secretFlags, environment: corpusCase.buildEnvironment)
        let report = try #require(replayed.report, "no report: \(replayed.stderr)")
        #expect(replayed.status == 0, "\(corpusCase.name): \(replayed.stderr)")
        #expect(report.reproducible)
        #expect(report.replayedManifest != nil && report.replayedManifest == report.recordedManifest)
        // The replay is recorded, and linked to what it replayed.
        let show = try RepriseProcess.run(["journal", "show", "--journal", elsewhere, "--json", try #require(report.replay)])
        #expect(show.stdout.contains("\"replayOf\" : \"\(id)\"") || show.stdout.contains("\"replayOf\":\"\(id)\""))
    }

    /// (A case whose difference comes from a second build, `builds`, replays identically: the
    /// replay restores the recorded cache state. DiffCommandTests covers those.)
    @Test(arguments: CorpusCase.nondeterministic.filter { $0.definition.expect.differences?.first?.variation != "builds" })
    func nondeterministicCaseDivergesAtItsLineUnderItsVariation(_ corpusCase: CorpusCase) throws {
        let journal = try freshJournal("nondeterministic-\(corpusCase.name)")
        let difference = try #require(corpusCase.definition.expect.differences?.first)
        let id = try build(caseArguments(corpusCase, directory: corpusCase.directory), journal: journal)
        let replayed = try replay(id, journal: journal, ["--vary", difference.variation])
        let report = try #require(replayed.report, "no report: \(replayed.stderr)")
        #expect(replayed.status == 1, "\(corpusCase.name) reproduced under \(difference.variation)")
        let first = try #require(report.firstDivergence)
        #expect(first.line == difference.line, "\(corpusCase.name): diverged at line \(first.line ?? -1)")
        #expect(first.recordedLayer != nil && first.replayedLayer != nil)
        #expect(first.recordedLayer?.digest != first.replayedLayer?.digest)
        if difference.variation != "none" {
            // The replay's record names the variation it ran under, by the key the differ reads.
            let named = difference.variation == "environment"
                ? report.variations.keys.contains { $0.hasPrefix("env.") }
                : report.variations[difference.variation] != nil
            #expect(named, "\(corpusCase.name): variations recorded \(report.variations)")
        }
    }

    @Test func hostnameCaseReproducesWithoutTheVariation() throws {
        let corpusCase = try #require(CorpusCase.all.first { $0.name == "nondeterministic-hostname" })
        let journal = try freshJournal("hostname-plain")
        let id = try build(caseArguments(corpusCase, directory: corpusCase.directory), journal: journal)
        let replayed = try replay(id, journal: journal)
        #expect(replayed.status == 0, "\(replayed.stderr)")
    }

    @Test func aBuildPathReplayRecordsTheDirectoryItUsed() throws {
        // The differ masks and explains build paths by what the record names: the replay must
        // record the directory itself, under the key the differ reads.
        let corpusCase = try #require(CorpusCase.all.first { $0.name == "hello" })
        let journal = try freshJournal("buildpath")
        let id = try build(caseArguments(corpusCase, directory: corpusCase.directory), journal: journal)
        let replayed = try replay(id, journal: journal, ["--vary", "buildpath"])
        let replayID = try #require(replayed.report?.replay, "\(replayed.stderr)")
        let show = try RepriseProcess.run(["journal", "show", "--json", "--journal", journal, replayID])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let variations = try #require((document["build"] as? [String: Any])?["variations"] as? [String: String])
        let path = try #require(variations["buildpath"])
        #expect(path.contains("varied build path"))
    }

    @Test func aReplayRunsUnderTheLimitsTheBuildRanUnder() throws {
        // A step's ulimits and /dev/shm size can be in its output: the record keeps them.
        let journal = try freshJournal("limits")
        let context = scratch.sub("limits-context")
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try """
            FROM busybox
            RUN ulimit -n > /nofile && df -k /dev/shm | tail -1 | awk '{print $2}' > /shm
            """.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let id = try build(["--ulimit", "nofile=1024:2048", "--shm-size", "128m",
                            "--build-arg", "SOURCE_DATE_EPOCH=1700000000", context], journal: journal)
        let replayed = try replay(id, journal: journal)
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.report?.reproducible == true)
    }

    @Test func cacheMountStateIsRestoredForTheReplay() throws {
        let context = scratch.sub("cache-context")
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try """
            FROM busybox
            RUN --mount=type=cache,target=/cache sh -c 'cat /cache/n > /seen.txt 2>/dev/null; date +%s%N > /cache/n; ls /cache > /out.txt'
            """.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let journal = try freshJournal("cache")
        let arguments = [context, "--build-arg", "SOURCE_DATE_EPOCH=1700000000", "--no-cache"]
        _ = try build(arguments, journal: journal)
        let second = try build(arguments, journal: journal)
        let replayed = try replay(second, journal: journal)
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.report?.reproducible == true)
        // The host's cache moved on after both builds; the replay still saw the recorded state.
        _ = try build(arguments, journal: journal)
        #expect(try replay(second, journal: journal).status == 0)
    }

    @Test func differentSecretIsRefusedBeforeAnyStepAndNeverStored() throws {
        let context = scratch.sub("secret-context")
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try """
            FROM busybox
            RUN --mount=type=secret,id=token,required=true sh -c 'wc -c < /run/secrets/token > /length.txt'
            """.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let journal = try freshJournal("secret")
        let right = "correct-horse-battery-staple-4417"
        let wrong = "incorrect-donkey-9321"
        let id = try build([context, "--build-arg", "SOURCE_DATE_EPOCH=1700000000", "--secret", "id=token,env=TOKEN_VALUE"]
                           .map { $0 }, journal: journal, environment: ["TOKEN_VALUE": right])
        let refused = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "plain", id,
                                              "--secret", "id=token,env=TOKEN_VALUE"], environment: ["TOKEN_VALUE": wrong])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("secret 'token'"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("RUN"), "a step ran: \(refused.stderr)")
        let missing = try RepriseProcess.run(["replay", "--journal", journal, id])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("secret 'token' is required"), "\(missing.stderr)")
        let accepted = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", id,
                                               "--secret", "id=token,env=TOKEN_VALUE"], environment: ["TOKEN_VALUE": right])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let grep = try Tool.run(["grep", "-r", "-l", "-a", "-e", right, "-e", wrong, journal])
        #expect(grep.stdout.isEmpty, "secret found in \(grep.stdout)")
    }

    @Test func verifyGivesAVerdict() throws {
        let journal = try freshJournal("verify")
        let hello = try #require(CorpusCase.all.first { $0.name == "hello" })
        // Every variation but umask: hello's RUN creates a file whose mode comes from the umask,
        // which verify rightly reports (below).
        let good = try RepriseProcess.run(["verify", "--journal", journal, "--progress", "quiet", "--json", "--runs", "2",
                                           "--vary", "time,hostname,environment,fileordering,buildpath,timezone,locale,cpus,aslr"]
                                          + caseArguments(hello, directory: hello.directory))
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        let umask = try RepriseProcess.run(["verify", "--journal", journal, "--progress", "quiet", "--json", "--vary", "umask"]
                                           + caseArguments(hello, directory: hello.directory))
        #expect(umask.status == 1)
        let umaskReport = try JSONDecoder().decode(VerifyReport.self, from: Data(umask.stdout.utf8))
        #expect(umaskReport.divergentSteps.map(\.line) == [4])
        let random = try #require(CorpusCase.all.first { $0.name == "nondeterministic-random" })
        let bad = try RepriseProcess.run(["verify", "--journal", journal, "--progress", "quiet", "--json"]
                                         + caseArguments(random, directory: random.directory))
        #expect(bad.status == 1)
        let report = try JSONDecoder().decode(VerifyReport.self, from: Data(bad.stdout.utf8))
        #expect(!report.reproducible)
        #expect(report.divergentSteps.map(\.line) == [2])
    }

    @Test func verifyRefusesTheBuildFlagsItWouldIgnore() throws {
        let journal = try freshJournal("verify-flags")
        let hello = try #require(CorpusCase.all.first { $0.name == "hello" })
        for flags in [["--cache-to", "type=local,dest=\(scratch.sub("cache"))"], ["--cache-from", scratch.sub("cache")],
                      ["--iidfile", scratch.sub("iid")]] {
            let refused = try RepriseProcess.run(["verify", "--journal", journal, "--progress", "quiet"] + flags
                                                 + caseArguments(hello, directory: hello.directory))
            #expect(refused.status == 64, "\(flags): \(refused.stderr)")
            #expect(refused.stderr.contains("verify does not take \(flags[0])"), "\(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.sub("cache")))
        #expect(!FileManager.default.fileExists(atPath: scratch.sub("iid")))
        // Nothing was built.
        #expect(try RepriseProcess.run(["journal", "ls", "-q", "--journal", journal]).stdout.isEmpty)
    }

    @Test func singleStepReplaysFromItsRecordedParent() throws {
        let journal = try freshJournal("step")
        let date = try #require(CorpusCase.all.first { $0.name == "nondeterministic-date" })
        let id = try build(caseArguments(date, directory: date.directory), journal: journal)
        let stable = try replay(id, journal: journal, ["--step", "1"])
        #expect(stable.status == 0, "\(stable.stderr)")
        #expect(stable.report?.steps.filter { $0.verdict == "reused" }.count == 2)
        let moving = try replay(id, journal: journal, ["--from-step", "2", "--vary", "time"])
        #expect(moving.status == 1)
        #expect(moving.report?.firstDivergence?.index == 2)
    }
}

extension ReplayCommandTests {
    func build(_ arguments: [String], journal: String, environment: [String: String]) throws -> String {
        let metadata = scratch.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        let result = try RepriseProcess.run(["build", "--journal", journal, "--progress", "quiet",
                                             "--metadata-file", metadata] + arguments, environment: environment)
        try #require(result.status == 0, "build failed:\n\(result.stderr)")
        // buildx's keys include a descriptor object, so the document is not all strings.
        let values = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metadata))) as? [String: Any]
        return try #require(values?["reprise.build.id"] as? String)
    }
}
