import ArgumentParser
import BuildJournal
import Engine
import Foundation
import Sandbox

/// Runs one build the way every command that builds does (build, and later verify): opens the
/// journal, starts the real sandbox, shows progress, turns signals into cancellation.
struct BuildRunner {
    let journalOptions: JournalOptions
    let progress: ProgressMode

    func run(_ request: BuildRequest) async throws -> BuildEngine.Result {
        try await CommandFailure.reporting {
            guard NamespaceStepRunner.isSupported else {
                throw ValidationError("reprise build must run as root: it creates namespaces and mounts for each step")
            }
            let journal = try journalOptions.open()
            let runner = NamespaceStepRunner(scratchDirectory: journal.root + "/tmp/sandbox")
            runner.removeAbandonedScratch()
            let engine = BuildEngine(journal: journal, runner: runner, events: Self.sink(for: progress))
            return try await SignalCancellation.run { try await engine.build(request) }
        }
    }

    static func sink(for mode: ProgressMode) -> any BuildEventSink {
        switch mode {
        case .quiet: SilentProgress()
        case .rawjson: JSONProgressPrinter()
        case .tty: PlainProgressPrinter(colour: true, showOutput: false)
        case .plain, .auto: PlainProgressPrinter(colour: false, showOutput: true)
        }
    }
}

/// `--progress=quiet`: nothing but errors.
struct SilentProgress: BuildEventSink {
    func receive(_ event: BuildEvent) {}
}
