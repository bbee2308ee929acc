import ArgumentParser
import BuildJournal
import Engine

/// `reprise journal rm BUILD…`: forget builds; their blobs go at the next `journal gc` unless
/// another build or an image name still reaches them.
struct JournalRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Forget recorded builds (blobs are freed by 'reprise journal gc').",
        discussion: CommandHelp.discussion("journal rm"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "Build ids, unique prefixes of ids, or image names a build produced.") var builds: [String]

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            // Every name is resolved before anything is removed: a typo removes nothing.
            let ids = try builds.map { try journal.resolveBuild(named: $0) }
            for id in ids {
                try journal.removeBuild(id: id)
                print("Removed: \(id)")
            }
        }
    }
}
