import DifferenceModel

/// Drops differences whose every cause the caller chose to ignore (`--ignore CLASS`).
///
/// A node with causes, all ignored, goes with its children (they detail the same difference).
/// A node whose children all went, and that has no difference of its own left, goes too. Layer
/// nodes stay for the table, marked identical when nothing under them is left.
struct IgnoreFilter {
    let ignored: Set<CauseKind>

    func apply(_ root: DifferenceNode) -> DifferenceNode {
        guard !ignored.isEmpty else { return root }
        var root = root
        root.children = root.children.compactMap { child in
            guard child.kind == .layer else { return filter(child) }
            guard let filtered = filter(child) else {
                var equivalent = child
                equivalent.status = .identical
                equivalent.children = []
                equivalent.causes = []
                return equivalent
            }
            return filtered
        }
        return root
    }

    private func filter(_ node: DifferenceNode) -> DifferenceNode? {
        guard node.isDifference else { return node }
        if !node.causes.isEmpty && node.causes.allSatisfy({ ignored.contains($0.kind) }) { return nil }
        var result = node
        let before = node.children.filter(\.isDifference).count
        result.children = node.children.compactMap(filter)
        let after = result.children.filter(\.isDifference).count
        if before > 0 && after == 0 && node.omittedChildren == 0 {
            // Only field-like leaves carry their own difference; containers are emptied out.
            if node.kind != .field || node.a == node.b { return nil }
        }
        return result
    }
}
