/// Stage references, the target and the stages it needs.
extension PlannerRun {
    /// Resolves a `--from` value: a stage name (any stage), a stage index, or an external
    /// image or named context.
    mutating func resolveReference(_ name: String, from stageIndex: Int, raw: RawInstruction) -> StageReference {
        let lowered = name.lowercased()
        if let index = stageIndicesByName[lowered]?.last {
            return .stage(index)
        }
        if let index = Int(name), name.utf8.allSatisfy({ $0.isASCIIDigit }) {
            guard index < stageCount else {
                error("invalid stage index \(index): the Dockerfile has \(stageCount) stages",
                      at: raw.location(ofText: name))
                return .external(name)
            }
            return .stage(index)
        }
        if name.isEmpty {
            error("empty stage reference in --from", at: raw.location)
        }
        return .external(name)
    }

    /// Picks the target stage, checks the graph for cycles and lists the stages it needs.
    mutating func resolveTarget() -> (target: Int, order: [Int])? {
        var target = stages.count - 1
        if let wanted = planner.options.target {
            guard let index = stageIndicesByName[wanted.lowercased()]?.last else {
                let names = stages.compactMap(\.name)
                let hint = Suggestion.didYouMean(wanted, among: names)
                error("failed to reach build target \(wanted) in Dockerfile\(hint); stages are: \(names.joined(separator: ", "))",
                      at: SourceLocation(file: document.fileName, startLine: 1, endLine: 1, column: 1))
                return nil
            }
            target = index
        }
        // Colour-marking depth-first search: grey on the stack, black when done.
        var colour = [UInt8](repeating: 0, count: stages.count)
        var order: [Int] = []
        var cycleAt: Int? = nil
        func visit(_ index: Int, stages: [PlannedStage]) {
            guard cycleAt == nil else { return }
            colour[index] = 1
            for dependency in stages[index].dependencies {
                if colour[dependency] == 1 {
                    cycleAt = cycleAt ?? dependency
                    return
                }
                if colour[dependency] == 0 { visit(dependency, stages: stages) }
            }
            colour[index] = 2
            order.append(index)
        }
        for index in stages.indices where colour[index] == 0 {
            visit(index, stages: stages)
        }
        if let cycle = cycleAt {
            let name = stages[cycle].name ?? String(cycle)
            error("circular dependency detected on stage: \(name)", at: stages[cycle].from.location)
            return nil
        }
        var needed = Set<Int>()
        var pending = [target]
        while let index = pending.popLast() {
            guard needed.insert(index).inserted else { continue }
            pending.append(contentsOf: stages[index].dependencies)
        }
        return (target, order.filter(needed.contains))
    }
}
