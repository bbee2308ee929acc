import Foundation
import Frontend

/// Running the required stages: each as soon as the stages it reads from are built, several at a
/// time when nothing orders them, at most `maxParallelStages` (default: the cores) at once.
/// With one at a time this is the plan's order exactly.
extension BuildSession {
    func executeStages(_ plan: DockerfilePlan) async throws {
        let order = plan.requiredStages
        let dependencies = stageDependencies(plan)
        let limit = max(1, request.maxParallelStages ?? ProcessInfo.processInfo.activeProcessorCount)
        try await withThrowingTaskGroup(of: Int.self) { group in
            var started = Set<Int>()
            var finished = Set<Int>()
            var running = 0
            while finished.count < order.count {
                // Ready stages start in plan order, so with a limit of one the order is the plan's.
                for index in order where running < limit && !started.contains(index)
                    && dependencies[index, default: []].isSubset(of: finished) {
                    try Task.checkCancellation()
                    started.insert(index)
                    running += 1
                    let stage = plan.stages[index]
                    group.addTask {
                        self.keep(try await self.execute(stage), of: index)
                        return index
                    }
                }
                // A failure ends the group, which cancels the stages still running.
                guard let index = try await group.next() else {
                    throw EngineError.unsupported(message: "stages \(Set(order).subtracting(finished).sorted()) "
                                                    + "wait on each other", location: nil)
                }
                finished.insert(index)
                running -= 1
            }
        }
    }

    /// The stages each stage must wait for: those it reads (its base, `COPY --from`, mounts),
    /// and, for a base whose ONBUILD triggers run (they may read any stage, and are only known
    /// once the base is), every stage before it.
    private func stageDependencies(_ plan: DockerfilePlan) -> [Int: Set<Int>] {
        var dependencies: [Int: Set<Int>] = [:]
        let order = plan.requiredStages
        for (position, index) in order.enumerated() {
            let stage = plan.stages[index]
            var needs = Set(stage.dependencies)
            if onBuildTriggerCount(stage) > 0 { needs.formUnion(order[..<position]) }
            dependencies[index] = needs.intersection(order)
        }
        return dependencies
    }

    /// Fixes every step's index before the first stage runs (see ``StepNumbering``).
    func stepNumbering(_ plan: DockerfilePlan) throws -> StepNumbering {
        StepNumbering(order: plan.requiredStages) { index in
            let stage = plan.stages[index]
            if let name = stage.name, hasNamedContext(name) { return 1 }
            return 1 + onBuildTriggerCount(stage) + stage.instructions.count
        }
    }

    /// How many ONBUILD triggers the stage's base brings (see `onBuildTriggers(of:)`): those of
    /// an external image; a named directory context has none, and a base that cannot be found
    /// fails at the stage's `FROM` before any trigger would run.
    private func onBuildTriggerCount(_ stage: PlannedStage) -> Int {
        guard case .external(let name) = stage.base else { return 0 }
        if contexts[name] != nil, name != Self.mainContext { return 0 }
        let resolver = BaseImageResolver(journal: journal, platform: request.platform, imageContexts: imageContexts,
                                         pinned: pinnedImages, memo: localImages)
        guard case .image(let image, _)? = try? resolver.resolve(name) else { return 0 }
        return image.configuration.config?.onBuild?.count ?? 0
    }

    /// The index of a stage's `FROM` step.
    func firstStepIndex(of stage: PlannedStage) throws -> Int {
        guard let index = numbering.firstIndex[stage.index] else {
            throw EngineError.unsupported(message: "stage \(stage.index) is not one the target needs",
                                          location: stage.from.location)
        }
        return index
    }

    /// A stage that recorded another number of steps than its numbering allowed would share
    /// indices with the next stage: refused, as an error of the engine, not of the Dockerfile.
    func checkNumbering(of stage: PlannedStage, endedAt next: Int) throws {
        let first = try firstStepIndex(of: stage)
        let expected = numbering.counts[stage.index] ?? 0
        guard next - first == expected else {
            throw EngineError.unsupported(
                message: "internal error: stage \(stage.index) recorded \(next - first) steps, \(expected) were numbered",
                location: stage.from.location)
        }
    }
}
