import BuildJournal
import DifferenceModel

/// A replay or verify run under variations (hostname, umask, time…): every difference in a layer
/// made by a step that ran under a variation the other side did not have gets that variation as
/// a cause, with the values as evidence, so no difference a variation exposed stays unexplained.
enum VariationAttribution {
    /// The variations one build ran under and the other did not (or with another value).
    static func varied(_ a: BuildFacts, _ b: BuildFacts) -> [(key: String, a: String?, b: String?)] {
        var recordA = a.record.variations
        var recordB = b.record.variations
        // Steps keep the variations they ran under too (a record from before builds kept them).
        for step in a.steps { recordA.merge(step.variations) { first, _ in first } }
        for step in b.steps { recordB.merge(step.variations) { first, _ in first } }
        return Set(recordA.keys).union(recordB.keys).sorted().compactMap { key in
            recordA[key] == recordB[key] ? nil : (key, recordA[key], recordB[key])
        }
    }

    /// Adds the cause beside every cause already named below `node` (so the variation stands
    /// next to what a classifier saw, e.g. the hostname in a file's content); false when no
    /// node there had a cause.
    static func attach(_ cause: Cause, to node: inout DifferenceNode) -> Bool {
        var attached = false
        if !node.causes.isEmpty {
            // Beside a cause a classifier named, the variation is circumstance: it comes after.
            node.addCause(Cause(cause.kind, .possible, evidence: cause.evidence))
            attached = true
        }
        for index in node.children.indices where node.children[index].isDifference {
            if attach(cause, to: &node.children[index]) { attached = true }
        }
        return attached
    }

    static func apply(to root: inout DifferenceNode, _ a: BuildFacts?, _ b: BuildFacts?) {
        guard let a, let b else { return }
        let varied = varied(a, b)
        guard !varied.isEmpty else { return }
        let evidence = varied.map { "\($0.key)=\($0.b ?? "unset") in B (\($0.a ?? "unset") in A)" }.joined(separator: ", ")
        let side = b.record.kind == .replay ? "the replay" : "B"
        let cause = Cause(.variation, .likely, evidence: "\(side) ran under variation\(varied.count == 1 ? "" : "s") \(evidence)")
        for index in root.children.indices where root.children[index].kind == .layer {
            guard root.children[index].isDifference, root.children[index].step != nil else { continue }
            root.children[index].addCause(root.children[index].causes.isEmpty ? cause
                                          : Cause(cause.kind, .possible, evidence: cause.evidence))
            for child in root.children[index].children.indices where root.children[index].children[child].isDifference {
                if !attach(cause, to: &root.children[index].children[child]) {
                    root.children[index].children[child].addCause(cause)
                }
            }
        }
        // Config differences (history, created…) under a variation, too.
        for index in root.children.indices where root.children[index].kind == .config
            && root.children[index].name != "build inputs" && root.children[index].isDifference {
            root.children[index].addCause(cause)
        }
    }
}
