import BuildJournal
import ContentStore
import Engine
import Foundation

/// What one probe build came to: its record, its image, or the step it failed at.
public struct BuildOutcome: Sendable, Codable, Hashable {
    /// The probe's record in the journal; nil when it failed before any record was written (a
    /// Dockerfile that does not parse).
    public var buildID: String?
    public var manifest: String?
    public var succeeded: Bool
    /// The index of the step that failed.
    public var failedStep: Int?
    public var error: String?

    public init(buildID: String?, manifest: String?, succeeded: Bool, failedStep: Int? = nil, error: String? = nil) {
        self.buildID = buildID
        self.manifest = manifest
        self.succeeded = succeeded
        self.failedStep = failedStep
        self.error = error
    }

    /// Runs a build; a failing build is an outcome, not an error (cancellation still is).
    static func run(_ engine: BuildEngine, _ request: BuildRequest) async throws -> BuildOutcome {
        do {
            let result = try await engine.build(request)
            return BuildOutcome(buildID: result.buildID, manifest: result.manifest?.description, succeeded: true)
        } catch let failure as BuildFailure {
            if failure.isCancellation { throw CancellationError() }
            var outcome = BuildOutcome(buildID: failure.buildID, manifest: nil, succeeded: false, error: failure.description)
            if let id = failure.buildID, let record = try? engine.journal.build(id: id),
               let steps = try? engine.journal.steps(of: record) {
                outcome.failedStep = steps.last { $0.outcome == .failed }?.index
            }
            return outcome
        }
    }
}
