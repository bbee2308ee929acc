import Sandbox
import Synchronization

/// A ``StepRunner`` that runs nothing: it records every spec it is given and answers from a
/// script, so engine logic (caching, recording, error paths) can be tested fast and without root.
///
/// ```swift
/// let runner = ScriptedStepRunner { spec in
///     spec.arguments.contains("false") ? .init(status: .exited(1)) : .init(status: .exited(0))
/// }
/// ```
public final class ScriptedStepRunner: StepRunner {
    /// One scripted answer.
    public enum Reply: Sendable {
        case result(StepResult)
        case failure(SandboxError)
    }

    private struct State {
        var specs: [SandboxSpec] = []
        var queue: [Reply] = []
    }

    private let state = Mutex(State())
    private let fallback: @Sendable (SandboxSpec) -> Reply

    /// Answers every run with `respond(spec)` unless a queued reply is pending.
    public init(_ respond: @escaping @Sendable (SandboxSpec) -> StepResult = { _ in
        StepResult(status: .exited(0))
    }) {
        fallback = { .result(respond($0)) }
    }

    /// Answers runs with `replies` in order, then with exit code 0.
    public init(replies: [Reply]) {
        fallback = { _ in .result(StepResult(status: .exited(0))) }
        state.withLock { $0.queue = replies }
    }

    /// Queues a reply for the next run.
    public func enqueue(_ reply: Reply) {
        state.withLock { $0.queue.append(reply) }
    }

    /// Every spec run so far, in order.
    public var recordedSpecs: [SandboxSpec] {
        state.withLock { $0.specs }
    }

    public func run(_ spec: SandboxSpec, output: (@Sendable (StepOutputChunk) -> Void)?)
        async throws -> StepResult
    {
        try Task.checkCancellation()
        let reply = state.withLock { state -> Reply? in
            state.specs.append(spec)
            return state.queue.isEmpty ? nil : state.queue.removeFirst()
        } ?? fallback(spec)
        switch reply {
        case .failure(let error):
            throw error
        case .result(let result):
            if let output {
                if !result.stdout.isEmpty { output(StepOutputChunk(stream: .stdout, bytes: result.stdout)) }
                if !result.stderr.isEmpty { output(StepOutputChunk(stream: .stderr, bytes: result.stderr)) }
            }
            return result
        }
    }
}
