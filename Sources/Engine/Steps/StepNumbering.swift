import Frontend

/// Where each stage's steps fall in the build record, fixed by the plan before anything runs:
/// the required stages in plan order, each taking as many indices as it has steps (its `FROM`,
/// its base's ONBUILD triggers, its instructions; only the `FROM` for a stage a named context
/// replaces). A step's index therefore never depends on which stage finished first, and a
/// build whose stages ran concurrently numbers its steps as the sequential build does.
struct StepNumbering: Sendable {
    /// The index of each required stage's first step (its `FROM`).
    private(set) var firstIndex: [Int: Int] = [:]
    /// How many steps each required stage records.
    private(set) var counts: [Int: Int] = [:]
    /// How many steps all the stages record: the exports are numbered after them.
    private(set) var total = 0

    /// `count(stage)` is how many steps the stage records; `order` is the plan's.
    init(order: [Int], count: (Int) throws -> Int) rethrows {
        for stage in order {
            let steps = try count(stage)
            firstIndex[stage] = total
            counts[stage] = steps
            total += steps
        }
    }
}
