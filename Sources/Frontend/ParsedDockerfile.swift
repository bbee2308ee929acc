/// A Dockerfile parsed into typed instructions, before expansion.
public struct ParsedDockerfile: Sendable {
    public var fileName: String
    public var directives: ParserDirectives
    /// Instructions that parsed, in source order.
    public var instructions: [LocatedInstruction]
    /// Errors and warnings from the line and instruction parsers.
    public var diagnostics: [Diagnostic]
    /// The physical lines of the file, for quoting in diagnostics.
    public var sourceLines: [String]

    /// The raw form of each entry of `instructions`, for locating words.
    var rawInstructions: [RawInstruction]

    /// Whether any error was found.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Parses `source` into typed instructions; problems are collected, never thrown.
    public init(source: [UInt8], fileName: String = "Dockerfile") {
        let syntax = DockerfileParser(fileName: fileName).parse(source)
        self.fileName = fileName
        directives = syntax.directives
        sourceLines = syntax.sourceLines
        diagnostics = syntax.diagnostics
        instructions = []
        rawInstructions = []
        let parser = InstructionParser()
        for raw in syntax.instructions {
            if raw.hasEmptyContinuationLine {
                diagnostics.append(Diagnostic(
                    severity: .warning, rule: LintRule.noEmptyContinuation.rawValue,
                    message: "Empty continuation line found in: \(raw.original.prefix(60)); empty continuation lines will become errors in a future release",
                    location: raw.location))
            }
            switch parser.parse(raw) {
            case .success(let instruction):
                instructions.append(instruction)
                rawInstructions.append(raw)
            case .failure(let diagnostic):
                diagnostics.append(diagnostic)
            }
        }
    }

    /// Convenience for text input.
    public init(source: String, fileName: String = "Dockerfile") {
        self.init(source: Array(source.utf8), fileName: fileName)
    }
}
