import ArgumentParser
import Engine
import Foundation
import Replay

/// `reprise journal export BUILD -o FILE`: one build and everything it references, as a bundle.
struct JournalExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a build and every blob it references as a self-contained bundle (an OCI layout tar).", discussion: CommandHelp.discussion("journal export"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "A build id, a unique prefix of one, or an image tag.") var build: String
    @Option(name: [.short, .long], help: "The bundle file to write.") var output: String

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            let id = try journal.resolveBuild(named: build)
            let blobs = try BuildBundle.export(id, from: journal, to: output)
            Terminal.progress("exported build \(id) (\(blobs) blobs) to \(output)")
        }
    }
}
