import BuildJournal
import ContentStore

/// One instruction as the step driver runs it, in BuildKit's two parts: what its cache key is
/// made of (`kind`, `keyText`, `keyInputs`, computed on the state the step starts from), and how
/// it makes its result when the cache has none (`execute`). Everything else — labels, progress,
/// the cache lookup, the history entry, recording, failure — is the driver's, the same for all.
struct PreparedStep {
    /// The key's kind (the instruction keyword) and the instruction as keyed.
    var kind: String
    var keyText: String
    var keyInputs: [String: String] = [:]
    /// The history entry's `created_by`; nil adds none (ARG).
    var history: String?
    /// Whether the cache is consulted: steps that make layers are; the others only change the
    /// configuration and are recomputed every time.
    var cacheable = true
    /// What the record says of the step before it runs (mounts, sources, argv…).
    var details = BuildSession.StepDetails()
    /// Changes to the stage that hold whether the step runs or comes from the cache: the
    /// working directory, the configuration, ARG values.
    var configure: (inout BuildSession.StageContext) -> Void = { _ in }
    /// Makes the step's layer; returns nil for a step that makes none this time. Absent for
    /// steps that never do. Throws ``StepExecutionFailure`` when the step itself fails.
    var execute: ((inout BuildSession.StepDetails) async throws -> ImageState.Layer?)?
    /// Runs when the step is over, whatever happened (mounts released, scratch removed).
    var cleanup: () -> Void = {}
}

/// A step that ran and failed (a RUN's non-zero exit, a signal, a limit): what its record
/// keeps, and the reason the driver reports.
struct StepExecutionFailure: Error {
    var details: BuildSession.StepDetails
    var status: String
    var outputTail: [String]
}
