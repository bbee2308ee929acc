import ArgumentParser
import Engine
import Foundation
import Replay

/// `reprise verify [build flags] CONTEXT`: build, then replay the build N times under variations.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Build, then replay the build several times under variations, and say whether it is reproducible.",
        discussion: CommandHelp.discussion(
            "verify", exitStatus: "Exit status: 0 when every replay reproduced every step, 1 when some step differs, 2 on error."))

    @OptionGroup var journalOptions: JournalOptions
    @OptionGroup var flags: BuildFlags
    @Option(help: "How many replays to run.") var runs: Int = 1
    @OptionGroup var variationOptions: VariationOptions
    @Flag(help: "Print the report as JSON.") var json = false
    @OptionGroup var summary: VerifySummaryOptions

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() async throws {
        let runner = ReplayRunner(journalOptions: journalOptions, progress: flags.progressMode)
        let (request, variations, secrets) = try await CommandFailure.reporting(status: ReplayRunner.errorStatus) {
            (try flags.request(), try variationOptions.variations, try flags.secret.map { try SecretSource(parsing: $0) })
        }
        let runs = self.runs
        let showProgress = ![.quiet, .rawjson].contains(flags.progressMode)
        let report = try await runner.run({ engine in
            try await Verifier(engine: engine).verify(request, runs: runs, variations: variations, secrets: secrets) { k, n in
                if showProgress {
                    Terminal.progress("replay \(k) of \(n)" + (variations.isEmpty ? "" : " (varying \(variations.names.joined(separator: ", ")))"))
                }
            }
        }, create: true)
        if json {
            try Terminal.printJSON(report)
        } else {
            print(ReplayReportPresenter.render(report), terminator: "")
            // The first replay that diverged, explained by the differ.
            if let divergent = report.replays.first(where: { !$0.reproducible && $0.complete }),
               let journal = try? journalOptions.open(create: false),
               let why = ReplayExplanation.text(build: divergent.build, replay: divergent.replay, journal: journal,
                                                color: isatty(1) == 1) {
                print(why, terminator: "")
            }
        }
        try await CommandFailure.reporting(status: ReplayRunner.errorStatus) {
            try summary.write(report, variations: variations.names, journal: try journalOptions.open(create: false))
        }
        if !json {
            let reproduced = report.replays.filter(\.reproducible).count
            Terminal.progress("verdict: \(report.reproducible ? "reproducible" : "NOT reproducible"): "
                + "\(reproduced) of \(report.replays.count) replays reproduced every step")
        }
        if !report.reproducible { throw ExitCode(1) }
    }
}
