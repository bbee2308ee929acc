import Foundation
import TestSupport
import Testing

/// The `docker buildx build` flags beyond the Dockerfile, end to end in the real sandbox and
/// checked with clients nobody here wrote (skopeo, umoci, oci-image-tool, tar, git):
/// `--label`, `--annotation`, `--add-host`, `--metadata-file`, `--iidfile`, `-q`, several
/// names, `--no-cache-filter`, `--call`, `-f -`, context `-`, git contexts, `--cache-to/--cache-from`.
@Suite struct BuildxFlagTests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func json(file: String) throws -> [String: Any] {
        try json(try String(contentsOfFile: file, encoding: .utf8))
    }

    @Test func labelsAnnotationsHostsAndMetadataReachTheImageAndTheReplay() throws {
        let workspace = try BuildWorkspace("buildx-metadata")
        let context = try workspace.context("""
            FROM busybox
            LABEL from.dockerfile=yes overridden=dockerfile
            RUN grep -w db /etc/hosts > /hosts-line
            """)
        let epoch = ["--build-arg", "SOURCE_DATE_EPOCH=0"]
        let layout = workspace.sub("layout")
        let dockerTar = workspace.sub("image-docker.tar")
        let build = try workspace.build(epoch + [
            "--label", "org.example.team=core", "--label", "overridden=flag",
            "--annotation", "org.example.manifest=m1", "--annotation", "manifest-descriptor:org.example.desc=d1",
            "--add-host", "db:10.1.2.3",
            "-t", "app:1", "-t", "registry.example/app:2",
            "-o", "type=oci,dest=\(layout),tar=false,annotation.org.example.extra=e1",
            "-o", "type=docker,dest=\(dockerTar)",
            "--metadata-file", workspace.sub("metadata.json"), "--iidfile", workspace.sub("iid"), context])
        try #require(build.status == 0, "\(build.stderr)")

        // The config: --label wins over LABEL, keeps the others (skopeo reads it).
        let config = try Self.json(try OCIValidators.skopeoInspectConfig(layout: layout, tag: "1").stdout)
        let labels = (config["config"] as? [String: Any])?["Labels"] as? [String: String] ?? [:]
        #expect(labels.filter { !$0.key.hasPrefix("io.reprise.") && !$0.key.hasPrefix("org.opencontainers.") }
                == ["from.dockerfile": "yes", "overridden": "flag", "org.example.team": "core"])
        // The manifest carries the manifest annotations (both spellings), the index.json entry
        // the descriptor annotation.
        let manifest = try Self.json(try Tool.run(["skopeo", "inspect", "--raw", "oci:\(layout):1"]).stdout)
        #expect(manifest["annotations"] as? [String: String] == ["org.example.manifest": "m1", "org.example.extra": "e1"])
        let index = try Self.json(file: layout + "/index.json")
        let entry = try #require((index["manifests"] as? [[String: Any]])?.first)
        let entryAnnotations = entry["annotations"] as? [String: String] ?? [:]
        #expect(entryAnnotations["org.example.desc"] == "d1")
        #expect(try OCIValidators.failures(layout: layout, tag: "1", scratch: workspace.sub("v")).isEmpty)
        // --add-host is in the RUN step's /etc/hosts (umoci unpacks the layer it wrote).
        let rootfs = try workspace.unpack(layout, tag: "1")
        #expect(try String(contentsOfFile: rootfs + "/hosts-line", encoding: .utf8) == "10.1.2.3\tdb\n")

        // --metadata-file has buildx's keys; --iidfile the config digest, as buildx writes it.
        let metadata = try Self.json(file: workspace.sub("metadata.json"))
        let manifestDigest = try #require(entry["digest"] as? String)
        #expect(metadata["containerimage.digest"] as? String == manifestDigest)
        let descriptor = try #require(metadata["containerimage.descriptor"] as? [String: Any])
        #expect(descriptor["digest"] as? String == manifestDigest)
        #expect(descriptor["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        #expect(metadata["image.name"] as? String == "app:1,registry.example/app:2")
        let buildRef = try #require(metadata["buildx.build.ref"] as? String)
        #expect(buildRef.split(separator: "/").count == 3)
        let configDigest = try #require(metadata["containerimage.config.digest"] as? String)
        #expect(try String(contentsOfFile: workspace.sub("iid"), encoding: .utf8) == configDigest)
        // skopeo agrees on the config digest.
        let inspected = try Self.json(try Tool.run(["skopeo", "inspect", "--raw", "oci:\(layout):1"]).stdout)
        #expect((inspected["config"] as? [String: Any])?["digest"] as? String == configDigest)

        // docker output: every -t in RepoTags (tar reads the archive).
        let dockerManifest = try Tool.run(["tar", "-xOf", dockerTar, "manifest.json"])
        #expect(dockerManifest.stdout.contains("\"RepoTags\":[\"app:1\",\"registry.example/app:2\"]"), "\(dockerManifest.stdout)")

        // The replay applies the recorded labels, annotations and hosts: the same image.
        let id = try workspace.latestBuild()
        let replay = try RepriseProcess.run(["replay", "--journal", workspace.journal, "--progress", "plain", "--json", id])
        let report = try Self.json(replay.stdout)
        #expect(report["reproducible"] as? Bool == true, "\(replay.stdout)\(replay.stderr)")
    }

    @Test func outputsAndTagsAreCheckedBeforeAnyStepRuns() throws {
        let workspace = try BuildWorkspace("buildx-refusals")
        let context = try workspace.context("FROM busybox\nRUN echo ran > /ran\n")
        // Options buildx knows that no exporter here honours, per type, and made-up ones: each
        // refused with its name, and no build is recorded.
        let unknown = ["push-by-digest=true", "unpack=true", "store=false",
                       "dangling-name-prefix=x", "name-canonical=true", "buildinfo=false", "platform-split=true",
                       "oci-artifact=true", "bogus=1", "annotation=missing-key"]
        // What only the image exporters honour is refused by the filesystem ones.
        let imageOnly = ["compression=zstd", "compression-level=3", "force-compression=true", "oci-mediatypes=true",
                         "annotation.org.example=x", "name=app:1", "tar=false"]
        let types = ["oci,dest=\(workspace.sub("o.tar"))", "docker,dest=\(workspace.sub("d.tar"))",
                     "local,dest=\(workspace.sub("dir"))", "tar,dest=\(workspace.sub("t.tar"))"]
        for type in types {
            for option in unknown + (type.hasPrefix("local") || type.hasPrefix("tar") ? imageOnly : []) {
                let key = String(option.prefix { $0 != "=" })
                let result = try workspace.build(["-o", "type=\(type),\(option)", context])
                #expect(result.status != 0, "type=\(type),\(option) was accepted")
                #expect(result.stderr.contains("\(key.lowercased())= is not supported"), "\(type) \(option): \(result.stderr)")
            }
        }
        // Values checked too: an unknown compression, a level out of range, zstd with Docker types.
        for option in ["compression=brotli", "compression=gzip,compression-level=12", "compression=zstd,oci-mediatypes=false",
                       "force-compression=maybe", "rewrite-timestamp=maybe"] {
            let result = try workspace.build(["-o", "type=oci,dest=\(workspace.sub("v.tar")),\(option)", context])
            #expect(result.status != 0, "\(option) was accepted")
        }
        for bad in [["-t", "Bad Name"], ["-o", "type=oci,dest=\(workspace.sub("missing/dir/x.tar"))"],
                    ["-o", "type=oci,dest=\(workspace.scratch.path)"], ["-o", "-", "-o", "type=oci,dest=-"]] {
            let result = try workspace.build(bad + [context])
            #expect(result.status != 0, "\(bad) was accepted")
        }
        let listing = try RepriseProcess.run(["journal", "ls", "-q", "--journal", workspace.journal])
        #expect(listing.stdout.isEmpty, "a refused build ran: \(listing.stdout)")
    }

    @Test func tarOutputsToAFileAndToStandardOutput() throws {
        let workspace = try BuildWorkspace("buildx-tar")
        let context = try workspace.context("FROM busybox\nRUN mkdir -p /out && echo hello > /out/greeting\n")
        let file = workspace.sub("fs.tar")
        let build = try workspace.build(["-o", "type=tar,dest=\(file)", "-q", context])
        try #require(build.status == 0, "\(build.stderr)")
        #expect(build.stdout.hasPrefix("sha256:"))
        let listing = try Tool.run(["tar", "-tvf", file])
        #expect(listing.stdout.contains("out/greeting"), "\(listing.stdout)")
        #expect(listing.stdout.contains("bin/busybox"))
        #expect(try Tool.run(["tar", "-xOf", file, "out/greeting"]).stdout == "hello\n")
        // `-o -` is a tar on stdout (nothing else is printed there, not even with -q), and the
        // same bytes as the file; `dest=` without a type is a directory, as buildx infers.
        let piped = try Tool.run(["sh", "-c", "\"$0\" \"$@\" | tar -xOf - out/greeting", RepriseProcess.executable]
            + workspace.buildArguments(["-o", "-", "-q", context]))
        #expect(piped.stdout == "hello\n", "\(piped.stderr)")
        let directory = workspace.sub("inferred")
        let inferred = try workspace.build(["-o", "dest=\(directory)", context])
        #expect(inferred.status == 0, "\(inferred.stderr)")
        #expect(try String(contentsOfFile: directory + "/out/greeting", encoding: .utf8) == "hello\n")
    }

    @Test func compressionAndMediaTypesOfTheExportedImage() throws {
        let workspace = try BuildWorkspace("buildx-compression")
        let context = try workspace.context("FROM busybox\nRUN echo payload > /payload\n")
        func layers(_ layout: String) throws -> (manifest: [String: Any], layers: [[String: Any]]) {
            let manifest = try Self.json(try Tool.run(["skopeo", "inspect", "--raw", "oci:\(layout):latest"]).stdout)
            return (manifest, manifest["layers"] as? [[String: Any]] ?? [])
        }
        // zstd: zstd itself decompresses every layer to a tar that tar lists; skopeo copies the
        // layout (checking every digest). oci-image-tool and umoci here predate zstd layers.
        let zstdLayout = workspace.sub("zstd")
        let zstd = try workspace.build(["-o", "type=oci,dest=\(zstdLayout),tar=false,compression=zstd,compression-level=19", context])
        try #require(zstd.status == 0, "\(zstd.stderr)")
        let zstdLayers = try layers(zstdLayout).layers
        #expect(zstdLayers.count == 2 && zstdLayers.allSatisfy { $0["mediaType"] as? String == "application/vnd.oci.image.layer.v1.tar+zstd" })
        for layer in zstdLayers {
            let blob = zstdLayout + "/blobs/sha256/" + String((layer["digest"] as? String ?? "").dropFirst(7))
            let listed = try Tool.run(["bash", "-c", "zstd -dc \"$0\" | tar -t", blob])
            #expect(listed.status == 0, "\(listed.stderr)")
        }
        #expect(try Tool.run(["skopeo", "copy", "oci:\(zstdLayout):latest", "oci:\(workspace.sub("zstd-copy")):latest"]).succeeded)
        // Uncompressed and a re-compressed gzip: umoci unpacks both (checking diff ids),
        // oci-image-tool validates; the config (so the diff ids) is the same as the default build's.
        var configs: Set<String> = []
        for (name, option) in [("plain", "compression=uncompressed"), ("gzip9", "compression=gzip,compression-level=9,force-compression=true"),
                               ("default", "")] {
            let layout = workspace.sub(name)
            let result = try workspace.build(["--build-arg", "SOURCE_DATE_EPOCH=0",
                                              "-o", "type=oci,dest=\(layout),tar=false" + (option.isEmpty ? "" : ",\(option)"), context])
            try #require(result.status == 0, "\(result.stderr)")
            #expect(try OCIValidators.failures(layout: layout, tag: "latest", scratch: workspace.sub("v-\(name)")).isEmpty, "\(name)")
            let (manifest, list) = try layers(layout)
            configs.insert((manifest["config"] as? [String: Any])?["digest"] as? String ?? "")
            if name == "plain" { #expect(list.allSatisfy { $0["mediaType"] as? String == "application/vnd.oci.image.layer.v1.tar" }) }
            if name == "gzip9" { #expect(list.allSatisfy { $0["mediaType"] as? String == "application/vnd.oci.image.layer.v1.tar+gzip" }) }
        }
        #expect(configs.count == 1, "\(configs)")
        // oci-mediatypes=false on a docker tar: Docker's media types, which skopeo's
        // docker-archive transport reads.
        let dockerTar = workspace.sub("docker.tar")
        let docker = try workspace.build(["-t", "app:1", "-o", "type=docker,dest=\(dockerTar),oci-mediatypes=false", context])
        try #require(docker.status == 0, "\(docker.stderr)")
        let raw = try Self.json(try Tool.run(["skopeo", "inspect", "--raw", "docker-archive:\(dockerTar)"]).stdout)
        #expect(raw["mediaType"] as? String == "application/vnd.docker.distribution.manifest.v2+json")
        #expect((raw["layers"] as? [[String: Any]])?.first?["mediaType"] as? String == "application/vnd.docker.image.rootfs.diff.tar.gzip")
    }

    @Test func noCacheFilterRunsOnlyTheNamedStagesAgain() throws {
        let workspace = try BuildWorkspace("buildx-no-cache-filter")
        let context = try workspace.context("""
            FROM busybox AS base
            RUN echo base > /base
            FROM base AS final
            RUN echo final > /final
            """)
        try #require(try workspace.build([context]).status == 0)
        let again = try workspace.build(["--no-cache-filter", "final", context])
        try #require(again.status == 0, "\(again.stderr)")
        let steps = try workspace.steps(try workspace.latestBuild())
        let outcomes = steps.map { "\($0["stage"] ?? "")/\($0["instruction"] ?? ""):\($0["outcome"] ?? "")" }
        #expect(outcomes.contains("base/RUN:cached"), "\(outcomes)")
        #expect(outcomes.contains("final/RUN:succeeded"), "\(outcomes)")
    }

    @Test func callTargetsOutlineAndCheck() throws {
        let scratch = try TemporaryDirectory("buildx-call")
        let dockerfile = """
            # VERSION the version to build
            ARG VERSION=1.0
            # build compiles the program
            FROM busybox AS build
            # MODE how to build
            ARG MODE=release
            RUN --mount=type=secret,id=token,required=true true
            # release is the image to ship
            FROM busybox AS release
            COPY --from=build /etc/passwd /x
            """
        try dockerfile.write(toFile: scratch.sub("Dockerfile"), atomically: true, encoding: .utf8)
        let targets = try RepriseProcess.run(["build", "--call", "targets", scratch.path])
        #expect(targets.status == 0, "\(targets.stderr)")
        let lines = targets.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == ["TARGET DESCRIPTION", "build compiles the program", "release (default) is the image to ship"], "\(targets.stdout)")
        let outline = try RepriseProcess.run(["build", "--call", "outline", "--target", "build",
                                              "--build-arg", "MODE=debug", scratch.path])
        #expect(outline.status == 0, "\(outline.stderr)")
        #expect(outline.stdout.contains("TARGET:      build"), "\(outline.stdout)")
        #expect(outline.stdout.contains("DESCRIPTION: compiles the program"))
        #expect(outline.stdout.range(of: #"VERSION\s+1\.0\s+the version to build"#, options: .regularExpression) != nil, "\(outline.stdout)")
        #expect(outline.stdout.range(of: #"MODE\s+debug\s+how to build"#, options: .regularExpression) != nil)
        #expect(outline.stdout.range(of: #"token\s+true"#, options: .regularExpression) != nil)
        // format=json: BuildKit's outline and targets shapes.
        let outlineJSON = try RepriseProcess.run(["build", "--call", "outline,format=json", "--target", "build", scratch.path])
        let outlineDocument = try Self.json(outlineJSON.stdout)
        #expect(outlineDocument["name"] as? String == "build")
        let args = outlineDocument["args"] as? [[String: Any]] ?? []
        #expect(args.contains { $0["name"] as? String == "VERSION" && $0["value"] as? String == "1.0"
                                && $0["description"] as? String == "the version to build" }, "\(outlineJSON.stdout)")
        #expect((outlineDocument["secrets"] as? [[String: Any]])?.first?["required"] as? Bool == true)
        // Locations as BuildKit's pb.Location (1-based lines), the Dockerfile in `sources`.
        func line(_ object: [String: Any]?) -> Int? {
            (((object?["location"] as? [String: Any])?["ranges"] as? [[String: Any]])?.first?["start"] as? [String: Any])?["line"] as? Int
        }
        #expect(line((outlineDocument["secrets"] as? [[String: Any]])?.first) == 7, "\(outlineJSON.stdout)")
        #expect(line(args.first { $0["name"] as? String == "VERSION" }) == 2)
        let sources = outlineDocument["sources"] as? [String] ?? []
        #expect(sources.first.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } == dockerfile)
        // The default target reads build with COPY --from: build's secret is the release's too.
        let releaseOutline = try Self.json(try RepriseProcess.run(["build", "--call", "outline,format=json", scratch.path]).stdout)
        #expect((releaseOutline["secrets"] as? [[String: Any]])?.map { $0["name"] as? String } == ["token"], "\(releaseOutline)")
        let targetsJSON = try Self.json(try RepriseProcess.run(["build", "--call", "targets,format=json", scratch.path]).stdout)
        let listed = targetsJSON["targets"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["name"] as? String ?? "" } == ["build", "release"])
        #expect(listed.last?["default"] as? Bool == true)
        #expect(listed.first?["base"] as? String == "busybox" && line(listed.first) == 4, "\(listed)")
        #expect((targetsJSON["sources"] as? [String])?.count == 1)
        // --builder names the one builder there is; --cgroup-parent is refused with its reason.
        #expect(try RepriseProcess.run(["build", "--builder", "default", "--call", "targets", scratch.path]).status == 0)
        let otherBuilder = try RepriseProcess.run(["build", "--builder", "remote", "--call", "targets", scratch.path])
        #expect(otherBuilder.status != 0 && otherBuilder.stderr.contains("--builder remote"), "\(otherBuilder.stderr)")
        let cgroup = try RepriseProcess.run(["build", "--cgroup-parent", "build.slice", "--call", "targets", scratch.path])
        #expect(cgroup.status != 0 && cgroup.stderr.contains("--cgroup-parent build.slice is not supported"), "\(cgroup.stderr)")
        // --call check and its alias --check: a problem exits non-zero.
        try "FROM busybox\nRUN true\nCOPY\n".write(toFile: scratch.sub("Dockerfile"), atomically: true, encoding: .utf8)
        for flags in [["--call", "check"], ["--check"]] {
            let check = try RepriseProcess.run(["build"] + flags + [scratch.path])
            #expect(check.status == 1, "\(flags): \(check.stderr)")
        }
        let unknown = try RepriseProcess.run(["build", "--call", "explain", scratch.path])
        #expect(unknown.status != 0)
    }

    @Test func dockerfileAndContextFromStandardInputAndGit() throws {
        let workspace = try BuildWorkspace("buildx-stdin-git")
        let context = try workspace.context("FROM scratch\n", files: ["data.txt": "from-context\n"])
        // -f -: the Dockerfile from stdin, recorded (journal show names its bytes' digest).
        let dockerfile = Data("FROM busybox\nCOPY data.txt /data.txt\nRUN cat /data.txt\n".utf8)
        let fromStdin = try Tool.run([RepriseProcess.executable] + workspace.buildArguments(["-f", "-", context]),
                                     input: dockerfile)
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        #expect(fromStdin.stderr.contains("from-context"), "\(fromStdin.stderr)")
        // -: a tar on stdin is the context.
        try "FROM busybox\nCOPY data.txt /data.txt\nRUN cat /data.txt\n".write(
            toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let archive = try Tool.run(["tar", "-c", "-C", context, "."])
        try #require(archive.status == 0)
        let tarred = try Tool.run(["bash", "-c", "tar -c -C \"$0\" . | \"$1\" \"${@:2}\"", context, RepriseProcess.executable]
            + workspace.buildArguments(["--no-cache", "-"]))
        #expect(tarred.status == 0, "\(tarred.stderr)")
        #expect(tarred.stderr.contains("from-context"), "\(tarred.stderr)")
        let recorded = try Self.json(try RepriseProcess.run(["journal", "show", "--json", "--journal", workspace.journal,
                                                             try workspace.latestBuild()]).stdout)
        let contexts = (recorded["build"] as? [String: Any])?["contexts"] as? [[String: Any]] ?? []
        #expect(contexts.contains { $0["origin"] as? String == "-" }, "\(contexts)")

        // A git context: URL#REF:SUBDIR from a local repository (file:// URL).
        let repository = workspace.sub("repo.git")
        try FileManager.default.createDirectory(atPath: repository + "/app", withIntermediateDirectories: true)
        try "FROM busybox\nCOPY note /note\nRUN cat /note\n".write(toFile: repository + "/app/Dockerfile", atomically: true, encoding: .utf8)
        try "from-git-v1\n".write(toFile: repository + "/app/note", atomically: true, encoding: .utf8)
        let git = ["git", "-C", repository, "-c", "user.name=t", "-c", "user.email=t@example"]
        try Tool.check(["git", "init", "-q", "-b", "main", repository])
        try Tool.check(git + ["add", "."])
        try Tool.check(git + ["commit", "-q", "-m", "v1"])
        try Tool.check(git + ["tag", "v1"])
        try "from-git-v2\n".write(toFile: repository + "/app/note", atomically: true, encoding: .utf8)
        try Tool.check(git + ["commit", "-q", "-am", "v2"])
        let fromGit = try workspace.build(["file://\(repository)#v1:app"])
        #expect(fromGit.status == 0, "\(fromGit.stderr)")
        #expect(fromGit.stderr.contains("from-git-v1"), "\(fromGit.stderr)")
        let gitRecord = try Self.json(try RepriseProcess.run(["journal", "show", "--json", "--journal", workspace.journal,
                                                              try workspace.latestBuild()]).stdout)
        let gitContexts = (gitRecord["build"] as? [String: Any])?["contexts"] as? [[String: Any]]
        let origin = (gitContexts?.first?["origin"] as? String) ?? ""
        #expect(origin.hasPrefix("file://\(repository)#v1:app@"), "\(origin)")
        let missing = try workspace.build(["file://\(repository)#v1:nowhere"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("has no directory 'nowhere'"), "\(missing.stderr)")
        // A repository is hostile: a committed symlink named as SUBDIR must not make the host's
        // /etc the context.
        try FileManager.default.createSymbolicLink(atPath: repository + "/escape", withDestinationPath: "/etc")
        try Tool.check(git + ["add", "escape"])
        try Tool.check(git + ["commit", "-q", "-m", "escape"])
        let builds = try RepriseProcess.run(["journal", "ls", "-q", "--journal", workspace.journal]).stdout
        let escaping = try workspace.build(["file://\(repository)#main:escape"])
        #expect(escaping.status != 0)
        #expect(escaping.stderr.contains("'escape' leads outside the repository"), "\(escaping.stderr)")
        #expect(try RepriseProcess.run(["journal", "ls", "-q", "--journal", workspace.journal]).stdout == builds)
    }

    @Test func aLocalCacheMakesStepsCachedInAnotherJournal() throws {
        let first = try BuildWorkspace("buildx-cache-to")
        let context = try first.context("FROM busybox\nRUN echo expensive-$((6*7)) > /out\n")
        let cache = first.sub("cache")
        let exported = try first.build(["--cache-to", "type=local,dest=\(cache)", context])
        try #require(exported.status == 0, "\(exported.stderr)")
        #expect(FileManager.default.fileExists(atPath: cache + "/reprise-cache.tar"))
        // skopeo reads the cache bundle as an OCI layout tar.
        #expect(try Tool.run(["skopeo", "inspect", "--raw", "oci-archive:\(cache)/reprise-cache.tar"]).succeeded)

        let second = try BuildWorkspace("buildx-cache-from")
        let without = try second.build(["--cache-from", "type=local,src=\(second.sub("none"))", context])
        #expect(without.status == 0, "\(without.stderr)")
        #expect(without.stderr.contains("no cache there yet"))
        let third = try BuildWorkspace("buildx-cache-from-2")
        let cached = try third.build(["--cache-from", "type=local,src=\(cache)", context])
        #expect(cached.status == 0, "\(cached.stderr)")
        #expect(!cached.stderr.contains("expensive-42"), "the step ran again: \(cached.stderr)")
        let outcomes = try third.steps(try third.latestBuild()).map { $0["outcome"] as? String ?? "" }
        #expect(outcomes.last == "cached", "\(outcomes)")
        let refused = try third.build(["--cache-to", "type=inline", context])
        #expect(refused.status != 0)
    }

    @Test(.enabled(if: LoopbackRegistry.isAvailable, "docker-registry is not installed (scripts/install-deps)"))
    func aRegistryCacheMakesStepsCachedInAnotherJournal() throws {
        let registry = try LoopbackRegistry.start()
        defer { registry.stop() }
        let reference = "\(registry.host)/cache/app:main"
        let first = try BuildWorkspace("buildx-registry-cache-to")
        let context = try first.context("FROM busybox\nRUN echo expensive-$((6*7)) > /out\n")
        let exported = try first.build(["--cache-to", "type=registry,ref=\(reference),mode=max", context])
        try #require(exported.status == 0, "\(exported.stderr)")
        // The cache is the build's bundle, an OCI artifact that skopeo reads from the registry.
        let raw = try Tool.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(reference)"]).stdout
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any])
        #expect(manifest["artifactType"] as? String == "application/vnd.reprise.build.v1+json", "\(raw)")

        let second = try BuildWorkspace("buildx-registry-cache-from")
        let cached = try second.build(["--cache-from", "type=registry,ref=\(reference)", context])
        #expect(cached.status == 0, "\(cached.stderr)")
        #expect(!cached.stderr.contains("expensive-42"), "the step ran again: \(cached.stderr)")
        #expect(try second.steps(try second.latestBuild()).map { $0["outcome"] as? String ?? "" }.last == "cached")

        // A bare reference is a registry cache, as in buildx; one that is not there yet is a
        // warning and the step runs.
        let third = try BuildWorkspace("buildx-registry-cache-missing")
        let missing = try third.build(["--cache-from", "\(registry.host)/cache/app:nothing-yet", context])
        #expect(missing.status == 0, "\(missing.stderr)")
        #expect(missing.stderr.contains("no cache there yet"), "\(missing.stderr)")
        #expect(try third.steps(try third.latestBuild()).map { $0["outcome"] as? String ?? "" }.last == "succeeded")
        // As BuildKit: a cache that cannot be imported (here no registry listens) only costs time.
        let unreachable = try third.build(["--cache-from", "127.0.0.1:\(try LoopbackRegistry.freePort())/cache:x", context])
        #expect(unreachable.status == 0, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("not imported"), "\(unreachable.stderr)")

        // ignore-error=true: an export that fails (no registry listens) is a warning, as in buildx.
        let ignored = try third.build(["--cache-to", "type=registry,ref=127.0.0.1:\(try LoopbackRegistry.freePort())/c:x,ignore-error=true", context])
        #expect(ignored.status == 0 && ignored.stderr.contains("ignored: ignore-error=true"), "\(ignored.stderr)")
        // Malformed caches are refused before any step runs.
        let builds = try RepriseProcess.run(["journal", "ls", "-q", "--journal", third.journal]).stdout
        for bad in [["--cache-to", "type=registry"], ["--cache-to", "type=registry,ref=\(reference),colour=blue"],
                    ["--cache-to", "type=registry,ref=\(reference),oci-mediatypes=false"],
                    ["--cache-from", "type=gha"], ["--cache-to", "type=inline"]] {
            let refused = try third.build(bad + [context])
            #expect(refused.status != 0, "\(bad) was accepted")
        }
        #expect(try RepriseProcess.run(["journal", "ls", "-q", "--journal", third.journal]).stdout == builds)
    }
}
