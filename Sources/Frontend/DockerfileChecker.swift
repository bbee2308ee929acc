/// The library entry point behind `reprise build --check`: parse, lint and plan a Dockerfile
/// without touching contexts, images or the filesystem.
public enum DockerfileChecker {
    /// Checks `source` as the Dockerfile named `fileName` (used only in messages).
    ///
    /// - Parameters:
    ///   - buildArgs: `--build-arg` values.
    ///   - target: `--target` stage name; nil means the last stage.
    ///   - platform: `--platform`; defaults to the host's.
    ///   - dockerIgnore: the main context's `.dockerignore`, for the `CopyIgnoredFile` check.
    public static func check(source: [UInt8], fileName: String = "Dockerfile",
                             buildArgs: [String: String] = [:], target: String? = nil,
                             platform: BuildPlatform = .host, dockerIgnore: DockerIgnore? = nil) -> CheckReport {
        let options = BuildOptions(buildArgs: buildArgs, target: target, targetPlatform: platform,
                                   dockerIgnore: dockerIgnore)
        return check(source: source, fileName: fileName, options: options)
    }

    /// Text convenience for ``check(source:fileName:buildArgs:target:platform:dockerIgnore:)``.
    public static func check(source: String, fileName: String = "Dockerfile",
                             buildArgs: [String: String] = [:], target: String? = nil,
                             platform: BuildPlatform = .host, dockerIgnore: DockerIgnore? = nil) -> CheckReport {
        check(source: Array(source.utf8), fileName: fileName, buildArgs: buildArgs, target: target,
              platform: platform, dockerIgnore: dockerIgnore)
    }

    /// Checks with full ``BuildOptions``.
    public static func check(source: [UInt8], fileName: String, options: BuildOptions) -> CheckReport {
        let document = ParsedDockerfile(source: source, fileName: fileName)
        var diagnostics = document.diagnostics
        // `--build-arg BUILDKIT_SYNTAX=` overrides `# syntax=` in BuildKit, so it is held to
        // the same rule.
        if let syntax = options.buildArgs["BUILDKIT_SYNTAX"], !SyntaxFrontend.isDockerfileFrontend(syntax) {
            diagnostics.append(Diagnostic(
                severity: .error, message: SyntaxFrontend.refusal(syntax, source: "in --build-arg BUILDKIT_SYNTAX"),
                location: SourceLocation(file: fileName, startLine: 1, endLine: 1, column: 1)))
        }
        var plan: DockerfilePlan? = nil
        if !diagnostics.contains(where: { $0.severity == .error }) {
            diagnostics += Linter().lint(document)
            let planned = BuildPlanner(options: options).plan(document)
            diagnostics += planned.diagnostics
            plan = planned.plan
        }
        diagnostics = applyCheckDirective(diagnostics, directives: document.directives)
        diagnostics = deduplicated(diagnostics).sorted {
            ($0.location.startLine, $0.location.column, $0.severity == .error ? 0 : 1)
                < ($1.location.startLine, $1.location.column, $1.severity == .error ? 0 : 1)
        }
        if diagnostics.contains(where: { $0.severity == .error }) { plan = nil }
        return CheckReport(fileName: fileName, diagnostics: diagnostics, plan: plan, document: document)
    }

    /// `# check=skip=...` drops warnings (and experimental checks not asked for by
    /// `# check=experimental=...`). `# check=error=true` is reported by
    /// ``CheckReport/verdict``; the warnings stay warnings so that the file's own problems
    /// and its policy are not confused.
    static func applyCheckDirective(_ diagnostics: [Diagnostic], directives: ParserDirectives) -> [Diagnostic] {
        diagnostics.filter { diagnostic in
            guard diagnostic.severity == .warning, let rule = diagnostic.rule else { return true }
            return directives.isCheckEnabled(rule)
        }
    }

    private static func deduplicated(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return diagnostics.filter { seen.insert($0).inserted }
    }
}
