import Foundation
import TestSupport
import Testing

/// `reprise image …` against real OCI clients.
@Suite struct ImageCommandTests {
    let scratch: TemporaryDirectory
    var journal: String { scratch.sub("journal") }

    init() throws { scratch = try TemporaryDirectory("image-cli") }

    func reprise(_ arguments: [String]) throws -> RepriseProcess.Result {
        try RepriseProcess.run(arguments + ["--journal", journal])
    }

    @Test func importedBaseImageExportsWithTheSameDigestAndPassesTheValidators() throws {
        let base = try CorpusBaseImage.path()
        let imported = try reprise(["image", "import", base, "--name", "busybox"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let digest = String(imported.stdout.prefix(71))
        #expect(digest.hasPrefix("sha256:"))

        let directory = scratch.sub("out-dir")
        let exportedDirectory = try reprise(["image", "export", "busybox", "--output", "type=oci,dest=\(directory),tar=false"])
        #expect(exportedDirectory.status == 0, "\(exportedDirectory.stderr)")
        let failures = try OCIValidators.failures(layout: directory, tag: "latest", scratch: scratch.path)
        #expect(failures.isEmpty, "\(failures)")
        let index = try String(contentsOfFile: directory + "/index.json", encoding: .utf8)
        #expect(index.contains(digest))

        let tar = scratch.sub("out.tar")
        let exportedTar = try reprise(["image", "export", "busybox", "-o", "type=oci,dest=\(tar)"])
        #expect(exportedTar.status == 0, "\(exportedTar.stderr)")
        let raw = try Tool.check(["skopeo", "inspect", "--raw", "oci-archive:\(tar):latest"])
        #expect(ContentStoreDigest.of(raw.stdout) == digest)
    }

    /// `image import` unpacks the image's layers, as `docker load` does; the first build on it
    /// starts from that directory, and makes the image a build that extracts the layer itself makes.
    @Test func anImportedImageIsUnpackedAndItsFirstBuildStartsFromIt() throws {
        let imported = try reprise(["image", "import", try CorpusBaseImage.path(), "--name", "busybox"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let layers = try FileManager.default.contentsOfDirectory(atPath: journal + "/layers")
        try #require(layers.count == 1, "\(layers)")
        let unpacked = journal + "/layers/" + layers[0]
        #expect(FileManager.default.fileExists(atPath: unpacked + "/bin/busybox"))
        func inode(_ path: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        }
        let before = try inode(unpacked)
        // A copy of the journal without the unpacked layer: its first build extracts it.
        let lazy = scratch.sub("lazy-journal")
        try Tool.check(["cp", "-a", journal, lazy])
        try FileManager.default.removeItem(atPath: lazy + "/layers/" + layers[0])
        func build(_ journal: String) throws -> String {
            let result = try RepriseProcess.run(["build", "--journal", journal, "--progress", "quiet", "--network", "none",
                                                 "--build-arg", "SOURCE_DATE_EPOCH=0",
                                                 CorpusBaseImage.repositoryRoot + "/Corpus/cases/hello"])
            try #require(result.status == 0, "\(result.stderr)")
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let eager = try build(journal)
        #expect(eager.hasPrefix("sha256:"))
        #expect(try build(lazy) == eager)
        #expect(try inode(unpacked) == before, "the build used the unpacked layer, not an extraction of its own")
        #expect(FileManager.default.fileExists(atPath: lazy + "/layers/" + layers[0] + "/bin/busybox"))
    }

    @Test func aLayoutWrittenByUmociImportsAndReexportsUnchanged() throws {
        let layout = scratch.sub("umoci")
        try Tool.check(["umoci", "init", "--layout", layout])
        try Tool.check(["umoci", "new", "--image", "\(layout):v1"])
        let bundle = scratch.sub("bundle")
        try Tool.check(["umoci", "unpack", "--rootless", "--image", "\(layout):v1", bundle])
        try Data("made by umoci\n".utf8).write(to: URL(fileURLWithPath: bundle + "/rootfs/hello.txt"))
        try Tool.check(["umoci", "repack", "--image", "\(layout):v1", bundle])
        let original = try Tool.check(["skopeo", "inspect", "--raw", "oci:\(layout):v1"]).stdout

        let imported = try reprise(["image", "import", "oci-layout://\(layout):v1", "--name", "example/umoci:v1"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let out = scratch.sub("reexported")
        let exported = try reprise(["image", "export", "example/umoci:v1", "-o", "type=oci,dest=\(out),tar=false"])
        #expect(exported.status == 0, "\(exported.stderr)")
        let again = try Tool.check(["skopeo", "inspect", "--raw", "oci:\(out):v1"]).stdout
        #expect(again == original)
        let listing = try reprise(["image", "ls"])
        #expect(listing.stdout.contains("example/umoci:v1"))
    }

    @Test func namesAreNormalisedAndRemovable() throws {
        let base = try CorpusBaseImage.path()
        #expect(try reprise(["image", "import", base, "--name", "docker.io/library/busybox:latest"]).status == 0)
        #expect(try reprise(["image", "tag", "busybox", "mine:1"]).status == 0)
        let listing = try reprise(["image", "ls"]).stdout
        #expect(listing.contains("busybox:latest"))
        #expect(listing.contains("mine:1"))
        #expect(try reprise(["image", "rm", "mine:1"]).stdout == "Untagged: mine:1\n")
        let missing = try reprise(["image", "rm", "mine:1"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no image named"))
    }

    @Test func importingSomethingThatIsNotThereNamesIt() throws {
        let result = try reprise(["image", "import", scratch.sub("absent"), "--name", "x"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(scratch.sub("absent")))
    }
}

/// sha256 of a string as `sha256:<hex>`, without importing the store into the CLI tests.
enum ContentStoreDigest {
    static func of(_ text: String) -> String {
        let output = try? Tool.run(["sha256sum"], input: Data(text.utf8))
        return "sha256:" + (output?.stdout.prefix(64) ?? "")
    }
}
