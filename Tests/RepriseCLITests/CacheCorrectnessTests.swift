import Foundation
import TestSupport
import Testing

/// A cached build equals a `--no-cache` build after any change to its inputs, and a step whose
/// inputs did not change comes from the cache: checked differentially, with seeded random
/// mutations of contexts, named contexts and build args, never with hand-picked edits only.
///
/// `REPRISE_SEED` repeats a run; `REPRISE_CACHE_ROUNDS` sets the mutations per generated scenario
/// (the report script raises it); `REPRISE_CACHE_TALLY` names a file for the counts, as JSON.
@Suite(.serialized) struct CacheCorrectnessTests {
    static var rounds: Int {
        ProcessInfo.processInfo.environment["REPRISE_CACHE_ROUNDS"].flatMap(Int.init) ?? 40
    }

    @Test func cachedBuildsEqualUncachedBuildsUnderRandomMutations() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("CacheCorrectnessTests seed: \(seed) (repeat with REPRISE_SEED=\(seed))")
        let workspace = try BuildWorkspace("cache-differential")
        let run = DifferentialCacheRun(workspace: workspace, seed: seed)
        for scenario in CacheScenario.generated {
            try run.run(scenario, rounds: Self.rounds)
        }
        // Every deterministic Corpus case, with fewer rounds: their steps are not modelled, so
        // only the images are compared. A cache mount's contents are outside every key by design
        // (BuildKit's semantics), so cases that use one may differ from an uncached build.
        for corpus in CorpusCase.deterministic where !corpus.usesCacheMount {
            try run.run(.corpus(corpus), rounds: max(2, Self.rounds / 10))
        }
        if let path = ProcessInfo.processInfo.environment["REPRISE_CACHE_TALLY"] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(run.tally).write(to: URL(fileURLWithPath: path))
        }
        print("CacheCorrectnessTests: \(run.tally.mutations) mutations, \(run.tally.builds) builds, "
            + "\(run.tally.stepsRequiredCached) steps required cached, \(run.tally.disagreements) disagreements")
        #expect(run.tally.mutations >= CacheScenario.generated.count * Self.rounds)
        #expect(run.tally.stepsRequiredCached > 0)
        for disagreement in run.disagreements.prefix(20) {
            Issue.record("seed \(seed): \(disagreement)")
        }
        #expect(run.disagreements.isEmpty, "seed \(seed): \(run.disagreements.count) disagreements")
    }
}
