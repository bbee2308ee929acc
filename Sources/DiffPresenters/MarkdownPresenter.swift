import DifferenceModel
import DisplayText

/// GitHub-flavoured Markdown: summary, layer table, then one section per differing layer with
/// files as list items and diffs in fenced blocks (for pull requests and issue reports).
public struct MarkdownPresenter: DiffPresenter {
    public var options: PresentationOptions

    public init(options: PresentationOptions = PresentationOptions()) {
        self.options = options
    }

    public func render(_ report: DiffReport) -> String {
        var md = "# Reprise diff\n\n"
        md += "- **A:** \(inline(ReportWording.sideLine(report.a)))\n"
        md += "- **B:** \(inline(ReportWording.sideLine(report.b)))\n"
        md += "- **Verdict:** \(inline(ReportWording.verdictLine(report)))\n"
        let causes = ReportWording.causeCounts(report.summary)
        if !causes.isEmpty {
            md += "- **Causes:** " + causes.map { "\($0.label) \($0.count)" }.joined(separator: ", ") + "\n"
        }
        if let first = ReportWording.firstDifference(report.summary) {
            md += "- **First difference:** \(inline(first))\n"
        }
        if !report.layers.isEmpty { md += "\n" + layerTable(report) }
        for node in report.root.children where node.isDifference {
            md += "\n## \(inline(node.name))\n\n"
            if let step = node.step { md += "Step: \(inline(step.shortDescription))\n\n" }
            for cause in node.causes { md += "- cause **\(cause.kind.label)**: \(inline(cause.evidence))\n" }
            for child in node.children where child.isDifference { md += item(child, depth: 0) }
            if node.children.isEmpty, let detail = node.detail { md += fence(detail, indent: "") }
        }
        // Names and contents come from the images compared; Markdown is often read in a
        // terminal first. This presenter emits no control characters of its own (inline text
        // already has its newlines folded), so escaping the whole document is exact.
        return DisplayText.escaped(md, keepingLineBreaks: true)
    }

    private func layerTable(_ report: DiffReport) -> String {
        let nodes = Dictionary(report.root.children.filter { $0.kind == .layer }
            .compactMap { node in node.layer.map { ($0.index, node) } }, uniquingKeysWith: { a, _ in a })
        var md = "| # | status | A | B | files | step | causes |\n|---|---|---|---|---|---|---|\n"
        for info in report.layers {
            let node = nodes[info.index]
            let cells = ["\(info.index)", node.map(ReportWording.layerStatus) ?? "identical",
                         "`\(ReportWording.shortDigest(info.digestA))`", "`\(ReportWording.shortDigest(info.digestB))`",
                         info.differingEntries == 0 ? "" : "\(info.differingEntries)",
                         node?.step.map { cell($0.shortDescription) } ?? "",
                         node?.effectiveCauses.map(\.kind.label).joined(separator: ", ") ?? ""]
            md += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return md
    }

    private func item(_ node: DifferenceNode, depth: Int) -> String {
        let indent = String(repeating: "  ", count: depth)
        var md = indent + "- `\(code(node.kind == .content ? "content (\(node.comparator ?? "bytes"))" : node.name))`"
        if node.status == .added || node.status == .removed { md += " *\(ReportWording.status(node.status))*" }
        if let values = ReportWording.values(node) { md += ": \(inline(values))" }
        if !node.causes.isEmpty {
            md += " — " + node.causes.map { "**\($0.kind.label)** (\(inline($0.evidence)))" }.joined(separator: "; ")
        }
        md += "\n"
        if let detail = node.detail { md += fence(detail, indent: indent + "  ") }
        if let maxDepth = options.maxDepth, depth + 1 >= maxDepth {
            let hidden = node.children.filter(\.isDifference).count
            if hidden > 0 { md += indent + "  - … \(hidden) more below\n" }
            return md
        }
        for child in node.children where child.isDifference { md += item(child, depth: depth + 1) }
        return md
    }

    private func fence(_ detail: Detail, indent: String) -> String {
        var longestRun = 2
        for line in detail.lines {
            var run = 0
            for character in line.text { run = character == "`" ? run + 1 : 0; longestRun = max(longestRun, run) }
        }
        let marker = String(repeating: "`", count: longestRun + 1)
        var md = indent + marker + (detail.format == .unifiedDiff ? "diff" : "") + "\n"
        let shown = detail.lines.prefix(options.maxLines)
        for line in shown {
            let prefix: String
            switch line.kind {
            case .added: prefix = "+"
            case .removed: prefix = "-"
            case .context: prefix = " "
            case .header: prefix = ""
            }
            md += indent + prefix + line.text + "\n"
        }
        let omitted = detail.lines.count - shown.count + detail.omittedLines
        if omitted > 0 { md += indent + "… \(omitted) more lines\n" }
        return md + indent + marker + "\n"
    }

    /// Text in running Markdown: characters that would start markup are escaped.
    private func inline(_ text: String) -> String {
        var result = ""
        for character in text {
            if "\\`*_[]<>|#".contains(character) { result.append("\\") }
            result.append(character == "\n" ? " " : character)
        }
        return result
    }

    private func cell(_ text: String) -> String { inline(text) }

    /// Text inside a code span: backticks cannot be escaped there, so they become a lookalike.
    private func code(_ text: String) -> String {
        String(text.map { $0 == "`" ? "ˋ" : ($0 == "\n" ? " " : $0) })
    }
}
