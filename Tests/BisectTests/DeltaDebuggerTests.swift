@testable import Bisect
import Foundation
import TestSupport
import Testing

/// ddmin on its own, with a predicate over change indices: culprits of one, two and three
/// changes among many, found within the probe counts delta debugging promises.
@Suite struct DeltaDebuggerTests {
    /// Runs ddmin where a subset is bad exactly when it holds every index of `culprit`.
    static func minimize(_ count: Int, culprit: Set<Int>) async throws -> (found: [Int], tests: Int) {
        var tests = 0
        let (found, complete) = try await DeltaDebugger.minimize(count: count) { subset in
            tests += 1
            return culprit.isSubset(of: Set(subset))
        }
        #expect(complete)
        return (found.sorted(), tests)
    }

    @Test func findsOneCulpritInLogarithmicallyManyTests() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("DeltaDebuggerTests seed: \(seed)")
        var random = SeededRandom(seed: seed)
        for count in [2, 7, 16, 40, 100] {
            let culprit = Int(random.next() % UInt64(count))
            let (found, tests) = try await Self.minimize(count, culprit: [culprit])
            #expect(found == [culprit], "count \(count)")
            // One change: ddmin halves, so about 2·log2(n) tests.
            #expect(tests <= 2 * Int(ceil(log2(Double(count)))) + 2, "count \(count): \(tests) tests")
        }
    }

    @Test func findsChangesThatOnlyMatterTogether() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("DeltaDebuggerTests seed: \(seed)")
        var random = SeededRandom(seed: seed)
        for _ in 0..<20 {
            let count = 3 + Int(random.next() % 30)
            var culprit = Set<Int>()
            let size = 2 + Int(random.next() % 2)
            while culprit.count < min(size, count) { culprit.insert(Int(random.next() % UInt64(count))) }
            let (found, tests) = try await Self.minimize(count, culprit: culprit)
            #expect(found == culprit.sorted(), "count \(count) culprit \(culprit.sorted())")
            #expect(tests <= DeltaDebugger.worstCase(count))
        }
    }

    @Test func unjudgeableProbesCountAsNotBadAndTheLimitStopsTheSearch() async throws {
        // Subsets holding 3 without 5 cannot be judged; the culprit {5} is still found.
        let found = try await DeltaDebugger.minimize(count: 8) { subset in
            if subset.contains(3) && !subset.contains(5) { return nil }
            return subset.contains(5)
        }
        #expect(found.culprit == [5])
        var tests = 0
        let stopped = try await DeltaDebugger.minimize(count: 64) { subset in
            tests += 1
            if tests > 3 { throw DeltaDebugger.ProbeLimitReached() }
            return subset.contains(17)
        }
        #expect(!stopped.complete)
        #expect(stopped.culprit.contains(17))
    }
}
