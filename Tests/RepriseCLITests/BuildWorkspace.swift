import Foundation
import TestSupport
import Testing

/// A scratch directory with a journal that already holds the Corpus base image, and a way to
/// make small build contexts: what most end-to-end tests start from.
final class BuildWorkspace {
    let scratch: TemporaryDirectory
    var journal: String { scratch.sub("journal") }

    init(_ label: String) throws {
        scratch = try TemporaryDirectory(label)
        let imported = try RepriseProcess.run(["image", "import", try CorpusBaseImage.path(), "--name", "busybox",
                                               "--journal", scratch.sub("journal")])
        try #require(imported.status == 0, "\(imported.stderr)")
    }

    func sub(_ name: String) -> String { scratch.sub(name) }

    /// A fresh context directory holding `dockerfile` and `files` (relative path → content).
    func context(_ dockerfile: String, files: [String: String] = [:]) throws -> String {
        let directory = scratch.sub("ctx-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try dockerfile.write(toFile: directory + "/Dockerfile", atomically: true, encoding: .utf8)
        for (name, content) in files {
            let path = directory + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try content.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return directory
    }

    /// The newest build's id.
    func latestBuild() throws -> String {
        let listing = try RepriseProcess.run(["journal", "ls", "-q", "--journal", journal])
        return try #require(listing.stdout.split(separator: "\n").first.map(String.init))
    }
}
