import ArgumentParser
import BuildJournal
import Engine
import Foundation
import Replay
import Sandbox

/// Sets up what replay and verify run on (the journal, the real sandbox, progress, signals) the
/// way `BuildRunner` does for build, and maps outcomes to exit codes: 0 reproduced, 1 some
/// step differs, 2 could not run.
struct ReplayRunner {
    let journalOptions: JournalOptions
    let progress: ProgressMode

    static let errorStatus: Int32 = 2

    func engine(create: Bool = false) throws -> BuildEngine {
        guard NamespaceStepRunner.isSupported else {
            throw ValidationError("reprise must run as root to replay: it creates namespaces and mounts for each step")
        }
        let journal = try journalOptions.open(create: create)
        let runner = NamespaceStepRunner(scratchDirectory: journal.root + "/tmp/sandbox")
        runner.removeAbandonedScratch()
        return BuildEngine(journal: journal, runner: runner, events: BuildRunner.sink(for: progress))
    }

    /// Runs `body` with signals turned into cancellation; any error is reported with status 2.
    func run<T: Sendable>(_ body: @escaping @Sendable (BuildEngine) async throws -> T,
                          create: Bool = false) async throws -> T {
        try await CommandFailure.reporting(status: Self.errorStatus) {
            let engine = try engine(create: create)
            return try await SignalCancellation.run { try await body(engine) }
        }
    }

    /// The build a user named, followed back to the original when it names a replay (a tag
    /// resolves to the newest build of its image, which may be a replay of it).
    static func originalBuild(_ name: String, in journal: Journal) throws -> String {
        var id = try journal.resolveBuild(named: name)
        var record = try journal.build(id: id)
        while record.kind == .replay, let original = record.replayOf, original != id {
            id = original
            record = try journal.build(id: id)
        }
        return id
    }
}
