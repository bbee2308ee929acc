import BuildJournal
import Differ
import DifferenceModel
import Provenance
import Replay

/// What a failed rebuild found, as VSA findings: each divergent step (with its Dockerfile line),
/// then the differ's changed files, each with the step that wrote it and the cause it names.
enum RebuildFindings {
    /// At most this many files: a VSA names the first differences, `reprise diff` shows all.
    static let maximumFiles = 20

    static func findings(replay report: ReplayReport, journal: Journal) -> [VerificationSummary.Finding] {
        var findings = report.divergentSteps.map { step in
            VerificationSummary.Finding(step: step.index, instruction: step.instruction, location: step.location,
                                        path: nil, cause: nil,
                                        detail: "step \(step.index) (\(step.text)) \(step.verdict.rawValue) in the rebuild")
        }
        if let error = report.error {
            findings.append(.init(step: nil, instruction: nil, location: nil, path: nil, cause: nil, detail: error))
        }
        guard let replay = report.replay, report.complete else { return findings }
        do {
            let diff = try ImageDiffer().compare(a: .build(journal: journal, reference: report.build),
                                                 b: .build(journal: journal, reference: replay))
            var files: [VerificationSummary.Finding] = []
            collect(diff.root, step: nil, into: &files)
            findings += files.prefix(maximumFiles)
        } catch {
            findings.append(.init(step: nil, instruction: nil, location: nil, path: nil, cause: nil,
                                  detail: "the differ could not compare the two builds: \(error)"))
        }
        return findings
    }

    /// Changed entries (files in layers), deepest first reported once, each with the nearest step.
    static func collect(_ node: DifferenceNode, step: StepReference?, into findings: inout [VerificationSummary.Finding]) {
        let step = node.step ?? step
        if node.kind == .entry, node.status != .identical {
            let cause = node.causes.first ?? node.children.lazy.compactMap(\.causes.first).first
            findings.append(.init(step: step?.index, instruction: step?.instruction, location: step?.locationText,
                                  path: node.name, cause: cause?.kind.rawValue,
                                  detail: cause?.evidence ?? "\(node.name) \(node.status.rawValue)"))
            return
        }
        for child in node.children { collect(child, step: step, into: &findings) }
    }
}
