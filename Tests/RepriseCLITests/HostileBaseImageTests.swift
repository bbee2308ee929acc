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
