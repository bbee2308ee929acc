import ContentStore
import Engine
import Foundation
import Synchronization

/// `--progress=rawjson`: one BuildKit `client.SolveStatus` per line on stderr, as buildx
/// prints it (`{"vertexes":[…]}`, `{"logs":[…]}`, `{"warnings":[…]}`; times in RFC 3339 with
/// nanoseconds; log data and warning text base64, as Go encodes `[]byte`), so tools that read
/// buildx's stream read ours. Each step is a vertex whose digest is derived from the build id
/// and its number; the build's own facts (id, manifest) come as vertexes named `[reprise] …`.
final class JSONProgressPrinter: BuildEventSink, Sendable {
    struct Vertex: Encodable {
        var digest: String
        var inputs: [String]?
        var name: String
        var started: String?
        var completed: String?
        var cached: Bool?
        var error: String?
    }

    struct Log: Encodable {
        var vertex: String
        /// 1 stdout, 2 stderr, as BuildKit numbers them.
        var stream: Int
        var data: String
        var timestamp: String
    }

    struct Warning: Encodable {
        var vertex: String?
        var level: Int
        var short: String
        var detail: [String]?
    }

    struct SolveStatus: Encodable {
        var vertexes: [Vertex]?
        var logs: [Log]?
        var warnings: [Warning]?
    }

    private struct State {
        var build = "reprise"
        var started: [Int: (name: String, time: String)] = [:]
        var internalVertexes = 0
    }

    /// Events come from the build and the sandbox's output thread; lines must not interleave.
    private let state = Mutex(State())
    private let write: @Sendable (String) -> Void

    init(write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.write = write
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }

    func receive(_ event: BuildEvent) {
        state.withLock { state in
            let now = Self.now()
            func digest(_ vertex: Int) -> String { Digest(ofUTF8: "reprise-vertex\n\(state.build)\n\(vertex)").description }
            func vertex(_ number: Int, name: String, started: String?, completed: String?, cached: Bool? = nil,
                        error: String? = nil) -> Vertex {
                Vertex(digest: digest(number), inputs: nil, name: name, started: started, completed: completed,
                       cached: cached, error: error)
            }
            func start(_ number: Int, _ name: String) -> SolveStatus {
                state.started[number] = (name, now)
                return SolveStatus(vertexes: [vertex(number, name: name, started: now, completed: nil)])
            }
            func finish(_ number: Int, _ name: String, cached: Bool? = nil, error: String? = nil) -> SolveStatus {
                let begun = state.started[number]?.time ?? now
                return SolveStatus(vertexes: [vertex(number, name: name, started: begun, completed: now,
                                                     cached: cached, error: error)])
            }
            let status: SolveStatus
            switch event {
            // The build's own vertexes get numbers below zero, one each, so no two share a digest.
            case .buildStarted(let id, let dockerfile):
                state.build = id
                status = finish(-1, "[reprise] build \(id) of \(dockerfile)")
            case .contextLoaded(let name, let files, let bytes, _):
                state.internalVertexes += 1
                status = finish(-1 - state.internalVertexes, "[internal] load build context \(name): \(files) files, \(bytes) bytes")
            case .stepStarted(let label):
                status = start(label.vertex, label.title)
            case .stepCached(let label):
                status = finish(label.vertex, label.title, cached: true)
            case .stepOutput(let vertexNumber, let stream, let bytes):
                status = SolveStatus(logs: [Log(vertex: digest(vertexNumber), stream: stream == .stdout ? 1 : 2,
                                                data: Data(bytes).base64EncodedString(), timestamp: now)])
            case .stepFinished(let label, _):
                status = finish(label.vertex, label.title)
            case .stepFailed(let label, let failure, _):
                status = finish(label.vertex, label.title, error: "process \"\(label.text)\" did not complete successfully: \(failure)")
            case .exporting(let number, let what):
                status = start(number, what)
            case .exported(let number, let what, _):
                status = finish(number, what)
            case .buildFinished(let id, let manifest, _):
                state.internalVertexes += 1
                status = finish(-1 - state.internalVertexes, "[reprise] build \(id) finished" + (manifest.map { ": \($0)" } ?? ""))
            case .pulled(let reference, _):
                status = SolveStatus(vertexes: [Vertex(
                    digest: Digest(ofUTF8: "reprise-pull\n\(state.build)\n\(reference)").description, inputs: nil,
                    name: "[internal] pull \(reference)", started: now, completed: now, cached: nil, error: nil)])
            case .warning(let message):
                let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                status = SolveStatus(warnings: [Warning(
                    vertex: nil, level: 1, short: Data((lines.first ?? "").utf8).base64EncodedString(),
                    detail: lines.count > 1 ? lines.dropFirst().map { Data($0.utf8).base64EncodedString() } : nil)])
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            guard let data = try? encoder.encode(status) else { return }
            write(String(decoding: data, as: UTF8.self) + "\n")
        }
    }
}
