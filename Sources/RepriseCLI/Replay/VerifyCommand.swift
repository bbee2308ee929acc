import ArgumentParser
import Engine
import ContentStore
import Foundation
import OCIImage
import Registry
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
    @Option(name: .customLong("from"), help: ArgumentHelp(
        "Verify a recorded build from a registry instead of building: a bundle pushed with 'journal push', or an "
            + "image with a bundle referrer (no CONTEXT then).", valueName: "ref"))
    var from: String?
    @Flag(help: "With --from: publish the verdict as a referrer of the verified image.") var publish = false
    @Option(help: "With --publish: the name this rebuilder signs its verdict with (default: the host name).")
    var rebuilder: String?

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        if from != nil && flags.context != nil { throw ValidationError("--from verifies a recorded build: give no CONTEXT") }
        if from == nil && publish { throw ValidationError("--publish needs --from REF") }
        // verify shares build's flags; these three only `reprise build` carries out, and a flag
        // accepted and then ignored would be a silent lie.
        let buildOnly = [("--cache-from", !flags.cacheFrom.isEmpty), ("--cache-to", !flags.cacheTo.isEmpty),
                         ("--iidfile", flags.iidfile != nil)].filter(\.1).map(\.0)
        if !buildOnly.isEmpty {
            throw ValidationError("verify does not take \(buildOnly.joined(separator: ", ")): it builds and replays in one "
                + "journal; import or export a step cache with `reprise build`")
        }
    }

    func run() async throws {
        let runner = ReplayRunner(journalOptions: journalOptions, progress: flags.progressMode)
        let runs = self.runs
        let report: VerifyReport
        if let from {
            let (source, variations, secrets) = try await CommandFailure.reporting(status: ReplayRunner.errorStatus) {
                (try ImageReference(parsing: from), try variationOptions.variations,
                 try flags.secret.map { try SecretSource(parsing: $0) })
            }
            let registry = flags.registryOptions.configuration
            let publisher = publish ? (rebuilder ?? ProcessInfo.processInfo.hostName) : nil
            report = try await runner.run({ engine in
                try await RegistryClient.using(registry) { client in
                    let bundles = BundleRegistry(journal: engine.journal, client: client)
                    let id = try await bundles.pull(source)
                    let report = try await Verifier(engine: engine).verifyRecorded(
                        id, runs: runs, variations: variations, secrets: secrets, registry: registry)
                    if let publisher, let image = report.manifest.flatMap({ Digest($0) }) {
                        let verdict = try await bundles.publishVerdict(report, rebuilder: publisher, image: image, to: source)
                        Terminal.progress("published verdict \(verdict.digest) for \(source.name)@\(image)")
                    }
                    return report
                }
            }, create: true)
        } else {
            let (request, variations, secrets) = try await CommandFailure.reporting(status: ReplayRunner.errorStatus) {
                if try flags.platforms().count > 1 {
                    throw ValidationError("verify takes one --platform: verify each platform's build on its own")
                }
                return (try flags.request(), try variationOptions.variations, try flags.secret.map { try SecretSource(parsing: $0) })
            }
            let showProgress = ![.quiet, .rawjson].contains(flags.progressMode)
            report = try await runner.run({ engine in
                try await Verifier(engine: engine).verify(request, runs: runs, variations: variations, secrets: secrets) { k, n in
                    if showProgress {
                        Terminal.progress("replay \(k) of \(n)" + (variations.isEmpty ? "" : " (varying \(variations.names.joined(separator: ", ")))"))
                    }
                }
            }, create: true)
        }
        let variations = try await CommandFailure.reporting(status: ReplayRunner.errorStatus) { try variationOptions.variations }
        if json {
            try ReplayExplanation.printJSON(report, journal: try? journalOptions.open(create: false))
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
