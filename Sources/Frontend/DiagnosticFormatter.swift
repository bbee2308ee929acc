/// Prints diagnostics the way compilers do:
///
/// ```
/// Dockerfile:3:1: error: unknown instruction: RUNN (did you mean RUN?)
///     3 | RUNN make
///       | ^
/// ```
public struct DiagnosticFormatter: Sendable {
    /// The file's physical lines, to quote the offending one.
    public var sourceLines: [String]

    public init(sourceLines: [String]) {
        self.sourceLines = sourceLines
    }

    /// Formats every diagnostic of `report`, followed by a one-line summary.
    public static func format(_ report: CheckReport) -> String {
        let formatter = DiagnosticFormatter(sourceLines: report.document.sourceLines)
        var output = report.diagnostics.map(formatter.format).joined()
        let errorCount = report.errors.count
        let warningCount = report.warnings.count
        output += "\(report.fileName): \(errorCount) error\(errorCount == 1 ? "" : "s"), "
            + "\(warningCount) warning\(warningCount == 1 ? "" : "s")\n"
        return output
    }

    /// `FILE:LINE:COL: severity: message [Rule]`, the quoted line and a caret.
    public func format(_ diagnostic: Diagnostic) -> String {
        var output = diagnostic.description + "\n"
        let lineNumber = diagnostic.location.startLine
        guard lineNumber >= 1, lineNumber <= sourceLines.count else { return output }
        let line = sourceLines[lineNumber - 1]
        let gutter = String(lineNumber)
        let padding = String(repeating: " ", count: gutter.count)
        output += " \(gutter) | \(line)\n"
        // Columns count bytes; the caret is placed under the character containing that byte.
        let bytePrefix = Array(line.utf8).prefix(Swift.max(0, diagnostic.location.column - 1))
        let characterColumn = String(decoding: bytePrefix, as: UTF8.self).count
        let indent = String(line.prefix(characterColumn).map { $0 == "\t" ? "\t" : " " })
        output += " \(padding) | \(indent)^\n"
        return output
    }
}
