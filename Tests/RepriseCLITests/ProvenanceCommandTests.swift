import Foundation
import TestSupport
import Testing

/// `--provenance`/`--attest` on real builds in the real sandbox, `reprise key generate`,
/// `reprise attest` and `reprise attest verify`, checked with skopeo, umoci and Python's
/// securesystemslib and in-toto bindings.
@Suite(.serialized) struct ProvenanceCommandTests {
    /// The Corpus `hello` case's context, copied so nothing in the repository is touched.
    static let hello = CorpusCase.all.first { $0.name == "hello" }!

    func buildHello(_ workspace: BuildWorkspace, layout: String, extra: [String] = []) throws -> String {
        let metadata = layout + ".metadata.json"
        let result = try workspace.build(["-q", "-t", "hello:1", "--output", "type=oci,dest=\(layout),tar=false",
                                          "--metadata-file", metadata]
            + extra + Self.hello.flags(context: Self.hello.directory))
        try #require(result.status == 0, "\(result.stderr)")
        return try builtManifestDigest(metadata: metadata)
    }

    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func blob(_ layout: String, _ digest: String) throws -> [String: Any] {
        try json(layout + "/blobs/sha256/" + digest.dropFirst(7))
    }

    /// buildx's shape, and the image manifest digest is the same with and without provenance.
    @Test(arguments: ["--provenance=mode=max", "--attest=type=provenance,mode=min", "--provenance=true"])
    func provenanceIsAttachedAsBuildxDoesWithoutChangingTheImage(flag: String) throws {
        let workspace = try BuildWorkspace("provenance-attach")
        let plain = try buildHello(workspace, layout: workspace.sub("plain"))
        let attested = try buildHello(workspace, layout: workspace.sub("attested"), extra: [flag])
        #expect(plain == attested)
        let layout = workspace.sub("attested")
        let top = try #require((try json(layout + "/index.json"))["manifests"] as? [[String: Any]])
        #expect(top.count == 1)
        #expect(top[0]["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        let indexDigest = try #require(top[0]["digest"] as? String)
        let index = try blob(layout, indexDigest)
        let entries = try #require(index["manifests"] as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(entries[0]["digest"] as? String == plain)
        #expect((entries[0]["platform"] as? [String: String]) == ["architecture": "amd64", "os": "linux"])
        #expect((entries[1]["platform"] as? [String: String]) == ["architecture": "unknown", "os": "unknown"])
        #expect((entries[1]["annotations"] as? [String: String]) == [
            "vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": plain])
        let attestationDigest = try #require(entries[1]["digest"] as? String)
        let attestation = try blob(layout, attestationDigest)
        let layers = try #require(attestation["layers"] as? [[String: Any]])
        #expect(layers.count == 1)
        #expect(layers[0]["mediaType"] as? String == "application/vnd.in-toto+json")
        #expect((layers[0]["annotations"] as? [String: String])?["in-toto.io/predicate-type"] == "https://slsa.dev/provenance/v1")
        let statementDigest = try #require(layers[0]["digest"] as? String)
        let statement = try blob(layout, statementDigest)
        let subject = try #require((statement["subject"] as? [[String: Any]])?.first)
        #expect((subject["digest"] as? [String: String])?["sha256"] == String(plain.dropFirst(7)))
        let external = try #require(((statement["predicate"] as? [String: Any])?["buildDefinition"] as? [String: Any])?["externalParameters"] as? [String: Any])
        // mode=max carries the build args; min (and `true`, which means min) does not.
        #expect((external["buildArgs"] != nil) == flag.contains("max"))

        // skopeo reads the index and picks the image; umoci 0.4.7 refuses any index holding two
        // image manifests ("tag is ambiguous", as for buildx's own layouts), so it reads the
        // platform image skopeo copies out, digest preserved.
        let inspected = try OCIValidators.skopeoInspect(layout: layout, tag: "1")
        #expect(inspected.succeeded, "\(inspected)")
        let copy = workspace.sub("copied")
        try Tool.check(["skopeo", "copy", "--preserve-digests", "oci:\(layout):1", "oci:\(copy):1"])
        let copied = try #require((try json(copy + "/index.json"))["manifests"] as? [[String: Any]])
        #expect(copied.first?["digest"] as? String == plain)
        let rootfs = try workspace.unpack(copy, tag: "1")
        #expect(FileManager.default.contents(atPath: rootfs + "/srv/copy.txt") == Data("hello from the context\nbuilt\n".utf8))
        let all = workspace.sub("all")
        let copiedAll = try Tool.run(["skopeo", "copy", "--all", "--preserve-digests", "oci:\(layout):1", "oci:\(all):1"])
        #expect(copiedAll.succeeded, "\(copiedAll)")
    }

    @Test func badAttestFlagsAreRefusedBeforeBuilding() throws {
        let workspace = try BuildWorkspace("provenance-flags")
        for flag in ["--provenance=maybe", "--attest=type=provenance,mode=huge", "--attest=type=vex"] {
            let result = try workspace.build(["--output", "type=oci,dest=\(workspace.sub("x")),tar=false", flag,
                                              Self.hello.directory])
            #expect(result.status != 0, "\(flag)")
            #expect(!FileManager.default.fileExists(atPath: workspace.sub("x")), "\(flag)")
        }
    }

    @Test func keyGenerateWritesAPrivateKeyForItsOwnerOnly() throws {
        let scratch = try TemporaryDirectory("provenance-keys")
        for algorithm in ["ecdsa-p256", "ed25519"] {
            let key = scratch.sub("key-\(algorithm)")
            let made = try RepriseProcess.run(["key", "generate", "-o", key, "--algorithm", algorithm])
            #expect(made.status == 0, "\(made.stderr)")
            #expect(made.stdout.hasPrefix("sha256:"))
            let attributes = try FileManager.default.attributesOfItem(atPath: key)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(String(decoding: FileManager.default.contents(atPath: key) ?? Data(), as: UTF8.self)
                .hasPrefix("-----BEGIN PRIVATE KEY-----"))
            #expect(String(decoding: FileManager.default.contents(atPath: key + ".pub") ?? Data(), as: UTF8.self)
                .hasPrefix("-----BEGIN PUBLIC KEY-----"))
            let again = try RepriseProcess.run(["key", "generate", "-o", key])
            #expect(again.status == 2)
            // openssl, which nobody here wrote, reads both halves.
            #expect(try Tool.run(["openssl", "pkey", "-in", key, "-noout"]).succeeded)
            #expect(try Tool.run(["openssl", "pkey", "-pubin", "-in", key + ".pub", "-noout"]).succeeded)
        }
    }

    /// Sign, attach as a referrer, verify: 0 when valid, 1 when any byte of payload, signature or
    /// subject changed or the key or image is another, 2 when it cannot be checked.
    @Test func signedProvenanceVerifiesAndTamperingIsCaught() throws {
        let workspace = try BuildWorkspace("provenance-sign")
        let layout = workspace.sub("image")
        let digest = try buildHello(workspace, layout: layout)
        let build = try workspace.latestBuild()
        let key = workspace.sub("key")
        try #require(try RepriseProcess.run(["key", "generate", "-o", key]).status == 0)
        let envelope = workspace.sub("provenance.json")
        let attested = try RepriseProcess.run(["attest", build, "--journal", workspace.journal, "--key", key,
                                               "-o", envelope, "--attach", layout])
        try #require(attested.status == 0, "\(attested.stderr)")

        func verify(_ file: String, key: String = key + ".pub", image: String? = nil) throws -> Int32 {
            try RepriseProcess.run(["attest", "verify", file, "--key", key] + (image.map { ["--image", $0] } ?? [])).status
        }
        #expect(try verify(envelope) == 0)
        #expect(try verify(envelope, image: digest) == 0)
        #expect(try verify(envelope, image: "\(layout):1") == 0)
        // The referrer in the layout, found through its subject.
        #expect(try verify(layout) == 0)
        let independent = try IndependentAttestationChecker.check(envelope: envelope, publicKey: key + ".pub")
        #expect(independent.succeeded, "\(independent)")
        // skopeo still reads the layout with the referrer listed untagged beside the image.
        #expect(try OCIValidators.skopeoInspect(layout: layout, tag: "1").succeeded)
        #expect(try OCIValidators.umociUnpack(layout: layout, tag: "1", bundle: workspace.sub("bundle")).succeeded)

        let otherKey = workspace.sub("other")
        try #require(try RepriseProcess.run(["key", "generate", "-o", otherKey, "--algorithm", "ed25519"]).status == 0)
        #expect(try verify(envelope, key: otherKey + ".pub") == 1)
        #expect(try verify(envelope, image: "sha256:" + String(repeating: "0", count: 64)) == 1)
        #expect(try verify(workspace.sub("missing.json")) == 2)
        #expect(try verify(envelope, key: workspace.sub("missing.pub")) == 2)

        let original = try json(envelope)
        let payloadText = try #require(original["payload"] as? String)
        let payload = try #require(Data(base64Encoded: payloadText))
        let signatures = try #require(original["signatures"] as? [[String: String]])
        let signatureText = try #require(signatures.first?["sig"])
        let signature = try #require(Data(base64Encoded: signatureText))
        let seed = ProcessInfo.processInfo.environment["REPRISE_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        print("ProvenanceCommandTests.signedProvenanceVerifiesAndTamperingIsCaught seed: \(seed)")
        var random = SeededRandom(seed: seed)
        func write(payload: Data, signature: Data) throws -> String {
            var changed = original
            changed["payload"] = payload.base64EncodedString()
            changed["signatures"] = [["keyid": signatures[0]["keyid"] ?? "", "sig": signature.base64EncodedString()]]
            let path = workspace.sub("tampered-\(UInt32.random(in: 0...UInt32.max)).json")
            try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: path))
            return path
        }
        for _ in 0..<3 {
            var changedPayload = payload
            let at = Int.random(in: 0..<payload.count, using: &random)
            changedPayload[at] ^= UInt8.random(in: 1...255, using: &random)
            #expect(try verify(try write(payload: changedPayload, signature: signature)) == 1, "payload byte \(at), seed \(seed)")
            var changedSignature = signature
            let sigAt = Int.random(in: 0..<signature.count, using: &random)
            changedSignature[sigAt] ^= UInt8.random(in: 1...255, using: &random)
            #expect(try verify(try write(payload: payload, signature: changedSignature)) == 1, "signature byte \(sigAt), seed \(seed)")
        }
        // One hex digit of the subject: the signature fails, and so does the subject check.
        let hex = String(digest.dropFirst(7))
        let flipped = String(hex.prefix(5)) + (hex.dropFirst(5).first == "a" ? "b" : "a") + hex.dropFirst(6)
        let subjectChanged = Data(String(decoding: payload, as: UTF8.self).replacingOccurrences(of: hex, with: flipped).utf8)
        #expect(subjectChanged != payload)
        let tampered = try write(payload: subjectChanged, signature: signature)
        let result = try RepriseProcess.run(["attest", "verify", tampered, "--key", key + ".pub", "--image", digest])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no signature verifies") && result.stderr.contains("is not a subject"), "\(result.stderr)")
        #expect(!(try IndependentAttestationChecker.check(envelope: tampered, publicKey: key + ".pub")).succeeded)
    }

    /// Every Corpus case: a mode=max provenance whose subject is the built image, signed, and
    /// accepted by the independent checkers (securesystemslib, in-toto bindings, JSON Schema).
    @Test(arguments: CorpusCase.all)
    func everyCorpusCaseGetsAVerifiableProvenance(_ corpusCase: CorpusCase) throws {
        let workspace = try BuildWorkspace("provenance-corpus")
        let layout = workspace.sub("image")
        let built = try RepriseProcess.run(corpusCase.buildArguments(journal: workspace.journal, output: layout)
            + ["--attest", "type=provenance,mode=max"], environment: corpusCase.buildEnvironment)
        try #require(built.status == 0, "\(built.stderr)")
        let key = workspace.sub("key")
        try #require(try RepriseProcess.run(["key", "generate", "-o", key, "--algorithm", "ed25519"]).status == 0)
        let envelope = workspace.sub("provenance.json")
        let attested = try RepriseProcess.run(["attest", try workspace.latestBuild(), "--journal", workspace.journal,
                                               "--key", key, "-o", envelope])
        try #require(attested.status == 0, "\(attested.stderr)")
        let verified = try RepriseProcess.run(["attest", "verify", envelope, "--key", key + ".pub", "--image", "\(layout):latest"])
        #expect(verified.status == 0, "\(verified.stderr)")
        let independent = try IndependentAttestationChecker.check(envelope: envelope, publicKey: key + ".pub")
        #expect(independent.succeeded, "\(corpusCase.name): \(independent)")
        for secret in corpusCase.secretValues {
            #expect(try SecretCanary.occurrences(of: secret, under: layout).isEmpty)
            #expect(!(String(decoding: FileManager.default.contents(atPath: envelope) ?? Data(), as: UTF8.self)).contains(secret))
        }
    }
}
