import Foundation
import TestSupport
import Testing

/// Issue 11 #1: a journal and every directory of its own are 0700, created so and never widened
/// (by an image import, a layer extraction, a bundle import); extracted layers, with their
/// setuid binaries, are out of every other user's reach.
@Suite struct JournalPrivacyTests {
    /// Directories of the journal's own structure: everything except the insides of extracted
    /// layers, cache mounts and build scratch, which mirror image trees (their top is checked).
    func structuralDirectories(of journal: String) -> [String] {
        var result = [journal]
        guard let walker = FileManager.default.enumerator(atPath: journal) else { return result }
        while let relative = walker.nextObject() as? String {
            let components = relative.split(separator: "/")
            if let top = components.first, ["layers", "cache-mounts", "tmp"].contains(String(top)), components.count > 1 {
                walker.skipDescendants()
                continue
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: journal + "/" + relative, isDirectory: &isDirectory), isDirectory.boolValue {
                result.append(journal + "/" + relative)
            }
        }
        return result
    }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0o7777
    }

    @Test func everyJournalDirectoryIsPrivateAfterImportsBuildsAndBundles() throws {
        let workspace = try BuildWorkspace("private")
        let context = try workspace.context("""
            FROM busybox
            RUN --mount=type=cache,target=/cache echo hi > /cache/x && cp /bin/busybox /suid && chmod 4755 /suid
            """)
        let build = try workspace.build(["-t", "app:1", context])
        try #require(build.status == 0, "\(build.stderr)")
        let bundle = workspace.sub("bundle.tar")
        let exported = try RepriseProcess.run(["journal", "export", try workspace.latestBuild(), "-o", bundle,
                                               "--journal", workspace.journal])
        try #require(exported.status == 0, "\(exported.stderr)")
        let other = workspace.sub("other-journal")
        let imported = try RepriseProcess.run(["journal", "import", bundle, "--journal", other])
        try #require(imported.status == 0, "\(imported.stderr)")

        for journal in [workspace.journal, other] {
            let directories = structuralDirectories(of: journal)
            #expect(directories.count > 8, "\(directories)")
            for directory in directories {
                #expect(mode(directory) == 0o700, "\(directory) is \(String(mode(directory), radix: 8))")
            }
        }
        for name in ["layers", "cache-mounts", "tmp", "blobs", "refs"] {
            #expect(mode(workspace.journal + "/" + name) == 0o700, "\(name)")
        }
    }

    /// An extracted setuid binary exists in `layers/`, and user nobody cannot even reach it.
    @Test func anotherUserCannotReachExtractedLayers() throws {
        let workspace = try BuildWorkspace("private-layers")
        // mkdtemp made the scratch 0700; open it so that only the journal's own modes stand guard.
        chmod(workspace.scratch.path, 0o755)
        let build = try workspace.build([try workspace.context("FROM busybox\nRUN cp /bin/busybox /suid && chmod 4755 /suid\nRUN true\n")])
        try #require(build.status == 0, "\(build.stderr)")
        let layers = try FileManager.default.contentsOfDirectory(atPath: workspace.journal + "/layers")
        let suid = try #require(layers.map { workspace.journal + "/layers/" + $0 + "/suid" }
            .first { FileManager.default.fileExists(atPath: $0) }, "no extracted layer holds /suid: \(layers)")
        #expect(mode(suid) & 0o4000 != 0, "the layer keeps the image's setuid bit")
        // The tests' scratch lives under /tmp (world-searchable); the journal itself must stop nobody.
        let probe = try Tool.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  "/bin/sh", "-c", "ls -l \(suid) && \(suid) true && echo REACHED"])
        #expect(probe.status != 0)
        #expect(!probe.stdout.contains("REACHED"), "\(probe)")
        #expect(probe.stderr.contains("Permission denied"), "\(probe)")
    }

    /// A journal made by an older Reprise (0755 everywhere) is narrowed when it is next opened.
    @Test func anOldWideJournalIsNarrowedOnOpen() throws {
        let workspace = try BuildWorkspace("private-narrow")
        for directory in structuralDirectories(of: workspace.journal) { chmod(directory, 0o755) }
        let listing = try RepriseProcess.run(["image", "ls", "--journal", workspace.journal])
        #expect(listing.status == 0, "\(listing.stderr)")
        for name in ["", "/blobs", "/blobs/sha256", "/refs", "/refs/tags", "/layers", "/tmp"] {
            #expect(mode(workspace.journal + name) == 0o700, "\(name)")
        }
    }
}
