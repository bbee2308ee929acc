import BuildJournal
import ContentStore
import Foundation
import LayerArchive

/// Checks a build from a bundle before any of it is adopted: every id, name and path it holds
/// (they become file names and terminal output here), that its steps belong to it, and that
/// every blob it names arrived. A bundle is anybody's file; nothing in it is trusted.
struct BundleValidator {
    let store: BlobStore
    /// Names the bundle in every error.
    let bundlePath: String

    func validate(_ build: BuildRecord, steps: [StepRecord]) throws {
        func refuse(_ what: String, _ value: String, _ problem: String) -> ReplayError {
            .badBundle(path: bundlePath, reason: "\(what) \(Self.quoted(value)) is refused: \(problem)")
        }
        if let problem = JournalNames.problemWithBuildID(build.id) { throw refuse("build id", build.id, problem) }
        if let replayOf = build.replayOf, let problem = JournalNames.problemWithBuildID(replayOf) {
            throw refuse("replayOf id", replayOf, problem)
        }
        if let problem = JournalNames.problemWithRecordedPath(build.dockerfilePath) {
            throw refuse("Dockerfile path", build.dockerfilePath, problem)
        }
        for tag in build.tags {
            if let problem = JournalNames.problemWithName(tag, maximumLength: 255) { throw refuse("tag", tag, problem) }
        }
        for name in build.baseImages.keys {
            if let problem = JournalNames.problemWithName(name, maximumLength: 255) { throw refuse("base image name", name, problem) }
        }
        for context in build.contexts {
            if let problem = JournalNames.problemWithName(context.name, maximumLength: 255) {
                throw refuse("context name", context.name, problem)
            }
            if let problem = JournalNames.problemWithRecordedPath(context.origin) {
                throw refuse("context origin", context.origin, problem)
            }
        }
        for secret in build.secrets {
            if let problem = JournalNames.problemWithName(secret.id, maximumLength: 255) { throw refuse("secret id", secret.id, problem) }
        }
        for id in build.ssh {
            if let problem = JournalNames.problemWithName(id, maximumLength: 255) { throw refuse("ssh id", id, problem) }
        }
        for (key, _) in build.buildArguments {
            if let problem = JournalNames.problemWithName(key, maximumLength: 255) { throw refuse("build argument", key, problem) }
        }
        for step in steps {
            guard step.buildID == build.id else {
                throw refuse("step \(step.index) of build", build.id, "it belongs to build \(Self.quoted(step.buildID))")
            }
            if let problem = JournalNames.problemWithName(step.stage, maximumLength: 255) { throw refuse("stage name", step.stage, problem) }
            for mount in step.mounts {
                if let id = mount.id, let problem = JournalNames.problemWithName(id, maximumLength: 1024) {
                    throw refuse("mount id", id, problem)
                }
            }
        }
        try checkBlobs(build, steps: steps)
    }

    /// Every blob the build and its steps name is here, and every tree snapshot they name holds
    /// only relative, non-climbing paths (replay materialises them).
    private func checkBlobs(_ build: BuildRecord, steps: [StepRecord]) throws {
        var trees = Set(build.contexts.compactMap(\.tree))
        for step in steps {
            trees.formUnion([step.sources].compactMap { $0 })
            trees.formUnion(step.mounts.flatMap { [$0.treeBefore, $0.treeAfter].compactMap { $0 } })
        }
        let named = steps.reduce(build.blobReferences) { $0.union($1.blobReferences) }
        for digest in named.sorted() where !store.contains(digest) {
            throw ReplayError.badBundle(path: bundlePath, reason: "build \(build.id) names blob \(digest), which the bundle does not hold")
        }
        for tree in trees.sorted() where isTreeSnapshot(tree) {
            let snapshot: TreeSnapshot
            do {
                snapshot = try TreeSnapshot.load(tree, from: store)
            } catch {
                throw ReplayError.badBundle(path: bundlePath, reason: "tree \(tree) cannot be read: \(error)")
            }
            for entry in snapshot.entries {
                if let problem = JournalNames.problemWithTreePath(entry.path) {
                    throw ReplayError.badBundle(path: bundlePath,
                                                reason: "tree \(tree) holds the path \(Self.quoted(entry.path)): \(problem)")
                }
            }
        }
    }

    /// Whether a blob is a tree snapshot document (a mount of a single file records the file's
    /// own content instead, which has no paths to check).
    private func isTreeSnapshot(_ digest: Digest) -> Bool {
        struct Probe: Decodable { var mediaType: String? }
        guard let data = try? store.read(digest), data.first == UInt8(ascii: "{"),
              let probe = try? JSONDecoder().decode(Probe.self, from: data) else { return false }
        return probe.mediaType == "application/vnd.reprise.tree.v1+json"
    }

    /// A value shown in an error, control characters escaped (errors reach terminals).
    static func quoted(_ value: String) -> String {
        var result = "'"
        for scalar in value.prefix(200).unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x2028...0x202E).contains(scalar.value)
                || (0x2066...0x2069).contains(scalar.value) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result + (value.count > 200 ? "…'" : "'")
    }
}
