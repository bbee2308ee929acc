import ArgumentParser
import BuildJournal

/// `reprise journal reindex`: rebuild the SQLite index from the blobs and refs.
struct JournalReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex", abstract: "Rebuild the journal's index from its records.")

    @OptionGroup var journalOptions: JournalOptions

    func run() async throws {
        try await CommandFailure.reporting {
            let report = try journalOptions.open(create: false).reindex()
            print("indexed \(report.builds) build(s), \(report.steps) step(s), \(report.images) image(s), \(report.tags) tag(s)")
        }
    }
}
