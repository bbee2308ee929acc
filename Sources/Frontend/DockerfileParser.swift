/// Splits a Dockerfile into instructions: directives, comments, line continuations and
/// heredocs, following BuildKit's `parser` package.
///
/// This layer knows which instructions may carry heredocs and nothing else about their
/// arguments; ``InstructionParser`` gives them types.
public struct DockerfileParser: Sendable {
    public var fileName: String

    public init(fileName: String = "Dockerfile") {
        self.fileName = fileName
    }

    /// Instructions whose shell-form line may open heredocs.
    static let heredocKeywords: Set<String> = ["run", "copy", "add"]

    /// Parses `source`; never throws, problems are returned as diagnostics.
    public func parse(_ source: [UInt8]) -> DockerfileSyntax {
        var bytes = source
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        let lines = PhysicalLine.split(bytes)
        let (directives, directiveErrors) = DirectiveScanner.scan(lines: lines, file: fileName)
        var diagnostics = directiveErrors
        var instructions: [RawInstruction] = []
        let escape = directives.escape
        var cursor = 0
        let directiveLines = Set(directives.locations.values.map(\.startLine))
        var comments: [String] = []
        while cursor < lines.count {
            let first = lines[cursor]
            cursor += 1
            var start = first.content.startIndex
            while start < first.content.endIndex, first.content[start].isASCIIWhitespace { start += 1 }
            let trimmed = first.content[start...]
            if trimmed.first == UInt8(ascii: "#") {
                // BuildKit drops the line's first byte (not the `#` after indentation) and trims.
                let comment = String(decoding: first.content.dropFirst(), as: UTF8.self).trimmingASCIIWhitespace()
                if comment.isEmpty {
                    comments = []
                } else if !directiveLines.contains(first.number) {
                    comments.append(comment)
                }
                continue
            }
            var (text, continues) = trimContinuation(trimmed, escape: escape)
            if !continues && text.isEmpty { continue }

            var logical = Array(text)
            var segments = [LineSegment(logicalOffset: 0, line: first.number,
                                        column: start - first.content.startIndex + 1)]
            var lastLine = first.number
            var sawEmptyContinuation = false
            while continues && cursor < lines.count {
                let next = lines[cursor]
                cursor += 1
                lastLine = next.number
                let content = next.content.drop { $0.isASCIIWhitespace }
                if content.first == UInt8(ascii: "#") { continue }
                if content.isEmpty {
                    sawEmptyContinuation = true
                    continue
                }
                (text, continues) = trimContinuation(next.content, escape: escape)
                segments.append(LineSegment(logicalOffset: logical.count, line: next.number, column: 1))
                logical.append(contentsOf: text)
            }

            let split = CommandLineSplitter.split(logical)
            var instruction = RawInstruction(
                keyword: split.keyword.text, heredocs: [],
                original: String(decoding: logical, as: UTF8.self),
                location: SourceLocation(file: fileName, startLine: first.number, endLine: lastLine,
                                         column: segments[0].column),
                hasEmptyContinuationLine: sawEmptyContinuation, comments: comments,
                flagTokens: split.flags, argumentToken: split.arguments,
                keywordOffset: split.keyword.offset, lineMap: LineMap(segments: segments),
                escape: escape)
            if mayOpenHeredocs(split, logical: logical) {
                readHeredocs(for: &instruction, lines: lines, cursor: &cursor, diagnostics: &diagnostics)
            }
            instructions.append(instruction)
            comments = []
        }
        if instructions.isEmpty && diagnostics.isEmpty {
            let line = max(1, lines.count)
            diagnostics.append(Diagnostic(
                severity: .error,
                message: "file with no instructions: expected at least a FROM instruction",
                location: SourceLocation(file: fileName, startLine: line, endLine: line, column: 1)))
        }
        let sourceLines = lines.map { String(decoding: $0.content, as: UTF8.self) }
        return DockerfileSyntax(fileName: fileName, directives: directives, instructions: instructions,
                                diagnostics: diagnostics, sourceLines: sourceLines)
    }

    /// Convenience for text input.
    public func parse(_ source: String) -> DockerfileSyntax { parse(Array(source.utf8)) }

    /// Removes a trailing escape character (followed only by spaces or tabs) and reports
    /// whether the line continues.
    func trimContinuation(_ line: ArraySlice<UInt8>, escape: UInt8) -> (ArraySlice<UInt8>, Bool) {
        var end = line.endIndex
        while end > line.startIndex, line[end - 1].isHorizontalSpace { end -= 1 }
        if end > line.startIndex, line[end - 1] == escape {
            return (line[line.startIndex..<(end - 1)], true)
        }
        return (line, false)
    }
}
