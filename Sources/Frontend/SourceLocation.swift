/// Where a piece of a Dockerfile came from.
///
/// Lines and columns are 1-based. Columns count UTF-8 bytes, as C compilers do, so that a
/// location is cheap to compute and unambiguous; ``DiagnosticFormatter`` converts to
/// characters when it draws a caret.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file name as the caller gave it (not resolved against the filesystem).
    public var file: String
    /// First physical line of the construct.
    public var startLine: Int
    /// Last physical line, including continuation lines and heredoc bodies.
    public var endLine: Int
    /// Column on `startLine` where the construct (or the offending text) begins.
    public var column: Int

    public init(file: String, startLine: Int, endLine: Int, column: Int) {
        self.file = file
        self.startLine = startLine
        self.endLine = endLine
        self.column = column
    }

    /// `file:line:column`, the prefix compilers print.
    public var description: String { "\(file):\(startLine):\(column)" }
}

/// A word of a logical line and the byte offset where it starts in that line.
///
/// Offsets let the parser point an error at the exact flag or argument even when the
/// instruction spans several physical lines.
struct Token: Sendable, Hashable {
    var text: String
    var offset: Int
}

/// One physical line's contribution to a logical (continued) line.
struct LineSegment: Sendable, Hashable {
    /// Byte offset in the logical line where this segment starts.
    var logicalOffset: Int
    /// 1-based physical line number.
    var line: Int
    /// 1-based column of the segment's first byte on its physical line.
    var column: Int
}

/// Maps byte offsets of a logical line back to physical lines and columns.
struct LineMap: Sendable, Hashable {
    var segments: [LineSegment]

    /// The physical line and column of `offset`; offsets past the end clamp to the last segment.
    func position(ofOffset offset: Int) -> (line: Int, column: Int) {
        guard var best = segments.first else { return (1, 1) }
        // Segments are few (one per continuation line) so a linear scan is fine.
        for segment in segments where segment.logicalOffset <= offset {
            best = segment
        }
        return (best.line, best.column + max(0, offset - best.logicalOffset))
    }
}
