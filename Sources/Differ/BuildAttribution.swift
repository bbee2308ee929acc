import BuildJournal
import ContentStore
import DifferenceModel
import OCIImage

/// What the journal adds: the step (and Dockerfile line) behind each layer, and causes that
/// only the records can show (cache mounts, inputs, network, base images).
enum BuildAttribution {
    static func reference(_ step: StepRecord, build: BuildFacts) -> StepReference {
        StepReference(index: step.index, stage: step.stage, instruction: step.instruction, text: step.text,
                      file: step.location?.file ?? build.record.dockerfilePath, line: step.location?.startLine,
                      endLine: step.location?.endLine)
    }

    /// Gives every entry of a layer node the layer's step, and the step-level causes to the
    /// layer and to entries nothing else explains.
    static func attribute(_ node: inout DifferenceNode, stepA: StepRecord?, stepB: StepRecord?,
                          buildA: BuildFacts?, buildB: BuildFacts?) {
        guard let step = node.step else { return }
        for index in node.children.indices where node.children[index].kind == .entry {
            node.children[index].step = step
        }
        let causes = stepCauses(stepA, stepB)
        guard !causes.isEmpty else { return }
        for cause in causes { node.addCause(cause) }
        for index in node.children.indices where node.children[index].kind == .entry
            && node.children[index].effectiveCauses.isEmpty {
            for cause in causes { node.children[index].addCause(cause) }
        }
    }

    /// Causes read from two records of the same step.
    static func stepCauses(_ a: StepRecord?, _ b: StepRecord?) -> [Cause] {
        var causes: [Cause] = []
        guard let a, let b else { return causes }
        for mountA in a.mounts where mountA.kind == .cache {
            guard let mountB = b.mounts.first(where: { $0.kind == .cache && $0.target == mountA.target && $0.id == mountA.id })
                    ?? b.mounts.first(where: { $0.kind == .cache && $0.target == mountA.target }) else { continue }
            if mountA.treeBefore != mountB.treeBefore {
                causes.append(Cause(.cacheMount, .likely, evidence:
                    "cache mount \(mountA.target)\(mountA.id.map { " (id \($0))" } ?? "") held "
                    + "\(mountA.treeBefore?.short ?? "nothing") in A and \(mountB.treeBefore?.short ?? "nothing") in B before the step"))
            }
        }
        var inputs: [String] = []
        if a.text != b.text { inputs.append("instruction '\(a.text)' vs '\(b.text)'") }
        if a.sources != b.sources { inputs.append("copied sources \(a.sources?.short ?? "none") vs \(b.sources?.short ?? "none")") }
        let changedArgs = Set(a.buildArguments.keys).union(b.buildArguments.keys).sorted()
            .filter { a.buildArguments[$0] != b.buildArguments[$0] }
        if !changedArgs.isEmpty { inputs.append("build arguments " + changedArgs.joined(separator: ", ")) }
        if Set(a.environment) != Set(b.environment) { inputs.append("environment") }
        for mountA in a.mounts where mountA.kind == .bind {
            if let mountB = b.mounts.first(where: { $0.kind == .bind && $0.target == mountA.target }),
               mountA.treeBefore != mountB.treeBefore {
                inputs.append("bind mount \(mountA.target) showed other files")
            }
        }
        if !inputs.isEmpty {
            causes.append(Cause(.input, .likely, evidence: "the step's inputs changed: " + inputs.joined(separator: "; ")))
        }
        let drift = networkDrift(a, b)
        causes += drift
        let networks = [a.network, b.network].compactMap { $0 }.filter { $0 != "none" }
        if drift.isEmpty, !fetchedTheSameRecordedBytes(a, b), let network = networks.first,
           a.instruction.uppercased() == "RUN" {
            causes.append(Cause(.network, .possible, evidence: "the step ran with network '\(network)'"))
        }
        return causes
    }

    /// Both steps ran behind the recorder, which saw every byte they fetched (no tunnel left
    /// unintercepted), and found no drift: the network gave both the same bytes, so it is no
    /// cause of their difference. Every RUN on the default network is recorded; naming the
    /// network as a possible cause of each of them would bury the real one.
    static func fetchedTheSameRecordedBytes(_ a: StepRecord, _ b: StepRecord) -> Bool {
        [a, b].allSatisfy { $0.network == "record" && $0.fetches != nil && $0.networkReplayable != false }
    }

    /// Network drift: the same URL fetched with other bytes in the two records (the recorder's
    /// fetches), named with both digests; a URL fetched in one build only is drift too.
    static func networkDrift(_ a: StepRecord, _ b: StepRecord) -> [Cause] {
        guard let fetchesA = a.fetches, let fetchesB = b.fetches else { return [] }
        func bodies(_ fetches: [FetchRecord]) -> [String: [Digest]] {
            fetches.filter { $0.kind == .http || $0.kind == .https }
                .reduce(into: [:]) { result, fetch in result[fetch.url, default: []].append(fetch.body ?? Digest(ofUTF8: "")) }
        }
        let bodiesA = bodies(fetchesA)
        let bodiesB = bodies(fetchesB)
        // One cause (a node keeps one per kind) naming every URL that drifted.
        var drifted: [String] = []
        for url in Set(bodiesA.keys).union(bodiesB.keys).sorted() where bodiesA[url] != bodiesB[url] {
            let digestA = bodiesA[url]?.map(\.description).joined(separator: ", ") ?? "not fetched"
            let digestB = bodiesB[url]?.map(\.description).joined(separator: ", ") ?? "not fetched"
            drifted.append("\(url) was \(digestA) in A and \(digestB) in B")
        }
        guard !drifted.isEmpty else { return [] }
        let lead = drifted.count == 1 ? "" : "\(drifted.count) URLs fetched other bytes: "
        return [Cause(.networkDrift, .certain, evidence: lead + drifted.joined(separator: "; "))]
    }

    /// Build-level inputs that changed, one node per ``InputChange``: context files by path
    /// (with a line diff for text), Dockerfile hunks, build arguments, base images, secrets,
    /// cache-mount states before each step.
    static func inputsNode(_ a: BuildFacts?, _ b: BuildFacts?, maxDetailLines: Int) -> DifferenceNode? {
        guard let a, let b else { return nil }
        let changes: [InputChange]
        if let store = a.store,
           let listed = try? InputComparer(store: store, maxDetailLines: maxDetailLines)
            .compare(a.record, a.steps, b.record, b.steps) {
            changes = listed
        } else {
            return nil
        }
        let fields = changes.map(inputNode)
        guard !fields.isEmpty else { return nil }
        return DifferenceNode(kind: .config, name: "build inputs", a: a.record.id, b: b.record.id, children: fields)
    }

    /// One input change as a field node, with the cause its kind implies.
    static func inputNode(_ change: InputChange) -> DifferenceNode {
        let status: DifferenceNode.Status = switch change.status {
        case .added: .added
        case .removed: .removed
        case .changed: .changed
        }
        let name = change.kind.rawValue + " " + (change.scope.map { $0 + ":" } ?? "") + change.name
        var node = DifferenceNode(kind: .field, name: name, status: status, a: change.a, b: change.b, detail: change.detail)
        let kind: CauseKind = switch change.kind {
        case .baseImage: .baseImage
        case .cacheMount: .cacheMount
        case .sourceDateEpoch: .timestamp
        case .network: .network
        case .networkFetch: .networkDrift
        default: .input
        }
        node.addCause(Cause(kind, .certain, evidence: change.description))
        return node
    }

    /// Layers below the build's own steps belong to the base image: when the base changed (the
    /// journal's resolved base manifests, or the manifests' `base.digest` annotations), their
    /// differences are base image drift.
    static func applyBaseImageDrift(to root: inout DifferenceNode, _ a: ImageSide, _ b: ImageSide) {
        var evidence: String?
        if let buildA = a.build?.record, let buildB = b.build?.record, buildA.baseImages != buildB.baseImages {
            evidence = "the base image resolved to another manifest"
        }
        let key = AnnotationKey.baseDigest
        if let baseA = a.manifest.annotations?[key], let baseB = b.manifest.annotations?[key], baseA != baseB {
            evidence = "base image \(a.manifest.annotations?[AnnotationKey.baseName] ?? "") was \(baseA) in A and \(baseB) in B"
        }
        guard let evidence else { return }
        let hasSteps = a.build != nil && b.build != nil
        for index in root.children.indices where root.children[index].kind == .layer {
            let node = root.children[index]
            // With step records the base is exactly the layers no step made; without them, any
            // differing layer may come from the base.
            guard node.isDifference, !hasSteps || node.step == nil else { continue }
            let cause = Cause(.baseImage, hasSteps ? .certain : .likely, evidence: evidence)
            root.children[index].addCause(cause)
            for child in root.children[index].children.indices
                where root.children[index].children[child].effectiveCauses.isEmpty {
                root.children[index].children[child].addCause(cause)
            }
        }
    }
}
