import Foundation
import Frontend
import Testing

/// Golden tests: every `Fixtures/golden/NAME.Dockerfile` is checked and the dump of its
/// instructions, diagnostics and plan compared with `NAME.golden`. An optional `NAME.args`
/// holds `build-arg K=V`, `target NAME`, `platform OS/ARCH` and `image-platform IMAGE OS/ARCH`
/// (the platform a base image really has, as the engine learns it) lines; an optional
/// `NAME.dockerignore` is the main context's ignore file.
///
/// Regenerate with `REPRISE_UPDATE_GOLDENS=1 swift test --filter GoldenTests`, then review
/// the diff: a golden is a claim about correct behaviour, not a recording.
@Suite struct GoldenTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden")

    static var fixtureNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".Dockerfile") }.map { String($0.dropLast(".Dockerfile".count)) }.sorted()
    }

    static func options(for name: String) throws -> BuildOptions {
        var options = BuildOptions(targetPlatform: BuildPlatform(os: "linux", architecture: "amd64"),
                                   buildPlatform: BuildPlatform(os: "linux", architecture: "amd64"))
        let ignoreURL = folder.appendingPathComponent(name + ".dockerignore")
        if let ignore = try? Data(contentsOf: ignoreURL) { options.dockerIgnore = DockerIgnore(bytes: [UInt8](ignore)) }
        let argsURL = folder.appendingPathComponent(name + ".args")
        guard let text = try? String(contentsOf: argsURL, encoding: .utf8) else { return options }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "build-arg":
                let pair = parts[1].split(separator: "=", maxSplits: 1).map(String.init)
                options.buildArgs[pair[0]] = pair.count > 1 ? pair[1] : ""
            case "target":
                options.target = parts[1]
            case "platform":
                options.targetPlatform = try #require(BuildPlatform(parsing: parts[1]))
            case "image-platform":
                let pair = parts[1].split(separator: " ").map(String.init)
                let platform: BuildPlatform = try #require(BuildPlatform(parsing: pair[1]))
                options.imagePlatforms[pair[0]] = platform
            default:
                Issue.record("unknown line in \(name).args: \(line)")
            }
        }
        return options
    }

    static func render(_ name: String) throws -> (String, CheckReport) {
        let source = try Data(contentsOf: folder.appendingPathComponent(name + ".Dockerfile"))
        let report = DockerfileChecker.check(source: [UInt8](source), fileName: name + ".Dockerfile",
                                             options: try options(for: name))
        return (DockerfileDump.render(report) + "--- formatted ---\n" + DiagnosticFormatter.format(report), report)
    }

    @Test(arguments: fixtureNames)
    func matchesGolden(_ name: String) throws {
        let (actual, report) = try Self.render(name)
        // The fixture's name states its verdict, so a golden can't silently flip it.
        if name.hasPrefix("invalid-") {
            #expect(!report.errors.isEmpty, "\(name) must be rejected")
        } else {
            #expect(report.errors.isEmpty, "\(name) must be accepted")
        }
        let goldenURL = Self.folder.appendingPathComponent(name + ".golden")
        if ProcessInfo.processInfo.environment["REPRISE_UPDATE_GOLDENS"] != nil {
            try actual.write(to: goldenURL, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: goldenURL, encoding: .utf8)
        #expect(actual == expected, "\(name) differs from its golden; regenerate and review")
    }
}
