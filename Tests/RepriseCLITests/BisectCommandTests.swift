import Foundation
import TestSupport
import Testing

/// `reprise diff --inputs`, `reprise bisect` over recorded inputs and `reprise run`, on the real
/// binary and sandbox: each test records a good and a bad build that differ in many inputs, of
/// which only some matter, and checks that bisect names exactly those.
@Suite(.serialized) struct BisectCommandTests {
    /// Builds and returns the build id (from --metadata-file); `expectFailure` for a build that
    /// must fail (its id then comes from the journal listing).
    static func build(_ workspace: BuildWorkspace, _ arguments: [String], expectFailure: Bool = false) throws -> String {
        let metadata = workspace.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        let result = try workspace.build(["--progress", "quiet", "--metadata-file", metadata] + arguments)
        if expectFailure {
            try #require(result.status != 0, "build should have failed:\n\(result.stderr)")
            return try workspace.latestBuild()
        }
        try #require(result.status == 0, "build failed:\n\(result.stderr)")
        let values = try BuildMetadata(path: metadata)
        return try #require(values["reprise.build.id"])
    }

    /// Runs `reprise bisect … --json` and returns the report.
    static func bisect(_ workspace: BuildWorkspace, _ arguments: [String]) throws -> [String: Any] {
        let result = try RepriseProcess.run(["bisect", "--journal", workspace.journal, "--json"] + arguments)
        try #require(result.status == 0, "bisect failed (\(result.status)):\n\(result.stderr)\n\(result.stdout)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// The culprit's changes as `kind scope:name`.
    static func culprit(_ report: [String: Any]) -> [String] {
        ((report["culprit"] as? [[String: Any]]) ?? []).map { change in
            "\(change["kind"] as? String ?? "?") " + ((change["scope"] as? String).map { $0 + ":" } ?? "") + "\(change["name"] as? String ?? "?")"
        }.sorted()
    }

    /// `noise` files that no step reads, different on each side.
    static func noise(_ count: Int, _ value: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("noise/n\($0).txt", "\(value) \($0)\n") })
    }

    @Test func inputDiffNamesEveryChangedInputWithContentDiffs() throws {
        let workspace = try BuildWorkspace("bisect-inputs")
        let dockerfile = "FROM busybox\nARG MODE\nRUN --mount=type=bind,target=/ctx cat /ctx/app.txt > /out\n"
        let good = try Self.build(workspace, ["--build-arg", "MODE=a", try workspace.context(dockerfile, files: [
            "app.txt": "one\ntwo\nthree\n", "gone.txt": "x\n"])])
        let bad = try Self.build(workspace, ["--build-arg", "MODE=b", "--build-arg", "EXTRA=1", try workspace.context(
            dockerfile.replacingOccurrences(of: "> /out", with: "> /out2"), files: ["app.txt": "one\nTWO\nthree\n", "new/added.txt": "y\n"])])

        let text = try RepriseProcess.run(["diff", "--inputs", "--journal", workspace.journal, good, bad])
        #expect(text.status == 1, "\(text.stderr)")
        for expected in ["context-file context:app.txt changed", "-two", "+TWO", "context-file context:gone.txt removed",
                         "context-file context:new/added.txt added", "context-file context:new added",
                         "build-arg MODE changed: a → b", "build-arg EXTRA added", "dockerfile Dockerfile:line 3 changed",
                         "-RUN --mount=type=bind,target=/ctx cat /ctx/app.txt > /out", "+RUN --mount=type=bind,target=/ctx cat /ctx/app.txt > /out2",
                         "context-file context:Dockerfile changed"] {
            #expect(text.stdout.contains(expected), "missing '\(expected)' in:\n\(text.stdout)")
        }
        let json = try RepriseProcess.run(["diff", "--inputs", "--json", "--journal", workspace.journal, good, bad])
        let changes = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(changes.contains { $0["kind"] as? String == "build-arg" && $0["name"] as? String == "MODE" && $0["b"] as? String == "b" })
        // The same changes are a section of the full build diff.
        let full = try RepriseProcess.run(["diff", "--journal", workspace.journal, good, bad])
        #expect(full.stdout.contains("context-file context:app.txt"), "\(full.stdout)")
        let same = try RepriseProcess.run(["diff", "--inputs", "--journal", workspace.journal, good, good])
        #expect(same.status == 0)
    }

    @Test func culpritIsOneContextFileAmongManyChanges() throws {
        let workspace = try BuildWorkspace("bisect-file")
        // The bind mounts make the whole context and the named context `extra` reachable (so
        // recorded); the step reads one file.
        let dockerfile = "FROM busybox\nRUN --mount=type=bind,target=/ctx --mount=type=bind,from=extra,target=/extra cat /ctx/important.txt > /out\n"
        func extra(_ value: String) throws -> [String] {
            ["--build-context", "extra=" + (try workspace.context("", files: ["lib.txt": value]))]
        }
        // SOURCE_DATE_EPOCH: without it a RUN that runs again writes other mtimes, and any
        // change that makes it run again would change the image.
        let good = try Self.build(workspace, ["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "UNUSED=1"] + extra("1") + [try workspace.context(
            dockerfile, files: Self.noise(10, "a").merging(["important.txt": "v1\n"]) { $1 })])
        let bad = try Self.build(workspace, ["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "UNUSED=2"] + extra("2") + [try workspace.context(
            dockerfile, files: Self.noise(10, "b").merging(["important.txt": "v2\n", "noise/extra.txt": "e\n"]) { $1 })])
        let report = try Self.bisect(workspace, ["--good", good, "--bad", bad])
        #expect(Self.culprit(report) == ["context-file context:important.txt"], "\(report)")
        let changes = report["changes"] as? [[String: Any]] ?? []
        #expect(changes.count >= 12)
        // The named context's file is a change of its own (and not the culprit).
        #expect(changes.contains { $0["scope"] as? String == "extra" && $0["name"] as? String == "lib.txt" }, "\(changes)")
        let step = try #require(report["firstChangedStep"] as? [String: Any])
        #expect(step["index"] as? Int == 1 && step["line"] as? Int == 2, "\(step)")
        #expect((report["explanation"] as? [String])?.isEmpty == false)
        let probes = try #require(report["probes"] as? [[String: Any]])
        // Every probe is a recorded build; the good end is wholly cached.
        #expect(probes.allSatisfy { ($0["outcome"] as? [String: Any])?["buildID"] is String })
        #expect(probes.first?["ranSteps"] as? Int == 0, "\(probes.first ?? [:])")
        // The log keeps it.
        let log = try RepriseProcess.run(["bisect", "log", "--journal", workspace.journal])
        #expect(log.status == 0 && log.stdout.contains("important.txt"), "\(log.stderr)")
    }

    @Test func culpritIsABuildArgument() throws {
        let workspace = try BuildWorkspace("bisect-arg")
        let dockerfile = "FROM busybox\nARG VERSION\nARG OTHER\nRUN echo \"$VERSION\" > /version\n"
        let good = try Self.build(workspace, ["--build-arg", "VERSION=1", "--build-arg", "OTHER=x", "--build-arg", "NOISE=1",
                                              try workspace.context(dockerfile, files: Self.noise(4, "a"))])
        let bad = try Self.build(workspace, ["--build-arg", "VERSION=2", "--build-arg", "NOISE=2",
                                             try workspace.context(dockerfile, files: Self.noise(4, "b"))])
        // The predicate: a file of the image.
        let report = try Self.bisect(workspace, ["--good", good, "--bad", bad, "--file", "/version"])
        #expect(Self.culprit(report) == ["build-arg VERSION"], "\(report)")
        // And with a command run in each probe's image.
        let run = try Self.bisect(workspace, ["--good", good, "--bad", bad, "--run", "grep -qx 1 /version"])
        #expect(Self.culprit(run) == ["build-arg VERSION"], "\(run)")
    }

    @Test func culpritIsABaseImageDigest() throws {
        let workspace = try BuildWorkspace("bisect-base")
        let baseFile = "FROM busybox\nRUN echo base-1 > /base\n"
        _ = try Self.build(workspace, ["-t", "base:latest", try workspace.context(baseFile)])
        let dockerfile = "FROM base\nRUN cat /base > /seen\n"
        let good = try Self.build(workspace, ["--build-arg", "NOISE=1", try workspace.context(dockerfile, files: Self.noise(5, "a"))])
        _ = try Self.build(workspace, ["-t", "base:latest", try workspace.context(baseFile.replacingOccurrences(of: "base-1", with: "base-2"))])
        let bad = try Self.build(workspace, ["--build-arg", "NOISE=2", try workspace.context(dockerfile, files: Self.noise(5, "b"))])
        let report = try Self.bisect(workspace, ["--good", good, "--bad", bad])
        let culprit = Self.culprit(report)
        #expect(culprit.count == 1 && culprit.first?.hasPrefix("base-image ") == true, "\(report)")
    }

    @Test func culpritIsACacheMountState() throws {
        let workspace = try BuildWorkspace("bisect-cache")
        let dockerfile = """
            FROM busybox
            RUN --mount=type=cache,id=c,target=/c (cat /c/v 2>/dev/null || echo none) > /out; echo seen > /c/v

            """
        let good = try Self.build(workspace, [try workspace.context(dockerfile, files: Self.noise(4, "a"))])
        // Run again without the step cache: the step now finds the state the first run left.
        let bad = try Self.build(workspace, ["--no-cache", "--build-arg", "NOISE=1", try workspace.context(dockerfile, files: Self.noise(4, "b"))])
        let report = try Self.bisect(workspace, ["--good", good, "--bad", bad, "--file", "/out"])
        #expect(Self.culprit(report) == ["cache-mount step 1:c"], "\(report)")
    }

    @Test func aPairThatOnlyFailsTogetherIsFoundTogether() throws {
        let workspace = try BuildWorkspace("bisect-pair")
        let dockerfile = """
            FROM busybox
            ARG A
            ARG B
            ARG C
            RUN echo "$C" > /c
            RUN if [ "$A" = 1 ] && [ "$B" = 1 ]; then echo both; exit 3; fi

            """
        let good = try Self.build(workspace, ["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "A=0", "--build-arg", "B=0", "--build-arg", "C=0",
                                              try workspace.context(dockerfile, files: Self.noise(4, "a"))])
        let bad = try Self.build(workspace, ["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "A=1", "--build-arg", "B=1", "--build-arg", "C=1",
                                             try workspace.context(dockerfile, files: Self.noise(4, "b"))], expectFailure: true)
        let report = try Self.bisect(workspace, ["--good", good, "--bad", bad, "--fails"])
        #expect(Self.culprit(report) == ["build-arg A", "build-arg B"], "\(report)")
        let step = try #require(report["firstChangedStep"] as? [String: Any])
        #expect(step["line"] as? Int == 6, "\(step)")
        #expect((report["explanation"] as? [String])?.contains { $0.contains("failed") } == true)

        // --at-step: the failure at that step counts; a failure elsewhere is no verdict, so the
        // bad end is not bad and bisect says so (exit 2).
        let failedStep = try #require((report["probes"] as? [[String: Any]])?.compactMap {
            ($0["outcome"] as? [String: Any])?["failedStep"] as? Int }.first)
        let atStep = try Self.bisect(workspace, ["--good", good, "--bad", bad, "--fails", "--at-step", String(failedStep)])
        #expect(Self.culprit(atStep) == ["build-arg A", "build-arg B"], "\(atStep)")
        let elsewhere = try RepriseProcess.run(["bisect", "--journal", workspace.journal, "--json", "--good", good, "--bad", bad,
                                                "--fails", "--at-step", String(failedStep - 1)])
        #expect(elsewhere.status == 2 && elsewhere.stderr.contains("not bad"), "\(elsewhere.stderr)")
    }

    @Test func culpritMadeTheBuildUnreproducible() throws {
        let workspace = try BuildWorkspace("bisect-unreproducible")
        let dockerfile = "FROM busybox\nARG RANDOM_TOKEN\nRUN if [ \"$RANDOM_TOKEN\" = 1 ]; then head -c 16 /dev/urandom > /token; fi; echo ok > /ok\n"
        let good = try Self.build(workspace, ["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "RANDOM_TOKEN=0",
                                              "--build-arg", "NOISE=1", try workspace.context(dockerfile)])
        let bad = try Self.build(workspace, ["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "RANDOM_TOKEN=1",
                                             "--build-arg", "NOISE=2", try workspace.context(dockerfile)])
        // Each probe is replayed; the one with RANDOM_TOKEN=1 does not reproduce.
        let report = try Self.bisect(workspace, ["--good", good, "--bad", bad, "--unreproducible"])
        #expect(Self.culprit(report) == ["build-arg RANDOM_TOKEN"], "\(report)")
    }

    @Test func probesOfABuildThatNeedsASecretAreGivenIt() throws {
        let workspace = try BuildWorkspace("bisect-secret")
        let dockerfile = "FROM busybox\nARG V\nRUN --mount=type=secret,id=tok,required=true test -s /run/secrets/tok && echo \"$V\" > /v\n"
        let secret = ["--secret", "id=tok,env=BISECT_TOKEN"]
        let environment = ["BISECT_TOKEN": "s3cr3t-value"]
        func build(_ arguments: [String]) throws -> String {
            let metadata = workspace.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
            let result = try workspace.build(["--progress", "quiet", "--metadata-file", metadata] + secret + arguments,
                                             environment: environment)
            try #require(result.status == 0, "\(result.stderr)")
            let values = try BuildMetadata(path: metadata)
            return try #require(values["reprise.build.id"])
        }
        let good = try build(["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "V=1", "--build-arg", "N=1", try workspace.context(dockerfile)])
        let bad = try build(["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "V=2", "--build-arg", "N=2", try workspace.context(dockerfile)])
        let given = try RepriseProcess.run(["bisect", "--journal", workspace.journal, "--json", "--good", good, "--bad", bad] + secret,
                                           environment: environment)
        #expect(given.status == 0, "\(given.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(given.stdout.utf8)) as? [String: Any])
        #expect(Self.culprit(report) == ["build-arg V"], "\(report)")
        // Without it the good end's probe cannot build: bisect says so instead of guessing.
        let missing = try RepriseProcess.run(["bisect", "--journal", workspace.journal, "--good", good, "--bad", bad])
        #expect(missing.status == 2 && missing.stderr.contains("do not build again") && missing.stderr.contains("tok"),
                "\(missing.stderr)")
        let grep = try Tool.run(["grep", "-r", "-l", "-a", "s3cr3t-value", workspace.journal])
        #expect(grep.stdout.isEmpty, "secret found in \(grep.stdout)")
    }

    @Test func runExecutesACommandInAnImageWithoutNetwork() throws {
        let workspace = try BuildWorkspace("bisect-run")
        _ = try Self.build(workspace, ["-t", "hello:1", try workspace.context("FROM busybox\nRUN echo hello > /greeting\n")])
        let cat = try RepriseProcess.run(["run", "--journal", workspace.journal, "hello:1", "cat", "/greeting"])
        #expect(cat.status == 0 && cat.stdout == "hello\n", "\(cat.stderr)")
        let failing = try RepriseProcess.run(["run", "--journal", workspace.journal, "hello:1", "sh", "-c", "exit 7"])
        #expect(failing.status == 7)
        let network = try RepriseProcess.run(["run", "--journal", workspace.journal, "hello:1", "sh", "-c", "ls /sys/class/net"])
        #expect(network.stdout.split(separator: "\n").filter { $0 != "lo" }.isEmpty, "\(network.stdout)")
    }
}

/// `--max-probes` stops a bisect with what it knows; `--resume` continues it from the log
/// without building the probes already judged.
@Suite(.serialized) struct BisectResumeTests {
    @Test func aStoppedBisectResumesFromItsLog() throws {
        let workspace = try BuildWorkspace("bisect-resume")
        let dockerfile = "FROM busybox\nARG VERSION\nRUN echo \"$VERSION\" > /version\n"
        var good = ["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "VERSION=1"]
        var bad = ["--build-arg", "SOURCE_DATE_EPOCH=0", "--build-arg", "VERSION=2"]
        for index in 0..<8 {
            good += ["--build-arg", "N\(index)=a"]
            bad += ["--build-arg", "N\(index)=b"]
        }
        let goodID = try BisectCommandTests.build(workspace, good + [try workspace.context(dockerfile)])
        let badID = try BisectCommandTests.build(workspace, bad + [try workspace.context(dockerfile)])

        // A limit that does not even cover both ends is refused as such.
        let tooFew = try RepriseProcess.run(["bisect", "--journal", workspace.journal, "--good", goodID, "--bad", badID,
                                             "--max-probes", "1"])
        #expect(tooFew.status == 2 && tooFew.stderr.contains("before both ends are checked"), "\(tooFew.stderr)")

        let stopped = try RepriseProcess.run(["bisect", "--journal", workspace.journal, "--json", "--good", goodID, "--bad", badID,
                                              "--max-probes", "3"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(stopped.stdout.utf8)) as? [String: Any])
        #expect(first["complete"] as? Bool == false)
        #expect((first["probes"] as? [Any])?.count == 3)
        #expect(stopped.stderr.contains("probe 1 of at most "), "\(stopped.stderr)")

        let resumed = try RepriseProcess.run(["bisect", "--journal", workspace.journal, "--json", "--good", goodID, "--bad", badID,
                                              "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming \(first["id"] as? String ?? "?")"), "\(resumed.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any])
        #expect(report["complete"] as? Bool == true)
        #expect(BisectCommandTests.culprit(report) == ["build-arg VERSION"], "\(report)")
        // The three logged probes were not built again: the new ones are numbered after them.
        let probes = try #require(report["probes"] as? [[String: Any]])
        #expect(probes.map { $0["number"] as? Int ?? 0 } == Array(1...probes.count))
        #expect(!resumed.stderr.contains("probe 1 of at most"), "\(resumed.stderr)")
    }
}
