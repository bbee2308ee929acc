import DifferenceModel

/// One self-contained HTML page: the verdict and cause counts, a layer table, then each
/// differing layer's files with cause badges and their diffs. Every value is escaped; no
/// scripts, no external resources.
public struct HTMLPresenter: DiffPresenter {
    public var options: PresentationOptions
    public var title: String

    public init(options: PresentationOptions = PresentationOptions(), title: String = "Reprise diff") {
        self.options = options
        self.title = title
    }

    public func render(_ report: DiffReport) -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        html += "<title>\(escape(title))</title><style>\(HTMLStyle.css)</style></head><body>\n"
        html += "<header><h1>\(escape(title))</h1>"
        html += "<p class=\"sides\"><span class=\"side\">A</span> \(escape(ReportWording.sideLine(report.a)))<br>"
        html += "<span class=\"side\">B</span> \(escape(ReportWording.sideLine(report.b)))</p>"
        html += "<p class=\"verdict \(report.verdict.rawValue)\">\(escape(ReportWording.verdictLine(report)))</p>"
        html += summaryHTML(report) + "</header>\n" + filterBar(report) + "<main>\n"
        if !report.layers.isEmpty { html += layerTable(report) }
        let details = report.root.children.filter(\.isDifference)
        if !details.isEmpty {
            html += "<h2>Differences</h2>\n"
            if details.allSatisfy({ $0.kind == .entry }) {
                // Two directories or layers: the entries themselves, folded by directory.
                var files = DifferenceNode(kind: .layer, name: "Files", children: details)
                files.omittedChildren = report.root.omittedChildren
                html += section(files)
            } else {
                for node in details { html += section(node) }
            }
        }
        html += "</main><footer>Statistics: \(report.statistics.layerReads) layer reads, "
        html += "\(escape(ReportWording.size(report.statistics.bytesRead))) streamed, "
        html += "\(report.statistics.entriesCompared) entries compared</footer>\n</body></html>\n"
        return html
    }

    private func summaryHTML(_ report: DiffReport) -> String {
        var html = "<div class=\"summary\">"
        for row in ReportWording.causeCounts(report.summary) {
            html += "<span class=\"badge \(row.kind?.rawValue ?? "unexplained")\">"
            html += "\(escape(row.label)) <b>\(row.count)</b></span> "
        }
        html += "</div>"
        if let first = ReportWording.firstDifference(report.summary) {
            html += "<p class=\"first\">First difference: \(escape(first))</p>"
        }
        return html
    }

    private func layerTable(_ report: DiffReport) -> String {
        let nodes = Dictionary(report.root.children.filter { $0.kind == .layer }
            .compactMap { node in node.layer.map { ($0.index, node) } }, uniquingKeysWith: { a, _ in a })
        var html = "<h2>Layers</h2>\n<table class=\"layers\"><thead><tr><th>#</th><th>status</th>"
        html += "<th>A</th><th>B</th><th>size A / B</th><th>files</th><th>step</th><th>causes</th></tr></thead><tbody>\n"
        for info in report.layers {
            let node = nodes[info.index]
            let status = node.map(ReportWording.layerStatus) ?? "identical"
            let rowClass = status == "identical" || status == "equivalent" ? "same" : "differs"
            html += "<tr class=\"\(rowClass)\"><td>\(info.index)</td><td>\(escape(status))</td>"
            html += "<td><code title=\"\(escape(info.digestA ?? ""))\">\(escape(ReportWording.shortDigest(info.digestA)))</code></td>"
            html += "<td><code title=\"\(escape(info.digestB ?? ""))\">\(escape(ReportWording.shortDigest(info.digestB)))</code></td>"
            html += "<td class=\"size\">\(escape(ReportWording.size(info.sizeA))) / \(escape(ReportWording.size(info.sizeB)))</td>"
            html += "<td>\(info.differingEntries == 0 ? "" : "<a href=\"#layer-\(info.index)\">\(info.differingEntries)</a>")</td>"
            html += "<td>\(node?.step.map(stepHTML) ?? "")</td><td>\(badges(node?.effectiveCauses ?? []))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    /// A layer (or the manifest, the config) folds open and shut; within it, entries under the
    /// same top directory fold together when there are several.
    private func section(_ node: DifferenceNode) -> String {
        var html = "<section\(causeClasses(node))"
        if let index = node.layer?.index { html += " id=\"layer-\(index)\"" }
        html += "><details open><summary><h3>\(escape(node.name))"
        if let step = node.step { html += " <span class=\"step\">\(stepHTML(step))</span>" }
        html += "</h3></summary>\n"
        if !node.causes.isEmpty { html += "<p>\(badges(node.causes, evidence: true))</p>" }
        let children = node.children.filter(\.isDifference)
        if children.isEmpty, let detail = node.detail { html += detailHTML(detail) }
        if !children.isEmpty {
            html += "<ul class=\"entries\">\n"
            var groups: [(String, [DifferenceNode])] = []
            for child in children {
                let top = child.kind == .entry ? Self.topDirectory(child.name) : ""
                if let last = groups.indices.last, groups[last].0 == top, !top.isEmpty {
                    groups[last].1.append(child)
                } else {
                    groups.append((top, [child]))
                }
            }
            for (directory, members) in groups {
                if members.count < 2 || directory.isEmpty {
                    for child in members { html += item(child, depth: 1) }
                } else {
                    let causes = Set(members.flatMap { $0.effectiveCauses.map(\.kind.rawValue) }).sorted()
                    html += "<li class=\"folder\(causes.map { " c-" + $0 }.joined())\"><details><summary>"
                    let shown = Self.commonDirectory(members.map(\.name))
                    html += "<span class=\"name\">\(escape(shown.isEmpty ? directory : shown))/</span> <span class=\"count\">\(members.count) entries</span> "
                    html += badges(Self.distinctCauses(members)) + "</summary><ul>\n"
                    for child in members { html += item(child, depth: 1) }
                    html += "</ul></details></li>\n"
                }
            }
            html += "</ul>\n"
        }
        if node.omittedChildren > 0 {
            html += "<p class=\"more\">… \(node.omittedChildren) more not compared (the --max-entries cap)</p>"
        }
        return html + "</details></section>\n"
    }

    /// `usr/lib/x.so` → `usr`; a top-level entry has none.
    static func topDirectory(_ path: String) -> String {
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        guard let slash = trimmed.firstIndex(of: "/") else { return "" }
        return String(trimmed[..<slash])
    }

    /// The deepest directory holding all of `paths` (`srv/app/conf` for its three files; `srv`
    /// when `srv` itself is one of them), so a folded group names where its entries are, not
    /// only their top directory. Groups have two entries or more, so the longest common prefix
    /// of whole paths is always a directory.
    static func commonDirectory(_ paths: [String]) -> String {
        let directories = paths.map { path -> [Substring] in
            (path.hasPrefix("/") ? path.dropFirst() : Substring(path)).split(separator: "/")
        }
        guard var common = directories.first else { return "" }
        for parts in directories.dropFirst() {
            common = Array(zip(common, parts).prefix { $0 == $1 }.map(\.0))
        }
        return common.joined(separator: "/")
    }

    /// One cause of each kind among `nodes`, for a folded group's summary.
    static func distinctCauses(_ nodes: [DifferenceNode]) -> [Cause] {
        var seen = Set<String>()
        return nodes.flatMap(\.effectiveCauses).filter { seen.insert($0.kind.rawValue).inserted }
    }

    /// ` class="c-timestamp c-hostname"`: what the cause filter matches on.
    private func causeClasses(_ node: DifferenceNode) -> String {
        let kinds = Set(node.effectiveCauses.map(\.kind.rawValue)).sorted()
        return kinds.isEmpty ? " class=\"c-unexplained\"" : " class=\"\(kinds.map { "c-" + $0 }.joined(separator: " "))\""
    }

    /// Radio buttons and the CSS that hides what lacks the chosen cause: filtering without a
    /// script (the page stays script-free).
    private func filterBar(_ report: DiffReport) -> String {
        let rows = ReportWording.causeCounts(report.summary)
        guard rows.count > 1 else { return "" }
        var css = ""
        var html = "<input type=\"radio\" name=\"cause\" id=\"f-all\" class=\"filter\" checked>"
        var labels = "<label for=\"f-all\">all</label>"
        for row in rows {
            let kind = row.kind?.rawValue ?? "unexplained"
            html += "<input type=\"radio\" name=\"cause\" id=\"f-\(kind)\" class=\"filter\">"
            labels += "<label for=\"f-\(kind)\">\(escape(row.label)) (\(row.count))</label>"
            css += "#f-\(kind):checked ~ main section:not(.c-\(kind)), "
                + "#f-\(kind):checked ~ main ul.entries > li:not(.c-\(kind)) { display: none; }\n"
            css += "#f-\(kind):checked ~ nav label[for=f-\(kind)] { background: var(--fg); color: var(--bg); }\n"
        }
        return "<style>\(css)</style>" + html + "<nav class=\"filters\">Show: \(labels)</nav>\n"
    }

    private func item(_ node: DifferenceNode, depth: Int) -> String {
        let kinds = Set(node.effectiveCauses.map(\.kind.rawValue)).sorted()
        let causeClasses = kinds.isEmpty ? " c-unexplained" : kinds.map { " c-" + $0 }.joined()
        var html = "<li class=\"\(node.kind.rawValue) \(node.status.rawValue)\(causeClasses)\"><span class=\"name\">"
        html += escape(node.kind == .content ? "content (\(node.comparator ?? "bytes"))" : node.name) + "</span>"
        if node.status == .added || node.status == .removed {
            html += " <span class=\"status\">\(escape(ReportWording.status(node.status)))</span>"
        }
        if let values = ReportWording.values(node) {
            html += " <span class=\"values\"><del>\(escape(node.a ?? ""))</del> → <ins>\(escape(node.b ?? ""))</ins></span>"
            _ = values
        }
        html += " " + badges(node.causes, evidence: true)
        if let detail = node.detail { html += detailHTML(detail) }
        let children = node.children.filter(\.isDifference)
        if !children.isEmpty {
            if let maxDepth = options.maxDepth, depth >= maxDepth {
                html += "<p class=\"more\">… \(children.count) more below</p>"
            } else {
                html += "<ul>"
                for child in children { html += item(child, depth: depth + 1) }
                html += "</ul>"
            }
        }
        return html + "</li>\n"
    }

    private func detailHTML(_ detail: Detail) -> String {
        var html = "<pre class=\"detail \(detail.format.rawValue)\">"
        let shown = detail.lines.prefix(options.maxLines)
        for line in shown {
            let prefix: String
            switch line.kind {
            case .added: prefix = "+"
            case .removed: prefix = "-"
            case .context: prefix = " "
            case .header: prefix = ""
            }
            // Each line is a block already: a newline after it would add an empty line.
            html += "<span class=\"\(line.kind.rawValue)\">\(escape(prefix + line.text))</span>"
        }
        let omitted = detail.lines.count - shown.count + detail.omittedLines
        if omitted > 0 { html += "<span class=\"header\">… \(omitted) more lines</span>" }
        return html + "</pre>"
    }

    private func badges(_ causes: [Cause], evidence: Bool = false) -> String {
        causes.map { cause in
            let tip = "\(cause.confidence.rawValue): \(cause.evidence)"
            var html = "<span class=\"badge \(cause.kind.rawValue) \(cause.confidence.rawValue)\" title=\"\(escape(tip))\">"
            html += escape(cause.kind.label) + "</span>"
            if evidence { html += "<span class=\"evidence\">\(escape(cause.evidence))</span>" }
            return html
        }.joined(separator: " ")
    }

    private func stepHTML(_ step: StepReference) -> String {
        var html = "step \(step.index)"
        if let location = step.locationText { html += " <span class=\"loc\">\(escape(location))</span>" }
        return html + " <code>\(escape(step.text.count > 60 ? String(step.text.prefix(57)) + "…" : step.text))</code>"
    }

    /// Escapes for both text and attribute values.
    func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default:
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" {
                    result += "&#x2420;"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
