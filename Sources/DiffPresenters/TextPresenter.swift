import Foundation
import DifferenceModel
import DisplayText

/// A report for a terminal: the verdict and a summary first (counts by cause, the first
/// differing layer and step), the layer table, then the tree of details.
public struct TextPresenter: DiffPresenter {
    public var options: PresentationOptions

    public init(options: PresentationOptions = PresentationOptions()) {
        self.options = options
    }

    public func render(_ report: DiffReport) -> String {
        var out = TextBuffer(color: options.color)
        renderSummary(report, into: &out)
        if report.layers.count > 0 { renderLayerTable(report, into: &out) }
        if report.verdict != .identical && !report.root.children.isEmpty {
            out.line("")
            out.line(out.bold("Details"))
            for child in report.root.children where child.isDifference {
                renderNode(child, depth: 0, into: &out)
            }
        }
        return out.text
    }

    private func renderSummary(_ report: DiffReport, into out: inout TextBuffer) {
        out.line(out.bold("A: ") + safe(ReportWording.sideLine(report.a)))
        out.line(out.bold("B: ") + safe(ReportWording.sideLine(report.b)))
        let verdict = ReportWording.verdictLine(report)
        let painted = report.verdict == .different ? out.paint(verdict, .red) : out.paint(verdict, .green)
        out.line(out.bold("Verdict: ") + painted)
        let causes = ReportWording.causeCounts(report.summary)
        if !causes.isEmpty {
            out.line(out.bold("Causes: ") + causes.map { "\($0.label) \($0.count)" }.joined(separator: ", "))
        }
        if let first = ReportWording.firstDifference(report.summary) {
            out.line(out.bold("First difference: ") + safe(first))
        }
        if !report.ignoredClasses.isEmpty || !report.ignoredPaths.isEmpty {
            let ignored = report.ignoredClasses.map(\.rawValue) + report.ignoredPaths
            out.line(out.bold("Ignored: ") + safe(ignored.joined(separator: ", ")))
        }
    }

    private func renderLayerTable(_ report: DiffReport, into out: inout TextBuffer) {
        out.line("")
        out.line(out.bold("Layers"))
        let statusByIndex = Dictionary(
            report.root.children.filter { $0.kind == .layer }.compactMap { node in
                node.layer.map { ($0.index, node) }
            }, uniquingKeysWith: { first, _ in first })
        let rows: [[String]] = report.layers.map { info in
            let node = statusByIndex[info.index]
            let status = node.map(ReportWording.layerStatus) ?? "identical"
            let causes = node.map { $0.effectiveCauses.map(\.kind.rawValue).joined(separator: ",") } ?? ""
            return ["\(info.index)", status, ReportWording.shortDigest(info.digestA),
                    ReportWording.shortDigest(info.digestB),
                    info.differingEntries == 0 ? "" : "\(info.differingEntries)",
                    safe(node?.step.map { $0.shortDescription } ?? ""), causes]
        }
        let header = ["#", "status", "A", "B", "files", "step", "causes"]
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < 5 { widths[i] = max(widths[i], cell.count) } }
        func format(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                i < 5 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) : cell
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        out.line("  " + out.dim(format(header)))
        for row in rows {
            let text = format(row)
            out.line("  " + (row[1] == "identical" ? out.dim(text) : text))
        }
    }

    private func renderNode(_ node: DifferenceNode, depth: Int, into out: inout TextBuffer) {
        let indent = String(repeating: "  ", count: depth + 1)
        var heading = out.bold(safe(title(of: node)))
        if node.status != .changed { heading += " " + out.paint("[\(ReportWording.status(node.status))]", .yellow) }
        if let values = ReportWording.values(node) { heading += ": " + safe(values) }
        out.line(indent + heading)
        if let step = node.step, node.kind == .layer || depth == 0 {
            out.line(indent + "  " + out.dim(safe(step.shortDescription)))
        }
        for cause in node.causes {
            out.line(indent + "  " + out.paint("cause: \(cause.kind.label)", .cyan)
                     + out.dim(" (\(cause.confidence.rawValue)) \(safe(cause.evidence))"))
        }
        if let detail = node.detail { renderDetail(detail, indent: indent + "  ", into: &out) }
        let visible = node.children.filter(\.isDifference)
        if let maxDepth = options.maxDepth, depth + 1 >= maxDepth {
            if !visible.isEmpty { out.line(indent + "  " + out.dim("… \(visible.count) more below (max depth)")) }
            return
        }
        for child in visible { renderNode(child, depth: depth + 1, into: &out) }
        if node.omittedChildren > 0 {
            out.line(indent + "  " + out.dim("… \(node.omittedChildren) more not compared (limit)"))
        }
    }

    /// Names, paths and contents come from the images compared, which anyone may have made:
    /// their control characters are shown escaped, before this presenter adds its colours.
    private func safe(_ text: String) -> String { DisplayText.escaped(text) }

    private func title(of node: DifferenceNode) -> String {
        switch node.kind {
        case .layer: return node.name
        case .content: return "content" + (node.comparator.map { " (\($0))" } ?? "")
        default: return node.name
        }
    }

    private func renderDetail(_ detail: Detail, indent: String, into out: inout TextBuffer) {
        let shown = detail.lines.prefix(options.maxLines)
        for line in shown {
            switch line.kind {
            case .added: out.line(indent + out.paint("+" + safe(line.text), .green))
            case .removed: out.line(indent + out.paint("-" + safe(line.text), .red))
            case .header: out.line(indent + out.paint(safe(line.text), .cyan))
            case .context: out.line(indent + " " + safe(line.text))
            }
        }
        let omitted = detail.lines.count - shown.count + detail.omittedLines
        if omitted > 0 { out.line(indent + out.dim("… \(omitted) more lines")) }
    }
}

/// Accumulates lines, with ANSI styling when colour is on.
struct TextBuffer {
    enum Colour: String {
        case red = "31", green = "32", yellow = "33", cyan = "36"
    }

    let color: Bool
    private(set) var text = ""

    init(color: Bool) { self.color = color }

    mutating func line(_ line: String) {
        text += line
        text += "\n"
    }

    func paint(_ text: String, _ colour: Colour) -> String {
        color ? "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String { color ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
    func dim(_ text: String) -> String { color ? "\u{1B}[2m\(text)\u{1B}[0m" : text }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
