@testable import Bisect
import DifferenceModel
import Differ
import TestSupport
import Testing

/// Dockerfile hunks are independent changes: any subset applies to A on its own, all of them
/// give B, none gives A. Checked on random edit scripts (seed printed).
@Suite struct DockerfileHunkTests {
    @Test func anySubsetOfHunksApplies() {
        let seed = SeededRandom.seedFromEnvironment()
        print("DockerfileHunkTests seed: \(seed)")
        var random = SeededRandom(seed: seed)
        func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }
        for round in 0..<200 {
            let a = (0..<(1 + pick(20))).map { "RUN step \($0)" }
            var b = a
            for _ in 0..<(1 + pick(5)) {
                switch pick(3) {
                case 0 where !b.isEmpty: b.remove(at: pick(b.count))
                case 1: b.insert("RUN new \(pick(1000))", at: pick(b.count + 1))
                default: if !b.isEmpty { b[pick(b.count)] = "RUN changed \(pick(1000))" }
                }
            }
            let changes = InputComparer.hunks(a.map { Substring($0) }, b.map { Substring($0) }, fileName: "Dockerfile")
            let hunks = changes.compactMap(\.hunk)
            #expect(hunks.count == changes.count)
            #expect(HybridInputs.apply(hunks, to: a) == b, "round \(round): \(a) → \(b)")
            #expect(HybridInputs.apply([], to: a) == a)
            // A subset applies on its own: the line count moves by what its hunks add and remove.
            let chosen = hunks.filter { _ in pick(2) == 0 }
            let partial = HybridInputs.apply(chosen, to: a)
            #expect(partial.count == a.count + chosen.reduce(0) { $0 + $1.linesB.count - $1.countA }, "round \(round)")
            if a != b { #expect(!hunks.isEmpty) }
        }
    }
}
