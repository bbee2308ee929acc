#if canImport(Glibc)
import Glibc
#endif
import ContentStore

/// Removes entries below an open directory without ever following a symlink, so a whiteout or
/// a replaced entry cannot delete anything outside the root.
enum Remover {
    /// Removes `name` in `parent`; a directory goes with everything in it. Missing is fine.
    static func remove(name: String, in parent: Int32, shownAs shown: String) throws {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR else { throw SystemCallError("unlink", path: shown) }
        try removeContents(ofDirectory: name, in: parent, shownAs: shown, keeping: { _ in false })
        guard unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
            throw SystemCallError("rmdir", path: shown)
        }
    }

    /// Removes the children of directory `name` for which `keeping(relativePath)` is false;
    /// a kept directory is entered and its children judged the same way (paths relative to
    /// the directory first given).
    static func removeContents(ofDirectory name: String, in parent: Int32, shownAs shown: String,
                               keeping: (String) -> Bool) throws {
        let fd = try Posix.openAt(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, path: shown)
        defer { close(fd) }
        try removeContents(of: fd, prefix: "", shownAs: shown, keeping: keeping)
    }

    static func removeContents(of fd: Int32, prefix: String, shownAs shown: String,
                               keeping: (String) -> Bool) throws {
        for child in try Posix.directoryNames(descriptor: fd, path: shown) {
            let relative = prefix.isEmpty ? child : prefix + "/" + child
            let childShown = shown + "/" + child
            if keeping(relative) {
                if try FileStatus.of(name: child, in: fd, path: childShown)?.kind == .directory {
                    let childFD = try Posix.openAt(fd, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, path: childShown)
                    defer { close(childFD) }
                    try removeContents(of: childFD, prefix: relative, shownAs: childShown, keeping: keeping)
                }
            } else {
                try remove(name: child, in: fd, shownAs: childShown)
            }
        }
    }
}
