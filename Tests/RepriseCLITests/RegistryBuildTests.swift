import Foundation
import TestSupport
import Testing

/// Builds that pull from and push to a real registry on loopback (Debian's docker-registry),
/// bundles that travel through it, and a small fleet of rebuilders sharing it; skopeo is the
/// independent client on the other side.
@Suite(.serialized, .enabled(if: LoopbackRegistry.isAvailable, "docker-registry is not installed (scripts/install-deps)"))
struct RegistryBuildTests {
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory("registry-build") }

    struct Report: Decodable {
        var reproducible: Bool
        var recordedManifest: String?
        var replayedManifest: String?
    }

    /// skopeo copies the Corpus busybox layout to `host/REPO:TAG`; returns its manifest digest.
    func seedBase(_ registry: LoopbackRegistry, _ target: String) throws -> String {
        _ = try Tool.check(["skopeo", "copy", "--preserve-digests"] + registry.skopeoFlags("dest")
                           + ["oci:\(try CorpusBaseImage.path()):latest", "docker://\(registry.host)/\(target)"])
        return try Self.remoteDigest(registry, target)
    }

    static func remoteDigest(_ registry: LoopbackRegistry, _ target: String) throws -> String {
        let raw = try Tool.check(["skopeo", "inspect", "--raw"]
                                 + registry.skopeoFlags("src").map { $0.replacingOccurrences(of: "--src-", with: "--") }
                                 + ["docker://\(registry.host)/\(target)"]).stdout
        return "sha256:" + (try Tool.check(["sha256sum"], input: Data(raw.utf8)).stdout.prefix(64))
    }

    func context(_ dockerfile: String) throws -> String {
        let directory = scratch.sub("ctx-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try dockerfile.write(toFile: directory + "/Dockerfile", atomically: true, encoding: .utf8)
        return directory
    }

    /// Builds; returns (build id, manifest digest).
    func build(_ arguments: [String], journal: String) throws -> (id: String, manifest: String) {
        let metadata = scratch.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        let result = try RepriseProcess.run(["build", "--journal", journal, "--progress", "plain",
                                             "--metadata-file", metadata] + arguments)
        try #require(result.status == 0, "build failed:\n\(result.stderr)")
        let values = try BuildMetadata(path: metadata)
        return (try #require(values["reprise.build.id"]), try #require(values["containerimage.digest"]))
    }

    func replay(_ build: String, journal: String) throws -> Report {
        let result = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", "--json", build])
        return try #require(try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)),
                            "replay failed (\(result.status)):\n\(result.stderr)")
    }

    func recordedBase(of build: String, journal: String) throws -> String? {
        let shown = try RepriseProcess.run(["journal", "show", "--json", "--journal", journal, build])
        let document = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        let record = document?["build"] as? [String: Any]
        return (record?["baseImages"] as? [String: String])?.values.first
    }

    @Test func fromARegistryRecordsTheDigestPushesTheBuiltDigestAndReplaysByDigest() throws {
        let registry = try LoopbackRegistry.start()
        let journal = scratch.sub("journal")
        let baseDigest = try seedBase(registry, "base:1")
        let directory = try context("FROM \(registry.host)/base:1\nRUN echo one > /one\n")
        let built = try build(["--build-arg", "SOURCE_DATE_EPOCH=0", "-t", "\(registry.host)/app:1", "--push", directory],
                              journal: journal)
        #expect(try recordedBase(of: built.id, journal: journal) == baseDigest)

        // What we pushed is what we built, byte for byte, as skopeo sees it; and skopeo copies it
        // back into an OCI layout with the same digest.
        #expect(try Self.remoteDigest(registry, "app:1") == built.manifest)
        let layout = scratch.sub("copied")
        _ = try Tool.check(["skopeo", "copy", "--preserve-digests", "--src-tls-verify=false",
                            "docker://\(registry.host)/app:1", "oci:\(layout):app"])
        let index = try String(contentsOfFile: layout + "/index.json", encoding: .utf8)
        #expect(index.contains(built.manifest))

        // The tag moves to another image; the base blobs leave the journal. The replay pulls the
        // recorded digest (not the tag) and reproduces the image.
        _ = try Tool.check(["skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--preserve-digests",
                            "docker://\(registry.host)/app:1", "docker://\(registry.host)/base:1"])
        #expect(try Self.remoteDigest(registry, "base:1") == built.manifest)
        let baseLayers = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            journal + "/blobs/sha256/" + baseDigest.dropFirst(7)))) as? [String: Any]
        let layerPaths = try (baseLayers?["layers"] as? [[String: Any]] ?? []).map { layer in
            journal + "/blobs/sha256/" + (try #require(layer["digest"] as? String)).dropFirst(7)
        }
        try #require(!layerPaths.isEmpty)
        for path in layerPaths { try FileManager.default.removeItem(atPath: path) }
        let replayed = try replay(built.id, journal: journal)
        #expect(replayed.reproducible)
        #expect(replayed.replayedManifest == built.manifest)
        for path in layerPaths { #expect(FileManager.default.fileExists(atPath: path), "the base was not pulled again") }

        // Without --pull the journal's copy of the tag is used; --pull resolves the tag again.
        let again = try build(["--build-arg", "SOURCE_DATE_EPOCH=0", directory], journal: journal)
        #expect(try recordedBase(of: again.id, journal: journal) == baseDigest)
        let pulled = try build(["--build-arg", "SOURCE_DATE_EPOCH=0", "--pull", directory], journal: journal)
        #expect(try recordedBase(of: pulled.id, journal: journal) == built.manifest)
    }

    @Test func imagesPushedWithTLSAndAuthAreReadBySkopeoAndBuiltFrom() throws {
        let registry = try LoopbackRegistry.start(tls: true)
        let config = try registry.writeDockerConfig(in: scratch.path)
        let access = ["--registry-ca", registry.certificateAuthority!, "--registry-config", config]
        let journal = scratch.sub("journal")
        let baseDigest = try seedBase(registry, "corpus/busybox:latest")
        let pulled = try RepriseProcess.run(["image", "pull", "--journal", journal, "\(registry.host)/corpus/busybox"]
                                            + access)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(pulled.stdout.hasPrefix(baseDigest))
        let refused = try RepriseProcess.run(["image", "pull", "--journal", journal, "--registry-ca",
                                              registry.certificateAuthority!, "--registry-config", scratch.sub("none"),
                                              "\(registry.host)/corpus/busybox"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("not authorized"), "\(refused.stderr)")

        let directory = try context("FROM \(registry.host)/corpus/busybox\nRUN echo tls > /tls\n")
        let built = try build(["--build-arg", "SOURCE_DATE_EPOCH=0",
                               "--output", "type=registry,name=\(registry.host)/secure/app:2", directory] + access,
                              journal: journal)
        #expect(try Self.remoteDigest(registry, "secure/app:2") == built.manifest)
        let pushed = try RepriseProcess.run(["image", "push", "--journal", journal, built.manifest,
                                             "\(registry.host)/secure/copy:1"] + access)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stdout.contains(built.manifest))
        // The base layer came from corpus/busybox on the same registry: mounted, not sent again.
        #expect(pushed.stderr.contains("pushed 2 blobs"), "\(pushed.stderr)")
        #expect(pushed.stderr.contains("1 mounted"), "\(pushed.stderr)")
    }

    @Test func bundlesTravelThroughTheRegistryAndAFleetPublishesVerdicts() throws {
        let registry = try LoopbackRegistry.start()
        let journal = scratch.sub("journal")
        _ = try seedBase(registry, "base:1")
        let directory = try context("FROM base\nRUN echo bundled > /b\n")
        let built = try build(["--build-arg", "SOURCE_DATE_EPOCH=0",
                               "--build-context", "base=docker-image://\(registry.host)/base:1", directory],
                              journal: journal)
        let pushed = try RepriseProcess.run(["journal", "push", "--journal", journal, built.id,
                                             "\(registry.host)/bundles:\(built.id)"])
        try #require(pushed.status == 0, "\(pushed.stderr)")

        // Into an empty journal, by the bundle's tag: it replays to the same image digest.
        let empty = scratch.sub("empty")
        let pulled = try RepriseProcess.run(["journal", "pull", "--journal", empty, "\(registry.host)/bundles:\(built.id)"])
        try #require(pulled.status == 0, "\(pulled.stderr)")
        #expect(pulled.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == built.id)
        let replayed = try replay(built.id, journal: empty)
        #expect(replayed.reproducible)
        #expect(replayed.replayedManifest == built.manifest)
        // Found from the image too, as its referrer.
        let byImage = try RepriseProcess.run(["journal", "pull", "--journal", scratch.sub("by-image"),
                                              "\(registry.host)/bundles@\(built.manifest)"])
        #expect(byImage.status == 0, "\(byImage.stderr)")

        // A pull that meets corrupt blobs fails clearly and adopts nothing; run again, it succeeds.
        let proxy = try FaultInjectingProxy(upstreamPort: registry.port, faults: [.corrupt], repeatLast: true)
        let interrupted = scratch.sub("interrupted")
        let failed = try RepriseProcess.run(["journal", "pull", "--journal", interrupted, "\(proxy.host)/bundles:\(built.id)"])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("nothing was stored"), "\(failed.stderr)")
        #expect(try RepriseProcess.run(["journal", "ls", "-q", "--journal", interrupted]).stdout.isEmpty)
        let retried = try RepriseProcess.run(["journal", "pull", "--journal", interrupted, "\(registry.host)/bundles:\(built.id)"])
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(try RepriseProcess.run(["journal", "fsck", "--journal", interrupted]).status == 0)

        // The fleet: three rebuilders, separate journals, different variations, one registry.
        let variations = ["hostname", "time", "umask"]
        let processes = try variations.enumerated().map { offset, vary in
            try RepriseProcess.start(["verify", "--from", "\(registry.host)/bundles:\(built.id)", "--publish",
                                      "--rebuilder", "rebuilder-\(offset)", "--vary", vary, "--progress", "quiet",
                                      "--journal", scratch.sub("fleet-\(offset)")])
        }
        for process in processes { process.waitUntilExit() }
        // `echo > /b` makes /b with the umask's mode: that rebuilder finds a difference (exit 1).
        #expect(processes.map(\.terminationStatus) == [0, 0, 1])
        let referrers = try Tool.check(["skopeo", "inspect", "--raw", "--tls-verify=false",
                                        "docker://\(registry.host)/bundles:sha256-\(built.manifest.dropFirst(7))"]).stdout
        for offset in variations.indices { #expect(referrers.contains("rebuilder-\(offset)"), "\(referrers)") }
        #expect(referrers.contains("application/vnd.reprise.verdict.v1+json"))
        #expect(referrers.contains("\"org.reprise.verdict\":\"reproducible\""), "\(referrers)")
        #expect(referrers.contains("\"org.reprise.verdict\":\"differs\""), "\(referrers)")
    }
}
