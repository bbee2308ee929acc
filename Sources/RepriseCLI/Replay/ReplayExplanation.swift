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
}
