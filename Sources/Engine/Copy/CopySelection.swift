import LayerArchive

/// Finds what a COPY source names in a source tree: an exact path, or every entry a glob
/// matches; `--exclude` patterns drop entries (and everything below an excluded directory).
struct CopySelection {
    let tree: TreeSnapshot
    let excludes: [String]

    init(tree: TreeSnapshot, excludes: [String]) {
        self.tree = tree
        self.excludes = excludes
    }

    /// The entries `source` names; `` (the root) names the tree's root directory.
    mutating func match(_ source: String) -> [TreeEntry] {
        if source.isEmpty {
            return [TreeEntry(path: "", kind: .directory, mode: tree.root.mode, uid: tree.root.uid,
                              gid: tree.root.gid, mtime: tree.root.mtime)]
        }
        if CopyPaths.isGlob(source) {
            return tree.entries.filter { CopyPaths.matches(source, $0.path) && !isExcluded($0.path) }
        }
        guard let entry = tree.entry(atPath: source), !isExcluded(entry.path) else { return [] }
        return [entry]
    }

    /// Everything below a directory, in path order, without what is excluded.
    func descendants(of directory: String) -> [TreeEntry] {
        tree.entries.filter { entry in
            entry.path != directory && CopyPaths.isWithin(entry.path, directory) && !isExcluded(
                directory.isEmpty ? entry.path : String(entry.path.dropFirst(directory.count + 1)))
        }
    }

    private func isExcluded(_ path: String) -> Bool {
        guard !excludes.isEmpty else { return false }
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix = CopyPaths.join(prefix, String(component))
            if excludes.contains(where: { CopyPaths.matches($0, prefix) }) { return true }
        }
        return false
    }

    /// Whether a path of a stage's tree can matter to `pattern`: on the way to it, or under it.
    static func isRelevant(_ path: String, to pattern: String) -> Bool {
        if pattern.isEmpty { return true }
        let pathParts = path.split(separator: "/")
        let patternParts = pattern.split(separator: "/")
        for (index, part) in pathParts.enumerated() {
            guard index < patternParts.count else { return true }  // below a match
            if patternParts[index] == "**" { return true }  // any depth may match from here
            if !CopyPaths.matches(String(patternParts[index]), String(part)) { return false }
        }
        return true
    }
}
