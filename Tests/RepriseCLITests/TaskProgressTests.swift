import Foundation
import TestSupport
import Testing

/// Progress of `journal gc`, `journal fsck`, `image import` and large `diff`s: one line on
/// stderr redrawn in place on a terminal (a tmux pane, captured at intervals), nothing when
/// stderr is not a terminal, lines with `--progress plain`; stdout (the report, JSON) untouched.
@Suite(.serialized) struct TaskProgressTests {
    /// Two trees that take a few seconds to read: sparse files cost no disk but are read whole.
    static func largeTrees(in workspace: BuildWorkspace, megabytes: Int) throws -> (String, String) {
        let a = workspace.sub("tree-a"), b = workspace.sub("tree-b")
        for (tree, note) in [(a, "a"), (b, "b")] {
            try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
            try Tool.check(["truncate", "-s", "\(megabytes)M", tree + "/big"])
            try note.write(toFile: tree + "/note", atomically: true, encoding: .utf8)
        }
        return (a, b)
    }

    /// Lines of a pane that hold `marker`.
    static func lines(_ frame: String, containing marker: String) -> [Substring] {
        frame.split(separator: "\n").filter { $0.contains(marker) }
    }

    @Test func aLargeDiffAndJournalMaintenanceRedrawOneLineOnATerminal() throws {
        let workspace = try BuildWorkspace("task-progress")
        let (a, b) = try Self.largeTrees(in: workspace, megabytes: 400)
        let frames = try TTYProgressTests.capture(["diff", "dir:\(a)", "dir:\(b)"], interval: 0.2)
        let final = try #require(frames.last)
        #expect(final.contains("REPRISE-EXIT-1"), "\(final)")
        // While it reads: the line with the bytes so far and a timer, growing between frames.
        let running = frames.filter { !$0.contains("REPRISE-EXIT") && !Self.lines($0, containing: "diff: reading").isEmpty }
        #expect(running.count >= 2, "frames: \(frames)")
        // Redrawn in place: one progress line at the end, above the report on stdout.
        #expect(Self.lines(final, containing: "diff: reading").count == 1, "\(final)")
        #expect(final.contains("iB") && final.contains("Verdict: different"), "\(final)")

        // fsck, gc and an import end with their one line too.
        let journal = workspace.journal
        let fsck = try #require(try TTYProgressTests.capture(["journal", "fsck", "--journal", journal], interval: 0.2).last)
        #expect(fsck.contains("REPRISE-EXIT-0"), "\(fsck)")
        let checked = Self.lines(fsck, containing: "fsck: checking blobs")
        #expect(checked.count == 1, "\(fsck)")
        #expect(checked.first.map { line in
            let counts = line.split(separator: " ").first { $0.contains("/") }?.split(separator: "/") ?? []
            return counts.count == 2 && counts[0] == counts[1].filter(\.isNumber) && counts[0] != "0"
        } == true, "\(checked)")
        let layout = try CorpusBaseImage.path()
        let imported = try #require(try TTYProgressTests.capture(
            ["image", "import", layout, "--name", "again", "--journal", workspace.sub("journal-2")], interval: 0.2).last)
        #expect(imported.contains("REPRISE-EXIT-0"), "\(imported)")
        #expect(Self.lines(imported, containing: "import: verifying layers 1/1").count == 1, "\(imported)")
        let gc = try #require(try TTYProgressTests.capture(["journal", "gc", "--journal", journal], interval: 0.2).last)
        #expect(gc.contains("REPRISE-EXIT-0") && Self.lines(gc, containing: "gc: ").count == 1, "\(gc)")
    }

    @Test func withoutATerminalStdoutStaysCleanAndPlainWritesLines() throws {
        let workspace = try BuildWorkspace("task-progress-pipe")
        let (a, b) = try Self.largeTrees(in: workspace, megabytes: 40)
        // auto with stderr a pipe: nothing on stderr; the JSON report is one document.
        let quiet = try RepriseProcess.run(["diff", "--json", "dir:\(a)", "dir:\(b)"])
        #expect(quiet.status == 1)
        #expect(try JSONSerialization.jsonObject(with: Data(quiet.stdout.utf8)) is [String: Any])
        #expect(!quiet.stderr.contains("diff:"), "\(quiet.stderr)")
        // plain: lines on stderr, stdout still one JSON document.
        let plain = try RepriseProcess.run(["diff", "--json", "--progress", "plain", "dir:\(a)", "dir:\(b)"])
        #expect(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) is [String: Any])
        #expect(plain.stderr.contains("diff: reading"), "\(plain.stderr)")
        #expect(!plain.stderr.contains("\u{1B}["))
        // tty asked for explicitly: the redraw sequences even on a pipe, and still only on stderr.
        let tty = try RepriseProcess.run(["journal", "fsck", "--progress", "tty", "--journal", workspace.journal])
        #expect(tty.status == 0)
        #expect(tty.stderr.contains("\r\u{1B}[2Kfsck: checking blobs"), "\(tty.stderr)")
        #expect(!tty.stdout.contains("checking blobs"))
        let gc = try RepriseProcess.run(["journal", "gc", "--journal", workspace.journal])
        #expect(gc.status == 0 && gc.stderr.isEmpty, "\(gc.stderr)")
    }
}
