import Foundation
import TestSupport
import Testing

/// `reprise build` beyond the Corpus: failures, bad input, outputs, interruption, foreign bases.
@Suite(.serialized) struct BuildCommandTests {
    let workspace: BuildWorkspace
    var journal: String { workspace.journal }

    init() throws { workspace = try BuildWorkspace("build-cli") }

    /// A context directory holding `dockerfile` and `files`.
    func context(_ dockerfile: String, files: [String: String] = [:]) throws -> String {
        try workspace.context(dockerfile, files: files)
    }

    func build(_ arguments: [String]) throws -> RepriseProcess.Result {
        try RepriseProcess.run(["build", "--journal", journal, "--progress", "plain"] + arguments)
    }

    func showJSON(_ build: String) throws -> [String: Any] {
        let show = try RepriseProcess.run(["journal", "show", "--json", "--journal", journal, build])
        return try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
    }

    @Test func aFailingStepNamesItsLineAndOutputAndTheJournalKeepsWhatRan() throws {
        let directory = try context("""
            FROM busybox
            RUN echo first > /first.txt
            RUN echo "about to fail" && echo "bad thing" >&2 && exit 7
            RUN echo never
            """)
        let result = try build([directory])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Dockerfile:3:1: step 'RUN echo \"about to fail\""))
        #expect(result.stderr.contains("exit code 7"))
        #expect(result.stderr.contains("bad thing"))
        let listing = try RepriseProcess.run(["journal", "ls", "--journal", journal])
        #expect(listing.stdout.contains("failed"))
        let id = try #require(try RepriseProcess.run(["journal", "ls", "-q", "--journal", journal]).stdout
            .split(separator: "\n").first.map(String.init))
        let document = try showJSON(id)
        let steps = try #require(document["steps"] as? [[String: Any]])
        #expect(steps.count == 3)  // FROM, the first RUN, the failing RUN
        #expect(steps.last?["outcome"] as? String == "failed")
        #expect(steps.last?["exitCode"] as? Int == 7)
        let human = try RepriseProcess.run(["journal", "show", "--logs", "--journal", journal, id])
        #expect(human.stdout.contains("FAILED exit 7"))
        #expect(human.stdout.contains("| bad thing"))
        #expect(try RepriseProcess.run(["journal", "fsck", "--journal", journal]).status == 0)
    }

    @Test func outputOptionsNoExporterHonoursAreRefusedBeforeAnyStep() throws {
        let directory = try context("FROM busybox\nRUN echo built > /built\n")
        for output in ["type=oci,dest=\(workspace.sub("o.tar")),rewrite-timestamp=sometimes",
                       "type=oci,dest=\(workspace.sub("o2.tar")),compression=brotli",
                       "type=oci,dest=\(workspace.sub("o3.tar")),push=true"] {
            let result = try build(["--output", output, directory])
            #expect(result.status != 0, "\(output) was accepted")
            #expect(result.stderr.contains("--output"), "\(result.stderr)")
            #expect(!result.stderr.contains("RUN echo built"), "a step ran before \(output) was refused")
        }
        #expect(try RepriseProcess.run(["journal", "ls", "-q", "--journal", journal]).stdout.isEmpty)
    }

    @Test func aMissingBaseImageSaysHowToProvideIt() throws {
        let directory = try context("FROM example.com/nowhere:1\nRUN true\n")
        let result = try build([directory])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Dockerfile:1:1: cannot pull 'example.com/nowhere:1'"), "\(result.stderr)")
        #expect(result.stderr.contains("--build-context"))
    }

    @Test func missingContextAndMalformedDockerfileAreClearErrors() throws {
        let missing = try build([workspace.sub("no-such-dir")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("build context \(workspace.sub("no-such-dir")) does not exist"))
        let malformed = try context("FROM busybox\nRUNN echo hi\n")
        let result = try build([malformed])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Dockerfile:2:1: error: unknown instruction"))
        #expect(result.stderr.contains("RUN"))
    }

    @Test func checkReportsProblemsWithoutBuilding() throws {
        let directory = try context("FROM busybox AS Base\nRUNN true\n")
        let result = try build(["--check", directory])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Dockerfile:2:1: error"))
        let good = try context("FROM busybox\nRUN true\n")
        #expect(try build(["--check", good]).status == 0)
        #expect(try RepriseProcess.run(["journal", "ls", "-q", "--journal", journal]).stdout.isEmpty)
    }

    @Test func metadataFileLocalOutputAndTagsAreWritten() throws {
        let directory = try context("FROM busybox\nRUN mkdir -p /out && echo payload > /out/file.txt\n")
        let metadata = workspace.sub("metadata.json")
        let local = workspace.sub("local-out")
        let result = try build([directory, "-t", "example/app:2", "--metadata-file", metadata,
                                "--output", "type=local,dest=\(local)"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metadata))) as? [String: Any])
        let digest = try #require(document["containerimage.digest"] as? String)
        #expect(digest.hasPrefix("sha256:"))
        #expect((document["containerimage.config.digest"] as? String)?.hasPrefix("sha256:") == true)
        let buildID = try #require(document["reprise.build.id"] as? String)
        #expect(try String(contentsOfFile: local + "/out/file.txt", encoding: .utf8) == "payload\n")
        #expect(FileManager.default.fileExists(atPath: local + "/bin/busybox"))
        let images = try RepriseProcess.run(["image", "ls", "--journal", journal]).stdout
        #expect(images.contains("example/app:2"))
        #expect(images.contains(String(digest.dropFirst(7).prefix(12))))
        let shown = try showJSON("example/app:2")
        #expect((shown["build"] as? [String: Any])?["id"] as? String == buildID)
    }

    @Test func quietPrintsTheDigestAndRawJSONIsOneObjectPerLine() throws {
        let directory = try context("FROM busybox\nRUN echo hi\n")
        let quiet = try RepriseProcess.run(["build", "--journal", journal, "-q", directory])
        #expect(quiet.status == 0)
        #expect(quiet.stdout.hasPrefix("sha256:"))
        #expect(quiet.stderr.isEmpty)
        let raw = try RepriseProcess.run(["build", "--journal", journal, "--progress", "rawjson", "--no-cache", directory])
        let lines = raw.stderr.split(separator: "\n")
        #expect(lines.count > 3)
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)") }
        // BuildKit's SolveStatus shape, as buildx prints it: vertexes that start and complete,
        // logs with base64 data on stream 1 (stdout).
        let statuses = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let vertexes = statuses.flatMap { $0["vertexes"] as? [[String: Any]] ?? [] }
        #expect(vertexes.contains { ($0["name"] as? String)?.hasSuffix("RUN echo hi") == true && $0["completed"] != nil })
        #expect(vertexes.allSatisfy { ($0["digest"] as? String)?.hasPrefix("sha256:") == true })
        let logs = statuses.flatMap { $0["logs"] as? [[String: Any]] ?? [] }
        let printed = logs.compactMap { ($0["data"] as? String).flatMap { Data(base64Encoded: $0) } }
        #expect(printed.contains { String(decoding: $0, as: UTF8.self) == "hi\n" }, "\(raw.stderr)")
        #expect(logs.allSatisfy { $0["stream"] as? Int == 1 && ($0["timestamp"] as? String)?.hasSuffix("Z") == true })
    }

    @Test func aBaseImageMadeByUmociWorksAsFrom() throws {
        let layout = workspace.sub("umoci-base")
        try Tool.check(["umoci", "init", "--layout", layout])
        try Tool.check(["umoci", "new", "--image", "\(layout):base"])
        let bundle = workspace.sub("umoci-bundle")
        try Tool.check(["umoci", "unpack", "--image", "\(layout):base", bundle])
        // The busybox binary from the Corpus image makes the umoci image runnable.
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: bundle + "/rootfs/bin/busybox")
        try FileManager.default.createSymbolicLink(atPath: bundle + "/rootfs/bin/sh", withDestinationPath: "busybox")
        try Tool.check(["umoci", "repack", "--image", "\(layout):base", bundle])
        let directory = try context("FROM umocibase\nRUN echo built-on-umoci > /proof.txt\n")
        let output = workspace.sub("from-umoci")
        let result = try build([directory, "--build-context", "umocibase=oci-layout://\(layout):base",
                                "--output", "type=local,dest=\(output)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: output + "/proof.txt", encoding: .utf8) == "built-on-umoci\n")
    }

    @Test func interruptingABuildLeavesNothingRunningOrMountedAndRecordsIt() throws {
        // A duration of its own, so that pgrep below cannot see another suite's sleeper.
        let sleeper = "sleep \(Int.random(in: 3000...9999))"
        let directory = try context("FROM busybox\nRUN echo started && \(sleeper)\n")
        // LayerArchive's tests (overlays), buildah (its storage) and replay's file-ordering
        // variation (disorderfs) mount on the host meanwhile; those are not this build's.
        func hostMounts() throws -> [Substring] {
            try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
                .filter { !$0.contains("/reprise-archive-test-") && !$0.contains("/reprise-buildah-diff-")
                    && !$0.contains(" - fuse.disorderfs ") }
        }
        let mountsBefore = try hostMounts()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RepriseProcess.executable)
        process.arguments = ["build", "--journal", journal, "--progress", "plain", directory]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the step has started (its output arrived), then interrupt.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("started") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try hostMounts() == mountsBefore)
        let sleepers = try Tool.run(["pgrep", "-f", sleeper])
        #expect(sleepers.stdout.isEmpty, "left running: \(sleepers.stdout)")
        let listing = try RepriseProcess.run(["journal", "ls", "--journal", journal]).stdout
        #expect(listing.contains("failed"))
        let id = try #require(try RepriseProcess.run(["journal", "ls", "-q", "--journal", journal]).stdout
            .split(separator: "\n").first.map(String.init))
        #expect((try showJSON(id)["build"] as? [String: Any])?["error"] as? String == "interrupted")
    }
}
