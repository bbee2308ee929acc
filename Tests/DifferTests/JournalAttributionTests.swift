import BuildJournal
import ContentStore
import DiffPresenters
import DifferenceModel
import Foundation
import Testing
@testable import Differ

/// Two recorded builds whose layers are real blobs: differences name the step, the instruction
/// and the Dockerfile line, and the records supply hostname and cache-mount causes.
@Suite struct JournalAttributionTests {
    struct Fixture {
        var journal: Journal
        var scratch: Scratch
    }

    func makeBuild(_ journal: Journal, id: String, layout: String, written: LayoutFixture.Written,
                   hostname: String, cacheTree: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: layout + "/blobs/sha256") {
            try journal.store.ingest(fileAt: layout + "/blobs/sha256/" + name)
        }
        var build = BuildRecord(id: id, dockerfilePath: "Dockerfile",
                                baseImages: ["fixture/base:1": Digest(ofUTF8: "base")],
                                host: .init(kernel: "6.1", architecture: "amd64", repriseVersion: "test"),
                                startedAt: 1_700_000_000)
        try journal.save(build)
        func layer(_ index: Int) -> LayerRecord {
            LayerRecord(diffID: Digest(written.diffIDs[index])!, digest: Digest(written.layers[index].digest)!,
                        size: written.layers[index].size, mediaType: written.layers[index].mediaType)
        }
        let steps = [
            StepRecord(buildID: id, index: 0, stage: "0", instruction: "FROM", text: "FROM fixture/base:1",
                       location: SourceLocation(file: "Dockerfile", startLine: 1, endLine: 1),
                       cacheKey: Digest(ofUTF8: "from"), outcome: .succeeded, startedAt: 1_700_000_000,
                       durationSeconds: 0),
            StepRecord(buildID: id, index: 1, stage: "0", instruction: "RUN",
                       text: "RUN echo \"built on $(hostname)\" > /etc/motd",
                       location: SourceLocation(file: "Dockerfile", startLine: 3, endLine: 3),
                       cacheKey: Digest(ofUTF8: "motd"), network: "none", hostname: hostname, outcome: .succeeded,
                       startedAt: 1_700_000_001, durationSeconds: 1, layer: layer(1)),
            StepRecord(buildID: id, index: 2, stage: "0", instruction: "RUN",
                       text: "RUN --mount=type=cache,target=/root/.cache make",
                       location: SourceLocation(file: "Dockerfile", startLine: 5, endLine: 6),
                       cacheKey: Digest(ofUTF8: "make"), network: "none", hostname: hostname,
                       mounts: [MountRecord(kind: .cache, target: "/root/.cache", treeBefore: Digest(ofUTF8: cacheTree),
                                            id: "build-cache")],
                       outcome: .succeeded, startedAt: 1_700_000_002, durationSeconds: 1, layer: layer(2)),
        ]
        for step in steps { try journal.append(step, to: &build) }
        build.manifest = Digest(written.manifest)
        build.config = Digest(written.config)
        build.status = .succeeded
        build.finishedAt = 1_700_000_010
        try journal.save(build)
    }

    func fixture() throws -> Fixture {
        let scratch = try Scratch("journal")
        let journal = try Journal(root: scratch.file("journal"))
        for (id, host, cache, result) in [("build-a", "builder-a", "cache-1", "result 1\n"),
                                          ("build-b", "builder-b", "cache-2", "result 7\n")] {
            let spec: [String: Any] = ["layers": [baseLayer,
                                                  [directory("etc"), file("etc/motd", "built on \(host)\n")],
                                                  [directory("app"), file("app/out.txt", result), file("app/same", "x")]]]
            let written = try LayoutFixture.write(spec, to: scratch.file(id), scratch: scratch)
            try makeBuild(journal, id: id, layout: scratch.file(id), written: written, hostname: host, cacheTree: cache)
        }
        return Fixture(journal: journal, scratch: scratch)
    }

    @Test func differencesNameStepInstructionAndLine() throws {
        let fixture = try fixture()
        let report = try ImageDiffer().compare(a: .parse("build-a", journal: fixture.journal),
                                               b: .parse("build-b", journal: fixture.journal))
        #expect(report.a.kind == .build)
        #expect(report.a.buildID == "build-a")
        let motd = try #require(report.nodes(named: "/etc/motd").first)
        #expect(motd.effectiveCauses.map(\.kind) == [.hostname])
        #expect(motd.step?.index == 1)
        #expect(motd.step?.instruction == "RUN")
        #expect(motd.step?.locationText == "Dockerfile:3")
        let out = try #require(report.nodes(named: "/app/out.txt").first)
        #expect(out.effectiveCauses.map(\.kind).contains(.cacheMount))
        #expect(out.step?.index == 2)
        #expect(out.step?.locationText == "Dockerfile:5-6")
        #expect(report.layers.map(\.pairing) == [.position, .step, .step])
        #expect(report.summary.firstDifferingStep?.index == 1)

        // The JSON names them too.
        let json = try JSONSerialization.jsonObject(with: JSONPresenter().encode(report)) as? [String: Any]
        let root = json?["root"] as? [String: Any]
        let layers = root?["children"] as? [[String: Any]] ?? []
        let entries = layers.flatMap { $0["children"] as? [[String: Any]] ?? [] }
        let motdJSON = entries.first { $0["name"] as? String == "/etc/motd" }
        let step = motdJSON?["step"] as? [String: Any]
        #expect(step?["index"] as? Int == 1)
        #expect(step?["instruction"] as? String == "RUN")
        #expect(step?["file"] as? String == "Dockerfile")
        #expect(step?["line"] as? Int == 3)
        #expect((motdJSON?["causes"] as? [Any]) != nil)
    }

    @Test func journalReportValidatesAgainstSchema() throws {
        let fixture = try fixture()
        let report = try ImageDiffer().compare(a: .build(journal: fixture.journal, reference: "build-a"),
                                               b: .build(journal: fixture.journal, reference: "build-b"))
        try SchemaValidation.validate(report, scratch: fixture.scratch)
    }
}
