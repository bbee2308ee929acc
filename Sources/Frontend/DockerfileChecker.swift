/// The outcome of checking one Dockerfile.
public struct CheckReport: Sendable {
    public var fileName: String
    /// Every error and warning, errors and warnings interleaved in source order.
    public var diagnostics: [Diagnostic]
    /// The plan for the requested target; nil when there were errors.
    public var plan: DockerfilePlan?
    /// The parsed instructions (present even when planning failed).
    public var document: ParsedDockerfile

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    /// True when the file has no errors.
    public var isValid: Bool { errors.isEmpty }
    /// Whether a build would stop: on errors, or on any warning when the file says
    /// `# check=error=true` (BuildKit fails the build then). `--check` exit status uses this.
    public var failsBuild: Bool {
        !isValid || (document.directives.checkWarningsAreErrors && !warnings.isEmpty)
    }
}

/// The library entry point behind `reprise build --check`: parse, lint and plan a Dockerfile
/// without touching contexts, images or the filesystem.
public enum DockerfileChecker {
    /// Checks `source` as the Dockerfile named `fileName` (used only in messages).
    ///
    /// - Parameters:
    ///   - buildArgs: `--build-arg` values.
    ///   - target: `--target` stage name; nil means the last stage.
    ///   - platform: `--platform`; defaults to the host's.
    public static func check(source: [UInt8], fileName: String = "Dockerfile",
                             buildArgs: [String: String] = [:], target: String? = nil,
                             platform: BuildPlatform = .host) -> CheckReport {
        let options = BuildOptions(buildArgs: buildArgs, target: target, targetPlatform: platform)
        return check(source: source, fileName: fileName, options: options)
    }

    /// Text convenience for ``check(source:fileName:buildArgs:target:platform:)``.
    public static func check(source: String, fileName: String = "Dockerfile",
                             buildArgs: [String: String] = [:], target: String? = nil,
                             platform: BuildPlatform = .host) -> CheckReport {
        check(source: Array(source.utf8), fileName: fileName, buildArgs: buildArgs, target: target,
              platform: platform)
    }

    /// Checks with full ``BuildOptions``.
    public static func check(source: [UInt8], fileName: String, options: BuildOptions) -> CheckReport {
        let document = ParsedDockerfile(source: source, fileName: fileName)
        var diagnostics = document.diagnostics
        var plan: DockerfilePlan? = nil
        if !document.hasErrors {
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

    /// `# check=skip=...` drops warnings. `# check=error=true` is reported by
    /// ``CheckReport/failsBuild``; the warnings stay warnings so that the file's own
    /// problems and its policy are not confused.
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
