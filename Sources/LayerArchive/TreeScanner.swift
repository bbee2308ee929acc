import ContentStore
import Foundation

/// Walks a directory tree and describes every entry (metadata, link targets, xattrs) without
/// reading file contents. `TreeSnapshotter` adds digests; the layer writer streams contents
/// straight from disk.
struct TreeScanner {
    /// One scanned entry plus the identity facts that stay out of the manifest.
    struct Scanned {
        var entry: TreeEntry
        var status: FileStatus
    }

    typealias Filter = @Sendable (_ relativePath: String, _ isDirectory: Bool) -> Bool

    let rootPath: String
    let include: Filter?

    /// The root and every included entry, sorted by path bytes, with second and later names of
    /// one inode turned into hardlinks to the first name in that order.
    func scan() throws -> (root: Scanned, entries: [Scanned]) {
        let rootStatus = try FileStatus.of(path: rootPath)
        guard rootStatus.kind == .directory else {
            throw SystemCallError("opendir", path: rootPath, errno: ENOTDIR)
        }
        let root = Scanned(entry: try describe(relativePath: "", status: rootStatus), status: rootStatus)
        var found: [Scanned] = []
        try walk(directory: "", into: &found)
        found.sort { $0.entry.path.precedesByBytes($1.entry.path) }
        linkHardlinks(&found)
        return (root, found)
    }

    private func absolute(_ relativePath: String) -> String {
        relativePath.isEmpty ? rootPath : rootPath + "/" + relativePath
    }

    private func walk(directory: String, into found: inout [Scanned]) throws {
        for name in try Posix.directoryNames(absolute(directory)) {
            let relativePath = directory.isEmpty ? name : directory + "/" + name
            let status = try FileStatus.of(path: absolute(relativePath))
            let isDirectory = status.kind == .directory
            if let include, !include(relativePath, isDirectory) { continue }
            found.append(Scanned(entry: try describe(relativePath: relativePath, status: status),
                                 status: status))
            if isDirectory { try walk(directory: relativePath, into: &found) }
        }
    }

    private func describe(relativePath: String, status: FileStatus) throws -> TreeEntry {
        let path = absolute(relativePath)
        guard let kind = status.kind else {
            throw LayerArchiveError.unsupported("\(path): unknown file type")
        }
        var entry = TreeEntry(path: relativePath, kind: kind, mode: status.permissions,
                              uid: status.uid, gid: status.gid, mtime: status.mtime)
        switch kind {
        case .file: entry.size = status.size
        case .symlink: entry.linkTarget = try Posix.readLink(path)
        case .characterDevice, .blockDevice:
            entry.deviceMajor = status.deviceMajor
            entry.deviceMinor = status.deviceMinor
        default: break
        }
        entry.xattrs = try ExtendedAttributes.read(path: path)
        return entry
    }

    private func linkHardlinks(_ entries: inout [Scanned]) {
        struct Inode: Hashable { let device: UInt64, inode: UInt64 }
        var firstName: [Inode: String] = [:]
        for index in entries.indices {
            let status = entries[index].status
            guard status.kind != .directory, status.linkCount > 1 else { continue }
            let inode = Inode(device: status.device, inode: status.inode)
            if let first = firstName[inode] {
                entries[index].entry.kind = .hardlink
                entries[index].entry.linkTarget = first
            } else {
                firstName[inode] = entries[index].entry.path
            }
        }
    }
}
