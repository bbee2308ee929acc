import BuildJournal
import ContentStore
import Foundation
import Frontend
import OCIImage

/// Named contexts (`--build-context NAME=…`) as BuildKit resolves them: a name in the Dockerfile
/// (`FROM`, `COPY --from`, `RUN --mount from=`) matches a context by the name as written or by its
/// normalised image reference (`alpine:3.19` ≡ `docker.io/library/alpine:3.19`), and a context
/// takes the place of a stage of the same name, whose instructions are then not run.
extension BuildSession {
    /// Every name the plan's stages use to refer to something: stage names, bases, `--from`s.
    static func referencedNames(in plan: DockerfilePlan) -> Set<String> {
        var names = Set<String>()
        for index in plan.requiredStages {
            let stage = plan.stages[index]
            if let name = stage.name { names.insert(name) }
            names.insert(stage.baseName)
            for instruction in stage.instructions {
                switch instruction.expanded {
                case .copy(let copy): if let from = copy.from { names.insert(from) }
                case .run(let run): names.formUnion(run.mounts.compactMap(\.from))
                default: break
                }
            }
        }
        return names
    }

    /// Whether a name written in the Dockerfile refers to the context given as `contextName`.
    static func name(_ written: String, refersToContext contextName: String) -> Bool {
        if written == contextName || written.lowercased() == contextName.lowercased() { return true }
        guard let reference = try? ImageReference(parsing: written),
              let context = try? ImageReference(parsing: contextName) else { return false }
        return reference == context
    }

    /// Makes each loaded named context findable under every spelling the Dockerfile uses for it,
    /// so that the plain dictionary lookups of the copy, mount and base resolution all see it.
    func aliasNamedContexts(referencedBy plan: DockerfilePlan) {
        let referenced = Self.referencedNames(in: plan)
        for named in request.namedContexts {
            for written in referenced where written != named.name && written != Self.mainContext
                && Self.name(written, refersToContext: named.name) {
                if let loaded = contexts[named.name], contexts[written] == nil { contexts[written] = loaded }
                if let image = imageContexts[named.name], imageContexts[written] == nil { imageContexts[written] = image }
            }
        }
    }

    /// Whether a named context was given for `name` (after aliasing).
    func hasNamedContext(_ name: String) -> Bool {
        name != Self.mainContext && (contexts[name] != nil || imageContexts[name] != nil)
    }

    /// A stage whose name a named context also has is that context (BuildKit); its `FROM` is
    /// recorded with the context as its source, and nothing else of the stage runs.
    func stageReplacedByNamedContext(_ stage: PlannedStage, label: String) throws -> StageResult? {
        guard let name = stage.name, hasNamedContext(name) else { return nil }
        let begun = Date()
        let (state, key, source) = try baseState(named: name, location: stage.from.location)
        var context = StageContext(stage: stage, label: label, state: state, key: key)
        context.position = stage.instructions.count + 1
        context.stepIndex = try firstStepIndex(of: stage)
        let step = stepLabel(context, text: stage.from.original, location: stage.from.location)
        emit(.stepStarted(step))
        try recordStep(&context, instruction: stage.from, outcome: .succeeded, started: begun, sourceImage: source)
        emit(.stepFinished(step, seconds: Date().timeIntervalSince(begun)))
        try checkNumbering(of: stage, endedAt: context.stepIndex)
        return StageResult(state: state, key: key, name: label,
                           baseLayers: isDirectoryContext(name) ? 0 : state.layers.count)
    }
}
