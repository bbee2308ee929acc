import ArgumentParser
import BuildJournal
import Engine
import Foundation
import OCIImage
import Sandbox

/// Runs one build the way every command that builds does (build, and later verify): opens the
/// journal, starts the real sandbox, shows progress, turns signals into cancellation.
struct BuildRunner {
    let journalOptions: JournalOptions
    let progress: ProgressMode

    /// `before` runs on the open journal before the build (cache imports), `after` once it
    /// succeeded (cache exports).
    func run(_ request: BuildRequest, before: (Journal) async throws -> Void = { _ in },
             after: (Journal, BuildEngine.Result) async throws -> Void = { _, _ in }) async throws -> BuildEngine.Result {
        try await run(before: before, after: after) { engine in try await engine.build(request) }
    }

    /// Builds for several platforms into one index (``MultiPlatformBuild``).
    func run(_ request: BuildRequest, platforms: [Platform], before: (Journal) async throws -> Void = { _ in },
             after: (Journal, MultiPlatformBuild.Result) async throws -> Void = { _, _ in }) async throws
        -> MultiPlatformBuild.Result {
        try await run(before: before, after: after) { engine in
            try await MultiPlatformBuild(engine: engine).build(request, platforms: platforms)
        }
    }

    /// Opens the journal and the sandbox, runs `build` on an engine (interrupted by SIGINT and
    /// SIGTERM), with `before` and `after` around it.
    private func run<Result: Sendable>(before: (Journal) async throws -> Void,
                                       after: (Journal, Result) async throws -> Void,
                                       build: @escaping @Sendable (BuildEngine) async throws -> Result) async throws -> Result {
        try await CommandFailure.reporting {
            guard NamespaceStepRunner.isSupported else {
                throw ValidationError("reprise build must run as root: it creates namespaces and mounts for each step")
            }
            // The index's WAL stays for the next process: a fully cached build does no SQLite sync
            // but the WAL's fsync in the engine's final synchronize (Journal.IndexLog).
            let journal = try journalOptions.open(indexLog: .keptForNextOpen)
            let runner = NamespaceStepRunner(scratchDirectory: journal.root + "/tmp/sandbox")
            runner.removeAbandonedScratch()
            try await before(journal)
            let engine = BuildEngine(journal: journal, runner: runner, events: Self.sink(for: progress))
            let result = try await SignalCancellation.run { try await build(engine) }
            try await after(journal, result)
            return result
        }
    }

    static func sink(for mode: ProgressMode) -> any BuildEventSink {
        switch mode {
        case .quiet: SilentProgress()
        case .rawjson: JSONProgressPrinter()
        case .tty: TTYProgressPrinter()
        case .plain, .auto: PlainProgressPrinter(colour: false, showOutput: true)
        }
    }
}

/// `--progress=quiet`: nothing but errors.
struct SilentProgress: BuildEventSink {
    func receive(_ event: BuildEvent) {}
}
