import ArgumentParser
import Bisect
import BuildJournal
import Engine
import Foundation

/// `reprise bisect [run]`: the options, the predicate, and the bisect over inputs or commits.
struct BisectRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a bisect (the default).",
                                                    discussion: CommandHelp.discussion("bisect run", exitStatus: CommandHelp.bisectExitStatus))

    @OptionGroup var journalOptions: JournalOptions
    @Option(help: "The good side: a build id or tag, or with --git a revision.") var good: String?
    @Option(help: "The bad side: a build id or tag, or with --git a revision.") var bad: String?
    @Option(help: "Bisect the first-parent commits of this git repository instead of recorded inputs.")
    var git: String?
    @Option(name: [.customShort("f"), .customLong("dockerfile")], help: "--git: the Dockerfile, relative to the repository (default: Dockerfile).")
    var dockerfile: String = "Dockerfile"
    @Option(name: .customLong("build-arg"), help: "--git: a build-time variable, KEY=VALUE (repeatable).")
    var buildArg: [String] = []
    @Option(help: "--git: target stage to build.") var target: String?
    @Flag(name: .customLong("bisect-inputs"), help: "--git: then bisect the culprit commit's input changes (which of its files matter).")
    var bisectInputs = false

    @Flag(help: "Bad when the image digest differs from the good one's (the default).") var differs = false
    @Flag(help: "Bad when the build fails.") var fails = false
    @Option(name: .customLong("at-step"), help: "With --fails: only a failure at this step (index) counts; others are skipped.")
    var atStep: Int?
    @Option(name: .customLong("file"), help: "Bad when this file in the image differs from the good one's.")
    var filePath: String?
    @Option(name: .customLong("run"), help: "Bad when this shell command, run in the image (no network), exits non-zero (125: skip).")
    var runCommand: String?
    @Flag(help: "Bad when a replay of the probe does not reproduce it.") var unreproducible = false

    @Option(help: "A secret every probe needs: id=ID[,src=PATH|env=VAR] (values are never in the journal).")
    var secret: [String] = []
    @Option(name: .customLong("max-probes"), help: "Stop after this many probe builds.") var maxProbes: Int?
    @Flag(help: "Continue the newest logged bisect of the same two sides; judged probes are not built again.")
    var resume = false
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(help: "Progress output: auto, plain, tty, rawjson or quiet.") var progress: ProgressMode = .quiet

    var predicate: BisectPredicate {
        if fails { return .fails(atStep: atStep) }
        if let filePath { return .file(filePath) }
        if let runCommand { return .run(runCommand) }
        if unreproducible { return .unreproducible }
        return .differs
    }

    func validate() throws {
        guard good != nil, bad != nil else { throw ValidationError("give --good and --bad") }
        let chosen = [differs, fails, filePath != nil, runCommand != nil, unreproducible].filter { $0 }.count
        if chosen > 1 { throw ValidationError("choose one predicate: --differs, --fails, --file, --run or --unreproducible") }
        if atStep != nil && !fails { throw ValidationError("--at-step goes with --fails") }
        if let maxProbes, maxProbes < 1 { throw ValidationError("--max-probes must be at least 1") }
        if git == nil, !buildArg.isEmpty || target != nil || dockerfile != "Dockerfile" || bisectInputs {
            throw ValidationError("--dockerfile, --build-arg, --target and --bisect-inputs go with --git; a recorded build brings its own")
        }
    }

    func run() async throws {
        let runner = ReplayRunner(journalOptions: journalOptions, progress: progress.resolved(stderrIsTTY: Terminal.stderrIsTTY))
        let (good, bad, predicate) = (self.good!, self.bad!, self.predicate)
        let (git, dockerfile, target, maxProbes, resume) = (self.git, self.dockerfile, self.target, self.maxProbes, self.resume)
        let bisectInputs = self.bisectInputs
        let arguments = try await CommandFailure.reporting(status: 2) { try Self.buildArguments(buildArg) }
        let secrets = try await CommandFailure.reporting(status: 2) { try secret.map { try SecretSource(parsing: $0) } }
        let report = try await runner.run({ engine in
            let say: @Sendable (String) -> Void = { line in
                FileHandle.standardError.write(Data(("bisect: " + line + "\n").utf8))
            }
            if let git {
                var options = GitBisector.Options(repository: git, good: good, bad: bad, dockerfile: dockerfile,
                                                  buildArguments: arguments, target: target, predicate: predicate,
                                                  maxProbes: maxProbes, bisectInputs: bisectInputs)
                options.secrets = secrets
                return try await GitBisector(engine: engine).run(options, progress: say)
            }
            let journal = engine.journal
            let goodID = try journal.resolveBuild(named: good)
            let badID = try journal.resolveBuild(named: bad)
            var earlier: BisectReport?
            if resume, let logged = try? BisectLog(journal: journal).load(nil), logged.good == goodID, logged.bad == badID,
               logged.predicate == predicate {
                earlier = logged
                say("resuming \(logged.id): \(logged.probes.count) probes already judged")
            }
            return try await InputBisector(engine: engine).run(
                .init(good: goodID, bad: badID, predicate: predicate, maxProbes: maxProbes, resume: earlier, secrets: secrets),
                progress: say)
        }, create: false)
        if json {
            try Terminal.printJSON(report)
        } else {
            print(BisectReportPresenter.text(report), terminator: "")
        }
    }

    static func buildArguments(_ values: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("invalid --build-arg '\(value)': expected KEY=VALUE") }
            result[parts[0]] = parts[1]
        }
        return result
    }
}
