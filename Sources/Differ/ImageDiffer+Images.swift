import BuildJournal
import ContentStore
import DifferenceModel
import Foundation
import OCIImage

/// Images: manifest and config by key, then layers paired by step or position.
extension ImageDiffer {
    func compareImages(_ a: ImageSide, _ b: ImageSide, context: ContentContext) throws -> DifferenceNode {
        var root = DifferenceNode(kind: .root, name: "image")
        if let manifest = manifestNode(a, b, context: context) { root.children.append(manifest) }
        if a.manifest.config.digest != b.manifest.config.digest,
           let config = configNode(a, b, context: context) {
            root.children.append(config)
        }
        if let inputs = BuildAttribution.inputsNode(a.build, b.build, maxDetailLines: options.maxDetailLines) { root.children.append(inputs) }
        let pairs = LayerPairing.pairs(a, b)
        for (index, pair) in pairs.enumerated() {
            context.statistics.startLayerPair(index, of: pairs.count)
            root.children.append(try layerNode(pair, a, b, context: context))
        }
        context.statistics.startLayerPair(pairs.count, of: pairs.count)
        BuildAttribution.applyBaseImageDrift(to: &root, a, b)
        VariationAttribution.apply(to: &root, a.build, b.build)
        return root
    }

    /// The manifest's own fields (annotations, media types); config and layers have their nodes.
    private func manifestNode(_ a: ImageSide, _ b: ImageSide, context: ContentContext) -> DifferenceNode? {
        guard a.manifestDigest != b.manifestDigest else { return nil }
        var diff = JSONDiff(limit: 100, skipped: [".layers", ".config"])
        diff.compare(JSONDiff.parse(a.manifestData), JSONDiff.parse(b.manifestData))
        guard !diff.nodes.isEmpty else { return nil }
        return DifferenceNode(kind: .manifest, name: "manifest", a: a.manifestDigest.description,
                              b: b.manifestDigest.description, children: classified(diff.nodes, context),
                              omittedChildren: diff.omitted)
    }

    /// Config keys, `rootfs.diff_ids` left to the layer nodes.
    private func configNode(_ a: ImageSide, _ b: ImageSide, context: ContentContext) -> DifferenceNode? {
        var diff = JSONDiff(limit: 200, skipped: [".rootfs.diff_ids"])
        diff.compare(JSONDiff.parse(a.configData), JSONDiff.parse(b.configData))
        guard !diff.nodes.isEmpty else { return nil }
        return DifferenceNode(kind: .config, name: "image configuration", a: a.manifest.config.digest.description,
                              b: b.manifest.config.digest.description, children: classified(diff.nodes, context),
                              omittedChildren: diff.omitted)
    }

    private func classified(_ nodes: [DifferenceNode], _ context: ContentContext) -> [DifferenceNode] {
        nodes.map { node in
            var node = node
            if node.causes.isEmpty, let a = node.a, let b = node.b {
                for cause in context.classifier.classifyContent(Data(a.utf8), Data(b.utf8)) { node.addCause(cause) }
            }
            return node
        }
    }

    private func layerNode(_ pair: LayerPairing.Pair, _ a: ImageSide, _ b: ImageSide,
                           context: ContentContext) throws -> DifferenceNode {
        let layerA = pair.a.map { a.manifest.layers[$0] }
        let layerB = pair.b.map { b.manifest.layers[$0] }
        let diffIDA = pair.a.flatMap { a.configuration.rootfs.diffIDs.indices.contains($0) ? a.configuration.rootfs.diffIDs[$0] : nil }
        let diffIDB = pair.b.flatMap { b.configuration.rootfs.diffIDs.indices.contains($0) ? b.configuration.rootfs.diffIDs[$0] : nil }
        let info = LayerInfo(index: pair.a ?? pair.b ?? 0, digestA: layerA?.digest.description,
                             digestB: layerB?.digest.description, diffIDA: diffIDA?.description,
                             diffIDB: diffIDB?.description, sizeA: layerA?.size, sizeB: layerB?.size,
                             mediaTypeA: layerA?.mediaType, mediaTypeB: layerB?.mediaType,
                             pairing: pair.byStep ? .step : .position)
        var node = DifferenceNode(kind: .layer, name: "layer \(info.index)", layer: info)
        let stepA = layerA.flatMap { a.build?.step(forLayer: $0.digest, diffID: diffIDA) }
        let stepB = layerB.flatMap { b.build?.step(forLayer: $0.digest, diffID: diffIDB) }
        if let step = stepA ?? stepB, let build = stepA != nil ? a.build : b.build {
            node.step = BuildAttribution.reference(step, build: build)
        }
        guard let layerA, let layerB else {
            node.status = layerA == nil ? .added : .removed
            node.a = layerA.map { "\($0.size) bytes" }
            node.b = layerB.map { "\($0.size) bytes" }
            return node
        }
        if layerA.digest == layerB.digest {
            node.status = .identical
            return node
        }
        if let diffIDA, diffIDA == diffIDB {
            node.addCause(Cause(.compression, .certain,
                                evidence: "the same uncompressed layer (\(diffIDA.short)) compressed differently"))
            return node
        }
        let sourceA = ArchiveSource(path: try a.blobPath(layerA.digest), label: "A layer \(info.index)")
        let sourceB = ArchiveSource(path: try b.blobPath(layerB.digest), label: "B layer \(info.index)")
        let outcome = try EntryComparer(context: context).compare(sourceA, sourceB, concurrently: true)
        node.children = outcome.children
        node.omittedChildren = outcome.omitted
        if node.children.isEmpty && outcome.ignored > 0 {
            node.status = .identical
        } else if node.children.isEmpty {
            node.addCause(Cause(.compression, .likely,
                                evidence: "every entry is the same; the tar framing or compression differs"))
        }
        BuildAttribution.attribute(&node, stepA: stepA, stepB: stepB, buildA: a.build, buildB: b.build)
        return node
    }
}

/// Which layer of A goes with which of B.
enum LayerPairing {
    struct Pair {
        var a: Int?
        var b: Int?
        var byStep: Bool
    }

    /// By the step that made them when both are journal builds (a step that produced no layer in
    /// one build does not shift the others); by position otherwise.
    static func pairs(_ a: ImageSide, _ b: ImageSide) -> [Pair] {
        let countA = a.manifest.layers.count
        let countB = b.manifest.layers.count
        guard let buildA = a.build, let buildB = b.build else {
            return (0..<max(countA, countB)).map {
                Pair(a: $0 < countA ? $0 : nil, b: $0 < countB ? $0 : nil, byStep: false)
            }
        }
        func stepIndex(_ image: ImageSide, _ build: BuildFacts, _ index: Int) -> Int? {
            let diffIDs = image.configuration.rootfs.diffIDs
            return build.step(forLayer: image.manifest.layers[index].digest,
                              diffID: index < diffIDs.count ? diffIDs[index] : nil)?.index
        }
        let stepsA = (0..<countA).map { stepIndex(a, buildA, $0) }
        let stepsB = (0..<countB).map { stepIndex(b, buildB, $0) }
        var pairs: [Pair] = []
        var usedB = Set<Int>()
        let baseB = (0..<countB).filter { stepsB[$0] == nil }
        var baseCursor = 0
        for index in 0..<countA {
            if let step = stepsA[index], let match = (0..<countB).first(where: { stepsB[$0] == step && !usedB.contains($0) }) {
                pairs.append(Pair(a: index, b: match, byStep: true))
                usedB.insert(match)
            } else if stepsA[index] == nil, baseCursor < baseB.count {
                pairs.append(Pair(a: index, b: baseB[baseCursor], byStep: false))
                usedB.insert(baseB[baseCursor])
                baseCursor += 1
            } else {
                pairs.append(Pair(a: index, b: nil, byStep: stepsA[index] != nil))
            }
        }
        for index in 0..<countB where !usedB.contains(index) {
            pairs.append(Pair(a: nil, b: index, byStep: stepsB[index] != nil))
        }
        return pairs
    }
}
