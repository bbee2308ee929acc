import Foundation
import TestSupport
import Testing

/// `--progress=tty`/`auto` on a real terminal (a tmux pane, captured at intervals): the block
/// redraws with each running step's timer and last output lines, collapses finished steps,
/// honours `NO_COLOR` and `BUILDKIT_PROGRESS`.
@Suite(.serialized) struct TTYProgressTests {
    /// Runs `reprise ARGS` in a detached tmux session of 100×30 and captures the pane every
    /// `interval` until the command's exit marker shows (or `limit` passes). One bash process
    /// starts tmux and captures: a tmux server started by a Foundation `Process` refuses the
    /// later clients that another `Process` starts (seen here with tmux 3.3a).
    static func capture(_ arguments: [String], environment: [String: String] = [:], escapes: Bool = false,
                        interval: Double = 0.4, limit: Double = 30) throws -> [String] {
        let session = "reprise-tty-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        // swift test runs tests with NO_COLOR=1; the pane gets exactly what the test asks for.
        let exports = "unset NO_COLOR BUILDKIT_PROGRESS; " + environment.sorted { $0.key < $1.key }.map { "export \($0.key)=\(quote($0.value)); " }.joined()
        let command = exports + ([RepriseProcess.executable] + arguments).map(quote).joined(separator: " ")
            + "; echo REPRISE-EXIT-$?; sleep 3"
        let rounds = Int(limit / interval)
        let script = """
            tmux -L \(session) -f /dev/null new-session -d -s \(session) -x 100 -y 30 \(quote(command)) \
                </dev/null >/dev/null 2>&1 || exit 1
            trap 'tmux -L \(session) kill-server 2>/dev/null' EXIT
            for i in $(seq 1 \(rounds)); do
              sleep \(interval)
              frame=$(tmux -L \(session) capture-pane -p \(escapes ? "-e" : "") -t \(session))
              printf '%s\\n@@FRAME@@\\n' "$frame"
              case "$frame" in *REPRISE-EXIT-*) break;; esac
            done
            true
            """
        let output = try Tool.run(["bash", "-c", script])
        try #require(output.status == 0, "tmux: \(output.stderr)")
        return output.stdout.components(separatedBy: "@@FRAME@@\n").filter { !$0.isEmpty }
    }

    @Test func theBlockShowsRunningStepsWithTimersAndOutputThenCollapses() throws {
        let workspace = try BuildWorkspace("tty-progress")
        let context = try workspace.context("""
            FROM busybox
            RUN for i in 1 2 3 4 5 6 7 8 9 10; do echo line-$i; sleep 0.25; done
            RUN echo second-step
            """)
        let frames = try Self.capture(["build", "--journal", workspace.journal, "--no-cache", context])
        let final = try #require(frames.last)
        #expect(final.contains("REPRISE-EXIT-0"), "\(final)")
        // While the loop runs: its line with a growing timer, and its latest output under it.
        let running = frames.filter { $0.contains("=> => # line-") && !$0.contains("FINISHED") }
        #expect(running.count >= 2, "frames: \(frames)")
        let timers = running.compactMap { frame -> Double? in
            guard let line = frame.split(separator: "\n").first(where: { $0.contains("RUN for i in") }),
                  let last = line.split(separator: " ").last, last.hasSuffix("s") else { return nil }
            return Double(last.dropLast())
        }
        #expect(timers.count >= 2 && timers.last! > timers.first!, "timers \(timers)")
        // Only the last lines are shown: never more than six output lines at once.
        #expect(running.allSatisfy { $0.components(separatedBy: "=> => #").count - 1 <= 6 })
        #expect(running.contains { $0.contains("line-7") && !$0.contains("line-1\n") })
        // The end: one redrawn block (not a scroll of frames), every step collapsed to one line.
        #expect(final.contains("FINISHED"))
        #expect(!final.contains("=> => #"), "\(final)")
        #expect(final.components(separatedBy: "[+] Building").count == 2, "\(final)")
        #expect(final.contains("RUN echo second-step"))
    }

    @Test func noColorAndBuildkitProgressAreHonoured() throws {
        let workspace = try BuildWorkspace("tty-env")
        let context = try workspace.context("FROM busybox\nRUN sleep 1; echo shown\n")
        let coloured = try Self.capture(["build", "--journal", workspace.journal, "--no-cache", context], escapes: true)
        #expect(coloured.contains { $0.contains("\u{1B}[") }, "no colour on a terminal: \(coloured)")
        let plainColours = try Self.capture(["build", "--journal", workspace.journal, "--no-cache", context],
                                            environment: ["NO_COLOR": "1"], escapes: true)
        let last = try #require(plainColours.last)
        #expect(last.contains("FINISHED"))
        #expect(!plainColours.contains { $0.contains("\u{1B}[3") }, "colour despite NO_COLOR")
        // BUILDKIT_PROGRESS=plain on a terminal: buildx's plain lines, not the block.
        let plain = try Self.capture(["build", "--journal", workspace.journal, "--no-cache", context],
                                     environment: ["BUILDKIT_PROGRESS": "plain"])
        let text = try #require(plain.last)
        #expect(text.contains("#2 DONE"), "\(text)")
        #expect(!text.contains("[+] Building"))
    }
}
