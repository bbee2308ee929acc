/// The build step a difference is attributed to: the one whose layer holds the file.
public struct StepReference: Codable, Sendable, Hashable {
    /// The step's position in the build (0-based, as the journal records it).
    public var index: Int
    /// The stage name or number.
    public var stage: String?
    /// The instruction keyword (`RUN`, `COPY`).
    public var instruction: String
    /// The instruction as written in the Dockerfile.
    public var text: String
    /// The Dockerfile and line range it came from, when recorded.
    public var file: String?
    public var line: Int?
    public var endLine: Int?

    public init(index: Int, stage: String? = nil, instruction: String, text: String,
                file: String? = nil, line: Int? = nil, endLine: Int? = nil) {
        self.index = index
        self.stage = stage
        self.instruction = instruction
        self.text = text
        self.file = file
        self.line = line
        self.endLine = endLine
    }

    /// `Dockerfile:7` or `Dockerfile:7-9`, or nil without a location.
    public var locationText: String? {
        guard let file, let line else { return nil }
        if let endLine, endLine != line { return "\(file):\(line)-\(endLine)" }
        return "\(file):\(line)"
    }

    /// `step 3 (Dockerfile:7) RUN make`.
    public var shortDescription: String {
        var text = "step \(index)"
        if let location = locationText { text += " (\(location))" }
        let body = self.text.count > 80 ? String(self.text.prefix(77)) + "..." : self.text
        return text + " " + body
    }
}
