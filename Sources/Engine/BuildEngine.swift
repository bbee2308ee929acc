import BuildJournal
import ContentStore
import Foundation
import OCIImage
import Sandbox

/// Builds Dockerfiles into OCI images and records every step in the journal.
///
/// ```swift
/// let engine = BuildEngine(journal: journal, runner: NamespaceStepRunner(), events: printer)
/// let result = try await engine.build(BuildRequest(contextPath: "app", tags: ["app:1"]))
/// ```
public struct BuildEngine: Sendable {
    public let journal: Journal
    public let runner: any StepRunner
    public let events: any BuildEventSink

    public init(journal: Journal, runner: any StepRunner, events: any BuildEventSink) {
        self.journal = journal
        self.runner = runner
        self.events = events
    }

    /// What a finished build produced.
    public struct Result: Sendable {
        public var buildID: String
        public var manifest: Digest?
        public var config: Digest?
        public var record: BuildRecord
        /// What the outputs name: the image manifest, or the index attestations put around it.
        public var image: Descriptor? = nil
    }

    /// Runs the build. On failure the journal keeps everything recorded up to the failing step
    /// (the failing step included, with its output), the record says `failed`, and the error
    /// names the Dockerfile line.
    ///
    /// - Throws: ``BuildFailure``, carrying the id of the failed build's record when one was
    ///   written (a Dockerfile that does not parse fails before that).
    public func build(_ request: BuildRequest) async throws -> Result {
        let session = try BuildSession(engine: self, request: request)
        do {
            return try await session.run()
        } catch {
            throw BuildFailure(buildID: session.recordSaved ? session.record.id : nil, underlying: error)
        }
    }
}
