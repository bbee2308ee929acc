import Foundation
import LayerArchive
import Sandbox

/// The entries of a copy's layer, keyed by destination path, with BuildKit's ownership and mode
/// rules applied as they are added.
struct CopyOutput {
    let owner: (uid: UInt32, gid: UInt32)?
    let mode: UInt32?
    /// Files from a stage or image keep their owners; files from a context become 0:0.
    let keepOwnership: Bool
    private var byPath: [String: TreeEntry] = [:]

    init(owner: (UInt32, UInt32)?, mode: UInt32?, keepOwnership: Bool) {
        self.owner = owner.map { (uid: $0.0, gid: $0.1) }
        self.mode = mode
        self.keepOwnership = keepOwnership
    }

    var entries: [TreeEntry] { Array(byPath.values) }

    /// Adds `source` at `path` (relative to the image root). Hardlinks become regular files: the
    /// copy may not include the name they link to.
    mutating func add(_ source: TreeEntry, at path: String, keepingOwner: Bool = false) {
        guard !path.isEmpty else { return }
        var entry = source
        entry.path = path
        if entry.kind == .hardlink {
            entry.kind = .file
            entry.linkTarget = nil
        }
        if let owner {
            entry.uid = owner.uid
            entry.gid = owner.gid
        } else if !keepOwnership && !keepingOwner {
            entry.uid = 0
            entry.gid = 0
        }
        if let mode, entry.kind == .file || entry.kind == .directory { entry.mode = mode }
        byPath[path] = entry
    }

    /// Adds every missing parent directory: as the image has it when it exists there (so the
    /// layer does not change it), else a new 0755 root-owned directory.
    mutating func addParents(view: LayeredRootView, defaultMtime: Int64) {
        for path in Array(byPath.keys) {
            var parent = CopyPaths.parent(path)
            while !parent.isEmpty && byPath[parent] == nil {
                byPath[parent] = existing(parent, view: view)
                    ?? TreeEntry(path: parent, kind: .directory, mode: 0o755, mtime: defaultMtime)
                parent = CopyPaths.parent(parent)
            }
        }
    }

    private func existing(_ path: String, view: LayeredRootView) -> TreeEntry? {
        guard case .found(let entry)? = try? view.resolve("/" + path), entry.kind == .directory else { return nil }
        var info = stat()
        guard lstat(entry.hostPath, &info) == 0 else { return nil }
        return TreeEntry(path: path, kind: .directory, mode: UInt32(info.st_mode) & 0o7777, uid: info.st_uid,
                         gid: info.st_gid,
                         mtime: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }
}
