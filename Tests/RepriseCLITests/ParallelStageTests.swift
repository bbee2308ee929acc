import Foundation
import TestSupport
import Testing

/// Stages with no dependency between them run at the same time, and the build they make is the
/// one a stage-after-stage build makes: same image, same steps under the same indices.
@Suite(.serialized) struct ParallelStageTests {
    let workspace: BuildWorkspace

    init() throws { workspace = try BuildWorkspace("parallel-stages") }

    static let dockerfile = """
        FROM busybox AS one
        RUN sleep 1 && echo one > /one
        FROM busybox AS two
        RUN sleep 1 && echo two > /two
        FROM busybox AS three
        RUN sleep 1 && echo three > /three
        FROM busybox AS four
        RUN sleep 1 && echo four > /four
        FROM busybox
        COPY --from=one /one /
        COPY --from=two /two /
        COPY --from=three /three /
        COPY --from=four /four /
        RUN cat /one /two /three /four > /all
        """

    struct Built {
        var digest: String
        var seconds: Double
        var steps: [[String: Any]]

        /// Each RUN step's time span, by stage.
        var runSpans: [String: ClosedRange<Double>] {
            var spans: [String: ClosedRange<Double>] = [:]
            for step in steps where step["instruction"] as? String == "RUN" {
                guard let stage = step["stage"] as? String, let start = Self.seconds(step["startedAt"]),
                      let duration = step["durationSeconds"] as? Double else { continue }
                spans[stage] = start...(start + duration)
            }
            return spans
        }

        /// A time in `journal show --json`: RFC 3339 with fractional seconds.
        static func seconds(_ value: Any?) -> Double? {
            guard let text = value as? String else { return value as? Double }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.date(from: text)?.timeIntervalSince1970
        }

        /// What must not depend on how the stages were scheduled: index, stage, instruction,
        /// key, outcome and layer of every step, in the record's order.
        var recordShape: [String] {
            steps.map { step in
                let layer = (step["layer"] as? [String: Any])?["digest"] as? String ?? "-"
                return [step["index"], step["stage"], step["text"], step["cacheKey"], step["outcome"], layer]
                    .map { "\($0 ?? "-")" }.joined(separator: " | ")
            }
        }
    }

    func build(_ directory: String, parallelStages: Int) throws -> Built {
        let metadata = workspace.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        let begun = Date()
        let result = try workspace.build(["--no-cache", "--build-arg", "SOURCE_DATE_EPOCH=0",
                                          "--metadata-file", metadata, directory],
                                         environment: ["REPRISE_MAX_PARALLEL_STAGES": String(parallelStages)])
        let seconds = Date().timeIntervalSince(begun)
        try #require(result.status == 0, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: metadata))) as? [String: Any])
        let digest = try #require(document["containerimage.digest"] as? String)
        let id = try #require(document["reprise.build.id"] as? String)
        return Built(digest: digest, seconds: seconds, steps: try workspace.steps(id))
    }

    @Test func fourIndependentStagesRunTogetherAndBuildWhatOneAfterAnotherBuilds() throws {
        let directory = try workspace.context(Self.dockerfile)
        let sequential = try build(directory, parallelStages: 1)
        let parallel = try build(directory, parallelStages: 4)
        print("four one-second stages: sequential \(sequential.seconds) s, parallel \(parallel.seconds) s")

        #expect(parallel.digest == sequential.digest)
        #expect(parallel.recordShape == sequential.recordShape)
        #expect(sequential.steps.map { $0["index"] as? Int } == Array(0..<14).map { $0 })

        // One after another: no two sleeps overlap, and together they take at least four seconds.
        let stages = ["one", "two", "three", "four"]
        func overlapping(_ spans: [String: ClosedRange<Double>]) -> Int {
            var count = 0
            for (i, a) in stages.enumerated() {
                for b in stages[(i + 1)...] where spans[a].flatMap({ x in spans[b].map { x.overlaps($0) } }) == true {
                    count += 1
                }
            }
            return count
        }
        #expect(sequential.runSpans.count == 5 && parallel.runSpans.count == 5)
        #expect(overlapping(sequential.runSpans) == 0)
        #expect(sequential.seconds >= 4)
        // Together: every pair of sleeps overlaps, and the build takes well under their sum.
        #expect(overlapping(parallel.runSpans) == 6)
        #expect(parallel.seconds < sequential.seconds - 2)
    }
}
