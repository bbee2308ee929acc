import ContentStore
import DifferenceModel
import Foundation

/// Compares two images, layers or directories and explains the differences.
///
///     let report = try ImageDiffer(options: DiffOptions(ignoredClasses: [.timestamp]))
///         .compare(a: .parse("oci-layout://a:latest"), b: .parse("oci-layout://b:latest"))
///     print(TextPresenter().render(report))
///     exit(report.verdict.exitStatus)
///
/// Equal digests short-circuit at every level: equal manifests cost two small reads, equal
/// layers are never opened, equal file contents are never compared. Layers are streamed (memory
/// grows with the number of entries, not their size); only differing files are fetched again.
public struct ImageDiffer: Sendable {
    public var options: DiffOptions
    /// Told which layer pair is being compared and the bytes read so far.
    public var progress: WorkProgressHandler?

    public init(options: DiffOptions = DiffOptions()) {
        self.options = options
    }

    /// Compares A with B. Throws `DifferError` (or the journal's or OCI module's errors) when an
    /// input cannot be read; a difference is never an error.
    public func compare(a: DiffInput, b: DiffInput) throws -> DiffReport {
        let started = Date()
        let spool = try SpoolDirectory(parent: options.temporaryDirectory ?? NSTemporaryDirectory())
        defer { spool.remove() }
        let statistics = StatisticsCounter(progress: progress)
        let sideA = try ResolvedSide.resolve(a, options: options, spool: spool)
        let sideB = try ResolvedSide.resolve(b, options: options, spool: spool)
        let classifier = Self.classifier(sideA, sideB)
        let context = ContentContext(registry: .standard, options: options, classifier: classifier, depth: 0,
                                     spool: spool, statistics: statistics)

        var root: DifferenceNode
        var identical = false
        switch (sideA, sideB) {
        case (.image(let imageA), .image(let imageB)):
            identical = imageA.manifestDigest == imageB.manifestDigest
            root = identical ? DifferenceNode(kind: .root, name: "image", status: .identical)
                             : try compareImages(imageA, imageB, context: context)
            if identical { root.children = Self.identicalLayers(imageA) }
        case (.image, _), (_, .image):
            throw DifferError.incomparable(a.description, b.description)
        default:
            let (source, other) = (Self.entrySource(sideA), Self.entrySource(sideB))
            identical = Self.sameFile(sideA, sideB)
            root = DifferenceNode(kind: .root, name: "tree")
            if !identical {
                let outcome = try EntryComparer(context: context).compare(source, other, concurrently: true)
                root.children = outcome.children
                root.omittedChildren = outcome.omitted
                // Trees have no digest to compare up front: no difference found means identical.
                identical = outcome.differing == 0 && outcome.ignored == 0 && outcome.children.isEmpty
            }
        }
        root = IgnoreFilter(ignored: options.ignoredClasses).apply(root)
        let remaining = root.children.contains(where: \.isDifference)
        if !remaining { root.status = .identical }
        let verdict: DiffReport.Verdict = identical ? .identical : (remaining ? .different : .equivalent)
        let layers = root.children.compactMap { node -> LayerInfo? in
            guard var info = node.layer else { return nil }
            info.differingEntries = node.children.filter { $0.kind == .entry && $0.isDifference }.count
                + (node.omittedChildren)
            return info
        }
        for index in root.children.indices where root.children[index].layer != nil {
            root.children[index].layer = layers.first { $0.index == root.children[index].layer?.index }
        }
        let counts = statistics.snapshot
        return DiffReport(
            a: sideA.side, b: sideB.side, verdict: verdict, summary: DiffSummary(tree: root), layers: layers,
            root: root,
            statistics: DiffReport.Statistics(layerReads: counts.layerReads, bytesRead: counts.bytes,
                                              entriesCompared: counts.entries,
                                              seconds: Date().timeIntervalSince(started)),
            ignoredClasses: options.ignoredClasses.sorted(), ignoredPaths: options.ignoredPaths)
    }

    private static func entrySource(_ side: ResolvedSide) -> any EntrySource {
        switch side {
        case .layer(let path, _): return ArchiveSource(path: path)
        case .directory(let path, _): return DirectorySource(root: path)
        case .image: preconditionFailure("images are compared by compareImages")
        }
    }

    /// Two layer files with the same bytes need no walk.
    private static func sameFile(_ a: ResolvedSide, _ b: ResolvedSide) -> Bool {
        guard case .layer(let pathA, _) = a, case .layer(let pathB, _) = b else { return false }
        if pathA == pathB { return true }
        guard let sizeA = try? FileManager.default.attributesOfItem(atPath: pathA)[.size] as? Int,
              let sizeB = try? FileManager.default.attributesOfItem(atPath: pathB)[.size] as? Int,
              sizeA == sizeB else { return false }
        return (try? DirectorySource.digest(ofFile: pathA, statistics: StatisticsCounter()))
            == (try? DirectorySource.digest(ofFile: pathB, statistics: StatisticsCounter()))
    }

    private static func identicalLayers(_ image: ImageSide) -> [DifferenceNode] {
        image.manifest.layers.enumerated().map { index, layer in
            var node = DifferenceNode(kind: .layer, name: "layer \(index)", status: .identical)
            node.layer = LayerInfo(index: index, digestA: layer.digest.description, digestB: layer.digest.description,
                                   sizeA: layer.size, sizeB: layer.size, mediaTypeA: layer.mediaType,
                                   mediaTypeB: layer.mediaType)
            if let build = image.build, let step = build.step(forLayer: layer.digest, diffID: nil) {
                node.step = BuildAttribution.reference(step, build: build)
            }
            return node
        }
    }

    /// What the journal says about each side, for the classifiers.
    static func classifier(_ a: ResolvedSide, _ b: ResolvedSide) -> CauseClassifier {
        func facts(_ side: ResolvedSide) -> CauseClassifier.SideFacts {
            guard case .image(let image) = side, let build = image.build else { return .init() }
            var facts = CauseClassifier.SideFacts()
            let record = build.record
            var hostnames = build.steps.compactMap(\.hostname) + build.steps.compactMap { $0.variation(.hostname) }
            if let host = record.variation(.hostname) { hostnames.append(host) }
            facts.hostnames = Array(Set(hostnames))
            var paths = record.contexts.filter { $0.image == nil && $0.origin.hasPrefix("/") }.map(\.origin)
            if let path = record.variation(.buildPath) { paths.append(path) }
            facts.buildPaths = Array(Set(paths.filter { $0 != "/" }))
            facts.sourceDateEpoch = record.sourceDateEpoch
            facts.startedAt = record.startedAt
            facts.finishedAt = record.finishedAt
            return facts
        }
        return CauseClassifier(a: facts(a), b: facts(b))
    }
}
