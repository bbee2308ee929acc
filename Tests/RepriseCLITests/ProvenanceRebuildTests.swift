import Foundation
import TestSupport
import Testing

/// Verification by rebuild: a Corpus case is built and attested in one journal, its bundle
/// imported into an empty one, and `reprise attest rebuild` replays it there from the signed
/// provenance alone, writing a SLSA VSA that the independent checkers accept.
@Suite(.serialized) struct ProvenanceRebuildTests {
    struct Attested {
        var workspace: BuildWorkspace
        var digest: String
        var envelope: String
        var key: String
        var emptyJournal: String
    }

    /// Builds `corpusCase`, signs its provenance, exports its bundle and imports it into a journal
    /// that holds nothing else (no base image either: the bundle carries what the build reached).
    func attestAndMove(_ corpusCase: CorpusCase) throws -> Attested {
        let workspace = try BuildWorkspace("provenance-rebuild")
        let layout = workspace.sub("image")
        let metadata = workspace.sub("metadata.json")
        let built = try RepriseProcess.run(corpusCase.buildArguments(journal: workspace.journal, output: layout)
                                               + ["-q", "--metadata-file", metadata],
                                           environment: corpusCase.buildEnvironment)
        try #require(built.status == 0, "\(built.stderr)")
        let digest = try builtManifestDigest(metadata: metadata)
        let build = try workspace.latestBuild()
        let key = workspace.sub("key")
        try #require(try RepriseProcess.run(["key", "generate", "-o", key]).status == 0)
        let envelope = workspace.sub("provenance.json")
        let attested = try RepriseProcess.run(["attest", build, "--journal", workspace.journal, "--key", key, "-o", envelope])
        try #require(attested.status == 0, "\(attested.stderr)")
        let bundle = workspace.sub("bundle.tar")
        try #require(try RepriseProcess.run(["journal", "export", build, "-o", bundle, "--journal", workspace.journal]).status == 0)
        let empty = workspace.sub("empty-journal")
        let imported = try RepriseProcess.run(["journal", "import", bundle, "--journal", empty])
        try #require(imported.status == 0, "\(imported.stderr)")
        return Attested(workspace: workspace, digest: digest, envelope: envelope, key: key, emptyJournal: empty)
    }

    func rebuild(_ attested: Attested, _ corpusCase: CorpusCase, extra: [String] = [],
                 envelope: String? = nil) throws -> (status: Int32, stderr: String, vsa: [String: Any]) {
        let vsa = attested.workspace.sub("vsa-\(UInt32.random(in: 0...UInt32.max)).json")
        let result = try RepriseProcess.run(["attest", "rebuild", envelope ?? attested.envelope, "--key", attested.key + ".pub",
                                             "--journal", attested.emptyJournal, "--progress", "quiet",
                                             "--vsa", vsa, "--vsa-key", attested.key] + corpusCase.secretFlags + extra,
                                            environment: corpusCase.buildEnvironment)
        // The VSA is a signed envelope, checked by securesystemslib and the in-toto VSA binding.
        let independent = try IndependentAttestationChecker.check(envelope: vsa, publicKey: attested.key + ".pub")
        #expect(independent.succeeded, "\(corpusCase.name): \(independent)")
        let envelopeJSON = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: vsa))) as? [String: Any])
        let payloadText = try #require(envelopeJSON["payload"] as? String)
        let payload = try #require(Data(base64Encoded: payloadText))
        let statement = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        return (result.status, result.stderr, statement)
    }

    static func predicate(_ statement: [String: Any]) -> [String: Any] { statement["predicate"] as? [String: Any] ?? [:] }

    @Test(arguments: CorpusCase.deterministic)
    func deterministicCaseRebuildsToItsSubjectAndPasses(_ corpusCase: CorpusCase) throws {
        let attested = try attestAndMove(corpusCase)
        let result = try rebuild(attested, corpusCase)
        #expect(result.status == 0, "\(corpusCase.name): \(result.stderr)")
        let predicate = Self.predicate(result.vsa)
        #expect(predicate["verificationResult"] as? String == "PASSED")
        #expect(predicate["verifiedLevels"] as? [String] == ["SLSA_BUILD_LEVEL_1"])
        let subject = (result.vsa["subject"] as? [[String: Any]])?.first?["digest"] as? [String: String]
        #expect(subject?["sha256"] == String(attested.digest.dropFirst(7)))
        #expect((predicate["policy"] as? [String: Any])?["uri"] as? String
            == "https://github.com/reprise-build/reprise/blob/main/Docs/provenance.md#policy-rebuild-v1")
    }

    /// (A `builds` case differs between two builds sharing a cache mount; a rebuild restores the
    /// recorded cache state and reproduces, so it is not expected to fail here.)
    @Test(arguments: CorpusCase.nondeterministic.filter { $0.definition.expect.differences?.first?.variation != "builds" })
    func nondeterministicCaseFailsNamingTheFileAndStep(_ corpusCase: CorpusCase) throws {
        let difference = try #require(corpusCase.definition.expect.differences?.first)
        let attested = try attestAndMove(corpusCase)
        let result = try rebuild(attested, corpusCase, extra: ["--vary", difference.variation])
        #expect(result.status == 1, "\(corpusCase.name): \(result.stderr)")
        let predicate = Self.predicate(result.vsa)
        #expect(predicate["verificationResult"] as? String == "FAILED")
        #expect(predicate["verifiedLevels"] as? [String] == ["FAILED"])
        let findings = predicate["findings"] as? [[String: Any]] ?? []
        let file = findings.first { ($0["path"] as? String)?.hasSuffix(difference.file) == true }
        #expect(file != nil, "\(corpusCase.name): no finding names \(difference.file): \(findings)")
        #expect(file?["location"] as? String == "Dockerfile:\(difference.line)", "\(findings)")
        #expect(file?["cause"] as? String == difference.cause, "\(findings)")
        #expect(result.stderr.contains(difference.file))
    }

    /// A provenance signed with the right key whose dependencies are not the recorded build's
    /// (here re-signed by Python after a base image digest was changed) fails without a rebuild;
    /// an envelope with a flipped signature byte fails before anything else.
    @Test func provenanceThatDoesNotMatchTheRecordFails() throws {
        let corpusCase = try #require(CorpusCase.all.first { $0.name == "hello" })
        let attested = try attestAndMove(corpusCase)
        let forged = attested.workspace.sub("forged.json")
        let script = #"""
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
envelope = json.load(open(sys.argv[1]))
statement = json.loads(base64.b64decode(envelope["payload"]))
for dependency in statement["predicate"]["buildDefinition"]["resolvedDependencies"]:
    if dependency["name"].startswith("base:"):
        dependency["digest"]["sha256"] = "0" * 64
payload = json.dumps(statement, separators=(",", ":"), sort_keys=True).encode()
kind = envelope["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), password=None)
signature = key.sign(pae, ec.ECDSA(hashes.SHA256()))
envelope["payload"] = base64.b64encode(payload).decode()
envelope["signatures"][0]["sig"] = base64.b64encode(signature).decode()
json.dump(envelope, open(sys.argv[3], "w"))
"""#
        try Tool.check(["python3", "-c", script, attested.envelope, attested.key, forged])
        // The forgery is correctly signed: only the dependency check can catch it.
        #expect(try RepriseProcess.run(["attest", "verify", forged, "--key", attested.key + ".pub"]).status == 0)
        let result = try rebuild(attested, corpusCase, envelope: forged)
        #expect(result.status == 1)
        #expect(Self.predicate(result.vsa)["verificationResult"] as? String == "FAILED")
        #expect(result.stderr.contains("dependency base:busybox"), "\(result.stderr)")
    }

    /// `reprise verify --vsa`: build, replay, and the verdict as a signed VSA about the built image.
    @Test(arguments: ["hello", "nondeterministic-date"])
    func verifyWritesAVerificationSummary(name: String) throws {
        let corpusCase = try #require(CorpusCase.all.first { $0.name == name })
        let workspace = try BuildWorkspace("provenance-verify")
        let key = workspace.sub("key")
        try #require(try RepriseProcess.run(["key", "generate", "-o", key, "--algorithm", "ed25519"]).status == 0)
        let vsa = workspace.sub("vsa.json")
        let result = try RepriseProcess.run(["verify", "--journal", workspace.journal, "--progress", "quiet", "--vary", "time",
                                             "--vsa", vsa, "--vsa-key", key] + corpusCase.flags(context: corpusCase.directory),
                                            environment: corpusCase.buildEnvironment)
        let reproducible = corpusCase.definition.expect.reproducible
        #expect(result.status == (reproducible ? 0 : 1), "\(result.stderr)")
        let independent = try IndependentAttestationChecker.check(envelope: vsa, publicKey: key + ".pub")
        #expect(independent.succeeded, "\(independent)")
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: vsa))) as? [String: Any])
        let payloadText = try #require(envelope["payload"] as? String)
        let payload = try #require(Data(base64Encoded: payloadText))
        let statement = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        let predicate = Self.predicate(statement)
        #expect(predicate["verificationResult"] as? String == (reproducible ? "PASSED" : "FAILED"))
        let findings = predicate["findings"] as? [[String: Any]] ?? []
        if let difference = corpusCase.definition.expect.differences?.first {
            #expect(findings.contains { ($0["path"] as? String)?.hasSuffix(difference.file) == true
                && $0["location"] as? String == "Dockerfile:\(difference.line)" }, "\(findings)")
        } else {
            #expect(findings.isEmpty)
        }
    }
}
