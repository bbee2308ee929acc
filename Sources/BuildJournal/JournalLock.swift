#if canImport(Glibc)
import Glibc
#endif
import ContentStore

/// Keeps the garbage collector away from blobs a running build has written but not yet
/// referenced: every open journal holds a shared lock on `gc.lock`; `gc` needs it exclusively.
final class JournalLock: Sendable {
    private let fd: Int32
    let path: String

    init(root: String) throws {
        path = root + "/gc.lock"
        fd = try FileIO.open(path, O_RDWR | O_CREAT, mode: 0o644)
        while flock(fd, LOCK_SH) != 0 {
            guard errno == EINTR else { throw SystemCallError("flock", path: path) }
        }
    }

    deinit { close(fd) }

    /// Upgrades to exclusive for the duration of `body`, or returns false at once when another
    /// process has the journal open.
    func withExclusive<T>(_ body: () throws -> T) throws -> T? {
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            if errno == EWOULDBLOCK { return nil }
            throw SystemCallError("flock", path: path)
        }
        defer { flock(fd, LOCK_SH) }
        return try body()
    }
}
