import Foundation
import TestSupport
import Testing

/// Every Corpus case, built by the real binary in the real sandbox, checked with real OCI clients.
@Suite(.serialized) struct CorpusBuildTests {
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory("corpus") }

    /// A fresh journal holding the base image, as a newcomer would set one up.
    func freshJournal(_ name: String) throws -> String {
        let journal = scratch.sub(name)
        let imported = try RepriseProcess.run(["image", "import", try CorpusBaseImage.path(), "--name", "busybox",
                                               "--journal", journal])
        try #require(imported.status == 0, "\(imported.stderr)")
        return journal
    }

    func build(_ corpusCase: CorpusCase, run: String) throws -> (journal: String, layout: String, digest: String) {
        let journal = try freshJournal("journal-\(corpusCase.name)-\(run)")
        let layout = scratch.sub("image-\(corpusCase.name)-\(run)")
        let result = try RepriseProcess.run(corpusCase.buildArguments(journal: journal, output: layout),
                                            environment: corpusCase.buildEnvironment)
        try #require(result.status == 0, "build failed:\n\(result.stderr)")
        for secret in corpusCase.secretValues {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "\(corpusCase.name): secret in the output")
            for directory in [journal, layout] {
                let found = try SecretCanary.occurrences(of: secret, under: directory)
                #expect(found.isEmpty, "\(corpusCase.name): secret found in \(found)")
            }
        }
        let index = try JSONDecoder().decode(LayoutIndex.self, from: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
        return (journal, layout, try #require(index.manifests.first?.digest))
    }

    @Test(arguments: CorpusCase.deterministic)
    func deterministicCaseBuildsTwiceToTheSameDigest(_ corpusCase: CorpusCase) throws {
        let first = try build(corpusCase, run: "a")
        let second = try build(corpusCase, run: "b")
        #expect(first.digest == second.digest, "\(corpusCase.name) is not reproducible")
        try checkImage(corpusCase, first)
    }

    @Test(arguments: CorpusCase.nondeterministic)
    func nondeterministicCaseBuildsAndHasItsFile(_ corpusCase: CorpusCase) throws {
        let built = try build(corpusCase, run: "a")
        try checkImage(corpusCase, built)
    }

    /// Validators, file contents, config fields and stages, as `case.json` says.
    func checkImage(_ corpusCase: CorpusCase, _ built: (journal: String, layout: String, digest: String)) throws {
        let expect = corpusCase.definition.expect
        let tag = "latest"
        let failures = try OCIValidators.failures(layout: built.layout, tag: tag, scratch: scratch.path)
        #expect(failures.isEmpty, "\(failures)")
        let bundle = scratch.sub("bundle-\(corpusCase.name)-\(UInt32.random(in: 0...UInt32.max))")
        try Tool.check(["umoci", "unpack", "--image", "\(built.layout):\(tag)", bundle])
        for (path, content) in expect.files ?? [:] {
            let actual = FileManager.default.contents(atPath: bundle + "/rootfs/" + path)
            #expect(actual.map { String(decoding: $0, as: UTF8.self) } == content, "\(corpusCase.name): /\(path)")
        }
        for path in expect.absentFiles ?? [] {
            #expect(!FileManager.default.fileExists(atPath: bundle + "/rootfs/" + path), "\(corpusCase.name): /\(path) should be absent")
        }
        if let expected = expect.config {
            // --raw: skopeo's parsed view drops Docker-only fields such as Shell.
            let output = try Tool.check(["skopeo", "inspect", "--raw", "--config", "oci:\(built.layout):\(tag)"])
            let config = try JSONDecoder().decode(ConfigDocument.self, from: Data(output.stdout.utf8)).config
            for (key, value) in expected {
                if key == "EnvContains", case .array(let wanted) = value {
                    guard case .array(let env)? = config["Env"] else { Issue.record("no Env"); continue }
                    for item in wanted { #expect(env.contains(item), "\(corpusCase.name): Env lacks \(item)") }
                } else if case .object(let wanted) = value, case .object(let actual)? = config[key] {
                    // Objects (Labels…) may hold more than the case names: base image labels.
                    for (name, item) in wanted { #expect(actual[name] == item, "\(corpusCase.name): \(key).\(name)") }
                } else {
                    #expect(config[key] == value, "\(corpusCase.name): config \(key)")
                }
            }
        }
        if let stages = expect.stagesBuilt {
            let show = try RepriseProcess.run(["journal", "show", "--journal", built.journal, "--json",
                                               try latestBuild(built.journal)])
            let document = try JSONDecoder().decode(ShowDocument.self, from: Data(show.stdout.utf8))
            let built = Set(document.steps.filter { $0.instruction == "FROM" }.map(\.stage))
            #expect(built == Set(stages), "\(corpusCase.name): stages built")
        }
    }

    func latestBuild(_ journal: String) throws -> String {
        let listing = try RepriseProcess.run(["journal", "ls", "-q", "--journal", journal])
        return try #require(listing.stdout.split(separator: "\n").first.map(String.init))
    }
}

struct LayoutIndex: Decodable {
    struct Entry: Decodable { var digest: String }
    var manifests: [Entry]
}

struct ConfigDocument: Decodable {
    var config: [String: JSONValue]
}

struct ShowDocument: Decodable {
    struct Step: Decodable {
        var instruction: String
        var stage: String
    }
    var steps: [Step]
}
