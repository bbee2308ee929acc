import BuildJournal
import Foundation
import Frontend

/// The one place a step is driven: label and progress, its key on the state it starts from, the
/// cache (or a replay's recorded step), execution, the history entry, the record, and failure.
/// Operations only say what their key is made of and how they run (``PreparedStep``); replay
/// and bisect configure what the driver consults (``cachedLayer(for:)``), never the operations.
extension BuildSession {
    /// Turns an instruction into its prepared step, seeing the stage as it is before the step.
    typealias StepPreparation = (StageContext) async throws -> PreparedStep

    func drive(_ instruction: PlannedInstruction, in context: inout StageContext,
               _ prepare: StepPreparation) async throws {
        let begun = Date()
        let located = instruction.source
        let label = stepLabel(context, text: located.original, location: located.location)
        emit(.stepStarted(label))
        let prepared = try await prepare(context)
        defer { prepared.cleanup() }

        let parentState = context.state
        prepared.configure(&context)
        context.key = CacheKey(state: parentState, kind: prepared.kind, instruction: prepared.keyText,
                               inputs: prepared.keyInputs)
        var details = prepared.details
        if prepared.cacheable, !request.noCacheStages.contains(context.label),
           let (cached, layer) = try cachedLayer(for: context.key, step: context.stepIndex) {
            context.state.append(layer.imageLayer, createdBy: prepared.history ?? located.original, created: createdTimestamp)
            details.layer = layer
            details.stdout = cached.stdout
            details.stderr = cached.stderr
            details.exitCode = cached.exitCode
            // What the step fetched when it ran: a replay serves it, provenance lists it.
            details.fetches = cached.fetches
            details.networkReplayable = cached.networkReplayable
            emit(.stepCached(label))
            try recordStep(&context, instruction: located, outcome: .cached, started: begun, details: details,
                           parent: parentState)
            return
        }
        // The record as it is (cached steps, contexts) is written now, so a build killed while
        // this step runs is recorded with them.
        if prepared.execute != nil { try recorder.saveChanges() }
        anticipateRecordingNetwork(&context, running: prepared.execute != nil)
        let layer: ImageState.Layer?
        do {
            layer = try await prepared.execute?(&details) ?? nil
        } catch let failure as StepExecutionFailure {
            try recordStep(&context, instruction: located, outcome: .failed, started: begun, details: failure.details,
                           parent: parentState, ran: true)
            emit(.stepFailed(label, status: failure.status, outputTail: failure.outputTail))
            throw EngineError.stepFailed(step: located.original, location: located.location,
                                         status: failure.status, outputTail: failure.outputTail)
        }
        if let layer {
            context.state.append(layer, createdBy: prepared.history ?? located.original, created: createdTimestamp)
            details.layer = LayerRecord(layer)
        } else if let history = prepared.history {
            context.state.appendHistory(createdBy: history, created: createdTimestamp, emptyLayer: true)
        }
        try recordStep(&context, instruction: located, outcome: .succeeded, started: begun, details: details,
                       parent: parentState, ran: prepared.execute != nil)
        emit(.stepFinished(label, seconds: Date().timeIntervalSince(begun)))
    }
}
