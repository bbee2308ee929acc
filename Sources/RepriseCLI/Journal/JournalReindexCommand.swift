import ArgumentParser
import BuildJournal
import DisplayText

/// `reprise journal reindex`: rebuild the SQLite index from the blobs and refs.
struct JournalReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Rebuild the journal's index from its refs and records, restoring damaged refs where the blobs allow.", discussion: CommandHelp.discussion("journal reindex"))

    @OptionGroup var journalOptions: JournalOptions

    func run() async throws {
        let report = try await CommandFailure.reporting {
            // `.rebuild`: an unreadable index is moved aside (kept as evidence) and started afresh.
            try journalOptions.open(create: false, index: .rebuild).reindex()
        }
        for line in report.recovered { print("recovered: " + DisplayText.escaped(line)) }
        for line in report.unrecoverable { print("not recoverable: " + DisplayText.escaped(line)) }
        print("indexed \(report.builds) build(s), \(report.steps) step(s), \(report.images) image(s), \(report.tags) tag(s)"
              + (report.unrecoverable.isEmpty ? "" : "; \(report.unrecoverable.count) item(s) could not be recovered"))
        if !report.unrecoverable.isEmpty { throw ExitCode(1) }
    }
}
