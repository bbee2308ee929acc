import Foundation
import TestSupport
import Testing

/// Issue 11 #12: control characters from a Dockerfile, from file names in layers and from step
/// output reach the terminal escaped, in every human-readable output.
@Suite struct TerminalEscapingTests {
    static let escape = "\u{1B}"

    func rawControls(_ text: String) -> [String] {
        text.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" && $0 != "\t" || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }
            .map { "U+" + String($0.value, radix: 16) }
    }

    @Test func buildShowListAndDiffEscapeControlCharacters() throws {
        let workspace = try BuildWorkspace("escaping")
        let hostile = "\(Self.escape)]0;owned\u{07}\(Self.escape)[2J"
        // The Dockerfile line itself, a file name the step makes, and what the step prints.
        let dockerfile = """
            FROM busybox
            RUN touch "/evil-$(printf '\\033[31mred')" && printf 'out \\033[2J\\r done\\n' # \(hostile)
            """
        let first = try workspace.build(["--no-cache", try workspace.context(dockerfile)])
        try #require(first.status == 0, "\(first.stderr)")
        #expect(rawControls(first.stderr).isEmpty, "build progress: \(rawControls(first.stderr))")
        #expect(first.stderr.contains("\\e]0;owned\\x07\\e[2J"), "\(first.stderr)")
        let a = try workspace.latestBuild()

        let show = try RepriseProcess.run(["journal", "show", "--logs", "--journal", workspace.journal, a])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(rawControls(show.stdout).isEmpty, "journal show: \(rawControls(show.stdout))")
        #expect(show.stdout.contains("\\e]0;owned\\x07"), "\(show.stdout)")
        #expect(show.stdout.contains("out \\e[2J\\r done"), "logs: \(show.stdout)")

        sleep(1)
        let second = try workspace.build(["--no-cache", try workspace.context("FROM busybox\nRUN true\n")])
        try #require(second.status == 0, "\(second.stderr)")
        let b = try workspace.latestBuild()
        let diff = try RepriseProcess.run(["diff", "--journal", workspace.journal, a, b])
        #expect(diff.status == 1, "\(diff.stderr)")
        #expect(rawControls(diff.stdout).isEmpty, "diff text: \(rawControls(diff.stdout))")
        #expect(diff.stdout.contains("evil-\\e[31mred"), "\(diff.stdout)")
        let markdown = try RepriseProcess.run(["diff", "--markdown", "--journal", workspace.journal, a, b])
        #expect(markdown.status == 1, "\(markdown.stderr)")
        #expect(rawControls(markdown.stdout).isEmpty, "diff markdown: \(rawControls(markdown.stdout))")

        let error = try RepriseProcess.run(["journal", "show", "--journal", workspace.journal, "no-such\(hostile)"])
        #expect(error.status != 0)
        #expect(rawControls(error.stderr).isEmpty, "error: \(rawControls(error.stderr))")
    }
}
