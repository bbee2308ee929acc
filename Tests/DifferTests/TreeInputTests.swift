import DifferenceModel
import Foundation
import Testing
@testable import Differ

/// Single layer tarballs and directories as inputs.
@Suite struct TreeInputTests {
    @Test func layerTarballsGzipAndPlain() throws {
        let scratch = try Scratch("layers")
        try LayoutFixture.writeLayer([file("a", "1\n"), file("b", "same")], to: scratch.file("a.tar.gz"), gzip: true, scratch: scratch)
        try LayoutFixture.writeLayer([file("a", "2\n"), file("b", "same")], to: scratch.file("b.tar"), gzip: false, scratch: scratch)
        let report = try ImageDiffer().compare(a: .parse(scratch.file("a.tar.gz")), b: .parse(scratch.file("b.tar")))
        #expect(report.a.kind == .layer && report.b.kind == .layer)
        #expect(report.verdict == .different)
        #expect(report.root.children.map(\.name) == ["/a"])
        let same = try ImageDiffer().compare(a: .parse(scratch.file("a.tar.gz")), b: .layer(path: scratch.file("a.tar.gz")))
        #expect(same.verdict == .identical)
    }

    @Test func directories() throws {
        let scratch = try Scratch("dirs")
        for (name, text) in [("a", "alpha\n"), ("b", "beta\n")] {
            let root = scratch.file(name)
            try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
            try text.write(toFile: root + "/etc/value", atomically: true, encoding: .utf8)
            try "same\n".write(toFile: root + "/etc/same", atomically: true, encoding: .utf8)
        }
        try FileManager.default.createSymbolicLink(atPath: scratch.file("b") + "/link", withDestinationPath: "etc/same")
        let report = try ImageDiffer(options: DiffOptions(ignoredClasses: [.timestamp]))
            .compare(a: .parse(scratch.file("a")), b: .parse(scratch.file("b")))
        #expect(report.a.kind == .directory)
        let names = Set(report.root.children.map(\.name))
        #expect(names == ["/etc/value", "/link"])
        #expect(report.root.children.first { $0.name == "/link" }?.status == .added)
        let same = try ImageDiffer().compare(a: .directory(path: scratch.file("a")), b: .directory(path: scratch.file("a")))
        #expect(same.verdict == .identical)
    }

    @Test func imageAgainstLayerIsAnError() throws {
        let scratch = try Scratch("mixed")
        try LayoutFixture.write(["layers": [baseLayer]], to: scratch.file("image"), scratch: scratch)
        try LayoutFixture.writeLayer(baseLayer, to: scratch.file("layer.tar"), gzip: false, scratch: scratch)
        #expect(throws: DifferError.self) {
            try ImageDiffer().compare(a: .parse(scratch.file("image")), b: .parse(scratch.file("layer.tar")))
        }
        #expect(throws: DifferError.self) { try DiffInput.parse(scratch.file("nothing-here")) }
    }
}
