/// Counts for the top of a report: what differs, how much, and why.
public struct DiffSummary: Codable, Sendable, Hashable {
    public struct CauseCount: Codable, Sendable, Hashable {
        public var cause: CauseKind
        /// Differing entries and fields that name this cause.
        public var count: Int

        public init(cause: CauseKind, count: Int) {
            self.cause = cause
            self.count = count
        }
    }

    public var differingLayers: Int
    public var identicalLayers: Int
    /// Layer entries (files) that differ, nested archive members not counted.
    public var differingEntries: Int
    /// Differing image config and manifest fields.
    public var differingFields: Int
    /// Most frequent first.
    public var causes: [CauseCount]
    /// Differing entries and fields with no cause named.
    public var unexplained: Int
    /// The lowest layer index that differs.
    public var firstDifferingLayer: Int?
    /// The step that made that layer, when known.
    public var firstDifferingStep: StepReference?

    public init(differingLayers: Int = 0, identicalLayers: Int = 0, differingEntries: Int = 0,
                differingFields: Int = 0, causes: [CauseCount] = [], unexplained: Int = 0,
                firstDifferingLayer: Int? = nil, firstDifferingStep: StepReference? = nil) {
        self.differingLayers = differingLayers
        self.identicalLayers = identicalLayers
        self.differingEntries = differingEntries
        self.differingFields = differingFields
        self.causes = causes
        self.unexplained = unexplained
        self.firstDifferingLayer = firstDifferingLayer
        self.firstDifferingStep = firstDifferingStep
    }

    /// Counts a finished tree. An "item" is a top-level entry of a layer (or of the root when
    /// there are no layers) or a field of the manifest or config; deeper nodes only lend it causes.
    public init(tree root: DifferenceNode) {
        self.init()
        var counts: [CauseKind: Int] = [:]
        func count(_ item: DifferenceNode) {
            let causes = item.effectiveCauses
            if causes.isEmpty { unexplained += 1 }
            for kind in Set(causes.map(\.kind)) { counts[kind, default: 0] += 1 }
        }
        func visitItems(of node: DifferenceNode) {
            for child in node.children where child.isDifference {
                switch child.kind {
                case .layer:
                    visitItems(of: child)
                    if child.children.isEmpty && !child.causes.isEmpty { count(child) }
                case .manifest, .config:
                    for field in child.children where field.isDifference {
                        differingFields += 1
                        count(field)
                    }
                case .entry:
                    differingEntries += 1
                    count(child)
                case .field, .content, .section:
                    differingFields += 1
                    count(child)
                case .root, .note:
                    break
                }
            }
        }
        visitItems(of: root)
        for layer in root.children where layer.kind == .layer {
            if layer.isDifference {
                differingLayers += 1
                if firstDifferingLayer == nil {
                    firstDifferingLayer = layer.layer?.index
                    firstDifferingStep = layer.step
                }
            } else {
                identicalLayers += 1
            }
        }
        causes = counts.map { CauseCount(cause: $0.key, count: $0.value) }
            .sorted { ($0.count, $1.cause) > ($1.count, $0.cause) }
    }
}
