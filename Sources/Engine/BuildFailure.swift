/// A build that failed: why, and which record tells what it did up to then. Replay and bisect
/// need the id to compare what was recorded; people need only the reason, which is all the
/// description says.
public struct BuildFailure: Error, CustomStringConvertible {
    /// The failed build's record; nil when it failed before one was written (a Dockerfile that
    /// does not parse, a missing context).
    public let buildID: String?
    public let underlying: any Error

    public init(buildID: String?, underlying: any Error) {
        self.buildID = buildID
        self.underlying = underlying
    }

    public var description: String { "\(underlying)" }

    /// The build was interrupted (a signal, a cancelled task) rather than failing on its own.
    public var isCancellation: Bool { underlying is CancellationError }
}
