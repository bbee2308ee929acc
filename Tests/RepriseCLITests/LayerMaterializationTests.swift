import Foundation
import TestSupport
import Testing

/// A COPY's lower directory is made from the content blobs (`LayerMaterializer`) in the build
/// that wrote the layer, and by extracting the layer's tar in any later build: a RUN step must
/// see the same tree either way, down to link counts and inode identity.
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
        // First build: the COPY runs, and the RUN's lower is made from the blobs.
        let materialized = try listing(output: "first")
        // The extracted layers are a cache: without them, and with a RUN that is not cached, the
        // COPY is cached and its lower comes from extracting its tar.
        try FileManager.default.removeItem(atPath: workspace.journal + "/layers")
        // Another text (the shell collapses the spaces), so the RUN is not cached.
        try (try String(contentsOfFile: dockerfile, encoding: .utf8)).replacingOccurrences(of: "echo distinct", with: "echo  distinct")
            .write(toFile: dockerfile, atomically: true, encoding: .utf8)
        let extracted = try listing(output: "second")
        let steps = try workspace.steps(try workspace.latestBuild())
        #expect(steps.map { $0["outcome"] as? String }.suffix(2) == ["cached", "succeeded"], "\(steps)")

        #expect(materialized == extracted)
        #expect(materialized.hasSuffix("distinct\n"), "\(materialized)")
        let files = materialized.split(separator: "\n").filter { $0.contains(" -r") }
        #expect(files.count == 6, "\(materialized)")
        // One link each: no file shares an inode with the store or with another file.
        #expect(files.allSatisfy { $0.hasSuffix(" 1") }, "\(materialized)")
        #expect(materialized.contains("./dir/run.sh -rwxr-xr-x 0 0 "))
        #expect(materialized.contains("./dir/secret -rw------- 0 0 "))
    }
}
