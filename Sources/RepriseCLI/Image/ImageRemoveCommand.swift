import ArgumentParser
import BuildJournal
import Engine

/// `reprise image rm NAME…`: remove names; the blobs go at the next `journal gc`.
struct ImageRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove image names (blobs are freed by 'reprise journal gc').", discussion: CommandHelp.discussion("image rm"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "Image names.") var names: [String]

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            for name in names {
                let removed = try journal.untag(named: name)
                print("Untagged: \(Journal.familiarImageName(removed))")
            }
        }
    }
}
