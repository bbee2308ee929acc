import Foundation
import TestSupport
import Testing

/// `RUN --mount` in the real sandbox, beyond what the Corpus cases show: secrets leave no trace,
/// read-only binds, what never reaches the image, cache state across builds and its record.
@Suite(.serialized) struct MountBuildTests {
    let workspace: BuildWorkspace

    init() throws { workspace = try BuildWorkspace("mounts") }

    @Test func aSecretCanaryAppearsNowhereTheBuildWrote() throws {
        let canary = "canary-\(UUID().uuidString)"
        let environmentCanary = "env-canary-\(UUID().uuidString)"
        let secretFile = workspace.scratch.sub("canary.txt")
        try canary.write(toFile: secretFile, atomically: true, encoding: .utf8)
        let directory = try workspace.context("""
            FROM busybox
            RUN --mount=type=secret,id=canary sha256sum /run/secrets/canary | cut -c1-64 > /digest.txt
            RUN --mount=type=secret,id=canary,env=CANARY,required test -n "$CANARY" && echo "${#CANARY}" > /length.txt
            RUN --mount=type=secret,id=other,env=OTHER test -n "$OTHER"
            """)
        let layout = workspace.scratch.sub("canary-layout")
        let metadata = workspace.scratch.sub("canary-metadata.json")
        var outputs: [String] = []
        for progress in ["plain", "rawjson"] {
            let result = try workspace.build(
                ["--progress", progress, "--secret", "id=canary,src=\(secretFile)", "--secret", "id=other,env=CANARY_ENV",
                 "--metadata-file", metadata, "--output", "type=oci,dest=\(layout),tar=false", "--no-cache", directory],
                environment: ["CANARY_ENV": environmentCanary])
            try #require(result.status == 0, "\(result.stderr)")
            outputs += [result.stdout, result.stderr]
            // rawjson carries step output base64-encoded, as BuildKit's SolveStatus does: decoded, it
            // must not show the secret either.
            for line in result.stderr.split(separator: "\n") {
                let status = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
                for log in status?["logs"] as? [[String: Any]] ?? [] {
                    if let data = (log["data"] as? String).flatMap({ Data(base64Encoded: $0) }) {
                        outputs.append(String(decoding: data, as: UTF8.self))
                    }
                }
            }
        }
        let build = try workspace.latestBuild()
        let show = try RepriseProcess.run(["journal", "show", "--journal", workspace.journal, build]).stdout
        let showJSON = try RepriseProcess.run(["journal", "show", "--json", "--journal", workspace.journal, build]).stdout
        let metadataText = try String(contentsOfFile: metadata, encoding: .utf8)
        for secret in [canary, environmentCanary] {
            for text in outputs + [show, showJSON, metadataText] { #expect(!text.contains(secret)) }
            for place in [workspace.journal, layout] {
                let found = try SecretCanary.occurrences(of: secret, under: place)
                #expect(found.isEmpty, "secret found in \(found)")
            }
        }
        // The secret was seen (its checksum reached the image) yet only its keyed digest is kept.
        let files = try workspace.unpack(layout)
        #expect(try String(contentsOfFile: files + "/length.txt", encoding: .utf8) == "\(canary.utf8.count)\n")
        let mounts = try workspace.steps(build).flatMap { $0["mounts"] as? [[String: Any]] ?? [] }
        let digests = mounts.compactMap { $0["secretDigest"] as? String }
        #expect(digests.count == 3 && digests.allSatisfy { $0.hasPrefix("hmac-sha256:") })
        #expect(Set(digests.prefix(2)).count == 1, "the same secret has the same keyed digest")
    }

    @Test func aReadOnlyBindCannotBeWritten() throws {
        let directory = try workspace.context("""
            FROM busybox
            RUN --mount=type=bind,target=/ctx touch /ctx/new-file
            """, files: ["data.txt": "data\n"])
        let result = try workspace.build([directory])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Read-only file system"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/new-file"))
    }

    @Test func tmpfsAndBindWritesNeverReachTheImageOrTheHost() throws {
        let directory = try workspace.context("""
            FROM busybox
            RUN --mount=type=tmpfs,target=/tmp/work echo tmp > /tmp/work/file && cat /tmp/work/file > /seen-tmpfs
            RUN --mount=type=bind,target=/ctx,rw echo changed > /ctx/data.txt && echo new > /ctx/new.txt
            RUN --mount=type=bind,source=data.txt,target=/etc/data.txt,rw echo changed > /etc/data.txt
            """, files: ["data.txt": "data\n"])
        let layout = workspace.scratch.sub("tmpfs-layout")
        let result = try workspace.build(["--output", "type=oci,dest=\(layout),tar=false", directory])
        try #require(result.status == 0, "\(result.stderr)")
        let files = try workspace.unpack(layout)
        #expect(try String(contentsOfFile: files + "/seen-tmpfs", encoding: .utf8) == "tmp\n")
        for absent in ["/tmp/work", "/ctx", "/etc/data.txt"] {
            #expect(!FileManager.default.fileExists(atPath: files + absent), "\(absent) reached the image")
        }
        #expect(try String(contentsOfFile: directory + "/data.txt", encoding: .utf8) == "data\n")
        #expect(!FileManager.default.fileExists(atPath: directory + "/new.txt"))
        let failures = try OCIValidators.failures(layout: layout, tag: "latest", scratch: workspace.scratch.path)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func aCacheMountKeepsItsContentsAcrossBuildsAndTheJournalHoldsItsStates() throws {
        let directory = try workspace.context("""
            FROM busybox
            ARG RUN
            RUN --mount=type=cache,target=/cache echo "$RUN" >> /cache/log && cp /cache/log /seen
            """)
        var cacheMounts: [[String: Any]] = []
        for run in ["1", "2", "2"] {
            let layout = workspace.scratch.sub("cache-layout-\(cacheMounts.count)")
            let result = try workspace.build(["--build-arg", "RUN=\(run)", "--output", "type=oci,dest=\(layout),tar=false",
                                              directory])
            try #require(result.status == 0, "\(result.stderr)")
            let files = try workspace.unpack(layout)
            let expected = cacheMounts.isEmpty ? "1\n" : "1\n2\n"
            #expect(try String(contentsOfFile: files + "/seen", encoding: .utf8) == expected)
            let mounts = try workspace.mounts(try workspace.latestBuild())
            let mount = try #require(mounts.first)
            cacheMounts.append(mount)
        }
        let trees = cacheMounts.map { ($0["treeBefore"] as? String, $0["treeAfter"] as? String) }
        #expect(trees[0].0 != nil && trees[0].0 != trees[0].1, "the first step changed the cache")
        #expect(trees[1].0 == trees[0].1, "the second build starts from the first build's state")
        #expect(trees[1].0 != trees[1].1)
        #expect(trees[2].0 == trees[2].1, "a cached step leaves the cache as it was")
        #expect(trees[2].0 == trees[1].1)
        // The states are in the store, so a replay can put the cache back.
        for case let digest? in trees.flatMap({ [$0.0, $0.1] }) {
            let hex = String(digest.dropFirst("sha256:".count))
            #expect(FileManager.default.fileExists(atPath: workspace.journal + "/blobs/sha256/" + hex))
        }
    }

    @Test func aBindSourceIsPartOfTheStepsCacheKey() throws {
        let directory = try workspace.context("""
            FROM busybox
            RUN --mount=type=bind,source=input.txt,target=/input.txt cp /input.txt /copied.txt
            """, files: ["input.txt": "first\n"])
        var outcomes: [String] = []
        for content in ["first\n", "first\n", "second\n"] {
            try content.write(toFile: directory + "/input.txt", atomically: true, encoding: .utf8)
            let result = try workspace.build([directory])
            try #require(result.status == 0, "\(result.stderr)")
            let steps = try workspace.steps(try workspace.latestBuild())
            outcomes.append(steps.last?["outcome"] as? String ?? "")
        }
        #expect(outcomes == ["succeeded", "cached", "succeeded"])
    }

    @Test func aRequiredSecretOrAgentThatIsNotGivenStopsTheBuildBeforeAnyStep() throws {
        for mount in ["type=secret,id=deploy-key,required", "type=ssh,id=deploy,required"] {
            let directory = try workspace.context("""
                FROM busybox
                RUN echo first > /first
                RUN --mount=\(mount) true
                """)
            let result = try workspace.build([directory])
            #expect(result.status != 0)
            #expect(result.stderr.contains("deploy"), "\(result.stderr)")
            #expect(result.stderr.contains("Dockerfile:3"), "\(result.stderr)")
            let steps = try workspace.steps(try workspace.latestBuild())
            #expect(steps.isEmpty, "no step ran: \(steps.map { $0["text"] ?? "" })")
        }
    }

    @Test func aNamedImageContextReplacesAStageOfTheSameName() throws {
        let directory = try workspace.context("""
            FROM scratch AS toolbox
            FROM busybox
            COPY --from=toolbox /bin/busybox /toolbox-busybox
            RUN --mount=type=bind,from=toolbox,target=/t test -x /t/bin/busybox && echo mounted > /mounted
            """)
        let layout = workspace.scratch.sub("toolbox-layout")
        let result = try workspace.build(["--build-context", "toolbox=oci-layout://\(try CorpusBaseImage.path()):latest",
                                          "--output", "type=oci,dest=\(layout),tar=false", directory])
        try #require(result.status == 0, "\(result.stderr)")
        let files = try workspace.unpack(layout)
        #expect(FileManager.default.fileExists(atPath: files + "/toolbox-busybox"))
        #expect(try String(contentsOfFile: files + "/mounted", encoding: .utf8) == "mounted\n")
    }
}
