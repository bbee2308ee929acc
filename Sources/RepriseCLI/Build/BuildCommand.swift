import ArgumentParser
import Engine
import DisplayText
import Foundation
import Frontend
import OCIImage
import Sandbox

/// `reprise build [flags] CONTEXT`: `docker buildx build`, recorded.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a Dockerfile into an OCI image, recording every input of every step.")

    @OptionGroup var journalOptions: JournalOptions
    @OptionGroup var flags: BuildFlags
    @OptionGroup var variationOptions: VariationOptions

    @Flag(help: "Only check the Dockerfile (syntax, flags, stages, expansions) and print every problem.")
    var check = false

    func run() async throws {
        if check { return try await runCheck() }
        let (request, shuffler) = try await CommandFailure.reporting { try variationOptions.applied(to: flags.request()) }
        defer { shuffler?.unmountAll() }
        let result = try await BuildRunner(journalOptions: journalOptions, progress: flags.progressMode)
            .run(request)
        if flags.quiet || flags.progressMode == .quiet, let manifest = result.manifest { print(manifest) }
        if let iidfile = flags.iidfile, let manifest = result.manifest {
            try await CommandFailure.reporting { try Data(manifest.description.utf8).write(to: URL(fileURLWithPath: iidfile)) }
        }
    }

    /// `--check`: parse, lint and plan; never touches contexts, images or the sandbox.
    private func runCheck() async throws {
        let path = flags.dockerfilePath
        let source = try await CommandFailure.reporting { () throws -> Data in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RequestError.missingDockerfile(path)
            }
            return data
        }
        let ignore = DockerIgnore.load(dockerfilePath: path, contextDirectory: flags.contextPath) { candidate in
            FileManager.default.contents(atPath: candidate).map { Array($0) }
        }
        let report = DockerfileChecker.check(
            source: Array(source), fileName: flags.file ?? "Dockerfile",
            buildArgs: try flags.buildArgumentValues(), target: flags.target, dockerIgnore: ignore)
        FileHandle.standardError.write(Data(DisplayText.escaped(DiagnosticFormatter.format(report), keepingLineBreaks: true).utf8))
        // As buildx: errors fail the check, and so do warnings under `# check=error=true`.
        if report.verdict.fails {
            if let message = report.verdict.failureMessage { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            throw ExitCode(1)
        }
    }
}
