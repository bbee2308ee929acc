#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Engine
import Foundation
import Synchronization

/// The fileordering variation: each directory a step reads through a bind mount (and each
/// materialised context) is shown through disorderfs, which returns directory entries in a
/// shuffled order, so a step that depends on readdir order sees another one.
///
/// disorderfs (Debian package `disorderfs`, over FUSE) is mounted at a sibling path and unmounted
/// by `unmountAll()`; the directory underneath is never changed.
public final class FileOrderShuffler: SourceDirectoryPresenter, Sendable {
    /// Directory shown → where its shuffled view is mounted.
    private let mounts = Mutex<[String: String]>([:])
    private let executable: String
    /// Where the shuffled views are mounted: never inside the directories they show (the
    /// engine removes its scratch while they are still mounted).
    private let mountDirectory: String

    /// Finds disorderfs and checks that FUSE is usable; the error says what to install.
    public init(mountingUnder mountDirectory: String) throws {
        self.mountDirectory = mountDirectory
        guard let found = ["/usr/bin/disorderfs", "/usr/local/bin/disorderfs"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw ReplayError.fileOrdering("disorderfs is not installed (apt-get install disorderfs fuse3)")
        }
        guard FileManager.default.fileExists(atPath: "/dev/fuse") else {
            throw ReplayError.fileOrdering("/dev/fuse is missing")
        }
        executable = found
    }

    public func present(_ directory: String) throws -> String {
        try mounts.withLock { mounts in try present(directory, mounts: &mounts) }
    }

    private func present(_ directory: String, mounts: inout [String: String]) throws -> String {
        if let mounted = mounts[directory] { return mounted }
        let mountPoint = mountDirectory + "/\(mounts.count)"
        try FileIO.makeDirectories(mountPoint)
        // disorderfs daemonises once mounted: its first process exits with the mount's outcome.
        let arguments = [executable, "-q", "--shuffle-dirents=yes", "--reverse-dirents=no", "--sort-dirents=no",
                         "--pad-blocks=0", "-o", "allow_other", directory, mountPoint]
        let errorLog = mountPoint + ".log"
        let status = try Self.spawnAndWait(arguments, stderrPath: errorLog)
        let message = (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
        unlink(errorLog)
        guard status == 0 else {
            throw ReplayError.fileOrdering("mounting over \(directory) failed (status \(status)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        mounts[directory] = mountPoint
        return mountPoint
    }

    /// Unmounts everything mounted so far (lazily, so a straggling reader cannot block it).
    public func unmountAll() {
        mounts.withLock { mounts in
            for mountPoint in mounts.values.sorted().reversed() {
                if umount2(mountPoint, Int32(MNT_DETACH)) == 0 { rmdir(mountPoint) }
            }
            mounts.removeAll()
        }
        rmdir(mountDirectory)
    }

    deinit { unmountAll() }

    /// posix_spawn and waitpid: Foundation's Process can miss the exit of a child that leaves a
    /// daemon behind (its SIGCHLD handling in an async context), and hang.
    private static func spawnAndWait(_ arguments: [String], stderrPath: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw SystemCallError("posix_spawn", path: arguments[0], errno: spawned) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SystemCallError("waitpid", path: arguments[0]) }
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
