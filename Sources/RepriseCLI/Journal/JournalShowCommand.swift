import ArgumentParser
import BuildJournal
import ContentStore
import Engine
import Foundation

/// `reprise journal show BUILD`: everything recorded about one build.
struct JournalShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show what a build recorded, step by step.", discussion: CommandHelp.discussion("journal show"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "A build id, a unique prefix of one, or an image tag.") var build: String
    @Flag(help: "Print the build record and its steps as JSON.") var json = false
    @Flag(help: "Include each step's stdout and stderr.") var logs = false

    struct Document: Encodable {
        var build: BuildRecord
        var steps: [StepRecord]
    }

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            let record = try journal.build(id: ImageDigestBuild.resolve(build, in: journal)
                ?? journal.resolveBuild(named: build))
            let steps = try journal.steps(of: record)
            if json { return try Terminal.printJSON(Document(build: record, steps: steps)) }
            print(try BuildRecordPresenter(journal: journal, includeLogs: logs).render(record, steps: steps))
        }
    }
}
