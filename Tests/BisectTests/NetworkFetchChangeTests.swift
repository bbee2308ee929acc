@testable import Bisect
import BuildJournal
import ContentStore
import DifferenceModel
@testable import Differ
import Testing

/// What RUN steps fetched through the network recorder is an input like any other: listed by
/// step and request with both bodies, and a bisect probe answers the step with bad's response
/// for exactly the requests it takes from bad.
@Suite struct NetworkFetchChangeTests {
    static func step(_ index: Int, _ fetches: [FetchRecord]) -> StepRecord {
        var step = StepRecord(buildID: "b", index: index, stage: "stage-0", instruction: "RUN", text: "RUN apt-get update",
                              location: nil, cacheKey: Digest(ofUTF8: "key \(index)"), outcome: .succeeded,
                              startedAt: 0, durationSeconds: 0)
        step.fetches = fetches
        return step
    }

    static func get(_ url: String, _ body: String, range: String? = nil) -> FetchRecord {
        FetchRecord(kind: .http, method: "GET", url: url, requestHeaders: range.map { ["range": $0] } ?? [:],
                    status: 200, body: Digest(ofUTF8: body))
    }

    static let release = "http://deb.example/dists/stable/Release"
    static let package = "http://deb.example/pool/hello_1.deb"

    @Test func changedAddedAndRemovedFetchesAreNamedByStepAndURLWithBothDigests() {
        let good = [Self.step(1, [Self.get(Self.release, "r1"), Self.get(Self.package, "p1"),
                                  FetchRecord(kind: .dns, method: "A", url: "deb.example")])]
        let bad = [Self.step(1, [Self.get(Self.release, "r1"), Self.get(Self.package, "p2"),
                                 Self.get(Self.package, "p2-tail", range: "bytes=10-")])]
        let changes = InputComparer.networkFetchChanges(good, bad)
        #expect(changes.map(\.name) == ["GET \(Self.package)", "GET \(Self.package) range=bytes=10-"])
        #expect(changes.allSatisfy { $0.kind == .networkFetch && $0.step == 1 && $0.scope == "step 1" })
        #expect(changes[0].status == .changed)
        #expect(changes[0].a == Digest(ofUTF8: "p1").description)
        #expect(changes[0].b == Digest(ofUTF8: "p2").description)
        #expect(changes[1].status == .added)
        #expect(InputComparer.networkFetchChanges(good, good).isEmpty)
    }

    @Test func aProbeServesBadsResponseOnlyForTheChosenRequests() throws {
        let good = [Self.step(1, [Self.get(Self.release, "r1"), Self.get(Self.package, "p1")])]
        let bad = [Self.step(1, [Self.get(Self.release, "r2"), Self.get(Self.package, "p2")])]
        let changes = InputComparer.networkFetchChanges(good, bad)
        let package = try #require(changes.first { $0.name == "GET \(Self.package)" })
        let hybrid = HybridInputs.hybridFetches(good: good, bad: bad, applying: [package])
        let served = Dictionary(uniqueKeysWithValues: (hybrid[1] ?? []).map { ($0.url, $0.body) })
        #expect(served[Self.release] == Digest(ofUTF8: "r1"))
        #expect(served[Self.package] == Digest(ofUTF8: "p2"))
        #expect(HybridInputs.hybridFetches(good: good, bad: bad, applying: [])[1] == good[0].fetches)
        #expect(HybridInputs.hybridFetches(good: good, bad: bad, applying: changes)[1]?.map(\.body) == bad[0].fetches?.map(\.body))
    }
}
