#if canImport(Glibc)
import Glibc
#endif
import DisplayText
import Engine
import Foundation
import Synchronization

/// buildx's `--progress=tty`: a block redrawn in place several times a second, a header with
/// the elapsed time and the count of finished steps, each step with its time, and under each
/// running step the last lines of its output; a finished step collapses to its one line (a
/// failed one keeps its last lines). Colours unless `NO_COLOR` is set. The block never grows
/// past the terminal's height: the oldest finished steps leave the view first, as in buildx.
final class TTYProgressPrinter: BuildEventSink, Sendable {
    struct Step {
        var vertex: Int
        var title: String
        var started: Date
        var finished: Date?
        var cached = false
        var failed = false
        var output: [String] = []
        var partial = ""
    }

    private struct State {
        var steps: [Step] = []
        var warnings: [String] = []
        var drawnLines = 0
        var finished = false
        var buildStarted = Date()
    }

    static let tailLines = 6

    private let state = Mutex(State())
    private let colour: Bool
    private let write: @Sendable (String) -> Void
    private let width: Int
    private let height: Int
    nonisolated(unsafe) private let timer: DispatchSourceTimer

    init(colour: Bool = ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true,
         write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.colour = colour
        self.write = write
        var size = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            width = Int(size.ws_col)
            height = max(Int(size.ws_row), 8)
        } else {
            width = 100
            height = 40
        }
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "reprise.progress"))
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(150))
        timer.setEventHandler { [weak self] in self?.redraw() }
        timer.resume()
    }

    deinit { timer.cancel() }

    func receive(_ event: BuildEvent) {
        state.withLock { state in
            func index(_ vertex: Int) -> Int? { state.steps.lastIndex { $0.vertex == vertex } }
            switch event {
            case .buildStarted:
                state.buildStarted = Date()
            case .contextLoaded(let name, let files, let bytes, let seconds):
                let now = Date()
                state.steps.append(Step(vertex: 0, title: "[internal] load build context \(name) (\(files) files, "
                                            + "\(Formatting.bytes(bytes)))",
                                        started: now.addingTimeInterval(-seconds), finished: now))
            case .stepStarted(let label):
                state.steps.append(Step(vertex: label.vertex, title: label.title, started: Date()))
            case .stepCached(let label):
                if let at = index(label.vertex) { state.steps[at].cached = true; state.steps[at].finished = Date() }
            case .stepOutput(let vertex, _, let bytes):
                guard let at = index(vertex) else { return }
                var text = state.steps[at].partial + String(decoding: bytes, as: UTF8.self)
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                text = lines.removeLast()
                state.steps[at].partial = text
                state.steps[at].output = Array((state.steps[at].output + lines).suffix(Self.tailLines))
            case .stepFinished(let label, _):
                if let at = index(label.vertex) { state.steps[at].finished = Date() }
            case .stepFailed(let label, let status, let tail):
                if let at = index(label.vertex) {
                    state.steps[at].finished = Date()
                    state.steps[at].failed = true
                    state.steps[at].output = Array(tail.suffix(Self.tailLines)) + ["ERROR: \(status)"]
                }
            case .exporting(let vertex, let what):
                state.steps.append(Step(vertex: vertex, title: what, started: Date()))
            case .exported(let vertex, _, _):
                if let at = index(vertex) { state.steps[at].finished = Date() }
            case .pulled(let reference, let seconds):
                let now = Date()
                state.steps.append(Step(vertex: 0, title: "[internal] pull \(reference)",
                                        started: now.addingTimeInterval(-seconds), finished: now))
            case .buildFinished:
                state.finished = true
            case .warning(let message):
                state.warnings.append(message)
            }
        }
        // A failure ends the build: the last frame is drawn and the timer stops, so nothing
        // redraws over the error message printed after it.
        if case .buildFinished = event { finish() } else if case .stepFailed = event { finish() }
    }

    /// The last frame, with the step list as it ended; the timer stops.
    func finish() {
        timer.cancel()
        redraw()
        let warnings = state.withLock { $0.warnings }
        for warning in warnings { write(paint("33", "WARNING: " + DisplayText.escaped(warning, keepingLineBreaks: true)) + "\n") }
    }

    private func redraw() {
        state.withLock { state in
            let now = Date()
            let done = state.steps.filter { $0.finished != nil }.count
            let elapsed = String(format: "%.1fs", now.timeIntervalSince(state.buildStarted))
            let header = "[+] Building \(elapsed) (\(done)/\(state.steps.count))" + (state.finished ? " FINISHED" : "")
            var blocks: [[String]] = []
            for step in state.steps {
                let seconds = (step.finished ?? now).timeIntervalSince(step.started)
                let time = String(format: "%.1fs", seconds)
                var title = DisplayText.escaped(step.title)
                if step.cached { title = "CACHED " + title }
                let prefix = " => "
                let room = max(10, width - prefix.count - time.count - 1)
                if title.count > room { title = String(title.prefix(room - 1)) + "…" }
                var line = prefix + title.padding(toLength: room, withPad: " ", startingAt: 0) + " " + time
                // As buildx: finished steps in blue, a failure in red, running ones plain.
                if step.failed { line = paint("31", line) } else if step.finished != nil { line = paint("34", line) }
                var block = [line]
                if step.finished == nil || step.failed {
                    let tail = step.output + (step.partial.isEmpty ? [] : [step.partial])
                    for text in tail.suffix(Self.tailLines) {
                        var shown = " => => # " + DisplayText.escaped(text)
                        if shown.count > width { shown = String(shown.prefix(width - 1)) }
                        block.append(paint("2", shown))
                    }
                }
                blocks.append(block)
            }
            // Keep to the terminal: drop the oldest finished steps from the view first.
            var total = 1 + blocks.reduce(0) { $0 + $1.count }
            var visible = Array(zip(state.steps, blocks))
            while total > height - 1, let oldest = visible.firstIndex(where: { $0.0.finished != nil && !$0.0.failed }) {
                total -= visible[oldest].1.count
                visible.remove(at: oldest)
            }
            let lines = [header] + visible.flatMap(\.1)
            var frame = state.drawnLines > 0 ? "\u{1B}[\(state.drawnLines)A\r\u{1B}[J" : ""
            frame += lines.joined(separator: "\n") + "\n"
            state.drawnLines = lines.count
            write(frame)
        }
    }

    private func paint(_ code: String, _ text: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
