import ArgumentParser
import Engine
import Foundation
import OCIImage
import Replay

/// `reprise replay BUILD`: re-run a recorded build from the journal alone and compare each step.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-execute a recorded build from the journal alone and compare every step with the record.",
        discussion: CommandHelp.discussion(
            "replay", exitStatus: "Exit status: 0 when every step reproduced, 1 when some step differs, 2 on error."))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "A build id, a unique prefix of one, or an image tag.") var build: String
    @Option(help: "Secret to expose again: id=ID[,src=PATH|env=VAR]; it must be the value recorded.")
    var secret: [String] = []
    @Option(help: "Replay only this step (by index), from its recorded parent state.") var step: Int?
    @Option(name: .customLong("from-step"), help: "Take the steps before this one from the record, replay the rest.")
    var fromStep: Int?
    @Option(name: [.short, .long], help: "Output destination: type=oci|docker|local,dest=PATH[,tar=false].")
    var output: [String] = []
    @OptionGroup var variationOptions: VariationOptions
    @Option(help: "Progress output: auto, plain, tty, rawjson or quiet.") var progress: ProgressMode = .auto
    @Flag(help: "Print the report as JSON.") var json = false
    @OptionGroup var registryOptions: RegistryOptions

    func validate() throws {
        if step != nil, fromStep != nil { throw ValidationError("--step and --from-step cannot be combined") }
    }

    func run() async throws {
        let mode = progress.resolved(stderrIsTTY: Terminal.stderrIsTTY)
        let runner = ReplayRunner(journalOptions: journalOptions, progress: mode)
        let build = self.build
        let options = try await CommandFailure.reporting(status: ReplayRunner.errorStatus) {
            ReplayOptions(build: build, secrets: try secret.map { try SecretSource(parsing: $0) },
                          variations: try variationOptions.variations, onlyStep: step, fromStep: fromStep,
                          outputs: try output.map { try OutputSpec(parsing: $0) })
        }
        // Images the journal lacks are pulled by their recorded digest through these settings.
        let registry = registryOptions.configuration
        let report = try await runner.run { engine in
            var resolved = options
            resolved.registry = registry
            resolved.build = try ReplayRunner.originalBuild(build, in: engine.journal)
            return try await Replayer(engine: engine).replay(resolved)
        }
        if json {
            try ReplayExplanation.printJSON(report, journal: try? journalOptions.open(create: false))
        } else {
            print(ReplayReportPresenter.render(report), terminator: "")
            if !report.reproducible, report.complete, let journal = try? journalOptions.open(create: false),
               let why = ReplayExplanation.text(build: report.build, replay: report.replay, journal: journal,
                                                color: isatty(1) == 1) {
                print(why, terminator: "")
            }
        }
        if !report.reproducible { throw ExitCode(1) }
    }
}
