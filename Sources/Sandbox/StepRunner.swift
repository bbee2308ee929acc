/// Runs one command described by a ``SandboxSpec`` and reports how it ended.
///
/// ``NamespaceStepRunner`` is the real one (Linux namespaces, root only);
/// `ScriptedStepRunner` (in the SandboxTestSupport test target) runs nothing and answers from a
/// script, for engine tests.
public protocol StepRunner: Sendable {
    /// Runs the command to completion.
    ///
    /// - Parameter output: called with each chunk of stdout/stderr as it arrives (for progress
    ///   display), on a thread of the runner's choosing; the full output is also in the result.
    /// - Returns: the result, whatever the command's exit status.
    /// - Throws: ``SandboxError`` when the command could not be started, `CancellationError` when
    ///   the task was cancelled (the command and everything it started are killed first).
    func run(_ spec: SandboxSpec, output: (@Sendable (StepOutputChunk) -> Void)?) async throws
        -> StepResult
}

extension StepRunner {
    /// Runs the command without streaming its output.
    public func run(_ spec: SandboxSpec) async throws -> StepResult {
        try await run(spec, output: nil)
    }
}

/// How a command ended.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// `exit(code)`.
    case exited(Int32)
    /// Killed by a signal.
    case signaled(Int32)

    /// Decodes a waitpid(2) status.
    public init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    public var succeeded: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// Which stream a chunk of output came from.
public enum StepOutputStream: Sendable, Hashable {
    case stdout
    case stderr
}

/// A piece of a command's output, in arrival order.
public struct StepOutputChunk: Sendable, Hashable {
    public var stream: StepOutputStream
    public var bytes: [UInt8]

    public init(stream: StepOutputStream, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

/// What a finished command left behind, apart from its changes in the upper directory.
public struct StepResult: Sendable, Hashable {
    public var status: ExitStatus
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// Wall time from starting the sandbox to reaping it.
    public var duration: Duration
    /// The cgroup limit the command ran into, if any (it may still have succeeded, e.g.
    /// `make -j || make`).
    public var limitReached: ResourceLimitHit?
    /// Set (once per runner) when the spec asked for limits this host cannot enforce: the
    /// warning to show.
    public var limitsNotice: String?

    public init(status: ExitStatus, stdout: [UInt8] = [], stderr: [UInt8] = [],
                duration: Duration = .zero, limitReached: ResourceLimitHit? = nil, limitsNotice: String? = nil)
    {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.duration = duration
        self.limitReached = limitReached
        self.limitsNotice = limitsNotice
    }

    /// How the command ended, naming the limit when one was hit: "RUN killed: memory limit
    /// 256 MiB reached (exit code 137)".
    public var failureDescription: String {
        limitReached.map { "\($0) (\(status))" } ?? status.description
    }

    /// stdout decoded as UTF-8 (lossily), for messages and tests.
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr decoded as UTF-8 (lossily), for messages and tests.
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}
