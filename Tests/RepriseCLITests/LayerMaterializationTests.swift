import Foundation
import TestSupport
import Testing

/// A COPY's lower directory is made from the content blobs (`LayerMaterializer`), in the build
/// that wrote the layer and, through the recipe the journal keeps, in any later one; it is never
/// kept in `layers/`. A RUN step must see the same tree each time, down to link counts and inode
/// identity. (That a materialized tree equals the extracted layer: LayerMaterializerTests.)
@Suite struct LayerMaterializationTests {
    @Test func aRunSeesTheSameCopiedTreeWhicheverWayItsLowerWasMade() throws {
        let workspace = try BuildWorkspace("layer-materialize")
        let run = #"RUN cd /ctx && find . | sort | while read -r f; do stat -c '%n %A %u %g %Y %s %h' "$f"; done > /listing && [ "$(stat -c %i a.txt)" != "$(stat -c %i same.txt)" ] && echo distinct >> /listing"#
        // The Dockerfile lives outside the context: changing it must leave the COPY (which also
        // copies the context directory's own metadata) cached.
        let dockerfile = workspace.sub("Dockerfile")
        try "FROM busybox\nCOPY . /ctx/\n\(run)\n".write(toFile: dockerfile, atomically: true, encoding: .utf8)
        let directory = try workspace.context("unused\n", files: [
            "a.txt": "same bytes\n", "same.txt": "same bytes\n", "dir/run.sh": "#!/bin/sh\necho hi\n",
            "dir/secret": "s\n", "empty": "", "big.bin": String(repeating: "reprise ", count: 400_000),
            ".dockerignore": "Dockerfile\n.dockerignore\n",
        ])
        chmod(directory + "/dir/run.sh", 0o755)
        chmod(directory + "/dir/secret", 0o600)
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "a.txt")

        func listing(output name: String) throws -> String {
            let layout = workspace.sub(name)
            let built = try workspace.build(["-f", dockerfile, "--output", "type=oci,dest=\(layout),tar=false", directory])
            try #require(built.status == 0, "\(built.stderr)")
            return try String(contentsOfFile: try workspace.unpack(layout) + "/listing", encoding: .utf8)
        }
        /// Another RUN text each time (the shell collapses the spaces), so the RUN is not cached.
        var spaces = " "
        func changeTheRun() throws {
            let text = try String(contentsOfFile: dockerfile, encoding: .utf8)
            try text.replacingOccurrences(of: "echo\(spaces)distinct", with: "echo\(spaces) distinct")
                .write(toFile: dockerfile, atomically: true, encoding: .utf8)
            spaces += " "
        }
        /// Extracted layers in `layers/` that hold the copied tree (the COPY's lower, kept).
        func keptCopyLowers() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: workspace.journal + "/layers")
                .filter { FileManager.default.fileExists(atPath: workspace.journal + "/layers/" + $0 + "/ctx/big.bin") }
        }
        // First build: the COPY runs, and the RUN's lower is made from the blobs in the build's
        // scratch, not kept in the journal.
        let materialized = try listing(output: "first")
        #expect(try keptCopyLowers().isEmpty, "the COPY's lower stayed in layers/")
        let recipes = workspace.journal + "/recipes/sha256"
        #expect(try FileManager.default.contentsOfDirectory(atPath: recipes).count == 1)

        // Another process, the COPY cached and the RUN not: the lower is made again from the
        // journal's recipe (nothing in layers/ to reuse, and nothing left there).
        try changeTheRun()
        let fromRecipe = try listing(output: "second")
        var steps = try workspace.steps(try workspace.latestBuild())
        #expect(steps.map { $0["outcome"] as? String }.suffix(2) == ["cached", "succeeded"], "\(steps)")
        #expect(try keptCopyLowers().isEmpty, "the COPY's lower was extracted instead of made from its recipe")
        #expect(fromRecipe == materialized)

        // gc keeps the recipe and what it names (the tree), and fsck finds it whole.
        let gc = try RepriseProcess.run(["journal", "gc", "--journal", workspace.journal])
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: recipes).count == 1)
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")

        // The extracted layers are a cache: without them the lower is made again the same way.
        try FileManager.default.removeItem(atPath: workspace.journal + "/layers")
        try changeTheRun()
        let again = try listing(output: "third")
        steps = try workspace.steps(try workspace.latestBuild())
        #expect(steps.map { $0["outcome"] as? String }.suffix(2) == ["cached", "succeeded"], "\(steps)")
        #expect(try keptCopyLowers().isEmpty)
        #expect(again == materialized)

        #expect(materialized.hasSuffix("distinct\n"), "\(materialized)")
        let files = materialized.split(separator: "\n").filter { $0.contains(" -r") }
        #expect(files.count == 6, "\(materialized)")
        // One link each: no file shares an inode with the store or with another file.
        #expect(files.allSatisfy { $0.hasSuffix(" 1") }, "\(materialized)")
        #expect(materialized.contains("./dir/run.sh -rwxr-xr-x 0 0 "))
        #expect(materialized.contains("./dir/secret -rw------- 0 0 "))
    }
}
