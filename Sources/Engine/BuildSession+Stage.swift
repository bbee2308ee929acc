import BuildJournal
import ContentStore
import Foundation
import Frontend
import LayerArchive
import OCIImage
import Sandbox

/// Running one stage: its base, then each instruction in order.
extension BuildSession {
    /// What a stage is doing while its instructions run.
    struct StageContext {
        let stage: PlannedStage
        let label: String
        var state: ImageState
        var key: CacheKey
        /// The index in the record of the step being driven (see ``StepNumbering``).
        var stepIndex = 0
        var flags = StageFlags()
        /// ARGs declared in this stage with their values (nil: declared without a value).
        var arguments: [String: String?] = [:]
        var position = 1
        /// See ``StageResult/baseLayers``.
        var baseLayers = 0
        /// Whether the stage's first step that runs (missed the cache) has been seen: the moment
        /// a namespace is prepared for its RUNs on the recording network (``PreparedNetworks``).
        var recordingNetworkAnticipated = false

        /// Build arguments a RUN sees as environment variables (ENV wins over ARG).
        var argumentEnvironment: [String: String] {
            arguments.compactMapValues { $0 }
        }
    }

    func execute(_ stage: PlannedStage) async throws -> StageResult {
        let label = stage.name ?? String(stage.index)
        if let replaced = try stageReplacedByNamedContext(stage, label: label) { return replaced }
        var context = try await startStage(stage, label: label)
        for trigger in try onBuildTriggers(of: &context) {
            try await execute(trigger, in: &context)
        }
        for instruction in stage.instructions {
            try Task.checkCancellation()
            context.position += 1
            try await execute(instruction, in: &context)
        }
        try checkNumbering(of: stage, endedAt: context.stepIndex)
        return StageResult(state: context.state, key: context.key, name: label, arguments: context.arguments,
                           baseLayers: context.baseLayers)
    }

    /// `FROM`: the base's state, recorded as the stage's first step.
    private func startStage(_ stage: PlannedStage, label: String) async throws -> StageContext {
        let begun = Date()
        let platform = try stagePlatform(stage)
        let state: ImageState
        let key: CacheKey
        var sourceImage: String?
        var inherited: [String: String?] = [:]
        var baseLayers = 0
        switch stage.base {
        case .scratch:
            state = .scratch(platform: platform)
            key = .base("scratch", platform: platform.description)
        case .stage(let index):
            guard let result = stageResult(index) else {
                throw EngineError.unsupported(message: "stage \(index) was needed before it was built",
                                              location: stage.from.location)
            }
            state = result.state
            key = result.key
            sourceImage = "stage:\(result.name)"
            inherited = result.arguments
            baseLayers = result.baseLayers
        case .external(let name):
            (state, key, sourceImage) = try baseState(named: name, location: stage.from.location, platform: platform)
            baseLayers = isDirectoryContext(name) ? 0 : state.layers.count
        }
        // The programs RUN executes are the base's: its config says their architecture.
        try prepareEmulation(for: stage, architecture: state.configuration.architecture.isEmpty
                                ? platform.architecture : state.configuration.architecture)
        var context = StageContext(stage: stage, label: label, state: state, key: key)
        context.baseLayers = baseLayers
        context.stepIndex = try firstStepIndex(of: stage)
        context.arguments = inherited
        let step = stepLabel(context, text: stage.from.original, location: stage.from.location)
        emit(.stepStarted(step))
        try recordStep(&context, instruction: stage.from, outcome: .succeeded, started: begun,
                       sourceImage: sourceImage,
                       platform: platform.matches(request.platform) ? nil : platform.description)
        emit(.stepFinished(step, seconds: Date().timeIntervalSince(begun)))
        context.state.configuration.history = context.state.configuration.history ?? []
        return context
    }

    /// The platform a stage is built for: `FROM --platform=` when given, else the build's.
    func stagePlatform(_ stage: PlannedStage) throws -> Platform {
        guard let text = stage.platform, !text.isEmpty else { return request.platform }
        guard let wanted = Platform(parsing: text) else {
            throw EngineError.invalidInstruction(message: "FROM --platform=\(text): not a platform (os/arch[/variant])",
                                                 location: stage.from.location)
        }
        guard wanted.os == "linux" else {
            throw EngineError.unsupported(message: "FROM --platform=\(text): only linux stages can be built here",
                                          location: stage.from.location)
        }
        return wanted
    }

    /// A stage of another architecture whose instructions RUN programs needs QEMU user
    /// emulation, registered with binfmt_misc now rather than failing at its first RUN.
    private func prepareEmulation(for stage: PlannedStage, architecture: String) throws {
        // An architecture no emulator is known for is left to the kernel: a config that
        // mislabels host programs still runs them, as before emulation existed.
        guard !UserEmulation.runsNatively(architecture), UserEmulation.qemuName(for: architecture) != nil else { return }
        guard stage.instructions.contains(where: { if case .run = $0.expanded { return true } else { return false } }) else {
            return
        }
        do {
            try UserEmulation.prepare(architecture: architecture)
        } catch let error as EmulationError {
            throw EngineError.unsupported(message: "this stage runs \(architecture) programs: \(error)",
                                          location: stage.from.location)
        }
    }

    /// Whether `FROM name` names a directory context (made into a layer here, so not a base image).
    func isDirectoryContext(_ name: String) -> Bool {
        contexts[name] != nil && name != Self.mainContext
    }

    /// The state a `FROM name` starts from: a named directory context becomes a one-layer image
    /// of its files (as BuildKit does); otherwise an image from a named context or the journal.
    func baseState(named name: String, location: Frontend.SourceLocation, platform: Platform? = nil) throws
        -> (ImageState, CacheKey, String) {
        let platform = platform ?? request.platform
        if isDirectoryContext(name), let directory = contexts[name] {
            let layer = try LayerWriter(sourceDateEpoch: request.sourceDateEpoch)
                .write(snapshot: directory.snapshot, contentsFrom: journal.store, into: journal.store)
            var state = ImageState.scratch(platform: platform)
            state.append(layer.imageLayer, createdBy: "context \(name)", created: createdTimestamp)
            return (state, .base("context:\(directory.digest)", platform: platform.description),
                    "context:\(name)")
        }
        let resolver = BaseImageResolver(journal: journal, platform: platform, imageContexts: imageContexts,
                                         pinned: pinnedImages, memo: localImages)
        let resolution: BaseImageResolver.Resolution
        do {
            resolution = try resolver.resolve(name)
        } catch ImageError.platformNotFound(let wanted, _, let available) {
            throw EngineError.invalidInstruction(
                message: "base image '\(name)' has no image for \(wanted): it offers \(available.joined(separator: ", ")). "
                    + "Build for one of those (--platform), or use a base that includes \(wanted)",
                location: location)
        }
        guard case .image(let image, let source) = resolution else {
            throw EngineError.baseImageNotFound(name: name, location: location)
        }
        recorder.update { $0.baseImages[name] = image.root.digest }
        try journal.registerImage(manifest: image.root.digest, config: image.configDescriptor.digest,
                                  source: "base:\(name)")
        let diffIDs = image.configuration.rootfs.diffIDs
        guard diffIDs.count == image.manifest.layers.count else {
            throw EngineError.unsupported(
                message: "base image '\(name)' lists \(image.manifest.layers.count) layers but \(diffIDs.count) diff ids",
                location: location)
        }
        let layers = zip(image.manifest.layers, diffIDs).map { ImageState.Layer(descriptor: $0, diffID: $1) }
        let state = ImageState(configuration: image.configuration, layers: layers)
        return (state, .base("image:\(image.manifestDescriptor.digest)", platform: platform.description),
                source)
    }

    private func execute(_ instruction: PlannedInstruction, in context: inout StageContext) async throws {
        let located = instruction.source
        try await drive(instruction, in: &context) { context in
            switch instruction.expanded {
            case .run(let run):
                return try await self.prepareRun(run, instruction: instruction, context: context)
            case .copy(let copy):
                return try await self.prepareCopy(CopyRequest(copy), instruction: instruction, context: context)
            case .add(let add):
                return try await self.prepareCopy(CopyRequest(add), instruction: instruction, context: context)
            case .workdir(let workdir):
                return try self.prepareWorkdir(workdir.value, instruction: instruction, context: context)
            case .arg(let arg):
                // Values only: a RUN sees them in its environment, which is part of its key.
                var prepared = PreparedStep(kind: "ARG", keyText: located.original,
                                            keyInputs: arg.declarations.reduce(into: [:]) { $0[$1.name] = $1.defaultValue ?? "" },
                                            history: nil, cacheable: false)
                prepared.configure = { context in
                    for declaration in arg.declarations { context.arguments[declaration.name] = declaration.defaultValue }
                }
                return prepared
            case let other:
                var prepared = PreparedStep(kind: other.keyword, keyText: "\(other)", history: located.original,
                                            cacheable: false)
                prepared.configure = { context in _ = context.state.applyMetadata(other, stage: &context.flags) }
                return prepared
            }
        }
    }

    /// A base image's ONBUILD triggers, parsed, to run right after FROM (as BuildKit does, located
    /// at the FROM line). They are consumed: the new image does not inherit them.
    private func onBuildTriggers(of context: inout StageContext) throws -> [PlannedInstruction] {
        guard case .external = context.stage.base, let triggers = context.state.configuration.config?.onBuild,
              !triggers.isEmpty else { return [] }
        context.state.containerConfig.onBuild = nil
        return try triggers.map { trigger in
            let document = ParsedDockerfile(source: trigger, fileName: context.stage.from.location.file)
            guard !document.hasErrors, var located = document.instructions.first else {
                throw EngineError.invalidInstruction(message: "the base image's ONBUILD trigger '\(trigger)' does not parse",
                                                     location: context.stage.from.location)
            }
            located.location = context.stage.from.location
            return PlannedInstruction(source: located, expanded: located.instruction, references: [])
        }
    }

    func stepLabel(_ context: StageContext, text: String, location: Frontend.SourceLocation) -> StepLabel {
        var stage = displayedStageName(context.stage)
        // As buildx: `[linux/arm64 builder 2/4]` in a multi-platform build or an emulated stage.
        if let platform = try? stagePlatform(context.stage),
           request.partOfMultiPlatform || !UserEmulation.runsNatively(platform.architecture) {
            stage = stage.isEmpty ? platform.description : "\(platform) \(stage)"
        }
        return StepLabel(vertex: context.stepIndex + 1, stage: stage, position: context.position,
                         count: context.stage.instructions.count + 1, text: text,
                         location: "\(location.file):\(location.startLine)")
    }

    /// The stage as buildx's progress names it: its `AS` name, `stage-N` when it has none, and
    /// nothing at all when the Dockerfile has a single stage (`[2/3] RUN …`), as BuildKit's
    /// Dockerfile frontend does. Records keep the stage's own label; this is only what people see.
    func displayedStageName(_ stage: PlannedStage) -> String {
        if let plan, plan.stages.count == 1 { return "" }
        return stage.name ?? "stage-\(stage.index)"
    }
}

extension LayerDescriptor {
    /// The layer as the image state holds it.
    var imageLayer: ImageState.Layer {
        ImageState.Layer(descriptor: Descriptor(mediaType: mediaType, digest: digest, size: size), diffID: diffID)
    }
}
