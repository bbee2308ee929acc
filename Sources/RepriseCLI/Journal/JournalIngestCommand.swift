import ArgumentParser
import BuildJournal

/// `reprise journal ingest FILE…`: store files as blobs and print their digests (as
/// `git hash-object -w` does), for scripts that attach material to the journal.
struct JournalIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "Store files in the journal's blob store and print their digests.", discussion: CommandHelp.discussion("journal ingest"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "Files to store.") var files: [String]

    func run() async throws {
        try await CommandFailure.reporting {
            let store = try journalOptions.open().store
            for file in files {
                let result = try store.ingest(fileAt: file)
                print("\(result.digest)  \(file)")
            }
        }
    }
}
