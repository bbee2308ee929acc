#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The host-side directory of one run: the empty overlay mount point, the empty directory the
/// child stages the layers in, and the scaffold layer.
///
/// Mounts are made only inside the sandbox's mount namespace, so on the host this is a plain
/// directory tree, removed when the run ends however it ends. Its name carries the pid of the
/// process that made it, so that scratch left by a process that was SIGKILLed can be recognised
/// and swept later (``sweepAbandoned(in:)``).
struct RunScratch {
    let path: String

    var rootMountPoint: String { path + "/root" }
    /// Where the child stages the overlay's layers under short names (in its namespace only).
    var stage: String { path + "/stage" }
    var scaffold: String { path + "/scaffold" }

    private static let prefix = "run-"

    /// Creates a fresh run directory below `parent` (created if missing).
    static func create(in parent: String) throws -> RunScratch {
        do {
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw SandboxError.scratch(path: parent, errno: EACCES)
        }
        var template = Array("\(parent)/\(prefix)\(getpid())-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw SandboxError.scratch(path: parent, errno: errno)
        }
        let scratch = RunScratch(path: String(cString: made))
        for directory in [scratch.rootMountPoint, scratch.stage, scratch.scaffold] {
            guard mkdir(directory, 0o755) == 0 else {
                let code = errno
                scratch.remove()
                throw SandboxError.scratch(path: directory, errno: code)
            }
        }
        return scratch
    }

    /// Removes the run directory. Safe even if the sandbox were still alive: its mounts exist only
    /// in its own namespace, so the host-side tree holds nothing but these plain files.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Removes run directories below `parent` whose creating process no longer exists. Returns the
    /// removed paths.
    @discardableResult
    static func sweepAbandoned(in parent: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else {
            return []
        }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) {
            let pidText = name.dropFirst(prefix.count).prefix { $0 != "-" }
            guard let pid = pid_t(pidText), pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            let path = parent + "/" + name
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }
}
