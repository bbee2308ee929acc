import ArgumentParser
import Foundation
import Replay

/// `reprise journal import FILE`: bring an exported build into this journal, ready to replay.
struct JournalImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a build bundle written by `journal export` (every blob verified).", discussion: CommandHelp.discussion("journal import"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "The bundle file.") var bundle: String

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open()
            for id in try BundleImporter(journal: journal).importBundle(at: bundle) { print(id) }
        }
    }
}
