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
        /// Whether `record` differs from what was last written (or was never written).
        var changed = true
        /// Steps stored and listed in `record` but not yet written with it (see `append`).
        var unsaved: [(record: StepRecord, digest: Digest)] = []
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

    /// Changes the record in memory; it is written before the next step that runs, or with the
    /// next ``save()``.
    func update<Failure: Error>(_ change: (inout BuildRecord) throws(Failure) -> Void) throws(Failure) {
        try state.withLock { (state: inout sending State) throws(Failure) in
            try change(&state.record)
            state.changed = true
        }
    }

    /// Writes the record as it is now.
    func save() throws {
        try state.withLock { state in try Self.write(&state, journal) }
    }

    /// Changes the record and writes it.
    func save(_ change: (inout BuildRecord) throws -> Void) throws {
        try state.withLock { state in
            try change(&state.record)
            try Self.write(&state, journal)
        }
    }

    /// Writes the record if it changed since it was last written (or never was): called before
    /// a step runs, so a build killed inside it is recorded with everything before it.
    func saveChanges() throws {
        try state.withLock { state in
            if state.changed { try Self.write(&state, journal) }
        }
    }

    private static func write(_ state: inout State, _ journal: Journal) throws {
        try journal.save(state.record, indexing: state.unsaved)
        state.unsaved = []
        state.saved = true
        state.changed = false
    }

    /// Writes a finished step in its place by index.
    ///
    /// A step that ran (`ran`: it executed something, whether it succeeded or failed) is written
    /// at once with a new version of the build record, so a build killed at any point keeps all
    /// it did. Any other step (cached, FROM, metadata) did nothing that could be lost: its record
    /// is stored now, but the build record that lists it (a JSON blob, a ref rename and an index
    /// transaction) is written before the next step runs (``saveChanges()``), with the next
    /// `save`, or at the latest when the build ends. A fully cached build so writes its record
    /// once, at the end: its ref is created, never renamed over an existing one (which on ext4
    /// forces the new file's data to disk first). Only a build killed while nothing runs is
    /// recorded without the steps since the last one that ran.
    func append(_ step: StepRecord, ran: Bool) throws {
        try state.withLock { state in
            precondition(!state.indices.contains(step.index), "step \(step.index) recorded twice")
            let position = state.indices.firstIndex { $0 > step.index } ?? state.indices.count
            precondition(step.buildID == state.record.id, "step of another build")
            let digest = try journal.putRecord(step)
            state.record.steps.insert(digest, at: position)
            state.indices.insert(step.index, at: position)
            state.unsaved.append((step, digest))
            state.changed = true
            if ran { try Self.write(&state, journal) }
        }
    }
}
