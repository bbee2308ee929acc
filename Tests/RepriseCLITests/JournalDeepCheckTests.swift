import Foundation
import TestSupport
import Testing

/// `journal fsck --deep` makes every layer kept only as a recipe again (into hashers) and checks
/// it: the one check that finds a recipe this machine's zlib cannot turn back into the layer,
/// before an export or a push does.
@Suite struct JournalDeepCheckTests {
    @Test func deepFsckRemakesRecipeLayersAndNamesOneThatDoesNotMatch() throws {
        let workspace = try BuildWorkspace("deep-fsck")
        let context = try workspace.context("FROM busybox\nCOPY . /app/\n",
                                            files: ["a.txt": String(repeating: "deep check\n", count: 5000)])
        let built = try workspace.build([context])
        try #require(built.status == 0, "\(built.stderr)")
        let copy = try #require(try workspace.steps(try workspace.latestBuild()).last)
        let layer = try #require((copy["layer"] as? [String: Any])?["digest"] as? String)
        let hex = String(try #require(layer.split(separator: ":").last))
        let recipe = workspace.journal + "/recipes/sha256/" + hex
        try #require(FileManager.default.fileExists(atPath: recipe), "the COPY layer is not kept as a recipe")
        #expect(!FileManager.default.fileExists(atPath: workspace.journal + "/blobs/sha256/" + hex))

        let deep = try RepriseProcess.run(["journal", "fsck", "--deep", "--journal", workspace.journal])
        #expect(deep.status == 0, "\(deep.stdout)\(deep.stderr)")
        #expect(deep.stdout.contains("1 layer(s) kept as recipes made again and matched"), "\(deep.stdout)")
        // Nothing was written: the layer is still only a recipe.
        #expect(!FileManager.default.fileExists(atPath: workspace.journal + "/blobs/sha256/" + hex))

        // A recipe that makes other bytes (another level stands for another zlib): plain fsck
        // cannot see it, --deep names the layer and fails.
        // The recipe file names the blob holding the document (32 digest bytes); a JSON recipe
        // file (the form before journal format 3) is still read, so the edited document goes there.
        let pointer = try Data(contentsOf: URL(fileURLWithPath: recipe))
        try #require(pointer.count == 32, "a recipe file names its document's blob")
        let documentPath = workspace.journal + "/blobs/sha256/" + pointer.map { String(format: "%02x", $0) }.joined()
        var fields = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: documentPath))) as? [String: Any])
        fields["gzipLevel"] = (fields["gzipLevel"] as? Int) == 9 ? 1 : 9
        try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]).write(to: URL(fileURLWithPath: recipe))
        let shallow = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(shallow.status == 0, "\(shallow.stdout)")
        let caught = try RepriseProcess.run(["journal", "fsck", "--deep", "--journal", workspace.journal])
        #expect(caught.status == 1, "\(caught.stdout)")
        #expect(caught.stdout.contains("layer not remade: \(layer)") && caught.stdout.contains("zlib"), "\(caught.stdout)")
    }
}
