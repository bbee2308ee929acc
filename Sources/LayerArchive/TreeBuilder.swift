#if canImport(Glibc)
import Glibc
#endif
import CLibArchive
import ContentStore
import Foundation

/// Recreates entries (described as `TreeEntry` values) inside a `ContainedDirectory`: contents,
/// modes, ownership, times, symlinks, hardlinks, device nodes and extended attributes. Shared by
/// `TreeSnapshot.materialize` and `LayerApplier`.
///
/// Order of work per entry: create, chown (which clears setuid bits), chmod, xattrs, times.
/// Directory times are set last, deepest first, because creating anything inside a directory
/// changes its mtime.
final class TreeBuilder {
    /// Produces a file's content by handing chunks to the consumer it is given.
    typealias ContentProducer = ((UnsafeRawBufferPointer) throws -> Void) throws -> Void

    let directory: ContainedDirectory
    let allowDevices: Bool
    let preserveOwnership: Bool
    private var directoryTimes: [(components: [String], mtime: Int64)] = []

    init(directory: ContainedDirectory, allowDevices: Bool, preserveOwnership: Bool) {
        self.directory = directory
        self.allowDevices = allowDevices
        self.preserveOwnership = preserveOwnership
    }

    /// Creates `entry` at `components`, replacing whatever is there unless both are directories
    /// (then the existing directory and its contents stay, and only its metadata changes).
    ///
    /// A file's bytes come from `content`, or from the file at `copyingFrom` (copied by the
    /// kernel, or shared by a reflink where the filesystem can: see `FileCopier`).
    func create(_ entry: TreeEntry, at components: [String], shownAs shown: String,
                content: ContentProducer?, copyingFrom sourcePath: String? = nil) throws {
        if entry.kind == .characterDevice || entry.kind == .blockDevice, !allowDevices {
            throw LayerArchiveError.deviceRefused(entry: shown)
        }
        if entry.kind == .socket { return }  // a socket is only meaningful to a live process
        if components.isEmpty {
            guard entry.kind == .directory else {
                throw LayerArchiveError.unsafePath(entry: shown, reason: "names the root but is not a directory")
            }
            try applyAttributes(entry, descriptor: directory.rootFD, shownAs: shown)
            directoryTimes.append(([], entry.mtime))
            return
        }
        if entry.kind == .hardlink {
            try createHardlink(entry, at: components, shownAs: shown)
            return
        }
        _ = try directory.withParent(of: components, entry: shown, create: true) { parent, name in
            let existing = try FileStatus.of(name: name, in: parent, path: shown)
            if let existing, !(existing.kind == .directory && entry.kind == .directory) {
                try Remover.remove(name: name, in: parent, shownAs: shown)
            }
            switch entry.kind {
            case .directory:
                if existing?.kind != .directory, mkdirat(parent, name, 0o700) != 0 {
                    throw SystemCallError("mkdir", path: shown)
                }
                let fd = try Posix.openAt(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, path: shown)
                defer { close(fd) }
                try applyAttributes(entry, descriptor: fd, shownAs: shown)
                directoryTimes.append((components, entry.mtime))
            case .file:
                let fd = try Posix.openAt(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
                                          mode: 0o600, path: shown)
                defer { close(fd) }
                try Self.fill(fd, with: entry, shownAs: shown, content: content, copyingFrom: sourcePath,
                              preserveOwnership: preserveOwnership)
            case .symlink:
                guard symlinkat(entry.linkTarget ?? "", parent, name) == 0 else {
                    throw SystemCallError("symlink", path: shown)
                }
                try applyAttributes(entry, parent: parent, name: name, shownAs: shown)
            case .characterDevice, .blockDevice, .fifo:
                let type: mode_t = entry.kind == .fifo ? S_IFIFO
                    : entry.kind == .characterDevice ? S_IFCHR : S_IFBLK
                let device = reprise_makedev(entry.deviceMajor ?? 0, entry.deviceMinor ?? 0)
                guard mknodat(parent, name, type | 0o600, device) == 0 else {
                    throw SystemCallError("mknod", path: shown)
                }
                try applyAttributes(entry, parent: parent, name: name, shownAs: shown)
            case .hardlink, .socket:
                break
            }
        }
    }

    /// Creates the file `name` in `parent`, which must not hold it yet (`O_EXCL`), with its bytes
    /// copied from `sourcePath`, and its metadata. Touches nothing of the builder's own state, so
    /// several threads may create files in directories that exist (`LayerMaterializer`).
    static func createFile(_ entry: TreeEntry, in parent: Int32, name: String, shownAs shown: String,
                           copyingFrom sourcePath: String?, preserveOwnership: Bool) throws {
        let fd = try Posix.openAt(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600, path: shown)
        defer { close(fd) }
        try fill(fd, with: entry, shownAs: shown, content: nil, copyingFrom: sourcePath,
                 preserveOwnership: preserveOwnership)
    }

    /// A metadata-only file: `entry`'s size, owner, mode, attributes and times, and overlayfs's
    /// `metacopy` and `redirect` attributes naming where its bytes are (`redirect`, absolute in the
    /// data-only layer). Nothing is written but metadata.
    static func createMetadataOnlyFile(_ entry: TreeEntry, in parent: Int32, name: String, shownAs shown: String,
                                       redirect: String, preserveOwnership: Bool) throws {
        let fd = try Posix.openAt(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600, path: shown)
        defer { close(fd) }
        guard ftruncate(fd, off_t(entry.size)) == 0 else { throw SystemCallError("ftruncate", path: shown) }
        try ExtendedAttributes.write([OverlayXattr.trustedMetacopy: Data(),
                                      OverlayXattr.trustedRedirect: Data(redirect.utf8)],
                                     descriptor: fd, path: shown)
        try applyAttributes(entry, descriptor: fd, shownAs: shown, preserveOwnership: preserveOwnership)
        try Self.setTimes(entry.mtime, parent: fd, name: nil, shownAs: shown)
    }

    /// A new file's bytes (from `content` or copied from `sourcePath`), attributes and times.
    private static func fill(_ fd: Int32, with entry: TreeEntry, shownAs shown: String, content: ContentProducer?,
                             copyingFrom sourcePath: String?, preserveOwnership: Bool) throws {
        if let sourcePath {
            let source = try FileIO.open(sourcePath, O_RDONLY)
            defer { close(source) }
            do {
                try FileCopier.copy(from: source, to: fd, byteCount: entry.size, path: sourcePath)
            } catch let mismatch as StoreError {
                throw LayerArchiveError.malformed("\(shown): content \(sourcePath): \(mismatch)")
            }
        } else {
            try content?({ try FileIO.writeAll(fd, $0, path: shown) })
        }
        try applyAttributes(entry, descriptor: fd, shownAs: shown, preserveOwnership: preserveOwnership)
        try Self.setTimes(entry.mtime, parent: fd, name: nil, shownAs: shown)
    }

    private func createHardlink(_ entry: TreeEntry, at components: [String], shownAs shown: String) throws {
        guard let target = entry.linkTarget else {
            throw LayerArchiveError.malformed("\(shown): hardlink without a target")
        }
        let targetComponents = try ContainedDirectory.components(of: target, entry: shown)
        let linked: Bool? = try directory.withParent(of: targetComponents, entry: shown, create: false) { targetParent, targetName in
            guard let status = try FileStatus.of(name: targetName, in: targetParent, path: target) else {
                return false
            }
            guard status.kind != .directory else {
                throw LayerArchiveError.unsafePath(entry: shown, reason: "hardlink to a directory")
            }
            try directory.withParent(of: components, entry: shown, create: true) { parent, name in
                if try FileStatus.of(name: name, in: parent, path: shown) != nil {
                    try Remover.remove(name: name, in: parent, shownAs: shown)
                }
                // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, never its target.
                guard linkat(targetParent, targetName, parent, name, 0) == 0 else {
                    throw SystemCallError("link", path: shown)
                }
            }
            return true
        }
        guard linked == true else {
            throw LayerArchiveError.malformed("\(shown): hardlink target \"\(target)\" does not exist")
        }
    }

    /// Sets the directory times recorded along the way, deepest first.
    func finish() throws {
        let ordered = directoryTimes.enumerated().sorted {
            ($0.element.components.count, $0.offset) > ($1.element.components.count, $1.offset)
        }
        for (_, item) in ordered {
            let shown = item.components.joined(separator: "/")
            if item.components.isEmpty {
                try Self.setTimes(item.mtime, parent: directory.rootFD, name: nil, shownAs: ".")
                continue
            }
            // The directory may have been removed by a later whiteout; then there is nothing to do.
            _ = try directory.withParent(of: item.components, entry: shown, create: false) { parent, name in
                guard try FileStatus.of(name: name, in: parent, path: shown) != nil else { return }
                try Self.setTimes(item.mtime, parent: parent, name: name, shownAs: shown)
            }
        }
        directoryTimes = []
    }

    private func applyAttributes(_ entry: TreeEntry, descriptor fd: Int32, shownAs shown: String) throws {
        try Self.applyAttributes(entry, descriptor: fd, shownAs: shown, preserveOwnership: preserveOwnership)
    }

    private static func applyAttributes(_ entry: TreeEntry, descriptor fd: Int32, shownAs shown: String,
                                        preserveOwnership: Bool) throws {
        if preserveOwnership, fchown(fd, entry.uid, entry.gid) != 0 {
            throw SystemCallError("chown", path: shown)
        }
        guard fchmod(fd, mode_t(entry.mode & 0o7777)) == 0 else { throw SystemCallError("chmod", path: shown) }
        if let xattrs = entry.xattrs { try ExtendedAttributes.write(xattrs, descriptor: fd, path: shown) }
    }

    /// For entries that cannot be opened safely (symlinks, devices, fifos).
    private func applyAttributes(_ entry: TreeEntry, parent: Int32, name: String, shownAs shown: String) throws {
        if preserveOwnership, fchownat(parent, name, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0 {
            throw SystemCallError("chown", path: shown)
        }
        // Linux has no permission bits on symlinks (fchmodat would follow them).
        if entry.kind != .symlink, fchmodat(parent, name, mode_t(entry.mode & 0o7777), 0) != 0 {
            throw SystemCallError("chmod", path: shown)
        }
        if let xattrs = entry.xattrs {
            try ExtendedAttributes.write(xattrs, path: Posix.procPath(directoryFD: parent, name: name), shownAs: shown)
        }
        try Self.setTimes(entry.mtime, parent: parent, name: name, shownAs: shown)
    }

    /// Sets atime and mtime to `mtime` (snapshots do not record atime; this keeps it stable).
    private static func setTimes(_ mtime: Int64, parent: Int32, name: String?, shownAs shown: String) throws {
        var seconds = mtime / 1_000_000_000
        var nanoseconds = mtime % 1_000_000_000
        if nanoseconds < 0 { seconds -= 1; nanoseconds += 1_000_000_000 }
        let time = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))
        var times = [time, time]
        let result = name.map { utimensat(parent, $0, &times, AT_SYMLINK_NOFOLLOW) } ?? futimens(parent, &times)
        guard result == 0 else { throw SystemCallError("utimensat", path: shown) }
    }
}
