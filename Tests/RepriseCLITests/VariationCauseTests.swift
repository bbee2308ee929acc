import Foundation
import TestSupport
import Testing

/// Every variation is a cause: a replay under a variation whose differences the variation
/// exposed explains each of them with that variation (and its value) as a cause, and
/// `replay --json` / `verify --json` carry the differ's explanation.
@Suite(.serialized) struct VariationCauseTests {
    /// The causes of a node and of everything under it.
    static func causes(_ node: [String: Any]) -> [[String: Any]] {
        (node["causes"] as? [[String: Any]] ?? []) + (node["children"] as? [[String: Any]] ?? []).flatMap(causes)
    }

    /// Differing entries of a diff JSON tree, with their causes' kinds and evidence (theirs and
    /// those of the nodes under them).
    static func differingEntries(_ node: [String: Any]) -> [(name: String, causes: [[String: Any]])] {
        var found: [(String, [[String: Any]])] = []
        if node["kind"] as? String == "entry", node["status"] as? String != "identical" {
            found.append((node["name"] as? String ?? "?", causes(node)))
        }
        for child in node["children"] as? [[String: Any]] ?? [] { found += differingEntries(child) }
        return found
    }

    @Test(arguments: ["nondeterministic-hostname", "nondeterministic-date"])
    func replayUnderAVariationNamesItAsTheCause(_ name: String) throws {
        let corpusCase = try #require(CorpusCase.all.first { $0.name == name })
        let variation = try #require(corpusCase.definition.expect.differences?.first?.variation)
        let workspace = try BuildWorkspace("variation-\(name)")
        let metadata = workspace.sub("metadata.json")
        let built = try workspace.build(["--progress", "quiet", "--metadata-file", metadata] + corpusCase.flags(context: corpusCase.directory))
        try #require(built.status == 0, "\(built.stderr)")
        let values = try BuildMetadata(path: metadata)
        let id = try #require(values["reprise.build.id"])

        let replay = try RepriseProcess.run(["replay", "--journal", workspace.journal, "--progress", "quiet", "--json",
                                             "--vary", variation, id])
        #expect(replay.status == 1, "\(replay.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        let explanation = try #require(report["explanation"] as? [String: Any], "no explanation in \(replay.stdout)")
        let root = try #require(explanation["root"] as? [String: Any])
        let entries = Self.differingEntries(root)
        #expect(!entries.isEmpty)
        for entry in entries {
            let variationCause = entry.causes.first { $0["kind"] as? String == "variation" }
            #expect((variationCause?["evidence"] as? String)?.contains(variation) == true,
                    "\(name): \(entry.name) has causes \(entry.causes)")
        }

        // verify: its replays carry the explanation too (the date case differs under time in
        // every run; verify builds the hostname case under the variation too, so it agrees).
        guard name == "nondeterministic-date" else { return }
        let verify = try RepriseProcess.run(["verify", "--journal", workspace.journal, "--progress", "quiet", "--json",
                                             "--vary", variation] + corpusCase.flags(context: corpusCase.directory))
        #expect(verify.status == 1)
        let verifyReport = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        let replays = try #require(verifyReport["replays"] as? [[String: Any]])
        #expect(replays.contains { $0["explanation"] is [String: Any] }, "\(verify.stdout)")
    }
}
