import DiffPresenters
import DifferenceModel
import Foundation
import Testing
@testable import Differ

/// The presenters walk a real report; JSON validates against the schema, HTML escapes.
@Suite struct PresenterTests {
    func report(_ scratch: Scratch) throws -> DiffReport {
        let top: (String, Int, Int) -> [[String: Any]] = { text, mode, mtime in
            [directory("app"), file("app/<script>alert(1)</script>.txt", text, mtime: mtime),
             file("app/config.json", "{\"name\": \"x\", \"built\": \"\(mode)\", \"list\": [1, 2]}", mode: mode),
             file("app/conf", "k=v\n", mode: mode, mtime: mtime)]
        }
        try LayoutFixture.write(["layers": [baseLayer, top("one & <two>", 0o644, 1)]], to: scratch.file("a"), scratch: scratch)
        try LayoutFixture.write(["layers": [baseLayer, top("three \"four\"", 0o664, 2)]], to: scratch.file("b"), scratch: scratch)
        return try ImageDiffer().compare(a: .parse(scratch.file("a")), b: .parse(scratch.file("b")))
    }

    @Test func textLeadsWithTheSummary() throws {
        let scratch = try Scratch("text")
        let report = try report(scratch)
        let text = TextPresenter().render(report)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[2].hasPrefix("Verdict: different: 1 of 2 layers"))
        #expect(lines[3].hasPrefix("Causes: "))
        #expect(text.contains("First difference: layer 1"))
        #expect(text.contains("cause: permissions/umask"))
        #expect(!text.contains("\u{1B}["), "no colour unless asked")
        #expect(TextPresenter(options: PresentationOptions(color: true)).render(report).contains("\u{1B}[31m"))
        let shallow = TextPresenter(options: PresentationOptions(maxDepth: 1)).render(report)
        #expect(shallow.contains("more below (max depth)"))
        #expect(shallow.count < text.count)
    }

    @Test func jsonValidatesAndRoundTrips() throws {
        let scratch = try Scratch("json")
        let report = try report(scratch)
        try SchemaValidation.validate(report, scratch: scratch)
        let decoded = try JSONPresenter.decode(JSONPresenter().encode(report))
        #expect(decoded == report)
        let config = report.nodes(named: "/app/config.json").first?.children.first { $0.kind == .content }
        #expect(config?.comparator == "json")
        #expect(config?.children.map(\.name) == [".built"])
    }

    @Test func identicalAndEquivalentReportsValidate() throws {
        let scratch = try Scratch("json-identical")
        try LayoutFixture.write(["layers": [baseLayer]], to: scratch.file("a"), scratch: scratch)
        let identical = try ImageDiffer().compare(a: .parse(scratch.file("a")), b: .parse(scratch.file("a")))
        try SchemaValidation.validate(identical, scratch: scratch)
        let equivalent = try ImageDiffer(options: DiffOptions(ignoredClasses: Set(CauseKind.allCases)))
            .compare(a: .parse(scratch.file("a")), b: .parse(try self.report(scratch).b.label))
        try SchemaValidation.validate(equivalent, scratch: scratch)
    }

    @Test func htmlIsOneEscapedPage() throws {
        let scratch = try Scratch("html")
        let report = try report(scratch)
        let html = HTMLPresenter().render(report)
        try html.write(toFile: scratch.file("report.html"), atomically: true, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<table class=\"layers\">"))
        #expect(html.contains("class=\"badge permissions"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt"))
        #expect(!html.contains("<script>"))
        #expect(!html.contains("src=\"http"), "self-contained")
        if let out = ProcessInfo.processInfo.environment["DIFFER_HTML_SAMPLE"] {
            try html.write(toFile: out, atomically: true, encoding: .utf8)
        }
    }

    @Test func markdownHasTheTableAndFences() throws {
        let scratch = try Scratch("markdown")
        let markdown = MarkdownPresenter().render(try report(scratch))
        #expect(markdown.contains("| # | status | A | B | files | step | causes |"))
        #expect(markdown.contains("```diff"))
        #expect(markdown.contains("\\<script\\>") || markdown.contains("`/app/<script>"))
    }
}
