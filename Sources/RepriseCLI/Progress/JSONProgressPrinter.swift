import Engine
import Foundation
import Synchronization

/// `--progress=rawjson`: one JSON object per line on stderr, for machines.
final class JSONProgressPrinter: BuildEventSink, Sendable {
    /// Events come from the build and the sandbox's output thread; lines must not interleave.
    private let writing = Mutex(())
    private let write: @Sendable (String) -> Void

    init(write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.write = write
    }

    struct Line: Encodable {
        var event: String
        var time: Double = Date().timeIntervalSince1970
        var buildID: String?
        var step: StepLabel?
        var vertex: Int?
        var stream: String?
        var data: String?
        var status: String?
        var seconds: Double?
        var manifest: String?
        var message: String?
        var name: String?
        var files: Int?
        var bytes: Int64?
    }

    func receive(_ event: BuildEvent) {
        var line: Line
        switch event {
        case .buildStarted(let id, let dockerfile):
            line = Line(event: "build.started", buildID: id, name: dockerfile)
        case .contextLoaded(let name, let files, let bytes, let seconds):
            line = Line(event: "context.loaded", seconds: seconds, name: name, files: files, bytes: bytes)
        case .stepStarted(let label):
            line = Line(event: "step.started", step: label)
        case .stepCached(let label):
            line = Line(event: "step.cached", step: label)
        case .stepOutput(let vertex, let stream, let bytes):
            line = Line(event: "step.output", vertex: vertex, stream: stream.rawValue,
                        data: String(decoding: bytes, as: UTF8.self))
        case .stepFinished(let label, let seconds):
            line = Line(event: "step.finished", step: label, seconds: seconds)
        case .stepFailed(let label, let status, let tail):
            line = Line(event: "step.failed", step: label, status: status, message: tail.joined(separator: "\n"))
        case .exporting(let vertex, let what):
            line = Line(event: "export.started", vertex: vertex, name: what)
        case .exported(let vertex, let what, let seconds):
            line = Line(event: "export.finished", vertex: vertex, seconds: seconds, name: what)
        case .buildFinished(let id, let manifest, let seconds):
            line = Line(event: "build.finished", buildID: id, seconds: seconds, manifest: manifest)
        case .pulled(let reference, let seconds):
            line = Line(event: "image.pulled", seconds: seconds, name: reference)
        case .warning(let message):
            line = Line(event: "warning", message: message)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(line) else { return }
        writing.withLock { _ in write(String(decoding: data, as: UTF8.self) + "\n") }
    }
}
