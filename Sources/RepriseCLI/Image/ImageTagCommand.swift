import ArgumentParser
import BuildJournal
import Engine

/// `reprise image tag SOURCE TARGET`: give an image another name.
struct ImageTagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Give an image another name.", discussion: CommandHelp.discussion("image tag"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "An image name or digest.") var source: String
    @Argument(help: "The new name.") var target: String

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            let digest = try journal.resolveImage(named: source)
            try journal.tag(Journal.normalizedImageName(target), manifest: digest)
        }
    }
}

