import ArgumentParser
import BuildJournal
import Engine
import DisplayText
import Foundation
import Frontend
import OCIImage
import Replay
import Sandbox

/// `reprise build [flags] CONTEXT`: `docker buildx build`, recorded.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a Dockerfile into an OCI image, recording every input of every step.",
        discussion: """
            Takes `docker buildx build` flags. Examples:

              reprise build -t app:1 -o type=oci,dest=app.tar .
              reprise build --build-arg VERSION=2 --label org.opencontainers.image.version=2 -o out/ .
              tar -c . | reprise build -t app:1 -
              reprise build -f - . < Dockerfile.ci
              reprise build 'https://example.org/app.git#v1.2:src'
              reprise build --call outline .
              reprise build --cache-to type=local,dest=cache/ . && reprise build --cache-from type=local,src=cache/ .
              reprise build --platform linux/amd64,linux/arm64 -t app:1 -o type=oci,dest=app.tar .

            Exit status: 0 when the build (or check) succeeded; 1 when it failed (a step, the
            Dockerfile, a check with errors); 64 for a usage error; 130 when interrupted.
            """)

    @OptionGroup var journalOptions: JournalOptions
    @OptionGroup var flags: BuildFlags
    @OptionGroup var variationOptions: VariationOptions

    @Flag(help: "Only check the Dockerfile (syntax, flags, stages, expansions) and print every problem (--call check).")
    var check = false
    @Option(help: ArgumentHelp("What to do with the Dockerfile, as buildx: build (default), check, outline or targets; "
                               + "outline and targets take ,format=json.", valueName: "method"),
            completion: .list(CallMethod.allCases.map(\.rawValue)))
    var call: String = "build"

    func validate() throws {
        _ = try callRequest()
    }

    /// `--call METHOD[,format=text|json]`.
    func callRequest() throws -> (method: CallMethod, json: Bool) {
        let fields = call.split(separator: ",").map(String.init)
        guard let first = fields.first, let method = CallMethod(rawValue: first) else {
            throw ValidationError("--call \(call): expected build, check, outline or targets")
        }
        var json = false
        for field in fields.dropFirst() {
            switch field {
            case "format=json": json = true
            case "format=text": json = false
            default: throw ValidationError("--call \(call): unknown option \(field) (format=json or format=text)")
            }
        }
        return (method, json)
    }

    func run() async throws {
        let (called, json) = try callRequest()
        let method = check ? .check : called
        let staged = try await CommandFailure.reporting { try StagedInputs.stage(context: flags.contextPath, file: flags.file) }
        defer { staged?.remove() }
        switch method {
        case .check: return try await runCheck(staged)
        case .outline, .targets: return try await runOutline(staged, method: method, json: json)
        case .build: break
        }
        let (request, shuffler) = try await CommandFailure.reporting {
            try variationOptions.applied(to: flags.request(inputs: staged))
        }
        defer { shuffler?.unmountAll() }
        let cacheImports = try await CommandFailure.reporting { try flags.cacheImports }
        let cacheExport = try await CommandFailure.reporting { try flags.cacheExport }
        let registry = request.registry
        let platforms = try await CommandFailure.reporting { try flags.platforms() }
        if platforms.count > 1 {
            return try await runPlatforms(request, platforms: platforms, cacheImports: cacheImports,
                                          cacheExport: cacheExport)
        }
        let result = try await BuildRunner(journalOptions: journalOptions, progress: flags.progressMode)
            .run(request, before: { journal in
                try await StepCacheTransfer.importCaches(from: cacheImports, into: journal, registry: registry)
            }, after: { journal, result in
                guard let cacheExport else { return }
                do {
                    try await StepCacheTransfer.exportCache(of: result.buildID, from: journal, to: cacheExport,
                                                            registry: registry)
                } catch where flags.cacheTo.last.map(StepCacheLocation.ignoresErrors) ?? false {
                    Terminal.warning("\(error) (ignored: ignore-error=true)")
                }
            })
        // As buildx: -q and --iidfile give the image id, the config digest.
        let imageID = result.config ?? result.manifest
        let stdoutTaken = request.outputs.contains(where: \.writesToStandardOutput)
        if flags.quiet || flags.progressMode == .quiet, !stdoutTaken, let imageID { print(imageID) }
        if let iidfile = flags.iidfile, let imageID {
            try await CommandFailure.reporting { try Data(imageID.description.utf8).write(to: URL(fileURLWithPath: iidfile)) }
        }
    }

    /// `--platform A,B`: one build per platform and an index over them (``MultiPlatformBuild``);
    /// `-q` and `--iidfile` give the index digest, as buildx does for a multi-platform image.
    private func runPlatforms(_ request: BuildRequest, platforms: [Platform], cacheImports: [StepCacheLocation],
                              cacheExport: StepCacheLocation?) async throws {
        let registry = request.registry
        let platformNames = platforms.map { "\($0)".replacingOccurrences(of: "/", with: "_") }
        try await CommandFailure.reporting {
            try MultiPlatformBuild.validate(request, platforms: platforms)
        }
        let result = try await BuildRunner(journalOptions: journalOptions, progress: flags.progressMode)
            .run(request, platforms: platforms, before: { journal in
                try await StepCacheTransfer.importCaches(from: cacheImports, into: journal, platforms: platformNames,
                                                         registry: registry)
            }, after: { journal, result in
                guard let cacheExport else { return }
                // One bundle per platform's build: the first as a single-platform build writes it.
                for (offset, build) in result.builds.enumerated() {
                    try await StepCacheTransfer.exportCache(of: build.buildID, from: journal, to: cacheExport,
                        platform: offset == 0 ? nil : build.record.platform.replacingOccurrences(of: "/", with: "_"),
                        registry: registry)
                }
            })
        let stdoutTaken = request.outputs.contains(where: \.writesToStandardOutput)
        if flags.quiet || flags.progressMode == .quiet, !stdoutTaken { print(result.index.digest) }
        if let iidfile = flags.iidfile {
            try await CommandFailure.reporting {
                try Data(result.index.digest.description.utf8).write(to: URL(fileURLWithPath: iidfile))
            }
        }
    }

    /// The Dockerfile and context as the check and outline read them.
    private func source(_ staged: StagedInputs?) throws -> (path: String, context: String, data: Data) {
        let context = staged?.contextPath ?? flags.contextPath
        let path = staged?.dockerfilePath ?? flags.file ?? (context as NSString).appendingPathComponent("Dockerfile")
        guard let data = FileManager.default.contents(atPath: path) else { throw RequestError.missingDockerfile(path) }
        return (path, context, data)
    }

    /// `--check`: parse, lint and plan; never touches contexts, images or the sandbox.
    private func runCheck(_ staged: StagedInputs?) async throws {
        let (path, context, source) = try await CommandFailure.reporting { try self.source(staged) }
        let ignore = DockerIgnore.load(dockerfilePath: path, contextDirectory: context) { candidate in
            FileManager.default.contents(atPath: candidate).map { Array($0) }
        }
        // Checked for the (first) target platform, whose TARGET* arguments the plan expands.
        let target = try await CommandFailure.reporting { try flags.platforms().first }
        let report = DockerfileChecker.check(
            source: Array(source), fileName: flags.file ?? "Dockerfile",
            buildArgs: try flags.buildArgumentValues(), target: flags.target,
            platform: target.map { BuildPlatform(os: $0.os, architecture: $0.architecture, variant: $0.variant) } ?? .host,
            dockerIgnore: ignore)
        FileHandle.standardError.write(Data(DisplayText.escaped(DiagnosticFormatter.format(report), keepingLineBreaks: true).utf8))
        // As buildx: errors fail the check, and so do warnings under `# check=error=true`.
        if report.verdict.fails {
            if let message = report.verdict.failureMessage { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            throw ExitCode(1)
        }
    }

    /// `--call outline|targets`: what buildx prints, from the Dockerfile alone.
    private func runOutline(_ staged: StagedInputs?, method: CallMethod, json: Bool) async throws {
        let (_, _, source) = try await CommandFailure.reporting { try self.source(staged) }
        let outline = DockerfileOutline(source: Array(source), fileName: flags.file ?? "Dockerfile",
                                        buildArgs: try flags.buildArgumentValues())
        if json {
            return try await CommandFailure.reporting {
                method == .targets ? try Terminal.printJSON(outline.targetsJSON())
                                   : try Terminal.printJSON(outline.outlineJSON(target: flags.target))
            }
        }
        let text = method == .targets ? outline.targetsText() : try await CommandFailure.reporting {
            try outline.outlineText(target: flags.target)
        }
        print(DisplayText.escaped(text, keepingLineBreaks: true), terminator: "")
    }
}

/// `--call`, as buildx names the methods.
enum CallMethod: String, ExpressibleByArgument, CaseIterable {
    case build, check, outline, targets
}
