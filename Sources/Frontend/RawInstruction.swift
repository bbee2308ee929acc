/// One instruction as the line parser sees it, before instruction-specific parsing: the
/// keyword, the `--flags`, the argument text and any heredocs, with where each came from.
public struct RawInstruction: Sendable {
    /// The keyword as written (`run`, `RUN`, `Run`).
    public var keyword: String
    /// The flag words (`--mount=type=cache,target=/x`), with quotes removed.
    public var flags: [String] { flagTokens.map(\.text) }
    /// The text after the flags, trimmed; continuation lines are already joined.
    public var arguments: String { argumentToken.text }
    /// Heredoc bodies read after the line, in the order their delimiters appear.
    public var heredocs: [Heredoc]
    /// The logical line: continuation characters removed, comment lines inside it dropped.
    public var original: String
    public var location: SourceLocation
    /// Whether an empty line appeared inside the continued instruction (a warning).
    public var hasEmptyContinuationLine: Bool
    /// The comment lines since the previous instruction, without their `#` and trimmed, as
    /// BuildKit's `PrevComment`: an empty `#` line starts the list again (an empty line does
    /// not), and parser directives are left out. `ARG` and `FROM` read them as descriptions.
    public var comments: [String]

    var flagTokens: [Token]
    var argumentToken: Token
    var keywordOffset: Int
    var lineMap: LineMap
    var escape: UInt8

    /// The location of a byte offset in `original`, with the instruction's line range.
    func location(ofOffset offset: Int?) -> SourceLocation {
        guard let offset else { return location }
        let (line, column) = lineMap.position(ofOffset: offset)
        return SourceLocation(file: location.file, startLine: line, endLine: Swift.max(line, location.endLine),
                              column: column)
    }

    /// The location of the first occurrence of `text` after the keyword, or the instruction's.
    func location(ofText text: String) -> SourceLocation {
        guard !text.isEmpty, let range = original.utf8.firstRange(of: text.utf8, after: keywordOffset)
        else { return location }
        return location(ofOffset: range)
    }

    /// A diagnostic for a failure inside this instruction.
    func diagnostic(for failure: InstructionFailure) -> Diagnostic {
        Diagnostic(severity: .error, message: failure.message, location: location(ofOffset: failure.offset))
    }
}

extension String.UTF8View {
    /// Byte offset of the first occurrence of `needle` at or after `start`.
    func firstRange(of needle: String.UTF8View, after start: Int) -> Int? {
        let haystack = Array(self)
        let pattern = Array(needle)
        guard !pattern.isEmpty, haystack.count >= pattern.count else { return nil }
        var index = Swift.max(0, start)
        while index + pattern.count <= haystack.count {
            if haystack[index] == pattern[0], Array(haystack[index..<(index + pattern.count)]) == pattern {
                return index
            }
            index += 1
        }
        return nil
    }
}

/// The result of the line-level parse of a whole file.
public struct DockerfileSyntax: Sendable {
    public var fileName: String
    public var directives: ParserDirectives
    public var instructions: [RawInstruction]
    /// Errors and warnings found while splitting lines (directives, heredocs, continuations).
    public var diagnostics: [Diagnostic]
    /// The physical lines, for quoting them in diagnostics.
    public var sourceLines: [String]
}
