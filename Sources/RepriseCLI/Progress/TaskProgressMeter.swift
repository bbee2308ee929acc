#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ContentStore
import DisplayText
import Foundation
import Synchronization

/// One line of progress on stderr for work that is not a build (gc, fsck, image import, diff):
/// on a terminal it is redrawn in place at most ten times a second and left showing the last
/// state when the work ends; `plain` writes a line when the phase changes and every few
/// seconds; `quiet` writes nothing. Never stdout, so `--json` output stays one document.
final class TaskProgressMeter: Sendable {
    /// `--progress` for these commands: `auto` is `tty` when stderr is a terminal, else `quiet`.
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case auto, tty, plain, quiet

        func resolved(stderrIsTTY: Bool = Terminal.stderrIsTTY) -> Mode {
            self == .auto ? (stderrIsTTY ? .tty : .quiet) : self
        }
    }

    private struct State {
        var last: WorkProgress?
        var lastDrawn = Date.distantPast
        var lastPhase: String?
        var drawn = false
        var finished = false
    }

    private let mode: Mode
    private let title: String
    private let started = Date()
    private let state = Mutex(State())
    private let write: @Sendable (String) -> Void

    init(_ mode: Mode, title: String,
         write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.mode = mode.resolved()
        self.title = title
        self.write = write
    }

    /// What the libraries call; nil when nothing would be shown (they then skip the reports).
    var handler: WorkProgressHandler? {
        guard mode != .quiet else { return nil }
        return { @Sendable [self] progress in self.update(progress) }
    }

    func update(_ progress: WorkProgress) {
        let now = Date()
        let text: String? = state.withLock { state in
            guard !state.finished else { return nil }
            state.last = progress
            let phaseChanged = state.lastPhase != progress.phase
            let interval: TimeInterval = mode == .tty ? 0.1 : 2
            guard phaseChanged || now.timeIntervalSince(state.lastDrawn) >= interval else { return nil }
            state.lastDrawn = now
            state.lastPhase = progress.phase
            state.drawn = true
            return line(progress, at: now)
        }
        if let text { emit(text) }
    }

    /// The last state stays on screen (a terminal) or is written once more (plain).
    func finish() {
        let text: String? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            guard state.drawn, let last = state.last else { return nil }
            return line(last, at: Date())
        }
        guard let text else { return }
        emit(text)
        if mode == .tty { write("\n") }
    }

    private func emit(_ text: String) {
        switch mode {
        case .tty: write("\r\u{1B}[2K" + String(text.prefix(max(20, Self.terminalWidth - 1))))
        case .plain: write(text + "\n")
        case .auto, .quiet: break
        }
    }

    /// The width of the terminal on stderr: a longer line would wrap and not be redrawn in place.
    private static var terminalWidth: Int {
        var size = winsize()
        return ioctl(2, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 100
    }

    private func line(_ progress: WorkProgress, at now: Date) -> String {
        var text = "\(title): \(progress.phase)"
        if let total = progress.total, total > 0 { text += " \(progress.done)/\(total)" } else if progress.done > 0 { text += " \(progress.done)" }
        if let bytes = progress.bytes, bytes > 0 { text += ", \(Formatting.bytes(bytes))" }
        text += String(format: "  %.1fs", now.timeIntervalSince(started))
        return DisplayText.escaped(text)
    }
}
