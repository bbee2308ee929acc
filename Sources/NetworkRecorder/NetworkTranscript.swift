import BuildJournal
import Foundation
import NIOConcurrencyHelpers

/// What the recorder saw during one step: the exchanges in the order the step started them,
/// requests a replay could not serve, and whether every exchange can be replayed offline.
public struct NetworkTranscript: Sendable {
    public var fetches: [FetchRecord]
    /// `METHOD URL` of requests a replay found no recorded response for.
    public var misses: [String]

    /// False when a TLS tunnel went through unintercepted: nothing of it can be served again.
    public var replayable: Bool { !fetches.contains { $0.kind == .tunnel } }
    /// Refused connections, for the step's failure message and warnings.
    public var refusals: [FetchRecord] { fetches.filter { $0.kind == .refused } }
}

/// Collects exchanges from the recorder's event loops; each request takes its place in the
/// order when it starts, so parallel downloads are listed in the order they were asked for.
final class TranscriptCollector: Sendable {
    private struct State {
        var next = 0
        var entries: [(Int, FetchRecord)] = []
        var misses: [String] = []
    }

    private let state = NIOLockedValueBox(State())

    func reserve() -> Int {
        state.withLockedValue { state in
            defer { state.next += 1 }
            return state.next
        }
    }

    func add(_ record: FetchRecord, at position: Int? = nil) {
        state.withLockedValue { state in
            let place = position ?? state.next
            if position == nil { state.next += 1 }
            state.entries.append((place, record))
        }
    }

    func miss(_ text: String) {
        state.withLockedValue { $0.misses.append(text) }
    }

    /// Waits until every request that took a place has its record (a body still being
    /// committed to the store), at most `timeout` seconds.
    func waitUntilComplete(timeout: Double) {
        let deadline = Date().addingTimeInterval(timeout)
        while state.withLockedValue({ $0.entries.count < $0.next }), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    var transcript: NetworkTranscript {
        state.withLockedValue { state in
            NetworkTranscript(fetches: state.entries.sorted { $0.0 < $1.0 }.map(\.1), misses: state.misses)
        }
    }
}

/// A replay's recorded exchanges by what a request is matched on. The same request made again
/// gets the next recorded response, and the last one once they are used up (a retry).
final class ReplayIndex: Sendable {
    private let queues: NIOLockedValueBox<[String: [FetchRecord]]>

    init(_ fetches: [FetchRecord]) {
        var queues: [String: [FetchRecord]] = [:]
        for fetch in fetches where fetch.isServable { queues[fetch.replayKey, default: []].append(fetch) }
        self.queues = NIOLockedValueBox(queues)
    }

    func take(method: String, url: String, range: String?) -> FetchRecord? {
        let key = [method, url, range ?? ""].joined(separator: " ")
        return queues.withLockedValue { queues in
            guard var queue = queues[key], let first = queue.first else { return nil }
            if queue.count > 1 {
                queue.removeFirst()
                queues[key] = queue
            }
            return first
        }
    }
}

/// The names the DNS responder answered, each with an address of its own in
/// ``StepNamespace/syntheticNetwork``: a connection the transparent listener receives for such an
/// address is known to be for that name.
final class SyntheticNames: Sendable {
    private let state = NIOLockedValueBox<(byName: [String: String], byAddress: [String: String])>(([:], [:]))

    func address(for name: String) -> String {
        let name = name.lowercased()
        return state.withLockedValue { state in
            if let known = state.byName[name] { return known }
            let number = state.byName.count + 1
            let address = "198.18.\(number / 256).\(number % 256)"
            state.byName[name] = address
            state.byAddress[address] = name
            return address
        }
    }

    func name(for address: String) -> String? {
        state.withLockedValue { $0.byAddress[address] }
    }
}
