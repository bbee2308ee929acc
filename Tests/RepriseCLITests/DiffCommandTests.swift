import Foundation
import TestSupport
import Testing

/// `reprise diff` on real builds of the Corpus: the cause, the file and the Dockerfile line.
@Suite(.serialized) struct DiffCommandTests {
    let workspace: BuildWorkspace
    var journal: String { workspace.journal }

    init() throws { workspace = try BuildWorkspace("diff-cli") }

    /// Builds a Corpus case without the cache and returns its build id.
    func build(_ corpusCase: CorpusCase, tag: String) throws -> String {
        var arguments = corpusCase.buildArguments(journal: journal, output: workspace.sub("out-\(tag)"))
        arguments += ["--no-cache", "-t", tag]
        let result = try RepriseProcess.run(arguments)
        try #require(result.status == 0, "\(result.stderr)")
        let listing = try RepriseProcess.run(["journal", "ls", "-q", "--journal", journal])
        return try #require(listing.stdout.split(separator: "\n").first.map(String.init))
    }

    struct Finding: Hashable { var path: String; var line: Int?; var causes: Set<String> }

    /// Every file node with its causes and the Dockerfile line of the step that wrote it.
    func findings(_ json: String) throws -> [Finding] {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var found: [Finding] = []
        func walk(_ node: [String: Any], line: Int?, path: String?) {
            let step = node["step"] as? [String: Any]
            let line = (step?["line"] as? Int) ?? line
            let kind = node["kind"] as? String
            let path = kind == "entry" ? (node["path"] as? String ?? node["name"] as? String) : path
            let causes = Set(((node["causes"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String })
            if let path, !causes.isEmpty { found.append(Finding(path: path, line: line, causes: causes)) }
            for child in (node["children"] as? [[String: Any]]) ?? [] { walk(child, line: line, path: path) }
        }
        walk(try #require(root["root"] as? [String: Any]), line: nil, path: nil)
        return found
    }

    @Test(arguments: ["nondeterministic-date", "nondeterministic-random", "nondeterministic-mtime",
                      "nondeterministic-cache"])
    func twoPlainBuildsDifferWhereTheCaseSaysAndWhy(_ name: String) throws {
        let corpusCase = try #require(CorpusCase.all.first { $0.name == name })
        let expected = try #require(corpusCase.definition.expect.differences?.first)
        let first = try build(corpusCase, tag: "\(name):a")
        sleep(1)  // mtimes have whole-second resolution in layers
        let second = try build(corpusCase, tag: "\(name):b")
        let result = try RepriseProcess.run(["diff", "--json", "--journal", journal, first, second])
        #expect(result.status == 1, "\(result.stderr)")
        let findings = try findings(result.stdout)
        let match = findings.first { $0.path.hasSuffix(expected.file) }
        #expect(match != nil, "\(name): \(expected.file) not reported; got \(findings)")
        #expect(match?.line == expected.line, "\(name): line")
        #expect(match?.causes.contains(expected.cause) == true, "\(name): causes \(match?.causes ?? [])")
    }

    /// Cases that two plain builds on one machine do not expose: a replay under the case's
    /// variation does, and the differ names the cause from the record.
    @Test(arguments: ["nondeterministic-hostname", "nondeterministic-order"])
    func aReplayUnderTheVariationDiffersWhereTheCaseSaysAndWhy(_ name: String) throws {
        let corpusCase = try #require(CorpusCase.all.first { $0.name == name })
        let expected = try #require(corpusCase.definition.expect.differences?.first)
        let original = try build(corpusCase, tag: "\(name):a")
        let replay = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", "--json",
                                             "--vary", expected.variation, original])
        #expect(replay.status == 1, "\(replay.stdout)\(replay.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        let replayID = try #require(report["replay"] as? String)
        let result = try RepriseProcess.run(["diff", "--json", "--journal", journal, original, replayID])
        #expect(result.status == 1, "\(result.stderr)")
        let findings = try findings(result.stdout)
        let match = findings.first { $0.path.hasSuffix(expected.file) }
        #expect(match != nil, "\(name): \(expected.file) not reported; got \(findings)")
        #expect(match?.line == expected.line, "\(name): line")
        #expect(match?.causes.contains(expected.cause) == true, "\(name): causes \(match?.causes ?? [])")
    }

    @Test func identicalBuildsAreIdenticalAndTheHTMLReportIsWritten() throws {
        let corpusCase = try #require(CorpusCase.all.first { $0.name == "hello" })
        let first = try build(corpusCase, tag: "hello:a")
        let second = try build(corpusCase, tag: "hello:b")
        let html = workspace.sub("report.html")
        let result = try RepriseProcess.run(["diff", "--journal", journal, "--html", html, first, second])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("identical"))
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<table"))
    }

    @Test func twoLayoutsBuiltElsewhereCompareToo() throws {
        let corpusCase = try #require(CorpusCase.all.first { $0.name == "nondeterministic-random" })
        _ = try build(corpusCase, tag: "random:a")
        _ = try build(corpusCase, tag: "random:b")
        let result = try RepriseProcess.run(["diff", "--journal", journal,
                                             "oci-layout://\(workspace.sub("out-random:a")):a",
                                             "oci-layout://\(workspace.sub("out-random:b")):b"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("token.hex"))
        #expect(result.stdout.contains("randomness"))
        let bad = try RepriseProcess.run(["diff", workspace.sub("nothing-here"), workspace.sub("nor-here")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("nothing-here"))
    }
}
