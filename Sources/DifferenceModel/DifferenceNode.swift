/// One node of the difference tree: an image, a layer, a file, a header field, a section of a
/// file's content. Children explain their parent in more detail.
///
/// Nodes are plain values; comparators build them and presenters walk them, and neither knows
/// the other.
public struct DifferenceNode: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        /// The whole comparison (two images, two layers, two directories).
        case root
        /// An image index or manifest.
        case manifest
        /// An image configuration.
        case config
        /// One named value: a config key, a tar header field, a JSON key.
        case field
        /// A pair of layers.
        case layer
        /// A file, directory, link or other entry (in a layer, a directory or a nested archive).
        case entry
        /// A file's content, compared by one comparator.
        case content
        /// A part of a content: an ELF section, a text hunk, a byte range.
        case section
        /// A remark that is not a difference in itself (truncation, a limit reached).
        case note
    }

    public enum Status: String, Codable, Sendable, Hashable {
        case changed
        /// Only in B.
        case added
        /// Only in A.
        case removed
        /// The same on both sides (kept only for the layer table).
        case identical
    }

    public var kind: Kind
    /// What this node is about: `layer 2`, `/etc/hostname`, `mtime`, `config.Env`, `.comment`.
    public var name: String
    public var status: Status
    /// A short rendering of each side's value, when the node has one.
    public var a: String?
    public var b: String?
    /// The comparator that produced the children (`text`, `json`, `elf`, `binary`, `tar`, …).
    public var comparator: String?
    /// Lines that show the difference: a unified diff, a hexdump.
    public var detail: Detail?
    /// Why it differs, strongest first.
    public var causes: [Cause]
    /// The build step whose layer holds this difference.
    public var step: StepReference?
    /// For layer nodes: the layer table row.
    public var layer: LayerInfo?
    public var children: [DifferenceNode]
    /// Children left out because a limit was reached (`maxEntries`, `maxDepth`).
    public var omittedChildren: Int

    public init(kind: Kind, name: String, status: Status = .changed, a: String? = nil, b: String? = nil,
                comparator: String? = nil, detail: Detail? = nil, causes: [Cause] = [],
                step: StepReference? = nil, layer: LayerInfo? = nil, children: [DifferenceNode] = [],
                omittedChildren: Int = 0) {
        self.kind = kind
        self.name = name
        self.status = status
        self.a = a
        self.b = b
        self.comparator = comparator
        self.detail = detail
        self.causes = causes
        self.step = step
        self.layer = layer
        self.children = children
        self.omittedChildren = omittedChildren
    }

    /// True when this node or anything under it records a difference.
    public var isDifference: Bool { status != .identical }

    /// The causes of this node and of everything under it, each kind once with its strongest
    /// confidence, strongest first.
    public var effectiveCauses: [Cause] {
        var strongest: [CauseKind: Cause] = [:]
        func collect(_ node: DifferenceNode) {
            for cause in node.causes {
                if let known = strongest[cause.kind], known.confidence <= cause.confidence { continue }
                strongest[cause.kind] = cause
            }
            for child in node.children where child.isDifference { collect(child) }
        }
        collect(self)
        return strongest.values.sorted { ($0.confidence, $0.kind) < ($1.confidence, $1.kind) }
    }

    /// Visits this node and every descendant, depth first, with its depth (0 for self).
    public func walk(depth: Int = 0, _ visit: (DifferenceNode, Int) throws -> Void) rethrows {
        try visit(self, depth)
        for child in children { try child.walk(depth: depth + 1, visit) }
    }

    /// Adds a cause unless one of the same kind is already there.
    public mutating func addCause(_ cause: Cause) {
        guard !causes.contains(where: { $0.kind == cause.kind }) else { return }
        causes.append(cause)
        causes.sort { ($0.confidence, $0.kind) < ($1.confidence, $1.kind) }
    }
}

/// Lines that show a difference.
public struct Detail: Codable, Sendable, Hashable {
    public enum Format: String, Codable, Sendable, Hashable {
        case unifiedDiff = "unified-diff"
        case hexdump
        case text
    }

    public enum LineKind: String, Codable, Sendable, Hashable {
        case context
        /// Only in A.
        case removed
        /// Only in B.
        case added
        /// A hunk header (`@@ -1,3 +1,3 @@`) or a heading.
        case header
    }

    public struct Line: Codable, Sendable, Hashable {
        public var kind: LineKind
        public var text: String

        public init(_ kind: LineKind, _ text: String) {
            self.kind = kind
            self.text = text
        }
    }

    public var format: Format
    public var lines: [Line]
    /// Lines left out past the limit.
    public var omittedLines: Int

    public init(format: Format, lines: [Line], omittedLines: Int = 0) {
        self.format = format
        self.lines = lines
        self.omittedLines = omittedLines
    }
}
