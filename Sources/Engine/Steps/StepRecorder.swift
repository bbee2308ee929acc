import BuildJournal
import ContentStore
import Synchronization

/// Owns the build record while a build runs: every change to it, and every step written into
/// it, goes through here, under one lock, because stages run at the same time.
///
/// A step's index is fixed by the plan, not by when it finishes (see ``StepNumbering``), and the
/// record lists steps in index order, so the record of a build whose stages ran concurrently is
/// the record of the same build run one stage at a time.
final class StepRecorder: Sendable {
    private struct State {
        var record: BuildRecord
        /// Indices of the steps recorded so far, ascending: `record.steps[i]` is step `indices[i]`.
        var indices: [Int] = []
        var saved = false
    }

    private let journal: Journal
    private let state: Mutex<State>

    init(journal: Journal, record: BuildRecord) {
        self.journal = journal
        state = Mutex(State(record: record))
    }

    /// The record as it is now.
    var record: BuildRecord { state.withLock { $0.record } }

    var id: String { state.withLock { $0.record.id } }

    /// Whether the record has been written once (from then on a failure leaves it in the journal).
    var hasSaved: Bool { state.withLock { $0.saved } }

    /// Changes the record in memory (written at the next ``save()`` or step).
    func update<Failure: Error>(_ change: (inout BuildRecord) throws(Failure) -> Void) throws(Failure) {
        try state.withLock { (state: inout sending State) throws(Failure) in try change(&state.record) }
    }

    /// Writes the record as it is now.
    func save() throws {
        try state.withLock { state in
            try journal.save(state.record)
            state.saved = true
        }
    }

    /// Changes the record and writes it.
    func save(_ change: (inout BuildRecord) throws -> Void) throws {
        try state.withLock { state in
            try change(&state.record)
            try journal.save(state.record)
            state.saved = true
        }
    }

    /// Writes a finished step in its place by index.
    func append(_ step: StepRecord) throws {
        try state.withLock { state in
            precondition(!state.indices.contains(step.index), "step \(step.index) recorded twice")
            let position = state.indices.firstIndex { $0 > step.index } ?? state.indices.count
            try journal.insert(step, at: position, in: &state.record)
            state.indices.insert(step.index, at: position)
            state.saved = true
        }
    }
}
