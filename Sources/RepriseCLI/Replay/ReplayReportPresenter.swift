import DisplayText
import Foundation
import Replay

/// The text form of replay and verify reports: a verdict first, then each divergent step with
/// its Dockerfile line and the pair of layers to hand to the differ.
enum ReplayReportPresenter {
    static func render(_ report: ReplayReport) -> String {
        var text = ""
        let varied = report.variations.keys.sorted().joined(separator: ",")
        let under = varied.isEmpty ? "" : " under \(varied)"
        let replay = report.replay.map { " (replay \($0))" } ?? ""
        if report.reproducible {
            let counted = report.steps.filter { $0.verdict == .reproduced }.count
            text += "build \(report.build) reproduced\(under)\(replay): \(counted) steps identical"
            if let manifest = report.replayedManifest, report.complete { text += ", image \(manifest)" }
            return text + "\n"
        }
        text += "build \(report.build) did not reproduce\(under)\(replay)\n"
        for step in report.divergentSteps { text += describe(step) }
        if let error = report.error { text += "  replay stopped: \(DisplayText.escaped(error, keepingLineBreaks: true))\n" }
        if report.manifestDiffers {
            text += "  image: recorded \(report.recordedManifest ?? "none"), replayed \(report.replayedManifest ?? "none")\n"
        }
        return text
    }

    static func render(_ report: VerifyReport) -> String {
        let varied = report.variations.isEmpty ? "no variations" : report.variations.joined(separator: ",")
        var text = "verify \(report.build): \(report.replays.count) replays with \(varied): "
        if report.reproducible { return text + "reproducible\n" }
        text += "NOT reproducible\n"
        for step in report.divergentSteps { text += describe(step) }
        for replay in report.replays where replay.error != nil {
            text += "  replay \(DisplayText.escaped(replay.replay ?? "?")) stopped: \(DisplayText.escaped(replay.error!, keepingLineBreaks: true))\n"
        }
        return text
    }

    static func describe(_ step: StepComparison) -> String {
        let location = step.location ?? "step \(step.index)"
        var text = "  step \(step.index) [\(DisplayText.escaped(step.stage))] \(DisplayText.escaped(location)): \(DisplayText.escaped(step.text))\n"
        switch step.verdict {
        case .failed:
            text += "    failed in the replay" + (step.replayedExitCode.map { " (exit \($0))" } ?? "") + "\n"
        default:
            if step.layerDiffers {
                text += "    layer recorded \(step.recordedLayer?.digest ?? "none") (diff \(step.recordedLayer?.diffID ?? "none"))\n"
                text += "    layer replayed \(step.replayedLayer?.digest ?? "none") (diff \(step.replayedLayer?.diffID ?? "none"))\n"
            }
            if step.configDiffers {
                text += "    config recorded \(step.recordedConfig ?? "none"), replayed \(step.replayedConfig ?? "none")\n"
            }
        }
        return text
    }
}
