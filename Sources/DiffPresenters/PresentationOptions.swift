import DifferenceModel

/// What every presenter can be asked to limit.
public struct PresentationOptions: Sendable, Hashable {
    /// Tree levels below the root to show; deeper nodes are counted, not shown. Nil: all.
    public var maxDepth: Int?
    /// Detail lines (diff, hexdump) per node.
    public var maxLines: Int
    /// ANSI colour (text presenter only); off unless asked for.
    public var color: Bool

    public init(maxDepth: Int? = nil, maxLines: Int = 40, color: Bool = false) {
        self.maxDepth = maxDepth
        self.maxLines = maxLines
        self.color = color
    }
}

/// A presenter turns a finished report into text of one format.
public protocol DiffPresenter: Sendable {
    func render(_ report: DiffReport) -> String
}

extension DiffPresenter {
    /// Writes the rendering through `sink` (a file, stdout) in one piece.
    public func render(_ report: DiffReport, into sink: (String) -> Void) {
        sink(render(report))
    }
}

/// Sentences that several presenters share, so all formats say the same thing.
enum ReportWording {
    static func verdictLine(_ report: DiffReport) -> String {
        let summary = report.summary
        switch report.verdict {
        case .identical:
            return "identical"
        case .equivalent:
            return "equivalent (differences only in ignored classes: "
                + report.ignoredClasses.map(\.rawValue).joined(separator: ", ") + ")"
        case .different:
            var parts: [String] = []
            let layerCount = summary.differingLayers + summary.identicalLayers
            if layerCount > 0 { parts.append("\(summary.differingLayers) of \(layerCount) layers") }
            if summary.differingEntries > 0 { parts.append(plural(summary.differingEntries, "entry", "entries")) }
            if summary.differingFields > 0 { parts.append(plural(summary.differingFields, "field", "fields")) }
            let omitted = omittedEntries(report.root)
            let capped = omitted > 0 ? " (and \(plural(omitted, "entry", "entries")) beyond the --max-entries cap, not compared)" : ""
            return (parts.isEmpty ? "different" : "different: " + parts.joined(separator: ", ")) + capped
        }
    }

    /// Entries left out by the per-layer cap, over the whole tree.
    static func omittedEntries(_ node: DifferenceNode) -> Int {
        node.omittedChildren + node.children.reduce(0) { $0 + omittedEntries($1) }
    }

    static func causeCounts(_ summary: DiffSummary) -> [(label: String, count: Int, kind: CauseKind?)] {
        var rows: [(String, Int, CauseKind?)] = summary.causes.map { ($0.cause.label, $0.count, $0.cause) }
        if summary.unexplained > 0 { rows.append(("unexplained", summary.unexplained, nil)) }
        return rows
    }

    static func firstDifference(_ summary: DiffSummary) -> String? {
        guard let layer = summary.firstDifferingLayer else { return nil }
        var text = "layer \(layer)"
        if let step = summary.firstDifferingStep { text += ", " + step.shortDescription }
        return text
    }

    static func sideLine(_ side: DiffReport.Side) -> String {
        var text = "\(side.label) (\(side.kind.rawValue)"
        if let build = side.buildID, build != side.label { text += " \(build)" }
        if let digest = side.digest { text += ", " + shortDigest(digest) }
        return text + ")"
    }

    static func shortDigest(_ digest: String?) -> String {
        guard let digest else { return "-" }
        let hex = digest.hasPrefix("sha256:") ? digest.dropFirst(7) : Substring(digest)
        return String(hex.prefix(12))
    }

    static func size(_ bytes: Int64?) -> String {
        guard let bytes else { return "-" }
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(units[unit])"
    }

    static func plural(_ count: Int, _ one: String, _ many: String) -> String {
        "\(count) \(count == 1 ? one : many)"
    }

    /// `changed`, `only in A`, `only in B`.
    static func status(_ status: DifferenceNode.Status) -> String {
        switch status {
        case .changed: return "changed"
        case .added: return "only in B"
        case .removed: return "only in A"
        case .identical: return "identical"
        }
    }

    static func layerStatus(_ node: DifferenceNode) -> String {
        guard let info = node.layer else { return status(node.status) }
        if node.status == .identical {
            return info.digestA == info.digestB ? "identical" : "equivalent"
        }
        return status(node.status)
    }

    /// `A → B` for a node that has values.
    static func values(_ node: DifferenceNode) -> String? {
        switch (node.a, node.b) {
        case (nil, nil): return nil
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (let a?, let b?): return "\(a) → \(b)"
        }
    }
}
