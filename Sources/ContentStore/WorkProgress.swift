/// How far a long piece of work has got (gc, fsck, an import, a diff): the library says what it
/// is doing and how much is done; the command line decides whether and how to show it.
public struct WorkProgress: Sendable, Hashable {
    /// What is being done, for people: "deleting unreachable blobs".
    public var phase: String
    public var done: Int
    /// How many there are in all, when known.
    public var total: Int?
    /// Bytes processed so far, when the work is counted in bytes too.
    public var bytes: Int64?

    public init(phase: String, done: Int, total: Int? = nil, bytes: Int64? = nil) {
        self.phase = phase
        self.done = done
        self.total = total
        self.bytes = bytes
    }
}

/// Receives ``WorkProgress`` reports; may be called from any thread.
public typealias WorkProgressHandler = @Sendable (WorkProgress) -> Void
