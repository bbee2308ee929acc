#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Synchronization

/// The `tmp/build-<id>` scratch directories of builds (overlay uppers, staged trees), and who
/// owns them, so that the scratch of a killed build is reclaimed and a running build's never is.
///
/// Ownership is an flock on `.owner` inside the directory, taken before the directory gets its
/// final name and held for the life of the process: the kernel drops it when the owner dies
/// however it dies, and no pid can be reused to fake it. A reclaimer that can take the lock
/// knows the owner is gone.
struct BuildScratch: Sendable {
    let directory: String

    static let ownerFile = ".owner"

    /// Lock descriptors this process holds, by scratch path.
    private static let held = Mutex<[String: Int32]>([:])

    /// Makes `tmp/build-<id>` (private, 0700) owned by this process.
    func claim(_ id: String) throws {
        try PrivateDirectory.make(directory)
        let final = directory + "/build-" + id
        let staging = final + ".claim-\(getpid())"
        guard mkdir(staging, PrivateDirectory.mode) == 0 else { throw SystemCallError("mkdir", path: staging) }
        let fd = open(staging + "/" + Self.ownerFile, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let failure = SystemCallError("flock", path: staging + "/" + Self.ownerFile)
            if fd >= 0 { close(fd) }
            try? FileManager.default.removeItem(atPath: staging)
            throw failure
        }
        let note = Array("pid \(getpid())\n".utf8)
        _ = note.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard rename(staging, final) == 0 else {
            let failure = SystemCallError("rename", path: final)
            close(fd)
            try? FileManager.default.removeItem(atPath: staging)
            throw failure
        }
        Self.held.withLock { $0[final] = fd }
    }

    /// Removes every `build-*` scratch whose owner is gone; with `includingUnowned` (only when
    /// no other process has the journal open: gc's exclusive lock) also those without an owner
    /// file (made by an older Reprise). Returns how many went.
    @discardableResult
    func reclaimAbandoned(includingUnowned: Bool = false) -> Int {
        // Ours that the engine has removed at the end of its build: let their locks go.
        Self.held.withLock { held in
            for (path, fd) in held where !FileIO.exists(path) {
                close(fd)
                held[path] = nil
            }
        }
        guard let names = try? FileIO.listDirectory(directory) else { return 0 }
        var removed = 0
        // Replay workspaces (`replay-<pid>-<random>`, made by Replay's ReplayWorkspace) carry no
        // owner lock, only their maker's pid: one whose pid is gone is abandoned (a live reused
        // pid only delays reclaiming it), and under gc's exclusive lock no replay can be running.
        for name in names where name.hasPrefix(Self.replayPrefix) {
            let path = directory + "/" + name
            guard !name.hasPrefix(Self.replayPrefix + "\(getpid())-"),
                  includingUnowned || Self.replayOwnerIsGone(name), FileIO.isDirectory(path) else { continue }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed += 1 }
        }
        for name in names where name.hasPrefix("build-") {
            let path = directory + "/" + name
            guard Self.held.withLock({ $0[path] == nil }), FileIO.isDirectory(path) else { continue }
            let fd = open(path + "/" + Self.ownerFile, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
            if fd < 0 {
                guard errno == ENOENT, includingUnowned else { continue }
            } else {
                defer { close(fd) }
                guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // its owner runs
            }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed += 1 }
        }
        return removed
    }

    static let replayPrefix = "replay-"

    /// Whether the process named in `replay-<pid>-…` no longer exists.
    static func replayOwnerIsGone(_ name: String) -> Bool {
        let fields = name.dropFirst(replayPrefix.count).split(separator: "-", maxSplits: 1)
        guard let first = fields.first, let pid = pid_t(first), pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
