import Foundation
import TestSupport
import Testing

/// Builds for other platforms: arm64 RUN steps under QEMU user emulation in the real sandbox
/// (binfmt_misc registered by Reprise), several platforms into one index that skopeo reads per
/// platform, the TARGET*/BUILD* arguments, cache separation, replay, and a base without the
/// platform. The arm64 base is Debian's busybox-static for arm64 (Corpus/base/make-busybox-arm64).
@Suite(.serialized, .enabled(if: CorpusArm64Image.emulationAvailable, CorpusArm64Image.skipReason))
struct PlatformBuildTests {
    let workspace: BuildWorkspace

    init() throws {
        workspace = try BuildWorkspace("platforms")
        // The local store gets the arm64 image too, as busybox-arm64 (busybox is the amd64 one).
        let imported = try RepriseProcess.run(["image", "import", try CorpusArm64Image.path(), "--name", "busybox-arm64",
                                               "--journal", workspace.journal])
        try #require(imported.status == 0, "\(imported.stderr)")
    }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func build(_ arguments: [String]) throws -> (result: RepriseProcess.Result, metadata: BuildMetadata) {
        let metadata = workspace.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        let result = try workspace.build(["--metadata-file", metadata] + arguments)
        try #require(result.status == 0, "build failed:\n\(result.stderr)")
        return (result, try BuildMetadata(path: metadata))
    }

    /// A two-platform busybox made by Reprise itself from the two Corpus layouts: an OCI layout
    /// holding an index (linux/amd64, linux/arm64), tagged `multi`.
    func multiPlatformBase() throws -> String {
        let layout = workspace.sub("busybox-multi")
        let context = try workspace.context("ARG TARGETARCH\nFROM busybox-$TARGETARCH\n")
        _ = try build(["--platform", "linux/amd64,linux/arm64",
                       "--build-context", "busybox-amd64=oci-layout://\(try CorpusBaseImage.path()):latest",
                       "--build-context", "busybox-arm64=oci-layout://\(try CorpusArm64Image.path()):latest",
                       "-t", "busybox:multi", "--build-arg", "SOURCE_DATE_EPOCH=0",
                       "-o", "type=oci,dest=\(layout),tar=false", context])
        return layout
    }

    @Test func anArm64RunStepExecutesUnderEmulationAndIsRecordedAsArm64() throws {
        let context = try workspace.context("FROM busybox-arm64\nRUN uname -m > /machine\n")
        let out = workspace.sub("out-arm64")
        let (_, metadata) = try build(["--platform", "linux/arm64", "-o", "type=local,dest=\(out)", context])
        #expect(read(out + "/machine") == "aarch64\n")
        // Registered by Reprise (or before it) with the fix-binary flag the sandbox needs.
        let entry = read("/proc/sys/fs/binfmt_misc/qemu-aarch64") ?? ""
        #expect(entry.hasPrefix("enabled"), "\(entry)")
        #expect(entry.split(separator: "\n").contains { $0.hasPrefix("flags:") && $0.contains("F") }, "\(entry)")
        let id = try #require(metadata["reprise.build.id"])
        let shown = try RepriseProcess.run(["journal", "show", "--json", "--journal", workspace.journal, id])
        let document = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect((document?["build"] as? [String: Any])?["platform"] as? String == "linux/arm64")
    }

    @Test func twoPlatformsMakeAnIndexThatSkopeoReadsPerPlatform() throws {
        let base = try multiPlatformBase()
        // The index as a base: from the OCI layout (a named context) and, imported, from the store.
        let imported = try RepriseProcess.run(["image", "import", "oci-layout://\(base):multi", "--name", "multi",
                                               "--journal", workspace.journal])
        try #require(imported.status == 0, "\(imported.stderr)")
        // `reprise run --platform` picks the index's manifest and runs it under emulation.
        for (platform, machine) in [("linux/arm64", "aarch64\n"), ("linux/amd64", "x86_64\n")] {
            let ran = try RepriseProcess.run(["run", "--journal", workspace.journal, "--platform", platform, "multi", "uname", "-m"])
            #expect(ran.status == 0 && ran.stdout == machine, "\(platform): \(ran.stdout)\(ran.stderr)")
        }
        for from in ["layout", "multi"] {
            let context = try workspace.context("FROM \(from)\nRUN uname -m > /machine\n")
            let layout = workspace.sub("index-\(from)")
            let local = workspace.sub("local-\(from)")
            let rootfsTar = workspace.sub("rootfs-\(from).tar")
            let ociTar = workspace.sub("oci-\(from).tar")
            let (_, metadata) = try build(["--platform", "linux/amd64,linux/arm64",
                                           "--build-context", "layout=oci-layout://\(base):multi",
                                           "-o", "type=oci,dest=\(layout),tar=false", "-o", "type=local,dest=\(local)",
                                           "-o", "type=tar,dest=\(rootfsTar)", "-o", "type=oci,dest=\(ociTar)",
                                           "-o", "type=oci,dest=\(layout)-zstd,tar=false,compression=zstd",
                                           "--build-arg", "SOURCE_DATE_EPOCH=0", context])
            // compression=zstd re-encodes every platform's layers, in an index of the same platforms.
            let zstd = try Tool.check(["skopeo", "copy", "--override-arch", "arm64", "oci:\(layout)-zstd:latest",
                                       "dir:\(workspace.sub("zstd-arm64-\(from)"))"])
            #expect(zstd.succeeded)
            let copied = read(workspace.sub("zstd-arm64-\(from)") + "/manifest.json") ?? ""
            #expect(copied.contains("tar+zstd") && !copied.contains("tar+gzip"), "\(copied)")
            #expect(read(local + "/linux_amd64/machine") == "x86_64\n")
            #expect(read(local + "/linux_arm64/machine") == "aarch64\n")
            // type=tar: one tar, a directory per platform (BuildKit's layout for several platforms).
            let listing = try Tool.check(["tar", "-tf", rootfsTar]).stdout.split(separator: "\n").map(String.init)
            #expect(listing.contains("linux_amd64/machine") && listing.contains("linux_arm64/machine"), "\(listing.prefix(8))")
            let archived = try Tool.check(["skopeo", "inspect", "--raw", "oci-archive:\(ociTar)"]).stdout
            #expect(archived.contains("\"architecture\":\"arm64\"") && archived.contains("\"architecture\":\"amd64\""), "\(archived)")

            let raw = try Tool.check(["skopeo", "inspect", "--raw", "oci:\(layout):latest"]).stdout
            let index = try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any])
            #expect(index["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
            let platforms = (index["manifests"] as? [[String: Any]] ?? []).compactMap { $0["platform"] as? [String: String] }
            #expect(platforms.map { $0["architecture"] ?? "" } == ["amd64", "arm64"], "\(raw)")
            #expect(platforms.allSatisfy { $0["os"] == "linux" })
            #expect(metadata["containerimage.digest"] == "sha256:" + (try Tool.check(["sha256sum"], input: Data(raw.utf8)).stdout.prefix(64)))

            for (architecture, variant) in [("amd64", nil), ("arm64", "v8")] as [(String, String?)] {
                let config = try Tool.check(["skopeo", "inspect", "--raw", "--config", "--override-arch", architecture,
                                             "oci:\(layout):latest"]).stdout
                let values = try #require(try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any])
                #expect(values["architecture"] as? String == architecture)
                #expect(values["os"] as? String == "linux")
                #expect(values["variant"] as? String == variant)
                let inspected = try Tool.check(["skopeo", "inspect", "--override-arch", architecture, "oci:\(layout):latest"]).stdout
                #expect(inspected.contains("\"Architecture\": \"\(architecture)\""), "\(inspected)")
            }
        }
    }

    @Test func targetAndBuildArgumentsFollowBuildKit() throws {
        let names = "TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM BUILDOS BUILDARCH BUILDVARIANT"
        let dollar = names.split(separator: " ").map { "$\($0)" }.joined(separator: ",")
        let context = try workspace.context("""
            FROM --platform=$BUILDPLATFORM busybox AS tools
            ARG \(names)
            RUN echo "\(dollar)" > /args && uname -m > /tools-machine
            FROM busybox-$TARGETARCH
            COPY --from=tools /args /tools-machine /
            RUN uname -m > /machine

            """)
        let out = workspace.sub("out-args")
        let (result, metadata) = try build(["--platform", "linux/arm64", "-o", "type=local,dest=\(out)", context])
        #expect(read(out + "/args") == "linux/arm64,linux,arm64,,linux/amd64,linux,amd64,\n")
        // Progress names the emulated stage's platform, as buildx does; the native stage is plain.
        #expect(result.stderr.contains("[linux/arm64 stage-1 3/3] RUN uname -m") && result.stderr.contains("[tools 3/3] RUN echo"),
                "\(result.stderr)")
        #expect(read(out + "/tools-machine") == "x86_64\n")
        #expect(read(out + "/machine") == "aarch64\n")
        // The stage built for another platform than the build says so in its FROM record.
        let steps = try workspace.steps(try #require(metadata["reprise.build.id"]))
        let froms = steps.filter { $0["instruction"] as? String == "FROM" }
        #expect(froms.map { $0["platform"] as? String } == ["linux/amd64", nil], "\(froms)")
    }

    @Test func aCachedAmd64StepNeverServesArm64() throws {
        let base = try multiPlatformBase()
        let context = try workspace.context("FROM layout\nRUN uname -m > /machine\n")
        var outputs: [String] = []
        for (run, platform) in ["linux/amd64", "linux/arm64", "linux/arm64"].enumerated() {
            let out = workspace.sub("cache-\(run)")
            let (result, _) = try build(["--platform", platform, "--build-context", "layout=oci-layout://\(base):multi",
                                         "-o", "type=local,dest=\(out)", context])
            outputs.append(read(out + "/machine") ?? "")
            // Only the RUN step can be CACHED here (plain progress: `#N CACHED` after its line).
            #expect(result.stderr.contains("CACHED") == (run == 2), "run \(run) (\(platform)):\n\(result.stderr)")
        }
        #expect(outputs == ["x86_64\n", "aarch64\n", "aarch64\n"])
    }

    @Test func aMultiPlatformCacheMakesEveryPlatformCachedInAnotherJournal() throws {
        let context = try workspace.context("ARG TARGETARCH\nFROM busybox-$TARGETARCH\nRUN uname -m > /machine\n")
        let cache = workspace.sub("cache")
        let flags = ["--platform", "linux/amd64,linux/arm64",
                     "--build-context", "busybox-amd64=oci-layout://\(try CorpusBaseImage.path()):latest",
                     "--build-context", "busybox-arm64=oci-layout://\(try CorpusArm64Image.path()):latest", context]
        _ = try build(["--cache-to", "type=local,dest=\(cache)"] + flags)
        let bundles = try FileManager.default.contentsOfDirectory(atPath: cache).sorted()
        #expect(bundles == ["reprise-cache-linux_arm64.tar", "reprise-cache.tar"], "\(bundles)")
        let elsewhere = try RepriseProcess.run(["build", "--journal", workspace.sub("journal-elsewhere"), "--progress", "plain",
                                                "--cache-from", "type=local,src=\(cache)"] + flags)
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        let cached = elsewhere.stderr.split(separator: "\n").filter { $0.hasSuffix(" CACHED") }
        #expect(cached.count == 2, "both platforms' RUN steps should be CACHED:\n\(elsewhere.stderr)")
    }

    @Test(.enabled(if: LoopbackRegistry.isAvailable, "docker-registry is not installed (scripts/install-deps)"))
    func aMultiPlatformRegistryCacheMakesEveryPlatformCachedInAnotherJournal() throws {
        let registry = try LoopbackRegistry.start()
        defer { registry.stop() }
        let context = try workspace.context("ARG TARGETARCH\nFROM busybox-$TARGETARCH\nRUN uname -m > /machine\n")
        let reference = "\(registry.host)/multi/cache:main"
        let flags = ["--platform", "linux/amd64,linux/arm64",
                     "--build-context", "busybox-amd64=oci-layout://\(try CorpusBaseImage.path()):latest",
                     "--build-context", "busybox-arm64=oci-layout://\(try CorpusArm64Image.path()):latest", context]
        _ = try build(["--cache-to", "type=registry,ref=\(reference)"] + flags)
        // One bundle per platform: the first under the tag, the other under TAG-PLATFORM.
        for tag in ["main", "main-linux_arm64"] {
            #expect(try Tool.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                                  "docker://\(registry.host)/multi/cache:\(tag)"]).succeeded, "no bundle tagged \(tag)")
        }
        let elsewhere = try RepriseProcess.run(["build", "--journal", workspace.sub("journal-registry-elsewhere"),
                                                "--progress", "plain", "--cache-from", reference] + flags)
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        let cached = elsewhere.stderr.split(separator: "\n").filter { $0.hasSuffix(" CACHED") }
        #expect(cached.count == 2, "both platforms' RUN steps should be CACHED:\n\(elsewhere.stderr)")
    }

    @Test func replayOfAnArm64BuildReexecutesUnderEmulationAndReproduces() throws {
        let context = try workspace.context("FROM busybox-arm64\nRUN uname -m > /machine && date +%Y > /year\n")
        let (_, metadata) = try build(["--platform", "linux/arm64", "--build-arg", "SOURCE_DATE_EPOCH=0", context])
        let id = try #require(metadata["reprise.build.id"])
        let replay = try RepriseProcess.run(["replay", "--journal", workspace.journal, "--progress", "plain", "--json", id])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any],
                                  "replay failed (\(replay.status)):\n\(replay.stderr)")
        #expect(report["reproducible"] as? Bool == true, "\(replay.stdout)")
        #expect(report["replayedManifest"] as? String == metadata["reprise.image.manifest"])
        // Re-executed, not served from the cache.
        #expect(replay.stderr.contains("RUN uname") && !replay.stderr.contains("CACHED"), "\(replay.stderr)")
    }

    @Test(.enabled(if: LoopbackRegistry.isAvailable, "docker-registry is not installed (scripts/install-deps)"))
    func theIndexIsPushedToARegistryAndBuildsPullTheirPlatformFromIt() throws {
        let registry = try LoopbackRegistry.start()
        defer { registry.stop() }
        let context = try workspace.context("ARG TARGETARCH\nFROM busybox-$TARGETARCH\nRUN uname -m > /machine\n")
        _ = try build(["--platform", "linux/amd64,linux/arm64",
                       "--build-context", "busybox-amd64=oci-layout://\(try CorpusBaseImage.path()):latest",
                       "--build-context", "busybox-arm64=oci-layout://\(try CorpusArm64Image.path()):latest",
                       "-t", "\(registry.host)/multi:1", "--push", context])
        let raw = try Tool.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/multi:1"]).stdout
        let index = try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any])
        let architectures = (index["manifests"] as? [[String: Any]] ?? []).compactMap {
            ($0["platform"] as? [String: String])?["architecture"]
        }
        #expect(architectures == ["amd64", "arm64"], "\(raw)")
        let inspected = try Tool.check(["skopeo", "inspect", "--tls-verify=false", "--override-arch", "arm64",
                                        "docker://\(registry.host)/multi:1"]).stdout
        #expect(inspected.contains("\"Architecture\": \"arm64\""), "\(inspected)")

        // A fresh journal pulls the arm64 manifest of the pushed index for an arm64 build, and
        // the amd64 one for the stage built on the build platform.
        let journal = workspace.sub("journal-pull")
        let pulled = try RepriseProcess.run(["build", "--journal", journal, "--progress", "plain", "--platform", "linux/arm64",
                                             "-o", "type=local,dest=\(workspace.sub("pulled"))",
                                             try workspace.context("""
                                                FROM --platform=$BUILDPLATFORM \(registry.host)/multi:1 AS tools
                                                RUN uname -m > /tools
                                                FROM \(registry.host)/multi:1
                                                COPY --from=tools /tools /tools
                                                RUN cat /machine > /was && uname -m > /now

                                                """)])
        try #require(pulled.status == 0, "\(pulled.stderr)")
        #expect(read(workspace.sub("pulled") + "/tools") == "x86_64\n")
        #expect(read(workspace.sub("pulled") + "/was") == "aarch64\n")
        #expect(read(workspace.sub("pulled") + "/now") == "aarch64\n")
    }

    @Test func attestationsOfSeveralPlatformsSitBesideEachImageInTheIndex() throws {
        let context = try workspace.context("ARG TARGETARCH\nFROM busybox-$TARGETARCH\nRUN uname -m > /machine\n")
        let layout = workspace.sub("attested")
        _ = try build(["--platform", "linux/amd64,linux/arm64", "--provenance", "mode=min", "-t", "app:multi",
                       "--build-context", "busybox-amd64=oci-layout://\(try CorpusBaseImage.path()):latest",
                       "--build-context", "busybox-arm64=oci-layout://\(try CorpusArm64Image.path()):latest",
                       "-o", "type=oci,dest=\(layout),tar=false", context])
        func blob(_ digest: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + digest.dropFirst(7)))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let raw = try Tool.check(["skopeo", "inspect", "--raw", "oci:\(layout):multi"]).stdout
        let index = try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any])
        let manifests = index["manifests"] as? [[String: Any]] ?? []
        let images = manifests.filter { ($0["annotations"] as? [String: String])?["vnd.docker.reference.type"] == nil }
        let attestations = manifests.filter { ($0["annotations"] as? [String: String])?["vnd.docker.reference.type"] == "attestation-manifest" }
        #expect(images.compactMap { ($0["platform"] as? [String: String])?["architecture"] } == ["amd64", "arm64"], "\(raw)")
        #expect(attestations.count == 2)
        var subjects: [String] = []
        for attestation in attestations {
            let annotations = attestation["annotations"] as? [String: String] ?? [:]
            #expect(images.contains { $0["digest"] as? String == annotations["vnd.docker.reference.digest"] })
            let manifest = try blob(try #require(attestation["digest"] as? String))
            for layer in manifest["layers"] as? [[String: Any]] ?? [] {
                let statement = try blob(try #require(layer["digest"] as? String))
                subjects += (statement["subject"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            }
        }
        #expect(subjects.sorted() == ["pkg:docker/app:multi?platform=linux%2Famd64", "pkg:docker/app:multi?platform=linux%2Farm64"],
                "\(subjects)")
    }

    /// In a mount namespace of its own without binfmt_misc mounted, Reprise mounts it (there
    /// only); without CAP_SYS_ADMIN it cannot, and the build stops at the FROM line saying
    /// what to do. The host's mounts are untouched either way.
    @Test func binfmtMiscIsMountedWhenMissingAndARefusalSaysWhatToDo() throws {
        let reprise = RepriseProcess.executable
        let mounted = try Tool.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                    "umount /proc/sys/fs/binfmt_misc && \"$0\" run --journal \"$1\" busybox-arm64 uname -m",
                                    reprise, workspace.journal])
        #expect(mounted.status == 0 && mounted.stdout == "aarch64\n", "\(mounted)")

        let context = try workspace.context("# emulated\nFROM busybox-arm64\nRUN true\n")
        let refused = try Tool.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                    "umount /proc/sys/fs/binfmt_misc && exec setpriv --bounding-set -sys_admin \"$0\" build "
                                    + "--journal \"$1\" --progress plain --platform linux/arm64 \"$2\"",
                                    reprise, workspace.journal, context])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("Dockerfile:2") && refused.stderr.contains("binfmt_misc is not mounted")
                && refused.stderr.contains("mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc"), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: "/proc/sys/fs/binfmt_misc/register"), "the host lost binfmt_misc")
    }

    @Test func aBaseWithoutThePlatformAndADockerOutputOfSeveralAreClearErrors() throws {
        let base = try multiPlatformBase()
        let context = try workspace.context("# a comment\nFROM layout\nRUN true\n")
        let missing = try workspace.build(["--platform", "linux/s390x", "--build-context", "layout=oci-layout://\(base):multi",
                                           context])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("Dockerfile:2") && missing.stderr.contains("no image for linux/s390x")
                && missing.stderr.contains("linux/arm64"), "\(missing.stderr)")

        let before = try RepriseProcess.run(["journal", "ls", "-q", "--journal", workspace.journal]).stdout
        let docker = try workspace.build(["--platform", "linux/amd64,linux/arm64", "-o", "type=docker,dest=\(workspace.sub("d.tar"))",
                                          try workspace.context("FROM busybox\nRUN touch /x\n")])
        #expect(docker.status != 0)
        #expect(docker.stderr.contains("docker exporter does not currently support exporting manifest lists"), "\(docker.stderr)")
        #expect(try RepriseProcess.run(["journal", "ls", "-q", "--journal", workspace.journal]).stdout == before,
                "a build started before the refusal")
    }
}
