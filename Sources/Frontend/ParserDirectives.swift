/// The parser directives a Dockerfile may declare in its leading comment block
/// (`# syntax=`, `# escape=`, `# check=`).
public struct ParserDirectives: Sendable, Hashable {
    /// The frontend image named by `# syntax=`; anything but the Dockerfile frontend is
    /// refused (``SyntaxFrontend``).
    public var syntax: String?
    /// The escape and line-continuation character: `\` (default) or `` ` ``.
    public var escape: UInt8 = UInt8(ascii: "\\")
    /// Build checks named by `# check=skip=A,B`; `all` skips every check.
    public var skippedChecks: Set<String> = []
    /// `# check=error=true` turns every warning into an error.
    public var checkWarningsAreErrors = false
    /// Experimental build checks enabled by `# check=experimental=A,B` (lower-cased);
    /// `all` enables every one. BuildKit runs experimental checks only when named here.
    public var experimentalChecks: Set<String> = []
    /// Location of each directive that was recognised, by lower-cased name.
    public var locations: [String: SourceLocation] = [:]

    public init() {}

    /// Whether the build check `rule` is enabled. As in BuildKit, an experimental check runs
    /// only when `experimental=` names it (or `all`), whatever `skip=` says; other checks
    /// run unless `skip=` names them (or `all`).
    public func isCheckEnabled(_ rule: String) -> Bool {
        if LintRule(rawValue: rule)?.isExperimental == true {
            return experimentalChecks.contains("all") || experimentalChecks.contains(rule.lowercased())
        }
        return !(skippedChecks.contains("all") || skippedChecks.contains(rule.lowercased()))
    }
}

/// Reads the directive block at the top of a file.
///
/// Directives are only looked for before the first line that is not a directive: an empty
/// line, an ordinary comment, an unknown directive or an instruction ends the block, as the
/// Dockerfile reference specifies. A `#!` first line is allowed and skipped.
struct DirectiveScanner {
    static let knownDirectives: Set<String> = ["syntax", "escape", "check"]

    /// Returns the directives and the errors found among them.
    static func scan(lines: [PhysicalLine], file: String) -> (ParserDirectives, [Diagnostic]) {
        var directives = ParserDirectives()
        var errors: [Diagnostic] = []
        for (index, line) in lines.enumerated() {
            let bytes = line.content
            if index == 0, bytes.starts(with: Array("#!".utf8)) { continue }
            guard let (name, value, column) = match(bytes) else { break }
            let key = name.lowercased()
            guard knownDirectives.contains(key) else { break }
            let location = SourceLocation(file: file, startLine: line.number, endLine: line.number,
                                          column: column)
            if directives.locations[key] != nil {
                errors.append(Diagnostic(severity: .error,
                                         message: "only one \(key) parser directive can be used",
                                         location: location))
                continue
            }
            directives.locations[key] = location
            switch key {
            case "syntax":
                directives.syntax = value
                if !SyntaxFrontend.isDockerfileFrontend(value) {
                    errors.append(Diagnostic(severity: .error,
                                             message: SyntaxFrontend.refusal(value, source: "in # syntax"),
                                             location: location))
                }
            case "escape":
                if value == "\\" || value == "`" {
                    directives.escape = Array(value.utf8)[0]
                } else {
                    errors.append(Diagnostic(
                        severity: .error,
                        message: "invalid escape token '\(value)' does not match ` or \\",
                        location: location))
                }
            default:
                if let message = applyCheck(value, to: &directives) {
                    errors.append(Diagnostic(severity: .error, message: message, location: location))
                }
            }
        }
        return (directives, errors)
    }

    /// Matches `#\s*name\s*=\s*value\s*` and returns the name, trimmed value and name column.
    static func match(_ bytes: ArraySlice<UInt8>) -> (String, String, Int)? {
        var index = bytes.startIndex
        guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "#") else { return nil }
        index += 1
        while index < bytes.endIndex, bytes[index].isHorizontalSpace { index += 1 }
        let nameStart = index
        guard index < bytes.endIndex, bytes[index].isASCIILetter else { return nil }
        while index < bytes.endIndex, bytes[index].isASCIILetter || bytes[index].isASCIIDigit {
            index += 1
        }
        let nameEnd = index
        while index < bytes.endIndex, bytes[index].isHorizontalSpace { index += 1 }
        guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "=") else { return nil }
        index += 1
        let value = String(decoding: bytes[index...], as: UTF8.self).trimmingASCIIWhitespace()
        guard !value.isEmpty else { return nil }
        let name = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self)
        return (name, value, nameStart - bytes.startIndex + 1)
    }

    /// Applies `skip=A,B;experimental=C;error=true`; returns an error message for malformed
    /// values.
    private static func applyCheck(_ value: String, to directives: inout ParserDirectives) -> String? {
        // BuildKit tolerates a trailing `// comment` after the options.
        var options = value
        if let comment = options.utf8.firstRange(of: "//".utf8, after: 0) {
            options = String(decoding: Array(options.utf8)[..<comment], as: UTF8.self)
        }
        for part in options.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map {
                String($0).trimmingASCIIWhitespace()
            }
            guard pair.count == 2 else { return "invalid check directive '\(part)': expected key=value" }
            switch pair[0].lowercased() {
            case "skip":
                for rule in pair[1].split(separator: ",") {
                    directives.skippedChecks.insert(String(rule).trimmingASCIIWhitespace().lowercased())
                }
            case "experimental":
                for rule in pair[1].split(separator: ",") {
                    directives.experimentalChecks.insert(String(rule).trimmingASCIIWhitespace().lowercased())
                }
            case "error":
                // Go's strconv.ParseBool, which BuildKit uses.
                switch pair[1] {
                case "1", "t", "T", "true", "TRUE", "True": directives.checkWarningsAreErrors = true
                case "0", "f", "F", "false", "FALSE", "False": directives.checkWarningsAreErrors = false
                default: return "invalid check directive: error must be true or false, not '\(pair[1])'"
                }
            default:
                return "invalid check directive key '\(pair[0])': expected skip, experimental or error"
            }
        }
        return nil
    }
}
