#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Engine
import Foundation
import LayerArchive

/// The recorded inputs of a build, recreated from the store in a fresh directory: the
/// Dockerfile from its blob and every directory context from its tree snapshot. The paths the
/// build was recorded at are never read (they may be gone, or hold other files by now).
final class ReplayWorkspace {
    let root: String
    let journal: Journal
    private(set) var dockerfilePath = ""
    private(set) var contextPath = ""
    private(set) var namedContexts: [NamedContextSource] = []

    /// `otherPath` (the buildpath variation) puts everything one unusual, deeper level down.
    init(journal: Journal, otherPath: Bool) throws {
        self.journal = journal
        let base = journal.root + "/tmp/replay-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        root = otherPath ? base + "/varied build path/ü/deeper" : base
        try FileIO.makeDirectories(root)
    }

    /// Writes the Dockerfile and materialises the contexts; `present` may show a context through
    /// another path (disorderfs for fileordering).
    func materialize(_ build: BuildRecord, present: (String) throws -> String) throws {
        guard let dockerfile = build.dockerfile else {
            throw ReplayError.notReplayable(id: build.id, reason: "its record holds no Dockerfile")
        }
        // The same file name, so every location the replay reports reads as the record's.
        let name = (build.dockerfilePath as NSString).lastPathComponent
        try FileIO.makeDirectories(root + "/dockerfile")
        dockerfilePath = root + "/dockerfile/" + (name.isEmpty ? "Dockerfile" : name)
        try FileIO.writeFileAtomically(dockerfilePath, journal.store.read(dockerfile))
        for (offset, context) in build.contexts.enumerated() where context.image == nil {
            guard let tree = context.tree else {
                throw ReplayError.notReplayable(id: build.id, reason: "context '\(context.name)' has no snapshot")
            }
            let directory = root + "/context-\(offset)"
            try TreeSnapshot.load(tree, from: journal.store).materialize(into: directory, store: journal.store)
            let shown = try present(directory)
            if context.name == "context" {
                contextPath = shown
            } else {
                namedContexts.append(NamedContextSource(name: context.name, origin: .directory(shown)))
            }
        }
        guard !contextPath.isEmpty else {
            throw ReplayError.notReplayable(id: build.id, reason: "its record holds no main context")
        }
    }

    /// Removes everything, and the stat caches the engine kept for these one-off paths.
    func remove() {
        let paths = [contextPath] + namedContexts.compactMap { named -> String? in
            if case .directory(let path) = named.origin { return path }
            return nil
        }
        for path in paths where !path.isEmpty {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            unlink(journal.root + "/statcache/" + Digest(ofUTF8: absolute).short)
        }
        let top = root.components(separatedBy: "/varied build path/").first ?? root
        try? FileManager.default.removeItem(atPath: top)
    }
}
