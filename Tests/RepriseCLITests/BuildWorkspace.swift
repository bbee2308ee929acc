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

    func buildArguments(_ arguments: [String]) -> [String] {
        let progress = arguments.contains("--progress") ? [] : ["--progress", "plain"]
        return ["build", "--journal", journal] + progress + arguments
    }

    func build(_ arguments: [String], environment: [String: String] = [:]) throws -> RepriseProcess.Result {
        try RepriseProcess.run(buildArguments(arguments), environment: environment)
    }

    /// The steps `journal show --json` lists for `build`.
    func steps(_ build: String) throws -> [[String: Any]] {
        let show = try RepriseProcess.run(["journal", "show", "--json", "--journal", journal, build])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        return document["steps"] as? [[String: Any]] ?? []
    }

    /// The RUN steps' mount records of `build`, in order.
    func mounts(_ build: String) throws -> [[String: Any]] {
        try steps(build).flatMap { $0["mounts"] as? [[String: Any]] ?? [] }
    }

    /// The root filesystem of the image in an OCI layout, unpacked by umoci.
    func unpack(_ layout: String, tag: String = "latest") throws -> String {
        let bundle = scratch.sub("bundle-\(UInt32.random(in: 0...UInt32.max))")
        try Tool.check(["umoci", "unpack", "--image", "\(layout):\(tag)", bundle])
        return bundle + "/rootfs"
    }
}

/// The image manifest digest a build made, from its `--metadata-file` (`-q` prints the image id,
/// the config digest, as buildx does; with attestations `containerimage.digest` is the index).
func builtManifestDigest(metadata path: String) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let document = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    guard let digest = document?["reprise.image.manifest"] as? String else {
        throw CocoaError(.fileReadCorruptFile)
    }
    return digest
}
