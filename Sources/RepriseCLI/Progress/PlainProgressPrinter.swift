import DisplayText
import Engine
import Foundation
import Synchronization

/// buildx's `--progress=plain`: one line per event, numbered by vertex, step output prefixed
/// with its vertex and elapsed time. With `tty`, the same lines in colour and without raw output
/// (only the log tail of a failing step), which keeps a terminal readable.
final class PlainProgressPrinter: BuildEventSink, Sendable {
    /// Events come from the build and the sandbox's output thread; lines must not interleave.
    /// Also holds when the current build started: offsets restart with each build (each replay
    /// of a `verify`), as each buildx build's do.
    private let writing = Mutex(Date())
    private let colour: Bool
    private let showOutput: Bool
    private let write: @Sendable (String) -> Void

    init(colour: Bool, showOutput: Bool,
         write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.colour = colour
        self.showOutput = showOutput
        self.write = write
    }

    func receive(_ event: BuildEvent) {
        writing.withLock { start in
            if case .buildStarted = event { start = Date() }
            emit(event, start: start)
        }
    }

    private func emit(_ event: BuildEvent, start: Date) {
        switch event {
        case .buildStarted(let id, let dockerfile):
            line("#0 building \(safe(dockerfile)) (build \(safe(id)))")
        case .contextLoaded(let name, let files, let bytes, let seconds):
            line("#0 context \(safe(name)): \(files) files, \(Formatting.bytes(bytes)) in \(Formatting.duration(seconds))")
        case .stepStarted(let label):
            line(bold("#\(label.vertex) \(safe(label.title))") + (label.location.map { dim("  \(safe("\($0)"))") } ?? ""))
        case .stepCached(let label):
            line("#\(label.vertex) " + blue("CACHED"))
        case .stepOutput(let vertex, _, let bytes):
            guard showOutput else { return }
            let elapsed = String(format: "%.3f", Date().timeIntervalSince(start))
            for text in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            where !text.isEmpty {
                line("#\(vertex) \(elapsed) \(DisplayText.escaped(String(text), keepingLineBreaks: true))")
            }
        case .stepFinished(let label, let seconds):
            line("#\(label.vertex) " + green("DONE \(String(format: "%.1fs", seconds))"))
        case .stepFailed(let label, let status, let tail):
            if !showOutput { for text in tail { line("#\(label.vertex) \(DisplayText.escaped(text, keepingLineBreaks: true))") } }
            line("#\(label.vertex) " + red("ERROR: \(safe(label.text)): \(safe("\(status)"))"))
        case .exporting(let vertex, let what):
            line(bold("#\(vertex) \(safe(what))"))
        case .exported(let vertex, _, let seconds):
            line("#\(vertex) " + green("DONE \(String(format: "%.1fs", seconds))"))
        case .buildFinished(let id, let manifest, let seconds):
            line("#0 build \(safe(id)) finished in \(Formatting.duration(seconds))" + (manifest.map { ": \($0)" } ?? ""))
        case .pulled(let reference, let seconds):
            line("#0 pulled \(safe(reference)) " + green("DONE \(String(format: "%.1fs", seconds))"))
        case .warning(let message):
            line(yellow("WARNING: \(DisplayText.escaped(message, keepingLineBreaks: true))"))
        }
    }

    private func line(_ text: String) { write(text + "\n") }
    /// Outside text (Dockerfile lines, paths, ids) with control characters shown escaped, before
    /// this printer adds its own colour codes.
    private func safe(_ text: String) -> String { DisplayText.escaped(text) }
    private func paint(_ code: String, _ text: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    private func bold(_ text: String) -> String { paint("1", text) }
    private func dim(_ text: String) -> String { paint("2", text) }
    private func red(_ text: String) -> String { paint("31", text) }
    private func green(_ text: String) -> String { paint("32", text) }
    private func yellow(_ text: String) -> String { paint("33", text) }
    private func blue(_ text: String) -> String { paint("34", text) }
}
