import DiffPresenters
import DifferenceModel
import Foundation
import TestSupport
import Testing
@testable import Differ

/// OCI layouts that differ in one controlled way each, and the cause the differ names.
@Suite struct ImageDifferTests {
    func compare(_ specA: [String: Any], _ specB: [String: Any], options: DiffOptions = DiffOptions(),
                 _ name: String = #function) throws -> DiffReport {
        let scratch = try Scratch(String(name.prefix(20)).filter(\.isLetter))
        try LayoutFixture.write(specA, to: scratch.file("a"), scratch: scratch)
        try LayoutFixture.write(specB, to: scratch.file("b"), scratch: scratch)
        return try ImageDiffer(options: options).compare(a: .parse(scratch.file("a")), b: .parse(scratch.file("b")))
    }

    func layers(_ top: [[String: Any]]) -> [String: Any] { ["layers": [baseLayer, top]] }

    @Test func identicalLayoutsCostNothing() throws {
        let spec = layers([file("app/hello.txt", "hello\n")])
        let report = try compare(spec, spec)
        #expect(report.verdict == .identical)
        #expect(report.statistics.layerReads == 0)
        #expect(report.layers.count == 2)
        #expect(report.summary.identicalLayers == 2)
        #expect(report.verdict.exitStatus == 0)
    }

    @Test func mtimeOnlyIsTimestamp() throws {
        let report = try compare(layers([file("app/a.txt", "same\n", mtime: 1_700_000_000)]),
                                 layers([file("app/a.txt", "same\n", mtime: 1_700_000_999)]))
        #expect(report.verdict == .different)
        #expect(report.causes(of: "/app/a.txt") == [.timestamp])
        #expect(report.summary.firstDifferingLayer == 1)
        #expect(report.layers[0].digestA == report.layers[0].digestB)
        #expect(report.statistics.layerReads == 2, "only the differing layer is read, once per side")
        let ignoring = try compare(layers([file("app/a.txt", "same\n", mtime: 1_700_000_000)]),
                                   layers([file("app/a.txt", "same\n", mtime: 1_700_000_999)]),
                                   options: DiffOptions(ignoredClasses: [.timestamp]))
        #expect(ignoring.verdict == .equivalent)
        #expect(ignoring.verdict.exitStatus == 0)
    }

    @Test func randomBytesAreRandomness() throws {
        var generator = SystemRandomNumberGenerator()
        let bytesA = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let bytesB = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let report = try compare(layers([binaryFile("app/seed.bin", bytesA)]), layers([binaryFile("app/seed.bin", bytesB)]))
        #expect(report.causes(of: "/app/seed.bin").contains(.randomness))
        let token = try compare(layers([file("app/token", "session=3f9a1c0b5e7d2a4f6b8c0d1e2f3a4b5c\n")]),
                                layers([file("app/token", "session=a1b2c3d4e5f60718293a4b5c6d7e8f90\n")]))
        #expect(token.causes(of: "/app/token") == [.randomness])
    }

    @Test func reorderedLinesAreOrdering() throws {
        let report = try compare(layers([file("etc/list", "alpha\nbeta\ngamma\n")]),
                                 layers([file("etc/list", "gamma\nalpha\nbeta\n")]))
        #expect(report.causes(of: "/etc/list") == [.ordering])
        let content = report.nodes(named: "/etc/list").first?.children.first { $0.kind == .content }
        #expect(content?.comparator == "text")
        #expect(content?.detail?.format == .unifiedDiff)
    }

    @Test func reorderedEntriesAreOrdering() throws {
        let report = try compare(layers([file("a", "1"), file("b", "2")]), layers([file("b", "2"), file("a", "1")]))
        #expect(report.nodes(named: "entry order").first?.causes.first?.kind == .ordering)
        #expect(report.summary.differingEntries == 0)
    }

    @Test func umaskModeIsPermissions() throws {
        let report = try compare(layers([file("app/conf", "x", mode: 0o644)]), layers([file("app/conf", "x", mode: 0o664)]))
        let cause = report.nodes(named: "mode").first?.causes.first
        #expect(cause?.kind == .permissions)
        #expect(cause?.confidence == .certain)
        #expect(cause?.evidence.contains("umask") == true)
    }

    @Test func ownerChangeIsUidGid() throws {
        let report = try compare(layers([file("app/data", "x", uid: 0)]), layers([file("app/data", "x", uid: 1000)]))
        #expect(report.causes(of: "/app/data") == [.uidGid])
    }

    @Test func differentBaseLayerIsBaseImageDrift() throws {
        let top = [file("app/main", "program\n")]
        let specA: [String: Any] = ["layers": [baseLayer, top],
                                    "annotations": ["org.opencontainers.image.base.name": "fixture/base:1",
                                                    "org.opencontainers.image.base.digest": "sha256:" + String(repeating: "a", count: 64)]]
        let specB: [String: Any] = ["layers": [[directory("etc"), file("etc/os-release", "NAME=Fixture 2\n"), directory("bin")], top],
                                    "annotations": ["org.opencontainers.image.base.name": "fixture/base:1",
                                                    "org.opencontainers.image.base.digest": "sha256:" + String(repeating: "b", count: 64)]]
        let report = try compare(specA, specB)
        #expect(report.summary.firstDifferingLayer == 0)
        #expect(report.causes(of: "/etc/os-release").contains(.baseImage))
        #expect(report.layers[1].digestA == report.layers[1].digestB)
    }

    @Test func nestedTarGzIsRecursed() throws {
        let scratch = try Scratch("nested")
        for (name, text) in [("a", "version 1\n"), ("b", "version 2\n")] {
            try LayoutFixture.writeLayer([file("inner/readme.txt", text), file("inner/same.txt", "same\n")],
                                         to: scratch.file("\(name).tar.gz"), gzip: true, scratch: scratch)
        }
        let report = try compare(layers([["path": "app/bundle.tar.gz", "file": scratch.file("a.tar.gz")]]),
                                 layers([["path": "app/bundle.tar.gz", "file": scratch.file("b.tar.gz")]]))
        let gzip = report.nodes(named: "/app/bundle.tar.gz").first?.children.first { $0.kind == .content }
        #expect(gzip?.comparator == "gzip")
        let inner = report.nodes(named: "inner/readme.txt")
        #expect(inner.count == 1)
        #expect(inner.first?.children.first?.detail?.lines.contains { $0.kind == .added && $0.text == "version 2" } == true)
        #expect(report.nodes(named: "inner/same.txt").isEmpty)
    }

    @Test func nestedJarIsRecursed() throws {
        let scratch = try Scratch("jar")
        for (name, text) in [("a", "Built-By: alice\n"), ("b", "Built-By: bob\n")] {
            try Tool.check(["python3", "-c", """
                import sys, zipfile
                with zipfile.ZipFile(sys.argv[1], "w") as jar:
                    jar.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", (2024, 1, 1, 0, 0, 0)), sys.argv[2])
                    jar.writestr(zipfile.ZipInfo("app/Main.class", (2024, 1, 1, 0, 0, 0)), b"\\xca\\xfe\\xba\\xbe")
                """, scratch.file("\(name).jar"), text])
        }
        let report = try compare(layers([["path": "app/app.jar", "file": scratch.file("a.jar")]]),
                                 layers([["path": "app/app.jar", "file": scratch.file("b.jar")]]))
        let jar = report.nodes(named: "/app/app.jar").first?.children.first { $0.kind == .content }
        #expect(jar?.comparator == "zip")
        #expect(jar?.children.map(\.name) == ["META-INF/MANIFEST.MF"])
    }

    @Test func elfBuildIDDifferenceIsShownBySection() throws {
        let scratch = try Scratch("elf")
        for (name, text) in [("a", "hello from A"), ("b", "hello from B")] {
            let source = scratch.file("\(name).c")
            try "#include <stdio.h>\nint main(void) { puts(\"\(text)\"); return 0; }\n"
                .write(toFile: source, atomically: true, encoding: .utf8)
            try Tool.check(["gcc", "-O1", "-Wl,--build-id=sha1", "-o", scratch.file(name), source])
        }
        let report = try compare(layers([hostFile("usr/bin/hello", from: scratch.file("a"))]),
                                 layers([hostFile("usr/bin/hello", from: scratch.file("b"))]))
        let content = report.nodes(named: "/usr/bin/hello").first?.children.first { $0.kind == .content }
        #expect(content?.comparator == "elf")
        let sections = Set(content?.children.map(\.name) ?? [])
        #expect(sections.contains(".note.gnu.build-id"))
        #expect(sections.contains(".rodata"))
        let buildID = content?.children.first { $0.name == ".note.gnu.build-id" }
        #expect(buildID?.a?.count == 40 && buildID?.a != buildID?.b)
    }

    @Test func configFieldsAreComparedByKey() throws {
        var specA = layers([file("a", "1")])
        var specB = specA
        specA["config"] = ["created": "2024-05-01T10:00:00Z", "config": ["Env": ["PATH=/bin", "MODE=a"], "User": "app"]]
        specB["config"] = ["created": "2024-05-02T11:30:00Z", "config": ["Env": ["PATH=/bin", "MODE=b"], "User": "app"]]
        let report = try compare(specA, specB)
        #expect(report.causes(of: ".created") == [.timestamp])
        #expect(report.nodes(named: ".config.Env[MODE]").first?.b == "b")
        #expect(report.summary.differingFields == 2)
        #expect(report.statistics.layerReads == 0)
    }

    @Test func ignoredPathsAreLeftOut() throws {
        let report = try compare(layers([file("var/cache/x", "1"), file("app/y", "same")]),
                                 layers([file("var/cache/x", "2"), file("app/y", "same")]),
                                 options: DiffOptions(ignoredPaths: ["var/cache/*"]))
        #expect(report.verdict == .equivalent)
        #expect(report.summary.differingEntries == 0)
    }
}
