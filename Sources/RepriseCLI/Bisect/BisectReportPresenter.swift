import Bisect
import DiffPresenters
import DisplayText
import Foundation

/// The bisect report for people: the culprit, the first changed step and why, then the probes.
enum BisectReportPresenter {
    static func text(_ report: BisectReport) -> String {
        var out = "\(report.id): \(report.mode == "git" ? "\(report.commits?.count ?? 0) commits" : "\(report.changes.count) input changes")"
            + " between \(report.good) and \(report.bad); bad when \(report.predicate)\n"
        switch report.culprit {
        case .changes(let changes):
            out += "culprit (\(changes.count) change\(changes.count == 1 ? "" : "s")\(report.complete ? "" : ", search stopped early")):\n"
            for change in changes { out += "  " + DisplayText.escaped(InputChangePresenter.line(change)) + "\n" }
        case .commit(let commit):
            out += "culprit commit: \(commit)\(report.culpritSubject.map { " " + DisplayText.escaped($0) } ?? "")\n"
        case nil:
            out += "no culprit named\n"
        }
        if let changes = report.inputCulprit {
            out += "inside it (input bisect \(report.inputBisect ?? "-")), \(changes.count == 1 ? "the change that matters" : "the changes that matter together"):\n"
            for change in changes { out += "  " + DisplayText.escaped(InputChangePresenter.line(change)) + "\n" }
        }
        if let step = report.firstChangedStep {
            let place = [step.file, step.line.map(String.init)].compactMap { $0 }.joined(separator: ":")
            out += "first changed step: \(step.index) \(DisplayText.escaped(step.text))\(place.isEmpty ? "" : " (\(DisplayText.escaped(place)))")\n"
        }
        if !report.explanation.isEmpty {
            out += "explanation:\n"
            for line in report.explanation { out += "  " + DisplayText.escaped(line) + "\n" }
        }
        for note in report.notes { out += "note: " + DisplayText.escaped(note) + "\n" }
        let ran = report.probes.reduce(0) { $0 + $1.ranSteps }
        let cached = report.probes.reduce(0) { $0 + $1.cachedSteps }
        out += "probes: \(report.probes.count) builds, \(ran) steps run, \(cached) cached, "
            + String(format: "%.1f s", report.seconds) + "\n"
        for probe in report.probes {
            let what = probe.commit ?? "\(probe.applied?.count ?? 0) changes"
            out += "  \(probe.number). \(probe.verdict.rawValue) \(what) → \(probe.outcome.buildID ?? "-")\n"
        }
        return out
    }
}
