/// A problem found in a Dockerfile: an error that stops the build or a warning that does not.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    public var severity: Severity
    /// The BuildKit build-check name for warnings (`JSONArgsRecommended`, ...); nil for errors
    /// that are not build checks.
    public var rule: String?
    /// One sentence saying what is wrong and, where possible, what was expected.
    public var message: String
    public var location: SourceLocation

    public init(severity: Severity, rule: String? = nil, message: String, location: SourceLocation) {
        self.severity = severity
        self.rule = rule
        self.message = message
        self.location = location
    }

    /// `FILE:LINE:COL: severity: message`, without the quoted source line.
    public var description: String {
        let ruleSuffix = rule.map { " [\($0)]" } ?? ""
        return "\(location): \(severity.rawValue): \(message)\(ruleSuffix)"
    }
}

/// The error thrown by the throwing entry points: the first error diagnostic plus any others.
public struct DockerfileError: Error, Sendable, CustomStringConvertible {
    /// Every error found, in source order; never empty.
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        precondition(!diagnostics.isEmpty, "a DockerfileError needs at least one diagnostic")
        self.diagnostics = diagnostics
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// A failure inside one instruction, located by byte offset in its logical line.
///
/// Internal parsing code throws this; the caller that owns the line turns it into a
/// ``Diagnostic`` with a real file position.
struct InstructionFailure: Error, Sendable {
    var message: String
    /// Byte offset in the logical line, or nil to point at the instruction itself.
    var offset: Int?

    init(_ message: String, at offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }
}
