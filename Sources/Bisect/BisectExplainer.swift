import BuildJournal
import ContentStore
import DifferenceModel
import Differ
import Foundation

/// Says what the culprit did: the first step whose result changed (with its Dockerfile line) and
/// the differ's explanation of the image difference, or the failure when the culprit's build
/// failed.
struct BisectExplainer {
    let journal: Journal

    func explain(_ report: inout BisectReport, good: BuildOutcome, bad: BuildOutcome) throws {
        guard let goodID = good.buildID, let badID = bad.buildID else { return }
        let goodSteps = try journal.steps(of: journal.build(id: goodID))
        let badRecord = try journal.build(id: badID)
        let badSteps = try journal.steps(of: badRecord)
        if let step = Self.firstChangedStep(goodSteps, badSteps) {
            report.firstChangedStep = BisectReport.StepSummary(
                index: step.index, stage: step.stage, instruction: step.instruction, text: step.text,
                file: step.location?.file ?? badRecord.dockerfilePath, line: step.location?.startLine)
        }
        if !bad.succeeded {
            report.explanation.append("the build failed: \(bad.error ?? "at step \(bad.failedStep.map(String.init) ?? "?")")")
        }
        guard good.manifest != nil, bad.manifest != nil, good.manifest != bad.manifest else { return }
        let diff = try ImageDiffer().compare(a: .build(journal: journal, reference: goodID),
                                             b: .build(journal: journal, reference: badID))
        var lines: [String] = []
        diff.root.walk { node, _ in
            guard node.kind == .entry || (node.kind == .field && node.step != nil), node.isDifference,
                  lines.count < 20 else { return }
            let causes = node.effectiveCauses.map { "\($0.kind.label): \($0.evidence)" }
            let step = node.step.map { " (step \($0.index): \($0.text))" } ?? ""
            lines.append("\(node.name) \(node.status.rawValue)\(step)" + (causes.isEmpty ? "" : " — " + causes.joined(separator: "; ")))
        }
        if lines.isEmpty {
            lines = diff.root.effectiveCauses.map { "\($0.kind.label): \($0.evidence)" }
        }
        report.explanation += lines
    }

    /// The first step (by index) whose outcome or layer differs, or that only one side has.
    static func firstChangedStep(_ good: [StepRecord], _ bad: [StepRecord]) -> StepRecord? {
        let goodByIndex = Dictionary(good.map { ($0.index, $0) }) { a, _ in a }
        for step in bad.sorted(by: { $0.index < $1.index }) {
            guard let other = goodByIndex[step.index] else { return step }
            let failed = step.outcome == .failed || other.outcome == .failed
            if failed || step.layer?.diffID != other.layer?.diffID || step.resultConfig != other.resultConfig && step.layer == nil {
                return step
            }
        }
        return nil
    }
}
