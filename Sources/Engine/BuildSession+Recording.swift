import BuildJournal
import ContentStore
import Foundation
import Frontend
import OCIImage

/// Writing step records: one after every step, so a build killed at any point keeps all it did.
extension BuildSession {
    /// What a step did beyond its instruction, for its record.
    struct StepDetails {
        var argv: [String]?
        var network: String?
        var fetches: [FetchRecord]?
        var networkReplayable: Bool?
        var hostname: String?
        var mounts: [MountRecord] = []
        var sources: Digest?
        var sourceImage: String?
        /// A `FROM` of a stage built for another platform than the build.
        var platform: String?
        var exitCode: Int32?
        var signal: Int32?
        var stdout: Digest?
        var stderr: Digest?
        var layer: LayerRecord?
    }

    func recordStep(_ context: inout StageContext, instruction: LocatedInstruction, outcome: StepRecord.Outcome,
                    started: Date, sourceImage: String? = nil, platform: String? = nil) throws {
        var details = StepDetails()
        details.sourceImage = sourceImage
        details.platform = platform
        try recordStep(&context, instruction: instruction, outcome: outcome, started: started, details: details)
    }

    /// Records the stage's current step (``StageContext/stepIndex``) and moves the stage on to
    /// its next index.
    func recordStep(_ context: inout StageContext, instruction: LocatedInstruction, outcome: StepRecord.Outcome,
                    started: Date, details: StepDetails, parent: ImageState? = nil, ran: Bool = false) throws {
        let assembler = ImageAssembler(store: journal.store)
        let parentState = parent ?? context.state
        let location = instruction.location
        let step = StepRecord(
            buildID: recorder.id, index: context.stepIndex, stage: context.label,
            instruction: instruction.instruction.keyword, text: instruction.original,
            location: BuildJournal.SourceLocation(file: location.file, startLine: location.startLine,
                                                  endLine: location.endLine),
            cacheKey: context.key.digest,
            parentConfig: try assembler.storeConfiguration(of: parentState),
            resultConfig: try assembler.storeConfiguration(of: context.state),
            parentLayers: parentState.diffIDs,
            environment: context.state.environment,
            buildArguments: context.argumentEnvironment,
            workingDirectory: context.state.workingDirectory,
            user: context.state.user,
            shell: context.state.shell,
            argv: details.argv, network: details.network, hostname: details.hostname,
            mounts: details.mounts, sources: details.sources, sourceImage: details.sourceImage,
            outcome: outcome, exitCode: details.exitCode, signal: details.signal,
            stdout: details.stdout, stderr: details.stderr,
            startedAt: started.timeIntervalSince1970, durationSeconds: Date().timeIntervalSince(started),
            layer: details.layer, variations: request.variations.recorded)
        var complete = step
        complete.fetches = details.fetches
        complete.networkReplayable = details.networkReplayable
        complete.platform = details.platform
        context.stepIndex += 1
        try recorder.append(complete, ran: ran)
    }

    /// A step whose cache key an earlier step already has (with its layer still in the store).
    func cachedLayer(for key: CacheKey, step index: Int) throws -> (StepRecord, LayerRecord)? {
        if let reused = reusedRecordedStep(index, matching: key) { return reused }
        if request.replay?.uncachedSteps.contains(index) == true { return nil }
        guard !request.noCache, let step = try journal.cachedStep(forKey: key.digest), let layer = step.layer,
              journal.store.contains(layer.digest) else { return nil }
        return (step, layer)
    }
}

extension LayerRecord {
    init(_ layer: ImageState.Layer) {
        self.init(diffID: layer.diffID, digest: layer.descriptor.digest, size: layer.descriptor.size,
                  mediaType: layer.descriptor.mediaType)
    }

    var imageLayer: ImageState.Layer {
        ImageState.Layer(descriptor: Descriptor(mediaType: mediaType, digest: digest, size: size), diffID: diffID)
    }
}
