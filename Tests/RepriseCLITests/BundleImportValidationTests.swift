import Foundation
import TestSupport
import Testing

/// Issue 11 #8: a bundle is anybody's file. Every id, name and path in it is validated before
/// anything is adopted, and an import is all or nothing: a refused one leaves no ref.
@Suite struct BundleImportValidationTests {
    /// A journal with one finished build, exported as a bundle.
    func exportedBundle(_ workspace: BuildWorkspace) throws -> (bundle: String, build: String) {
        let build = try workspace.build([try workspace.context("FROM busybox\nRUN echo hi > /hi\n")])
        try #require(build.status == 0, "\(build.stderr)")
        let id = try workspace.latestBuild()
        let bundle = workspace.sub("bundle.tar")
        let exported = try RepriseProcess.run(["journal", "export", id, "-o", bundle, "--journal", workspace.journal])
        try #require(exported.status == 0, "\(exported.stderr)")
        return (bundle, id)
    }

    /// (label, fields merged into the record, what the error must name). Computed: `Any` is not Sendable.
    static var hostileEdits: [(String, [String: Any], String)] { [
        ("traversing id", ["id": "../../x"], "build id"),
        ("absolute id", ["id": "/etc/passwd"], "build id"),
        ("id with an escape sequence", ["id": "1a2b\u{1B}]0;owned\u{07}"], "build id"),
        ("id with a newline", ["id": "abc\nno damage"], "build id"),
        ("empty id", ["id": ""], "build id"),
        ("tag with control characters", ["tags": ["app:\u{1B}[2J"]], "tag"),
        ("Dockerfile path ending in ..", ["dockerfilePath": "/src/.."], "Dockerfile path"),
        ("Dockerfile path with a carriage return", ["dockerfilePath": "/src/Dockerfile\rok"], "Dockerfile path"),
        ("base image name with bidi override", ["baseImages": ["evil\u{202E}": "sha256:" + String(repeating: "0", count: 64)]], "base image name"),
    ] }

    @Test(arguments: 0..<9)
    func aHostileNameIsRefusedAndLeavesNoRef(_ index: Int) throws {
        let (label, edits, what) = Self.hostileEdits[index]
        let workspace = try BuildWorkspace("bundle-hostile")
        let (bundle, build) = try exportedBundle(workspace)
        // Keep the honest build first in the bundle: all or nothing means it is not adopted either.
        let forged = workspace.sub("forged.tar")
        try JournalSurgery.forgeBundle(bundle, edits: edits, keepOriginal: true, output: forged)
        let target = workspace.sub("target-journal")
        let outside = JournalSurgery.listing(workspace.scratch.path)
        let imported = try RepriseProcess.run(["journal", "import", forged, "--journal", target])
        #expect(imported.status != 0, "\(label) was accepted")
        #expect(imported.stderr.contains(forged), "\(label): \(imported.stderr)")
        #expect(imported.stderr.contains(what), "\(label): \(imported.stderr)")
        #expect(!imported.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E || $0.value == 0x0D },
                "\(label): the error carries raw control characters")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/refs/builds").isEmpty, "\(label)")
        let listing = try RepriseProcess.run(["journal", "ls", "-q", "--journal", target])
        #expect(!listing.stdout.contains(build), "\(label): \(listing.stdout)")
        // Nothing appeared outside the target journal (no ../../x beside it).
        let added = JournalSurgery.listing(workspace.scratch.path).subtracting(outside)
            .filter { !$0.hasPrefix("target-journal") }
        #expect(added.isEmpty, "\(label): \(added)")
    }

    @Test func anHonestBundleStillImports() throws {
        let workspace = try BuildWorkspace("bundle-honest")
        let (bundle, build) = try exportedBundle(workspace)
        let target = workspace.sub("target-journal")
        let imported = try RepriseProcess.run(["journal", "import", bundle, "--journal", target])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains(build))
        #expect(try RepriseProcess.run(["journal", "fsck", "--journal", target]).status == 0)
    }

    /// A failure after the first ref is set (a full disk, a broken index) takes it back.
    @Test func anImportFailingMidwayLeavesNoRef() throws {
        let workspace = try BuildWorkspace("bundle-midway")
        let (bundle, _) = try exportedBundle(workspace)
        let two = workspace.sub("two.tar")
        try JournalSurgery.forgeBundle(bundle, edits: ["id": "0000000000000000abc", "steps": [String]()], keepOriginal: true, output: two)
        let target = workspace.sub("target-journal")
        let failed = try RepriseProcess.run(["journal", "import", two, "--journal", target],
                                            environment: ["REPRISE_TEST_FAIL_IMPORT_AFTER_REFS": "2"])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("injected failure"), "\(failed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/refs/builds").isEmpty)
        let imported = try RepriseProcess.run(["journal", "import", two, "--journal", target])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/refs/builds").count == 2)
    }
    /// SIGKILL between the two refs of a two-build bundle: the next process to open the journal
    /// takes the first one back (the intent file says what it was), and fsck stays clean.
    @Test func anImportKilledBetweenRefsIsUndoneByTheNextOpen() throws {
        let workspace = try BuildWorkspace("bundle-killed")
        let (bundle, build) = try exportedBundle(workspace)
        let two = workspace.sub("two.tar")
        try JournalSurgery.forgeBundle(bundle, edits: ["id": "0000000000000000abc", "steps": [String]()],
                                       keepOriginal: true, output: two)
        let target = workspace.sub("target-journal")
        let killed = try RepriseProcess.run(["journal", "import", two, "--journal", target],
                                            environment: ["REPRISE_TEST_KILL_IMPORT_AFTER_REFS": "1"])
        #expect(killed.status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/refs/builds") == [build],
                "the kill left the first ref (as expected)")
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", target])
        #expect(fsck.status == 0, "\(fsck.stdout)")
        let listing = try RepriseProcess.run(["journal", "ls", "-q", "--journal", target])
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stdout.isEmpty, "\(listing.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/refs/builds").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/tmp").filter { $0.hasSuffix(".intent") }.isEmpty)
        let again = try RepriseProcess.run(["journal", "import", two, "--journal", target])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/refs/builds").count == 2)
    }
}
