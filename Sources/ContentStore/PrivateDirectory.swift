#if canImport(Glibc)
import Glibc
#endif

/// Directories only their owner may enter (0700): a journal and everything it keeps.
///
/// A journal holds extracted image layers (setuid binaries, device nodes), cache mounts, secret
/// keys: none of it may be reachable by another local user. A directory is created 0700 and an
/// existing one we own is narrowed to 0700 if something widened it (an older Reprise, a umask,
/// a hand-made directory); parents outside the private tree keep their ordinary modes.
public enum PrivateDirectory {
    public static let mode: mode_t = 0o700

    /// Creates `path` (parents 0755 as `FileIO.makeDirectories` makes them) as a private directory,
    /// or narrows it if it exists and is wider.
    public static func make(_ path: String) throws {
        if !FileIO.isDirectory(path) {
            let parent = parentPath(of: path)
            if !parent.isEmpty && parent != path { try FileIO.makeDirectories(parent) }
            if mkdir(path, mode) != 0 && !(errno == EEXIST && FileIO.isDirectory(path)) {
                throw SystemCallError("mkdir", path: path)
            }
        }
        try narrow(path)
    }

    /// Sets mode 0700 on a directory we own whose group or other bits are set (not following
    /// a final symlink: `make` only narrows what `isDirectory` saw as a real directory).
    public static func narrow(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw SystemCallError("lstat", path: path) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SystemCallError("mkdir", path: path, errno: ENOTDIR)
        }
        guard info.st_mode & 0o077 != 0, info.st_uid == geteuid() else { return }
        guard chmod(path, mode) == 0 else { throw SystemCallError("chmod", path: path) }
    }

    private static func parentPath(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }
}
