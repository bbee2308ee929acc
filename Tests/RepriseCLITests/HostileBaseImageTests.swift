import Foundation
import TestSupport
import Testing

/// Base images an attacker made, built in the real sandbox: device nodes that must not open,
/// layers that repeat, lying diff ids and truncated layers that must be refused at import.
@Suite struct HostileBaseImageTests {
    /// Issue 11 #2: a character device in an image layer (1:3 and 1:5, i.e. null and zero) is
    /// visible in the step but cannot be opened; the sandbox's own /dev/null still works.
    @Test func deviceNodesFromAnImageLayerCannotBeOpenedInRun() throws {
        let workspace = try BuildWorkspace("devnode")
        let layout = try HostileImage.make(
            base: try CorpusBaseImage.path(),
            entries: [.directory("probe"),
                      .characterDevice("probe/null", major: 1, minor: 3),
                      .characterDevice("probe/zero", major: 1, minor: 5)],
            output: workspace.sub("devimage"))
        let imported = try RepriseProcess.run(["image", "import", layout, "--name", "devimage",
                                               "--journal", workspace.journal])
        try #require(imported.status == 0, "\(imported.stderr)")
        let context = try workspace.context("""
            FROM devimage
            RUN ls -l /probe/null && echo ok > /dev/null
            RUN if head -c 1 /probe/zero >/dev/null; then echo OPEN""ED zero; exit 1; fi; echo zero-refused-$((40+2))
            RUN if echo x > /probe/null; then echo OPEN""ED null; exit 1; fi; echo null-refused-$((40+2))
            """)
        let build = try workspace.build([context])
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stderr.contains("zero-refused-42"), "\(build.stderr)")
        #expect(build.stderr.contains("null-refused-42"), "\(build.stderr)")
        #expect(!build.stderr.contains("OPENED"), "\(build.stderr)")
    }

    /// Issue 11 #3: empty layers repeat (every `RUN true` makes the same empty layer), and
    /// identical steps make identical layers; overlayfs must not be given one lower dir twice.
    @Test func repeatedEmptyAndIdenticalLayersBuild() throws {
        let workspace = try BuildWorkspace("empty-layers")
        let context = try workspace.context("""
            FROM busybox
            RUN true
            RUN true
            RUN true
            RUN echo same > /same
            RUN echo same > /same
            RUN echo same > /same
            RUN true
            RUN test "$(cat /same)" = same && echo layers-ok-$((40+2))
            """)
        let build = try workspace.build(["--no-cache", context])
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stderr.contains("layers-ok-42"), "\(build.stderr)")
        #expect(!build.stderr.contains("Too many levels of symbolic links"), "\(build.stderr)")
    }
}

/// Issue 11 #10: `image import` reads every layer to its end and checks its diff id, so a
/// broken base image is refused when it arrives, not at its first build.
@Suite struct ImageImportVerificationTests {
    func importRefused(_ defect: HostileImage.Defect, expecting message: String) throws {
        let scratch = try TemporaryDirectory("import-\(defect.rawValue)")
        let layout = try HostileImage.make(base: try CorpusBaseImage.path(),
                                           entries: [.file("hello.txt", "hello\n")], defect: defect,
                                           output: scratch.sub("layout"))
        let journal = scratch.sub("journal")
        let imported = try RepriseProcess.run(["image", "import", layout, "--name", "broken", "--journal", journal])
        #expect(imported.status != 0, "\(imported.stdout)")
        #expect(imported.stderr.contains(layout), "\(imported.stderr)")
        #expect(imported.stderr.contains("layer 2 of 2"), "\(imported.stderr)")
        #expect(imported.stderr.contains(message), "\(imported.stderr)")
        // Nothing names it: no tag, no image row; a build from it cannot start.
        let listing = try RepriseProcess.run(["image", "ls", "--all", "--journal", journal])
        #expect(!listing.stdout.contains("broken"), "\(listing.stdout)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: journal + "/refs/tags")) ?? []).isEmpty)
    }

    @Test func aWrongDiffIDIsRefusedAtImport() throws {
        try importRefused(.wrongDiffID, expecting: "uncompressed")
    }

    @Test func aTruncatedLayerIsRefusedAtImport() throws {
        try importRefused(.truncatedGzip, expecting: "cannot be read as a layer")
    }

    @Test func anHonestExtraLayerIsImportedAndBuilds() throws {
        let workspace = try BuildWorkspace("import-honest")
        let layout = try HostileImage.make(base: try CorpusBaseImage.path(), entries: [.file("hello.txt", "hello\n")],
                                           output: workspace.sub("layout"))
        let imported = try RepriseProcess.run(["image", "import", layout, "--name", "honest", "--journal", workspace.journal])
        try #require(imported.status == 0, "\(imported.stderr)")
        let build = try workspace.build([try workspace.context("FROM honest\nRUN cat /hello.txt\n")])
        #expect(build.status == 0, "\(build.stderr)")
    }
}
