/// Zeller's ddmin over change indices: finds a 1-minimal subset of `0..<count` for which the
/// test says "bad", assuming the empty set is good and the whole set bad. Every subset is tested
/// at most once; a `nil` answer (unjudgeable) counts as not bad, as in the original algorithm.
struct DeltaDebugger {
    /// Returns whether the subset is bad, nil when the probe could not be judged, or throws
    /// ``ProbeLimitReached`` to stop early with what is known.
    typealias Test = ([Int]) async throws -> Bool?

    struct ProbeLimitReached: Error {}

    /// The worst-case number of tests for `count` changes, for "probe k of at most n".
    static func worstCase(_ count: Int) -> Int {
        count <= 1 ? 0 : count * count + 3 * count
    }

    /// The minimal bad subset found, and whether the search ran to its end.
    static func minimize(count: Int, test: Test) async throws -> (culprit: [Int], complete: Bool) {
        var current = Array(0..<count)
        var granularity = 2
        var known: [[Int]: Bool?] = [:]
        func check(_ subset: [Int]) async throws -> Bool {
            if let answer = known[subset] { return answer ?? false }
            let answer = try await test(subset)
            known[subset] = answer
            return answer ?? false
        }
        do {
            while current.count >= 2 {
                let parts = split(current, into: granularity)
                var reduced = false
                for part in parts where try await check(part) {
                    current = part
                    granularity = 2
                    reduced = true
                    break
                }
                if !reduced && parts.count > 2 {
                    for part in parts {
                        let complement = current.filter { !part.contains($0) }
                        if try await check(complement) {
                            current = complement
                            granularity = max(granularity - 1, 2)
                            reduced = true
                            break
                        }
                    }
                }
                if !reduced {
                    if granularity >= current.count { break }
                    granularity = min(current.count, granularity * 2)
                }
            }
        } catch is ProbeLimitReached {
            return (current, false)
        }
        return (current, true)
    }

    /// `items` in `parts` contiguous pieces of nearly equal size.
    static func split(_ items: [Int], into parts: Int) -> [[Int]] {
        var result: [[Int]] = []
        var start = 0
        for index in 0..<parts {
            let end = start + (items.count - start) / (parts - index)
            if end > start { result.append(Array(items[start..<end])) }
            start = end
        }
        return result
    }
}
