import Foundation
import Frontend

/// What of a context directory goes into the journal: what `.dockerignore` keeps, within what
/// the build can reach, never a journal (the one in use or any other lying there) and never a
/// secret's source file.
struct ContextFilter: Sendable {
    let root: String
    let ignore: DockerIgnore?
    let reach: ContextReach
    let contextName: String
    /// Relative paths left out whatever the rest says (the journal in use, secret sources).
    let excluded: Set<String>

    func includes(_ path: String, isDirectory: Bool) -> Bool {
        if excluded.contains(path) { return false }
        if isDirectory, Self.isJournal(root + "/" + path) { return false }
        guard reach.reaches(path, in: contextName) else { return false }
        guard let ignore, ignore.excludes(path) else { return true }
        // An excluded directory is still walked when an exception may bring back something
        // below it; the exception's files keep it in the snapshot.
        return isDirectory && ignore.mayReincludeDescendants(of: path)
    }

    /// A Reprise journal: its format marker beside its blob directory.
    static func isJournal(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/journal.json")
            && FileManager.default.fileExists(atPath: directory + "/blobs")
    }

    /// `path` relative to `root` when it lies inside it (both resolved through symlinks), else nil.
    static func relativePath(of path: String, inside root: String) -> String? {
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard resolved.hasPrefix(resolvedRoot + "/") else { return nil }
        return String(resolved.dropFirst(resolvedRoot.count + 1))
    }
}
