import Foundation
import TestSupport
import Testing

/// `reprise diff` details: a directory that became a symlink is a type change (no permissions
/// cause), the per-layer entry cap is settable and shows in the verdict, and the HTML report
/// folds layers and directories, filters by cause without a script, and prints line diffs
/// without blank lines between them.
@Suite struct DiffReportDetailTests {
    static func write(_ files: [String: String], under root: String) throws {
        for (path, content) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try content.write(toFile: full, atomically: true, encoding: .utf8)
        }
    }

    @Test func aDirectoryBecomingASymlinkIsATypeChange() throws {
        let scratch = try TemporaryDirectory("diff-type")
        let a = scratch.sub("a"), b = scratch.sub("b")
        try Self.write(["lib/x.so": "x"], under: a)
        try FileManager.default.createDirectory(atPath: b, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: b + "/lib", withDestinationPath: "usr/lib")
        try Self.write(["usr/lib/x.so": "x"], under: b)
        let result = try RepriseProcess.run(["diff", "--json", "dir:\(a)", "dir:\(b)"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("\"directory\"") && result.stdout.contains("\"symlink\""), "\(result.stdout)")
        #expect(!result.stdout.contains("\"permissions\""), "a type change was blamed on permissions: \(result.stdout)")
        #expect(!result.stdout.contains("\"name\" : \"mode\""), "\(result.stdout)")
    }

    @Test func theEntryCapIsSettableAndShownInTheVerdict() throws {
        let scratch = try TemporaryDirectory("diff-cap")
        let a = scratch.sub("a"), b = scratch.sub("b")
        var filesA: [String: String] = [:], filesB: [String: String] = [:]
        for index in 0..<12 { filesA["f\(index).txt"] = "a\(index)\n"; filesB["f\(index).txt"] = "b\(index)\n" }
        try Self.write(filesA, under: a)
        try Self.write(filesB, under: b)
        let capped = try RepriseProcess.run(["diff", "--max-entries", "5", "dir:\(a)", "dir:\(b)"])
        #expect(capped.status == 1)
        let verdict = try #require(capped.stdout.split(separator: "\n").first { $0.contains("different") })
        #expect(verdict.contains("7 entries beyond the --max-entries cap"), "\(capped.stdout)")
        let full = try RepriseProcess.run(["diff", "dir:\(a)", "dir:\(b)"])
        #expect(!full.stdout.contains("--max-entries cap"), "\(full.stdout)")
    }

    @Test func theHTMLReportFoldsFiltersAndKeepsLineDiffsTight() throws {
        let scratch = try TemporaryDirectory("diff-html")
        let a = scratch.sub("a"), b = scratch.sub("b")
        try Self.write(["etc/one.conf": "same\nold-1\n", "etc/two.conf": "same\nold-2\n", "top.txt": "x\n",
                        "srv/app/conf/a.stamp": "1\n", "srv/app/conf/b.stamp": "1\n"], under: a)
        try Self.write(["etc/one.conf": "same\nnew-1\n", "etc/two.conf": "same\nnew-2\n", "top.txt": "x\n",
                        "srv/app/conf/a.stamp": "2\n", "srv/app/conf/b.stamp": "2\n"], under: b)
        chmod(b + "/top.txt", 0o600)
        for tree in [a, b] {   // only the files under srv/ differ, not their directories
            try Tool.check(["touch", "-d", "@1000000000", tree + "/srv", tree + "/srv/app", tree + "/srv/app/conf"])
        }
        let html = scratch.sub("report.html")
        let result = try RepriseProcess.run(["diff", "--html", html, "dir:\(a)", "dir:\(b)"])
        #expect(result.status == 1, "\(result.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        // Folding: sections and the etc/ directory (two entries) are <details>.
        #expect(page.contains("<details open><summary><h3>"))
        #expect(page.contains("<li class=\"folder"), "\(page)")
        #expect(page.contains("<span class=\"name\">etc/</span>"))
        // A folded group names the deepest directory its entries share, not only the top one.
        #expect(page.contains("<span class=\"name\">srv/app/conf/</span>"), "\(page)")
        // Filtering by cause with radio buttons and CSS, still no script.
        #expect(page.contains("id=\"f-permissions\""), "\(page)")
        #expect(page.contains("#f-permissions:checked ~ main"))
        #expect(!page.contains("<script"))
        // Line diffs: one line per line, no empty line in between.
        let detail = try #require(page.range(of: "<pre class=\"detail"))
        let block = page[detail.lowerBound...].prefix { $0 != "<" || true }
        #expect(!String(block.prefix(400)).contains("</span>\n<span"), "\(block.prefix(400))")
        // The xmllint-free check of well-formed nesting: every <details> closes.
        #expect(page.components(separatedBy: "<details").count == page.components(separatedBy: "</details>").count)
    }
}
