/// What the engine tells whoever shows progress. Presenters (plain, tty, rawjson, quiet) live in
/// the CLI and know nothing else of the engine.
public enum BuildEvent: Sendable, Hashable {
    case buildStarted(buildID: String, dockerfile: String)
    /// A context was snapshotted into the journal.
    case contextLoaded(name: String, files: Int, bytes: Int64, seconds: Double)
    case stepStarted(StepLabel)
    case stepCached(StepLabel)
    case stepOutput(vertex: Int, stream: OutputStream, bytes: [UInt8])
    case stepFinished(StepLabel, seconds: Double)
    case stepFailed(StepLabel, status: String, outputTail: [String])
    case exporting(vertex: Int, what: String)
    case exported(vertex: Int, what: String, seconds: Double)
    case buildFinished(buildID: String, manifest: String?, seconds: Double)
    case warning(String)
    /// An image was pulled from a registry (`reference` carries the digest it resolved to).
    case pulled(reference: String, seconds: Double)

    public enum OutputStream: String, Sendable, Hashable, Codable {
        case stdout, stderr
    }
}

/// How a step is named in progress output, as buildx does: `[stage 2/5] RUN make`.
public struct StepLabel: Sendable, Hashable, Codable {
    /// A number unique within the build, as buildx's `#N`.
    public var vertex: Int
    public var stage: String
    /// Position within the stage and the stage's length.
    public var position: Int
    public var count: Int
    public var text: String
    /// `Dockerfile:12`, when known.
    public var location: String?

    public init(vertex: Int, stage: String, position: Int, count: Int, text: String, location: String?) {
        self.vertex = vertex
        self.stage = stage
        self.position = position
        self.count = count
        self.text = text
        self.location = location
    }

    /// buildx's `[build 2/3] RUN …`; a Dockerfile's only stage has no name there: `[2/3] RUN …`.
    public var title: String {
        stage.isEmpty ? "[\(position)/\(count)] \(text)" : "[\(stage) \(position)/\(count)] \(text)"
    }
}

/// Receives build events; the engine calls it from one task at a time per step.
public protocol BuildEventSink: Sendable {
    func receive(_ event: BuildEvent)
}
