import Foundation
import Frontend
import Testing

/// Runs the checker over Dockerfiles nobody on the team wrote (`../shared/dockerfiles`, read
/// in place). Skips cleanly when that folder is not beside the package.
@Suite struct SharedCorpusTests {
    static let corpusRoot: URL? = {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/dockerfiles")
        return FileManager.default.fileExists(atPath: root.appendingPathComponent("MANIFEST.tsv").path)
            ? root : nil
    }()

    /// `file → valid|invalid` from MANIFEST.tsv.
    static func manifest(_ root: URL) throws -> [String: String] {
        let text = try String(contentsOf: root.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8)
        var entries: [String: String] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            if columns.count >= 4 { entries[String(columns[0])] = String(columns[3]) }
        }
        return entries
    }

    static func files(in root: URL, folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(".Dockerfile") }.sorted().map { "\(folder)/\($0)" }
    }

    static func check(_ root: URL, _ file: String) throws -> CheckReport {
        let data = try Data(contentsOf: root.appendingPathComponent(file))
        return DockerfileChecker.check(source: [UInt8](data), fileName: file)
    }

    @Test(.enabled(if: corpusRoot != nil, "../shared/dockerfiles is not beside the package"))
    func realAndBuildKitTestFilesMatchTheManifest() throws {
        let root = try #require(Self.corpusRoot)
        let manifest = try Self.manifest(root)
        var accepted = 0
        var rejected = 0
        for file in try Self.files(in: root, folder: "real") + Self.files(in: root, folder: "buildkit-tests") {
            let expected = try #require(manifest[file], "\(file) is missing from MANIFEST.tsv")
            let report = try Self.check(root, file)
            // BuildKit's parser tests name made-up frontends (`# syntax = myfrontend`) to test
            // directive detection; building such a file runs that frontend, which Reprise
            // refuses. Those files must parse, and must be refused for nothing else.
            let refusals = report.errors.filter(SyntaxFrontend.isRefusal)
            if expected == "valid", file.hasPrefix("buildkit-tests/parser_"), !refusals.isEmpty {
                #expect(refusals.count == report.errors.count, "\(file): \(report.errors)")
                accepted += 1
            } else if expected == "valid" {
                let isValid = report.isValid
                #expect(isValid, "\(file) should pass:\n\(report.errors.map(\.description).joined(separator: "\n"))")
                if report.isValid { accepted += 1 }
            } else {
                let isValid = report.isValid
                #expect(!isValid, "\(file) should be rejected")
                for error in report.errors {
                    #expect(error.location.startLine >= 1 && error.location.column >= 1)
                }
                if !report.isValid { rejected += 1 }
            }
        }
        print("shared corpus: \(accepted) valid files accepted, \(rejected) invalid files rejected")
    }

    @Test(.enabled(if: corpusRoot != nil, "../shared/dockerfiles is not beside the package"))
    func buildKitParserFixturesNeverCrashAndNegativesAreRejected() throws {
        let root = try #require(Self.corpusRoot)
        var negatives = 0
        var others = 0
        for file in try Self.files(in: root, folder: "buildkit-parser") {
            let report = try Self.check(root, file)
            let name = (file as NSString).lastPathComponent
            if name.hasPrefix("neg-") {
                let isValid = report.isValid
                #expect(!isValid, "\(file) must be rejected")
                let first = try #require(report.errors.first)
                #expect(first.location.startLine >= 1, "\(file): \(first)")
                negatives += 1
            } else {
                others += 1
            }
        }
        print("buildkit parser fixtures: \(negatives) negatives rejected, \(others) others parsed without crashing")
    }
}

extension SharedCorpusTests {
    @Test(.enabled(if: corpusRoot != nil && ProcessInfo.processInfo.environment["REPRISE_SHOW_CORPUS"] != nil))
    func showInvalidVerdicts() throws {
        let root = try #require(Self.corpusRoot)
        let manifest = try Self.manifest(root)
        for (file, verdict) in manifest.sorted(by: { $0.key < $1.key }) where verdict == "invalid" {
            let report = try Self.check(root, file)
            print(DiagnosticFormatter.format(report))
        }
        for file in try Self.files(in: root, folder: "buildkit-parser") where file.contains("neg-") {
            print(DiagnosticFormatter.format(try Self.check(root, file)))
        }
    }
}
