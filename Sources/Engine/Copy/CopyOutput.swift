import Foundation
import Frontend
import LayerArchive
import Sandbox

/// The entries of a copy's layer, keyed by destination path, with BuildKit's ownership and mode
/// rules applied as they are added.
struct CopyOutput {
    let owner: (uid: UInt32, gid: UInt32)?
    let mode: FileModeExpression?
    /// Files from a stage or image keep their owners; files from a context become 0:0.
    let keepOwnership: Bool
    private var byPath: [String: TreeEntry] = [:]
    /// Entries whose time is the build's clock rather than a source's (heredocs, downloads
    /// without a date, directories the copy creates): a cache key must not change with it.
    private var clockTimed: Set<String> = []

    init(owner: (UInt32, UInt32)?, mode: FileModeExpression?, keepOwnership: Bool) {
        self.owner = owner.map { (uid: $0.0, gid: $0.1) }
        self.mode = mode
        self.keepOwnership = keepOwnership
    }

    var entries: [TreeEntry] { Array(byPath.values) }

    /// Adds `source` at `path` (relative to the image root). Hardlinks become regular files: the
    /// copy may not include the name they link to.
    mutating func add(_ source: TreeEntry, at path: String, keepingOwner: Bool = false, clockTimed: Bool = false) {
        guard !path.isEmpty else { return }
        if clockTimed { self.clockTimed.insert(path) } else { self.clockTimed.remove(path) }
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
        if let mode, entry.kind == .file || entry.kind == .directory {
            entry.mode = mode.apply(to: entry.mode, isDirectory: entry.kind == .directory) & 0o7777
        }
        byPath[path] = entry
    }

    /// Adds every missing parent directory: as the image has it when it exists there (so the
    /// layer does not change it), else a new 0755 directory owned by `--chown`'s user (root
    /// without one), as BuildKit's copy creates its destination path.
    mutating func addParents(view: LayeredRootView, defaultMtime: Int64) {
        for path in Array(byPath.keys) {
            var parent = CopyPaths.parent(path)
            while !parent.isEmpty && byPath[parent] == nil {
                if let found = existing(parent, view: view) {
                    byPath[parent] = found
                } else {
                    byPath[parent] = TreeEntry(path: parent, kind: .directory, mode: 0o755, uid: owner?.uid ?? 0,
                                               gid: owner?.gid ?? 0, mtime: defaultMtime)
                    clockTimed.insert(parent)
                }
                parent = CopyPaths.parent(parent)
            }
        }
    }

    /// The layer's description as a cache key needs it: every entry exactly as `writer` will put
    /// it in the tar (times in its whole, clamped seconds), except that times taken from the
    /// build's clock count as zero. Two copies with equal material write equal layers, and any
    /// change in a copied byte, mode, owner, link, xattr or kept time changes it.
    func keyMaterial(writer: LayerWriter) -> TreeSnapshot {
        let entries = byPath.values.map { entry -> TreeEntry in
            var keyed = entry
            keyed.mtime = clockTimed.contains(entry.path) ? 0 : writer.clampedSeconds(entry.mtime) * 1_000_000_000
            return keyed
        }
        return TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755), entries: entries)
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
