import BuildJournal
import DiffPresenters
import Differ
import Foundation
import Replay

/// Why a replay did not reproduce: the differ compares the recorded build with its replay (both
/// are in the journal, so it knows each step, its Dockerfile line and the variations applied)
/// and its text report is printed under the replay's own.
enum ReplayExplanation {
    static func text(build: String, replay: String?, journal: Journal, color: Bool) -> String? {
        guard let replay else { return nil }
        do {
            let report = try ImageDiffer().compare(a: .build(journal: journal, reference: build),
                                                   b: .build(journal: journal, reference: replay))
            guard report.verdict != .identical else { return nil }
            let rendered = TextPresenter(options: PresentationOptions(maxDepth: nil, maxLines: 20, color: color))
                .render(report)
            return "why (reprise diff \(build) \(replay)):\n" + rendered
        } catch {
            return "why: the differ could not compare the two builds: \(error)\n"
        }
    }

    /// The differ's report on a replay as a JSON value (nil when the replay reproduced or
    /// could not be compared), for `replay --json` and `verify --json`.
    static func jsonValue(build: String, replay: String?, journal: Journal?) -> Any? {
        guard let replay, let journal,
              let report = try? ImageDiffer().compare(a: .build(journal: journal, reference: build),
                                                      b: .build(journal: journal, reference: replay)),
              report.verdict != .identical,
              let data = try? JSONPresenter().encode(report) else { return nil }
        return try? JSONSerialization.jsonObject(with: data)
    }

    /// Prints `value` as JSON with the differ's explanation beside each replay that did not
    /// reproduce: under `explanation` for a replay report, in each of `replays` for verify.
    static func printJSON<T: Encodable>(_ value: T, journal: Journal?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard var object = try JSONSerialization.jsonObject(with: encoder.encode(value)) as? [String: Any] else {
            return try Terminal.printJSON(value)
        }
        func explain(_ replay: inout [String: Any]) {
            guard replay["reproducible"] as? Bool == false, let build = replay["build"] as? String,
                  let why = jsonValue(build: build, replay: replay["replay"] as? String, journal: journal) else { return }
            replay["explanation"] = why
        }
        if var replays = object["replays"] as? [[String: Any]] {
            for index in replays.indices { explain(&replays[index]) }
            object["replays"] = replays
        } else {
            explain(&object)
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}
