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
    /// True when the file has no errors (warnings may still fail the build: see ``verdict``).
    public var isValid: Bool { errors.isEmpty }

    /// Whether a build (or `--check`) must stop: on errors, or on any warning when the file
    /// says `# check=error=true`. Same as `verdict.fails`.
    public var failsBuild: Bool { verdict.fails }

    /// What a build or `reprise build --check` should do with this file.
    public var verdict: CheckVerdict {
        if !errors.isEmpty { return .failedOnErrors }
        let warnings = self.warnings
        if warnings.isEmpty { return .passed }
        guard document.directives.checkWarningsAreErrors else { return .passedWithWarnings }
        var rules: [String] = []
        for rule in warnings.compactMap(\.rule) where !rules.contains(rule) { rules.append(rule) }
        return .failedOnWarnings(rules: rules)
    }
}

/// The verdict on a checked Dockerfile.
public enum CheckVerdict: Sendable, Hashable {
    /// No errors, no warnings.
    case passed
    /// Warnings only, and the file does not ask for them to fail the build.
    case passedWithWarnings
    /// At least one error: the file cannot be built.
    case failedOnErrors
    /// No errors, but warnings under `# check=error=true`: BuildKit fails the build with
    /// "lint violation found for rules: ..." (rules in the order first reported).
    case failedOnWarnings(rules: [String])

    /// Whether the build must stop (the `--check` exit status is non-zero).
    public var fails: Bool {
        switch self {
        case .passed, .passedWithWarnings: false
        case .failedOnErrors, .failedOnWarnings: true
        }
    }

    /// BuildKit's message when warnings fail the build; nil otherwise.
    public var failureMessage: String? {
        guard case .failedOnWarnings(let rules) = self else { return nil }
        return "lint violation found for rules: \(rules.joined(separator: ", "))"
    }
}
