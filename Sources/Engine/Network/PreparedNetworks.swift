import Foundation
import NetworkRecorder
import Synchronization

/// Network namespaces for RUN steps on the recording network, made ahead of the step while the
/// build does its other work (extracting the base, writing a COPY's layer), each on a thread of
/// its own: making one runs `iptables-restore` and blocks, which must never happen on Swift's
/// cooperative pool, and took ~20 ms of a small cold build's critical path when the step made it.
///
/// Nothing happens until ``anticipate()``, which the build calls only when a RUN on the recording
/// network will run (see `BuildSession.anticipateRecordingNetwork`): a fully cached build makes no
/// namespace and starts no thread. Each ``anticipate()`` prepares one namespace; ``take()`` hands
/// one to the step (waiting for one being made, or making one if none is), so two stages running
/// at once each get their own. ``close()`` (at the end of the build, on failure too) removes what
/// nobody took, after waiting for those still being made. A build killed with SIGKILL leaves its
/// namespaces to the next one's ``StepNamespace/reclaimAbandoned()``.
final class PreparedNetworks: Sendable {
    private typealias Made = Result<StepNamespace, any Error>

    private struct State {
        var ready: [Made] = []
        /// Namespaces being made on their threads.
        var preparing = 0
        /// Steps waiting for one of those.
        var waiting: [CheckedContinuation<Made, Never>] = []
        /// The one-time warm-up (event loops, the authority) is running.
        var warming = false
        var warmed = false
        var reclaimed = false
        var closed = false
        /// ``close()`` waiting for the threads still at work.
        var draining: [CheckedContinuation<Void, Never>] = []

        var idle: Bool { preparing == 0 && !warming }
    }

    private let state = Mutex(State())
    /// Where the journal's interception authority lives; nil when no step intercepts.
    private let authorityDirectory: String?

    init(authorityDirectory: String?) {
        self.authorityDirectory = authorityDirectory
    }

    /// Starts making one namespace on a thread of its own (and, the first time, the recorder's
    /// warm-up on another). Nothing once closed.
    func anticipate() {
        guard let work = state.withLock({ reserve(&$0) }) else { return }
        launch(work)
    }

    /// What a reserved preparation must do besides making the namespace.
    private struct Work {
        var warmUp: Bool
        var reclaim: Bool
    }

    /// Counts one more namespace being made (nil once closed).
    private func reserve(_ state: inout State) -> Work? {
        guard !state.closed else { return nil }
        state.preparing += 1
        let work = Work(warmUp: !state.warmed, reclaim: !state.reclaimed)
        state.warmed = true
        state.reclaimed = true
        if work.warmUp { state.warming = true }
        return work
    }

    private func launch(_ work: Work) {
        if work.warmUp {
            let directory = authorityDirectory
            let thread = Thread { [self] in
                RecordingNetwork.warmUp(authorityDirectory: directory)
                finishWarmUp()
            }
            thread.name = "reprise-netwarm"
            thread.start()
        }
        let thread = Thread { [self] in
            // Namespaces a killed build left are removed before this build adds its own.
            if work.reclaim { StepNamespace.reclaimAbandoned() }
            deliver(Result { try StepNamespace(bindingRecorderSockets: true) })
        }
        thread.name = "reprise-netns"
        thread.start()
    }

    /// A namespace for the step about to run: one made ahead, or one being made (waited for), or
    /// one made now on a thread of its own. A failure to make it is thrown here, naming what failed.
    func take() async throws -> StepNamespace {
        let made: Made = await withCheckedContinuation { continuation in
            enum Claim { case now(Made), waiting, making(Work), closed }
            let claim: Claim = state.withLock { state in
                if !state.ready.isEmpty { return .now(state.ready.removeFirst()) }
                if state.preparing > state.waiting.count {
                    state.waiting.append(continuation)
                    return .waiting
                }
                // None is being made for this step: one is, now, and this step waits for it.
                guard let work = reserve(&state) else { return .closed }
                state.waiting.append(continuation)
                return .making(work)
            }
            switch claim {
            case .now(let made): continuation.resume(returning: made)
            case .waiting: break
            case .making(let work): launch(work)
            case .closed: continuation.resume(returning: .failure(CancellationError()))
            }
        }
        return try made.get()
    }

    /// Removes every namespace made ahead that no step took, after waiting for those still being
    /// made; later ``anticipate()`` calls do nothing.
    func close() async {
        let leftovers: [Made] = state.withLock { state in
            state.closed = true
            defer { state.ready = [] }
            return state.ready
        }
        for case .success(let namespace) in leftovers { namespace.remove() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle: Bool = state.withLock { state in
                if state.idle { return true }
                state.draining.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    private func deliver(_ made: Made) {
        enum Destination { case step(CheckedContinuation<Made, Never>), kept, discarded }
        let (destination, closers): (Destination, [CheckedContinuation<Void, Never>]) = state.withLock { state in
            state.preparing -= 1
            let destination: Destination
            if !state.waiting.isEmpty {
                destination = .step(state.waiting.removeFirst())
            } else if state.closed {
                destination = .discarded
            } else {
                state.ready.append(made)
                destination = .kept
            }
            return (destination, drained(&state))
        }
        switch destination {
        case .step(let continuation): continuation.resume(returning: made)
        case .kept: break
        case .discarded: if case .success(let namespace) = made { namespace.remove() }
        }
        for closer in closers { closer.resume() }
    }

    private func finishWarmUp() {
        let closers = state.withLock { state in
            state.warming = false
            return drained(&state)
        }
        for closer in closers { closer.resume() }
    }

    /// The ``close()`` calls to resume once nothing is at work any more.
    private func drained(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.idle else { return [] }
        defer { state.draining = [] }
        return state.draining
    }
}
