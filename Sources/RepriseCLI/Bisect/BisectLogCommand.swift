import ArgumentParser
import Bisect
import Foundation

/// `reprise bisect log [ID]`: the logged bisect (the newest by default) as text or JSON.
struct BisectLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "Show a logged bisect (the newest by default).",
                                                    discussion: CommandHelp.discussion("bisect log", exitStatus: CommandHelp.bisectExitStatus))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "The bisect id (bisect-…).") var id: String?
    @Flag(help: "Print the log as JSON.") var json = false

    func run() async throws {
        let report = try await CommandFailure.reporting(status: 2) {
            try BisectLog(journal: journalOptions.open(create: false)).load(id)
        }
        if json { try Terminal.printJSON(report) } else { print(BisectReportPresenter.text(report), terminator: "") }
    }
}
