import DifferenceModel
import Foundation
import LayerArchive
import TestSupport
import Testing
@testable import Differ

/// Odd content never crashes a comparator: random bytes, truncated headers with real magic.
@Suite struct RobustnessTests {
    static let magics: [[UInt8]] = [
        [], [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], [0x1f, 0x8b, 8, 0], [0x50, 0x4b, 3, 4], Array("{\"a\":".utf8),
        Array("[1,".utf8), Array("line\n".utf8),
    ]

    func context() throws -> ContentContext {
        ContentContext(registry: .standard, options: DiffOptions(), classifier: CauseClassifier(), depth: 0,
                       spool: try SpoolDirectory(parent: NSTemporaryDirectory()), statistics: StatisticsCounter())
    }

    @Test func randomContentsCompareWithoutCrashing() throws {
        let context = try context()
        defer { context.spool.remove() }
        var generator = SystemRandomNumberGenerator()
        for round in 0..<400 {
            let magic = Self.magics[round % Self.magics.count]
            func random() -> Data {
                var bytes = magic + (0..<Int.random(in: 0...700, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if round % 5 == 0 && bytes.count > 262 { bytes.replaceSubrange(257..<262, with: Array("ustar".utf8)) }
                return Data(bytes)
            }
            let a = random()
            var b = random()
            if round % 3 == 0 { b = a; if !b.isEmpty { b[b.count / 2] ^= 0x5a } }
            guard a != b else { continue }
            let node = context.registry.compare(ContentPair(path: "fuzz/\(round)", a: a, b: b), context: context)
            // Bytes that differ are a change, whatever comparator takes them (and none crashes).
            #expect(node.kind == .content && node.status == .changed, "round \(round)")
        }
    }

    @Test func elfParserSurvivesCorruptHeaders() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, UInt8.random(in: 1...2, using: &generator), UInt8.random(in: 1...2, using: &generator)]
            bytes += (0..<Int.random(in: 46...400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if let file = ELFFile(Data(bytes)) {
                for section in file.sections { _ = file.contents(of: section) }
                _ = file.buildID
            }
        }
    }

    @Test func gzipBombsStopAtTheLimit() throws {
        let zeros = Data(count: 8 << 20)
        let scratch = try Scratch("bomb")
        try zeros.write(to: URL(fileURLWithPath: scratch.file("zeros")))
        try Tool.check(["gzip", "-n", "-9", scratch.file("zeros")])
        let compressed = try Data(contentsOf: URL(fileURLWithPath: scratch.file("zeros.gz")))
        #expect(GzipDecoder.decompress(compressed, limit: 1 << 20) == nil)
        #expect(GzipDecoder.decompress(compressed, limit: 16 << 20)?.count == 8 << 20)
        #expect(GzipDecoder.decompress(Data([0x1f, 0x8b, 8, 0, 1, 2, 3]), limit: 1 << 20) == nil)
    }

    @Test func unifiedDiffHunks() {
        let a = (1...20).map { Substring("line \($0)") }
        var b = a
        b[9] = "changed"
        let detail = LineDiff.unified(a, b, limit: 100)
        #expect(detail.lines.first?.text == "@@ -7,7 +7,7 @@")
        #expect(detail.lines.filter { $0.kind == .removed }.map(\.text) == ["line 10"])
        #expect(detail.lines.filter { $0.kind == .added }.map(\.text) == ["changed"])
    }

    @Test func maskersNameCauses() {
        let classifier = CauseClassifier(a: .init(hostnames: ["alpha-host"], sourceDateEpoch: 1_700_000_000),
                                         b: .init(hostnames: ["beta-host"]))
        func kinds(_ a: String, _ b: String) -> [CauseKind] {
            classifier.classifyContent(Data(a.utf8), Data(b.utf8)).map(\.kind)
        }
        #expect(kinds("built 2024-01-02T03:04:05Z ok", "built 2024-03-04T05:06:07Z ok") == [.timestamp])
        #expect(kinds("stamp 1700000000\n", "stamp 1712345678\n") == [.timestamp])
        #expect(kinds("Mon Jan  1 10:00:00 UTC 2024", "Tue Jan  2 11:00:00 UTC 2024") == [.timestamp])
        #expect(kinds("host=alpha-host\n", "host=beta-host\n") == [.hostname])
        #expect(kinds("worker pid 1234 done", "worker pid 98765 done") == [.pid])
        #expect(kinds("LANG=en_US.UTF-8", "LANG=fr_FR.UTF-8") == [.locale])
        #expect(kinds("id 550e8400-e29b-41d4-a716-446655440000", "id 6fa459ea-ee8a-3ca4-894e-db77e160355e") == [.randomness])
        #expect(kinds("version 1", "version 2").isEmpty)
        let timestamp = classifier.classifyContent(Data("t=1700000000".utf8), Data("t=1700000500".utf8)).first
        #expect(timestamp?.evidence.contains("A equals SOURCE_DATE_EPOCH") == true)
    }
}
