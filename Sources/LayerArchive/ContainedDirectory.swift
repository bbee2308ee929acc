#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// A directory that entries are written into one path component at a time, so that nothing —
/// not a `..`, an absolute name, nor a symlink planted by an earlier entry — can make a write
/// land outside it.
///
/// Every intermediate component is opened with `openat(…, O_NOFOLLOW | O_DIRECTORY)` from the
/// directory before it. A symlink met on the way is resolved by hand against the components
/// already walked: with `.refuse` a target that is absolute or climbs above the root is an
/// error; with `.clampToRoot` it is read as the container would see it (absolute targets start
/// at the root, `..` stops at the root), like `openat2(RESOLVE_IN_ROOT)`. Final components are
/// never followed: they are created, replaced or removed with `*at` calls on the parent.
/// (`openat2` itself is out of reach: Swift cannot call the variadic `syscall`.)
final class ContainedDirectory: Sendable {
    /// What to do with a symlink in the middle of a path that points outside the root.
    enum EscapePolicy: Sendable {
        case refuse
        case clampToRoot
    }

    let rootPath: String
    let rootFD: Int32
    let policy: EscapePolicy

    init(path: String, policy: EscapePolicy) throws {
        try FileIO.makeDirectories(path)
        self.rootPath = path
        self.rootFD = try Posix.openAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, path: path)
        self.policy = policy
    }

    deinit { close(rootFD) }

    /// Splits a layer or snapshot path into components, refusing absolute paths and `..`.
    /// `./a//b/` becomes `["a", "b"]`; the root itself is `[]`.
    static func components(of path: String, entry: String) throws -> [String] {
        if path.hasPrefix("/") {
            throw LayerArchiveError.unsafePath(entry: entry, reason: "absolute path")
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
            .filter { $0 != "." }.map(String.init)
        if parts.contains("..") {
            throw LayerArchiveError.unsafePath(entry: entry, reason: "path contains \"..\"")
        }
        return parts
    }

    /// Calls `body` with an open descriptor of the directory holding the last component and the
    /// last component's name. Missing intermediate directories are created (mode 0755) when
    /// `create` is set; otherwise `body` is not called and the result is nil.
    func withParent<Result>(of components: [String], entry: String, create: Bool,
                            _ body: (_ directoryFD: Int32, _ name: String) throws -> Result) throws -> Result? {
        guard let name = components.last else {
            throw LayerArchiveError.unsafePath(entry: entry, reason: "names the root itself")
        }
        guard let fd = try openDirectory(Array(components.dropLast()), entry: entry, create: create) else {
            return nil
        }
        defer { if fd != rootFD { close(fd) } }
        return try body(fd, name)
    }

    /// Opens the directory at `components` (resolving in-root symlinks); nil when missing and
    /// `create` is off. The caller closes the result unless it is `rootFD`.
    func openDirectory(_ components: [String], entry: String, create: Bool) throws -> Int32? {
        var pending = Array(components.reversed())
        var walked: [String] = []
        var descriptors: [Int32] = [rootFD]
        var symlinksLeft = 40  // as the kernel's MAXSYMLINKS
        func closeAll(keepingLast: Bool) {
            for fd in descriptors.dropFirst().dropLast(keepingLast ? 1 : 0) { close(fd) }
        }
        var success = false
        defer { if !success { closeAll(keepingLast: false) } }

        while let component = pending.popLast() {
            if component.isEmpty || component == "." { continue }
            if component == ".." {
                if walked.isEmpty {
                    // Only a symlink target can get here; entry names with ".." are refused earlier.
                    if policy == .refuse {
                        throw LayerArchiveError.unsafePath(entry: entry, reason: "a symlink on its path climbs above the root")
                    }
                    continue
                }
                walked.removeLast()
                close(descriptors.removeLast())
                continue
            }
            let current = descriptors.last!
            let shown = (walked + [component]).joined(separator: "/")
            guard let status = try FileStatus.of(name: component, in: current, path: rootPath + "/" + shown) else {
                guard create else { return nil }
                if mkdirat(current, component, 0o755) != 0 && errno != EEXIST {
                    throw SystemCallError("mkdir", path: rootPath + "/" + shown)
                }
                pending.append(component)  // open it on the next turn, checking it again
                continue
            }
            switch status.kind {
            case .directory:
                descriptors.append(try Posix.openAt(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
                                                    path: rootPath + "/" + shown))
                walked.append(component)
            case .symlink:
                symlinksLeft -= 1
                guard symlinksLeft >= 0 else {
                    throw LayerArchiveError.unsafePath(entry: entry, reason: "too many symlinks on its path")
                }
                let target = try Posix.readLink(name: component, in: current, path: rootPath + "/" + shown)
                if target.hasPrefix("/") {
                    if policy == .refuse {
                        throw LayerArchiveError.unsafePath(
                            entry: entry, reason: "goes through symlink \"\(shown)\" -> \"\(target)\", which leaves the root")
                    }
                    closeAll(keepingLast: false)
                    descriptors = [rootFD]
                    walked = []
                }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
            default:
                throw LayerArchiveError.unsafePath(entry: entry, reason: "\"\(shown)\" is not a directory")
            }
        }
        success = true
        closeAll(keepingLast: true)
        return descriptors.last!
    }
}
