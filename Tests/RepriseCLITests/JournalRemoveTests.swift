import Foundation
import TestSupport
import Testing

/// `reprise journal rm`: a forgotten build's blobs go at the next gc, what another build still
/// uses stays, and a name that resolves to nothing removes nothing.
@Suite struct JournalRemoveTests {
    @Test func removedBuildsAreSweptByGCAndWhatRemainsStaysWhole() throws {
        let workspace = try BuildWorkspace("journal-rm")
        let directory = try workspace.context("""
            FROM busybox
            COPY data.txt /data.txt
            RUN wc -c /data.txt > /size
            """, files: ["data.txt": String(repeating: "first ", count: 20_000)])
        try #require(workspace.build([directory]).status == 0)
        let first = try workspace.latestBuild()
        try String(repeating: "second ", count: 20_000).write(toFile: directory + "/data.txt", atomically: true,
                                                              encoding: .utf8)
        try #require(workspace.build([directory]).status == 0)
        let second = try workspace.latestBuild()
        #expect(first != second)

        let typo = try RepriseProcess.run(["journal", "rm", "--journal", workspace.journal, first, "no-such-build"])
        #expect(typo.status != 0)
        #expect(try RepriseProcess.run(["journal", "show", "--journal", workspace.journal, first]).status == 0)

        let removed = try RepriseProcess.run(["journal", "rm", "--journal", workspace.journal, String(first.prefix(16))])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains(first))
        let gc = try RepriseProcess.run(["journal", "gc", "--journal", workspace.journal])
        #expect(gc.status == 0, "\(gc.stderr)")
        // The first build's COPY layer, its context file and its records are gone; the base stays.
        #expect(!gc.stdout.hasPrefix("removed 0 blob"), "\(gc.stdout)")
        #expect(try RepriseProcess.run(["journal", "show", "--journal", workspace.journal, first]).status != 0)
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        // The remaining build is whole: it rebuilds entirely from the cache.
        let again = try workspace.build([directory])
        #expect(again.status == 0, "\(again.stderr)")
        let steps = try workspace.steps(try workspace.latestBuild())
        #expect(steps.filter { $0["instruction"] as? String != "FROM" }.allSatisfy { $0["outcome"] as? String == "cached" })
        #expect(steps.count == 3)
    }
}
