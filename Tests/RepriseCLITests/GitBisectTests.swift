import Foundation
import TestSupport
import Testing

/// `reprise bisect --git`: a generated repository of dozens of commits (scripts/make-bisect-repo)
/// where one commit changes the output, one breaks the build (a later one fixes it) and one makes
/// the image unreproducible; each bisect must name its commit within ⌈log2 N⌉ + 1 builds.
@Suite(.serialized) struct GitBisectTests {
    struct Fixture {
        var repository: String
        var commits: [String]
        var differs: Int
        var breaks: Int
        var fixed: Int
        var nondeterministic: Int
    }

    /// `noise`: the file every commit edits (docs/notes.txt, which no step reads, or
    /// src/notes.txt, which the build copies, so that every commit is relevant).
    static func fixture(_ workspace: BuildWorkspace, noise: String = "docs/notes.txt") throws -> Fixture {
        let seed = SeededRandom.seedFromEnvironment()
        print("GitBisectTests seed: \(seed) (REPRISE_SEED=\(seed) repeats it)")
        var random = SeededRandom(seed: seed)
        func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }
        let differs = pick(2...9)
        let breaks = pick(12...17)
        let fixed = breaks + pick(3...5)
        let nondeterministic = pick(25...36)
        let repository = workspace.sub("repo")
        try Tool.check([CorpusBaseImage.repositoryRoot + "/scripts/make-bisect-repo", repository, "40", String(differs),
                        String(breaks), String(fixed), String(nondeterministic), noise])
        let commits = try Tool.check(["git", "-C", repository, "rev-list", "--first-parent", "--reverse", "HEAD"])
            .stdout.split(separator: "\n").map(String.init)
        try #require(commits.count == 40)
        return Fixture(repository: repository, commits: commits, differs: differs, breaks: breaks, fixed: fixed,
                       nondeterministic: nondeterministic)
    }

    static func bisect(_ workspace: BuildWorkspace, _ fixture: Fixture, good: Int, bad: Int, _ predicate: [String])
        throws -> (culprit: String?, builds: Int, skips: Int, report: [String: Any]) {
        let result = try RepriseProcess.run(["bisect", "--journal", workspace.journal, "--json", "--git", fixture.repository,
                                             "--good", fixture.commits[good], "--bad", fixture.commits[bad]] + predicate)
        try #require(result.status == 0, "bisect failed (\(result.status)):\n\(result.stderr)\n\(result.stdout)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let probes = report["probes"] as? [[String: Any]] ?? []
        let skips = probes.filter { $0["verdict"] as? String == "skip" }.count
        return (report["culprit"] as? String, probes.count, skips, report)
    }

    /// ⌈log2 N⌉ + 1 for the N commits after good up to bad.
    static func bound(_ good: Int, _ bad: Int) -> Int {
        Int(ceil(log2(Double(bad - good)))) + 1
    }

    @Test func commitsThatChangeNothingTheBuildReadsAreNotBuilt() throws {
        let workspace = try BuildWorkspace("bisect-git-relevant")
        let fixture = try Self.fixture(workspace)
        // Of the commits after 0 up to breaks - 1, only `differs` touches src/: one build for
        // the reference and none for the search (the bad end stands for it).
        let result = try Self.bisect(workspace, fixture, good: 0, bad: fixture.breaks - 1, ["--differs"])
        #expect(result.culprit == fixture.commits[fixture.differs], "\(result.report)")
        #expect(result.builds == 1, "\(result.report)")
        #expect((result.report["notes"] as? [String])?.contains { $0.hasPrefix("1 of \(fixture.breaks - 1) commits") } == true)
    }

    @Test func commitBisectNamesEachCulpritWithinTheBound() throws {
        let workspace = try BuildWorkspace("bisect-git")
        // Every commit changes the copied sources, so every commit is searched.
        let fixture = try Self.fixture(workspace, noise: "src/notes.txt")

        // The output changes: /out differs from the good revision's (one build of the bound
        // is the good reference).
        let differs = try Self.bisect(workspace, fixture, good: 0, bad: fixture.breaks - 1, ["--file", "/out", "--bisect-inputs"])
        #expect(differs.culprit == fixture.commits[fixture.differs], "\(differs.report)")
        #expect(differs.builds <= Self.bound(0, fixture.breaks - 1) + differs.skips, "\(differs.builds) builds")
        #expect(differs.builds >= 3, "\(differs.report)")
        // The first step whose result changed: COPY src/ (line 4); the steps before it were cached.
        #expect((differs.report["firstChangedStep"] as? [String: Any])?["line"] as? Int == 4, "\(differs.report)")
        let probes = differs.report["probes"] as? [[String: Any]] ?? []
        #expect(probes.dropFirst().allSatisfy { ($0["cachedSteps"] as? Int ?? 0) >= 2 }, "\(probes)")
        #expect((differs.report["changes"] as? [[String: Any]])?.contains { $0["name"] as? String == "src/value" } == true)
        // Inside the culprit commit (src/value and src/notes.txt changed), the input bisect
        // names the file that matters.
        let inside = (differs.report["inputCulprit"] as? [[String: Any]])?.map { $0["name"] as? String ?? "?" }
        #expect(inside == ["src/value"], "\(differs.report)")

        // The build breaks.
        let fails = try Self.bisect(workspace, fixture, good: fixture.differs, bad: fixture.fixed - 1, ["--fails"])
        #expect(fails.culprit == fixture.commits[fixture.breaks], "\(fails.report)")
        #expect(fails.builds <= Self.bound(fixture.differs, fixture.fixed - 1) + fails.skips, "\(fails.builds) builds")

        // A file becomes nondeterministic: each probe is replayed.
        let unreproducible = try Self.bisect(workspace, fixture, good: fixture.fixed, bad: 39, ["--unreproducible"])
        #expect(unreproducible.culprit == fixture.commits[fixture.nondeterministic], "\(unreproducible.report)")
        #expect(unreproducible.builds <= Self.bound(fixture.fixed, 39) + unreproducible.skips)
    }

    @Test func unjudgeableRevisionsAreSkippedAsGitDoes() throws {
        let workspace = try BuildWorkspace("bisect-git-skip")
        let fixture = try Self.fixture(workspace)
        // --differs from the output change to the randomness: the search meets the broken
        // revision first, which cannot be compared, so it is skipped and a neighbour tried.
        let result = try Self.bisect(workspace, fixture, good: fixture.differs, bad: fixture.nondeterministic, ["--differs"])
        #expect(result.culprit == fixture.commits[fixture.nondeterministic], "\(result.report)")
        #expect(result.skips >= 1, "\(result.report)")
        #expect(result.builds <= Self.bound(fixture.differs, fixture.nondeterministic) + result.skips)
    }
}
