import Dispatch
import Foundation
import Synchronization

/// Ctrl-C and SIGTERM cancel the running work instead of killing the process outright, so the
/// sandbox is torn down, the journal records how far the build got, and the exit status is
/// 128+signal as a shell expects.
enum SignalCancellation {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let received = SignalBox()
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                received.set(number)
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        do {
            return try await task.value
        } catch {
            if let number = received.value {
                Terminal.error("interrupted by signal \(number); the journal keeps what was recorded")
                throw ExitCodeError(status: 128 + number)
            }
            throw error
        }
    }
}

/// The signal that arrived, shared with the handler's queue.
final class SignalBox: Sendable {
    private let number = Mutex<Int32?>(nil)

    func set(_ value: Int32) { number.withLock { $0 = value } }
    var value: Int32? { number.withLock { $0 } }
}

/// An exit status decided below the command (a signal), passed up through `reporting`.
struct ExitCodeError: Error {
    var status: Int32
}
