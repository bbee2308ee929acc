import Foundation
import TestSupport
import Testing

/// Instruction features checked on the built image: ADD archives and URLs, ONBUILD, COPY rules.
@Suite(.serialized) struct InstructionFeatureTests {
    let workspace: BuildWorkspace
    var journal: String { workspace.journal }

    init() throws { workspace = try BuildWorkspace("features") }

    func context(_ dockerfile: String, files: [String: String] = [:]) throws -> String {
        try workspace.context(dockerfile, files: files)
    }

    /// Builds and unpacks the result with `--output type=local`; returns the root.
    func buildTree(_ directory: String, _ extra: [String] = []) throws -> String {
        let output = workspace.sub("out-\(UInt32.random(in: 0...UInt32.max))")
        let result = try RepriseProcess.run(["build", "--journal", journal, "--progress", "plain", directory,
                                             "--output", "type=local,dest=\(output)"] + extra)
        try #require(result.status == 0, "\(result.stderr)")
        return output
    }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func addUnpacksALocalTarballButCopyDoesNot() throws {
        let directory = try context("FROM busybox\nADD bundle.tar.gz /opt/\nCOPY bundle.tar.gz /kept/\n")
        let staging = workspace.sub("tar-src")
        try FileManager.default.createDirectory(atPath: staging + "/pkg", withIntermediateDirectories: true)
        try "inside the tarball\n".write(toFile: staging + "/pkg/readme.txt", atomically: true, encoding: .utf8)
        try Tool.check(["tar", "-czf", directory + "/bundle.tar.gz", "-C", staging, "pkg"])
        let root = try buildTree(directory)
        #expect(read(root + "/opt/pkg/readme.txt") == "inside the tarball\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/opt/bundle.tar.gz"))
        #expect(FileManager.default.fileExists(atPath: root + "/kept/bundle.tar.gz"))
    }

    @Test func addFetchesAURLPinnedByChecksumAndRefusesAWrongOne() throws {
        let served = workspace.sub("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try "fetched over http\n".write(toFile: served + "/asset.txt", atomically: true, encoding: .utf8)
        let server = try LoopbackService.http(serving: served)
        defer { withExtendedLifetime(server) {} }
        let port = server.port
        let sum = try Tool.check(["sha256sum", served + "/asset.txt"]).stdout.prefix(64)
        let url = "http://127.0.0.1:\(port)/asset.txt"

        // Without a network (`--network none`), ADD fetches only what a checksum pins; the default
        // network would send it through the recorder, which refuses the host's loopback (see
        // NetworkRecordingTests.addURLIsRecordedReplayedFromTheRecordAndInProvenance).
        let pinned = try context("FROM busybox\nADD --checksum=sha256:\(sum) \(url) /downloads/\n")
        let root = try buildTree(pinned, ["--network", "none"])
        #expect(read(root + "/downloads/asset.txt") == "fetched over http\n")

        let wrong = try context("FROM busybox\nADD --checksum=sha256:\(String(repeating: "0", count: 64)) \(url) /d/\n")
        let refused = try RepriseProcess.run(["build", "--journal", journal, "--network", "none", wrong])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("Dockerfile:2:1: ADD \(url): content is sha256:"))

        let unpinned = try context("FROM busybox\nADD \(url) /d/\n")
        let noNetwork = try RepriseProcess.run(["build", "--journal", journal, "--network", "none", unpinned])
        #expect(noNetwork.status == 1)
        #expect(noNetwork.stderr.contains("--checksum"))
    }

    @Test func onbuildTriggersRunInTheChildAndAreNotInherited() throws {
        let base = try context("FROM busybox\nONBUILD RUN echo triggered > /onbuild.txt\n")
        let built = try RepriseProcess.run(["build", "--journal", journal, "-t", "example/onbuild-base:1", base])
        try #require(built.status == 0, "\(built.stderr)")
        let child = try context("FROM example/onbuild-base:1\nRUN cat /onbuild.txt > /seen.txt\n")
        let layout = workspace.sub("child-layout")
        let result = try RepriseProcess.run(["build", "--journal", journal, child, "-o", "type=oci,dest=\(layout),tar=false"])
        try #require(result.status == 0, "\(result.stderr)")
        let config = try Tool.check(["skopeo", "inspect", "--raw", "--config", "oci:\(layout):latest"]).stdout
        #expect(!config.contains("OnBuild\":["))
        let root = try buildTree(child)
        #expect(read(root + "/seen.txt") == "triggered\n")
    }

    @Test func copyFollowsDockerDestinationRules() throws {
        let directory = try context("""
            FROM busybox
            WORKDIR /app
            COPY one.txt .
            COPY one.txt renamed.txt
            COPY dir/ /tree/
            COPY *.md /docs/
            COPY --chown=1000:1000 --chmod=600 one.txt /owned.txt
            COPY --exclude=*.log logs/ /logs/
            """, files: ["one.txt": "1\n", "dir/a/b.txt": "b\n", "x.md": "x\n", "y.md": "y\n",
                         "logs/keep.txt": "k\n", "logs/drop.log": "d\n"])
        let layout = workspace.sub("copy-layout")
        let result = try RepriseProcess.run(["build", "--journal", journal, directory, "-o", "type=oci,dest=\(layout),tar=false"])
        try #require(result.status == 0, "\(result.stderr)")
        let bundle = workspace.sub("copy-bundle")
        try Tool.check(["umoci", "unpack", "--image", "\(layout):latest", bundle])
        let root = bundle + "/rootfs"
        #expect(read(root + "/app/one.txt") == "1\n")
        #expect(read(root + "/app/renamed.txt") == "1\n")
        #expect(read(root + "/tree/a/b.txt") == "b\n")
        #expect(read(root + "/docs/x.md") == "x\n")
        #expect(read(root + "/docs/y.md") == "y\n")
        #expect(read(root + "/logs/keep.txt") == "k\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/logs/drop.log"))
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/owned.txt")
        #expect(attributes[.ownerAccountID] as? Int == 1000)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        let copied = try FileManager.default.attributesOfItem(atPath: root + "/app/one.txt")
        #expect(copied[.ownerAccountID] as? Int == 0)
    }
}
