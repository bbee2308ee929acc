/// Where an instruction came from, so every later report can name the Dockerfile line.
public struct SourceLocation: Codable, Sendable, Hashable {
    public var file: String
    public var startLine: Int
    public var endLine: Int

    public init(file: String, startLine: Int, endLine: Int) {
        self.file = file
        self.startLine = startLine
        self.endLine = endLine
    }
}
