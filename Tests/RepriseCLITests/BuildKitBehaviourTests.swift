#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// Dockerfile behaviour that real projects rely on, each as BuildKit has it, checked on the
/// built image's files and on the journal.
@Suite(.serialized) struct BuildKitBehaviourTests {
    let workspace: BuildWorkspace
    var journal: String { workspace.journal }

    init() throws { workspace = try BuildWorkspace("buildkit-behaviour") }

    func buildTree(_ directory: String, _ extra: [String] = []) throws -> String {
        let output = workspace.sub("out-\(UInt32.random(in: 0...UInt32.max))")
        let result = try workspace.build(extra + ["--output", "type=local,dest=\(output)", directory])
        try #require(result.status == 0, "\(result.stderr)")
        return output
    }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func owner(_ path: String) -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "missing" }
        return "\(info.st_uid):\(info.st_gid)"
    }

    @Test func workdirAndChownMakeTheirDirectoriesForTheUser() throws {
        let directory = try workspace.context("""
            FROM busybox
            COPY --chown=1000:1000 app.conf /etc/myapp/conf.d/
            USER 1000:1000
            WORKDIR /home/app/src
            RUN touch made-by-user
            """, files: ["app.conf": "port = 8080\n"])
        let root = try buildTree(directory)
        #expect(owner(root + "/etc/myapp") == "1000:1000")
        #expect(owner(root + "/etc/myapp/conf.d") == "1000:1000")
        #expect(owner(root + "/etc/myapp/conf.d/app.conf") == "1000:1000")
        #expect(owner(root + "/etc") == "0:0")
        #expect(owner(root + "/home/app") == "1000:1000")
        #expect(owner(root + "/home/app/src") == "1000:1000")
        #expect(owner(root + "/home/app/src/made-by-user") == "1000:1000")
    }

    @Test func aWildcardMayMatchNothingButAPlainMissingFileMayNot() throws {
        // The npm idiom: copy the manifest and, if there is one, the lock file.
        let directory = try workspace.context("""
            FROM busybox
            WORKDIR /app
            COPY package.json package-lock*.json yarn.lock* ./
            COPY *.patch /patches/
            """, files: ["package.json": "{}\n"])
        let root = try buildTree(directory)
        #expect(read(root + "/app/package.json") == "{}\n")
        let missing = try workspace.context("FROM busybox\nCOPY package.json README.md /app/\n",
                                            files: ["package.json": "{}\n"])
        let result = try workspace.build([missing])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Dockerfile:2:1"))
        #expect(result.stderr.contains("README.md"))
    }

    @Test func proxyArgumentsReachRunButNothingRecordsThem() throws {
        let directory = try workspace.context("""
            FROM busybox
            RUN echo "via ${HTTPS_PROXY:-none} except ${no_proxy:-none}" > /proxy.txt
            """)
        let proxy = "http://builder:s3cret@proxy.internal:3128"
        // `--network none`: on the default network the recorder's own proxy variables win (it is
        // the only way out), so the build arguments would not reach the step as BuildKit passes them.
        let arguments = ["--network", "none", "--build-arg", "HTTPS_PROXY=\(proxy)", "--build-arg", "no_proxy=localhost"]
        let root = try buildTree(directory, arguments)
        #expect(read(root + "/proxy.txt") == "via \(proxy) except localhost\n")
        let id = try workspace.latestBuild()
        let show = try RepriseProcess.run(["journal", "show", "--json", "--journal", journal, id])
        #expect(!show.stdout.contains("s3cret"))
        let layout = workspace.sub("proxy-layout")
        let exported = try workspace.build(arguments + ["--output", "type=oci,dest=\(layout),tar=false", directory])
        try #require(exported.status == 0, "\(exported.stderr)")
        let config = try Tool.check(["skopeo", "inspect", "--config", "oci:\(layout):latest"]).stdout
        #expect(!config.contains("s3cret") && !config.contains("proxy.internal"))
        // As in BuildKit, another proxy does not invalidate the step.
        let again = try workspace.build(["--network", "none", "--build-arg", "HTTPS_PROXY=http://other:3128", directory])
        #expect(again.stdout.contains("CACHED") || again.stderr.contains("CACHED"))
    }

    @Test func sandboxHostnameAndCacheMountNamespaceComeFromBuildArgs() throws {
        let directory = try workspace.context("""
            FROM busybox
            RUN --mount=type=cache,id=deps,target=/cache hostname > /hostname.txt && touch /cache/seen
            """)
        let root = try buildTree(directory, ["--build-arg", "BUILDKIT_SANDBOX_HOSTNAME=ci-runner-7",
                                             "--build-arg", "BUILDKIT_CACHE_MOUNT_NS=project-a"])
        #expect(read(root + "/hostname.txt") == "ci-runner-7\n")
        let ids = try workspace.mounts(try workspace.latestBuild()).compactMap { $0["id"] as? String }
        #expect(ids == ["project-a/deps"])
    }

    @Test func aHeredocWithAShebangRunsWithItsInterpreter() throws {
        // awk would choke on a shell script and sh on an awk program: the interpreter line decides.
        let directory = try workspace.context("""
            FROM busybox
            RUN <<EOF
            #!/bin/awk -f
            BEGIN { total = 0; for (i = 1; i <= 10; i++) total += i; print "sum", total > "/sum.txt" }
            EOF
            RUN <<EOF
            echo "plain heredoc through the shell: $0" > /shell.txt
            EOF
            """)
        let root = try buildTree(directory)
        #expect(read(root + "/sum.txt") == "sum 55\n")
        #expect(read(root + "/shell.txt") == "plain heredoc through the shell: /bin/sh\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/dev/pipes"))
    }

    @Test func aSinglePlatformBaseOfAnotherPlatformWarnsAndTheBuildPlatformIsNative() throws {
        // As BuildKit: an image (not an index) whose config names another platform than the
        // stage asks for is used as it is, with InvalidBaseImagePlatform (its programs are the
        // host's here, so they run natively; PlatformBuildTests covers real arm64 images).
        let foreign = try workspace.context("FROM --platform=linux/arm64 busybox AS tools\nRUN true\n")
        let warned = try workspace.build([foreign])
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stderr.contains("expected \"linux/arm64\" for current build [InvalidBaseImagePlatform]"), "\(warned.stderr)")
        let native = try workspace.context("FROM --platform=$BUILDPLATFORM busybox\nRUN echo ok > /ok\n")
        #expect(read(try buildTree(native) + "/ok") == "ok\n")
    }

    @Test func insecureNeedsItsEntitlementAndDevicesAreRefused() throws {
        let directory = try workspace.context("""
            FROM busybox
            RUN --security=insecure grep CapBnd /proc/self/status > /caps.txt
            """)
        let refused = try workspace.build([directory])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--allow security.insecure"))
        let root = try buildTree(directory, ["--allow", "security.insecure"])
        let ordinary = try buildTree(try workspace.context("FROM busybox\nRUN grep CapBnd /proc/self/status > /caps.txt\n"))
        #expect(read(root + "/caps.txt") != read(ordinary + "/caps.txt"))
        // Insecure means every capability the builder itself holds.
        let own = try #require(read("/proc/self/status")?.split(separator: "\n").first { $0.hasPrefix("CapBnd") })
        #expect(read(root + "/caps.txt") == own + "\n")
        let device = try workspace.context("FROM busybox\nRUN --device=nvidia.com/gpu=all nvidia-smi\n")
        let noDevice = try workspace.build([device])
        #expect(noDevice.status == 1)
        #expect(noDevice.stderr.contains("Dockerfile:2:1: RUN --device"))
    }

    @Test func copyParentsKeepsPathsBelowThePivotAndUnderDoubleStars() throws {
        let directory = try workspace.context("""
            FROM busybox
            COPY --parents ./services/./api/*.go /src/
            COPY --parents **/package.json /manifests/
            """, files: ["services/api/main.go": "package main\n", "services/api/util.go": "package main\n",
                         "services/api/README": "no\n", "package.json": "{}\n", "web/package.json": "{\"web\":1}\n",
                         "web/ui/package.json": "{\"ui\":1}\n", "web/ui/index.js": "no\n"])
        let root = try buildTree(directory)
        #expect(read(root + "/src/api/main.go") == "package main\n")
        #expect(read(root + "/src/api/util.go") == "package main\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/src/api/README"))
        #expect(!FileManager.default.fileExists(atPath: root + "/src/services"))
        #expect(read(root + "/manifests/package.json") == "{}\n")
        #expect(read(root + "/manifests/web/package.json") == "{\"web\":1}\n")
        #expect(read(root + "/manifests/web/ui/package.json") == "{\"ui\":1}\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/manifests/web/ui/index.js"))
    }

    @Test(arguments: [("gz", "-z"), ("bz2", "-j"), ("xz", "-J"), ("zst", "--zstd")])
    func addUnpacksEveryCompressionBuildKitDoes(_ suffix: String, _ flag: String) throws {
        let directory = try workspace.context("FROM busybox\nADD release.tar.\(suffix) /opt/\nADD notes.txt.gz /docs/\n")
        let staging = workspace.sub("release-\(suffix)")
        try FileManager.default.createDirectory(atPath: staging + "/bin", withIntermediateDirectories: true)
        try "#!/bin/sh\necho tool\n".write(toFile: staging + "/bin/tool", atomically: false, encoding: .utf8)
        try Tool.check(["bsdtar", flag, "-cf", directory + "/release.tar.\(suffix)", "-C", staging, "bin"])
        // A compressed file that is not a tar is copied as it is.
        try Tool.check(["sh", "-c", "echo notes | gzip > \(directory)/notes.txt.gz"])
        let root = try buildTree(directory)
        #expect(read(root + "/opt/bin/tool") == "#!/bin/sh\necho tool\n")
        #expect(FileManager.default.fileExists(atPath: root + "/docs/notes.txt.gz"))
    }

    @Test func addUnpackTrueUnpacksADownloadedArchive() throws {
        let served = workspace.sub("served")
        let staging = workspace.sub("dist")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: staging + "/lib", withIntermediateDirectories: true)
        try "shared\n".write(toFile: staging + "/lib/libx.txt", atomically: false, encoding: .utf8)
        try Tool.check(["bsdtar", "-J", "-cf", served + "/dist.tar.xz", "-C", staging, "lib"])
        let server = try LoopbackService.http(serving: served)
        defer { withExtendedLifetime(server) {} }
        let sum = try Tool.check(["sha256sum", served + "/dist.tar.xz"]).stdout.prefix(64)
        let url = "http://127.0.0.1:\(server.port)/dist.tar.xz"
        let directory = try workspace.context("""
            FROM busybox
            ADD --unpack=true --checksum=sha256:\(sum) \(url) /usr/local/
            ADD --checksum=sha256:\(sum) \(url) /downloads/
            """)
        // `--network none`: pinned URLs are fetched directly; the default network's recorder would
        // refuse this server on the host's loopback.
        let root = try buildTree(directory, ["--network", "none"])
        #expect(read(root + "/usr/local/lib/libx.txt") == "shared\n")
        #expect(FileManager.default.fileExists(atPath: root + "/downloads/dist.tar.xz"))
    }

    @Test func addOfAGitRepositoryTakesARefAndASubdirectory() throws {
        let repositories = workspace.sub("repositories")
        let repository = repositories + "/tool.git"
        try FileManager.default.createDirectory(atPath: repository + "/cmd", withIntermediateDirectories: true)
        try "v1\n".write(toFile: repository + "/VERSION", atomically: false, encoding: .utf8)
        try "#!/bin/sh\necho tool\n".write(toFile: repository + "/cmd/tool.sh", atomically: false, encoding: .utf8)
        chmod(repository + "/cmd/tool.sh", 0o755)
        let git = ["git", "-C", repository, "-c", "user.name=T", "-c", "user.email=t@example.com"]
        try Tool.check(["git", "init", "-q", repository])
        try Tool.check(git + ["add", "."])
        try Tool.check(git + ["commit", "-q", "-m", "one"], environment: ["GIT_COMMITTER_DATE": "1600000000 +0000"])
        try Tool.check(git + ["tag", "v1"])
        try "v2\n".write(toFile: repository + "/VERSION", atomically: false, encoding: .utf8)
        try Tool.check(git + ["commit", "-q", "-am", "two"])
        let commit = try Tool.check(git + ["rev-parse", "v1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // A committed symlink out of the repository, which ADD must refuse as a subdirectory.
        try FileManager.default.createSymbolicLink(atPath: repository + "/escape", withDestinationPath: "/etc")
        try Tool.check(git + ["add", "escape"])
        try Tool.check(git + ["commit", "-q", "-m", "three"])
        let server = try LoopbackService.git(serving: repositories)
        defer { withExtendedLifetime(server) {} }
        let url = "git://127.0.0.1:\(server.port)/tool.git"
        let directory = try workspace.context("""
            FROM busybox
            ADD \(url)#v1:cmd /usr/local/bin/
            ADD --keep-git-dir \(url)#v1 /src/tool/
            ADD \(url) /latest/
            """)
        let root = try buildTree(directory, ["--network", "host"])
        #expect(read(root + "/usr/local/bin/tool.sh") == "#!/bin/sh\necho tool\n")
        #expect(FileManager.default.isExecutableFile(atPath: root + "/usr/local/bin/tool.sh"))
        #expect(!FileManager.default.fileExists(atPath: root + "/usr/local/bin/VERSION"))
        #expect(read(root + "/src/tool/VERSION") == "v1\n")
        #expect(FileManager.default.fileExists(atPath: root + "/src/tool/.git/HEAD"))
        #expect(read(root + "/latest/VERSION") == "v2\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/latest/.git"))
        var info = stat()
        #expect(lstat(root + "/src/tool/VERSION", &info) == 0 && info.st_mtim.tv_sec == 1_600_000_000)
        let steps = try workspace.steps(try workspace.latestBuild())
        #expect(steps.contains { ($0["sourceImage"] as? String) == "git:\(url)@\(commit)" })
        // Pinned by commit, no network is needed; a wrong pin is refused.
        let pinned = try workspace.context("FROM busybox\nADD --checksum=\(commit) \(url)#v1 /src/\n")
        #expect(read(try buildTree(pinned) + "/src/VERSION") == "v1\n")
        let wrong = try workspace.context("FROM busybox\nADD --checksum=\(String(repeating: "a", count: 40)) \(url)#v1 /src/\n")
        let refused = try workspace.build([wrong])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not the --checksum"))
        // A subdirectory that is a symlink out of the repository is refused, not read from the host.
        let escaping = try workspace.context("FROM busybox\nADD \(url)#:escape /etc-of-the-host/\n")
        let escaped = try workspace.build([escaping, "--network", "host"])
        #expect(escaped.status != 0)
        #expect(escaped.stderr.contains("'escape' leads outside the repository"), "\(escaped.stderr)")
    }

    @Test func aLocalExportKeepsTheDeviceNodesOfADebianStyleBase() throws {
        // Every debootstrapped base has /dev/console and friends; the local exporter writes them.
        let spec = workspace.sub("rootfs.mtree")
        try """
            #mtree
            ./dev type=dir mode=0755 uid=0 gid=0
            ./dev/console type=char device=native,5,1 mode=0600 uid=0 gid=0
            ./dev/null type=char device=native,1,3 mode=0666 uid=0 gid=0
            ./etc type=dir mode=0755 uid=0 gid=0
            """.write(toFile: spec, atomically: false, encoding: .utf8)
        let rootfs = workspace.sub("rootfs.tar")
        try Tool.check(["bsdtar", "-cf", rootfs, "-C", workspace.sub(""), "@" + spec])
        let imported = try RepriseProcess.run(["image", "import", rootfs, "--name", "debianish", "--journal", journal])
        try #require(imported.status == 0, "\(imported.stderr)")
        let directory = try workspace.context("FROM debianish\nCOPY motd /etc/motd\n", files: ["motd": "hi\n"])
        let root = try buildTree(directory)
        var info = stat()
        #expect(lstat(root + "/dev/console", &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFCHR)
        #expect(read(root + "/etc/motd") == "hi\n")
    }

    @Test func symbolicChmodAppliesToFilesAndDirectories() throws {
        let directory = try workspace.context("""
            FROM busybox
            COPY --chmod=u=rwx,go=rX scripts/ /opt/scripts/
            COPY --chmod=0640 scripts/build.sh /etc/build.sh
            """, files: ["scripts/build.sh": "#!/bin/sh\n", "scripts/lib/common.sh": "x=1\n"])
        chmod(directory + "/scripts/build.sh", 0o600)
        chmod(directory + "/scripts/lib/common.sh", 0o755)
        let root = try buildTree(directory)
        func mode(_ path: String) -> String {
            var info = stat()
            return lstat(root + path, &info) == 0 ? String(info.st_mode & 0o7777, radix: 8) : "missing"
        }
        #expect(mode("/opt/scripts/build.sh") == "744")       // X: not executable before
        #expect(mode("/opt/scripts/lib/common.sh") == "755")  // X: executable before
        #expect(mode("/opt/scripts/lib") == "755")            // X: a directory
        #expect(mode("/etc/build.sh") == "640")
        let invalid = try workspace.context("FROM busybox\nCOPY --chmod=u+q scripts/ /s/\n", files: ["scripts/a": "a\n"])
        let refused = try workspace.build([invalid])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("Dockerfile:2"))
    }

    @Test func checkFailsOnWarningsWhenTheDockerfileAsksForIt() throws {
        let lenient = try workspace.context("""
            FROM busybox AS Build
            RUN true
            """)
        #expect(try workspace.build(["--check", lenient]).status == 0)
        let strict = try workspace.context("""
            # check=error=true
            FROM busybox AS Build
            RUN true
            """)
        let result = try workspace.build(["--check", strict])
        #expect(result.status == 1)
        #expect(result.stderr.contains("StageNameCasing"))
        #expect(result.stderr.contains("lint violation found for rules: StageNameCasing"))
        // The build itself stops too, before any step.
        let build = try workspace.build([strict])
        #expect(build.status == 1)
        #expect(!build.stderr.contains("RUN true"))
        // A .dockerignore'd source is reported by the checker.
        let ignored = try workspace.context("FROM busybox\nCOPY .env /app/.env\n", files: [".env": "TOKEN=1\n", ".dockerignore": ".env\n"])
        #expect(try workspace.build(["--check", ignored]).stderr.contains("CopyIgnoredFile"))
    }

    @Test func aSyntaxDirectiveForAnotherFrontendIsRefused() throws {
        let directory = try workspace.context("""
            # syntax=registry.example.com/custom/frontend:2
            FROM busybox
            RUN true
            """)
        let result = try workspace.build([directory])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Dockerfile:1"))
        #expect(result.stderr.contains("registry.example.com/custom/frontend:2"))
        let ours = try workspace.context("# syntax=docker/dockerfile:1.7\nFROM busybox\nRUN echo ok > /ok\n")
        #expect(read(try buildTree(ours) + "/ok") == "ok\n")
    }

    @Test func aStageInheritsTheArgumentsOfTheStageItIsBuiltFrom() throws {
        // Docker's own example of ARG scoping between stages.
        let directory = try workspace.context("""
            FROM busybox AS base
            ARG NAME="joe"

            FROM base AS build
            RUN echo "hello $NAME!" > /greeting.txt
            """)
        #expect(read(try buildTree(directory) + "/greeting.txt") == "hello joe!\n")
        #expect(read(try buildTree(directory, ["--build-arg", "NAME=ann"]) + "/greeting.txt") == "hello ann!\n")
    }

    @Test func wordsExpandWithTheBaseImageEnvironment() throws {
        // A golang-style base sets GOPATH; Dockerfiles FROM it use it in WORKDIR, COPY and ENV.
        let base = try workspace.context("FROM busybox\nENV GOPATH=/go PATH=/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
        try #require(try workspace.build(["-t", "example/golang-ish:1", base]).status == 0)
        let directory = try workspace.context("""
            FROM example/golang-ish:1
            WORKDIR $GOPATH/src/app
            COPY main.go .
            ENV PATH=/opt/tools:$PATH
            RUN pwd > /pwd.txt && echo "$PATH" > /path.txt
            """, files: ["main.go": "package main\n"])
        let output = workspace.sub("gopath")
        let result = try workspace.build(["--output", "type=local,dest=\(output)", directory])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(read(output + "/pwd.txt") == "/go/src/app\n")
        #expect(read(output + "/go/src/app/main.go") == "package main\n")
        #expect(read(output + "/path.txt") == "/opt/tools:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
        #expect(!(result.stdout + result.stderr).contains("UndefinedVar"))
    }
}
