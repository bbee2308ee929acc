#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Engine
import Foundation

/// The fileordering variation: each directory a step reads through a bind mount (and each
/// materialised context) is shown through disorderfs, which returns directory entries in a
/// shuffled order, so a step that depends on readdir order sees another one.
///
/// disorderfs (Debian package `disorderfs`, over FUSE) is mounted at a sibling path and unmounted
/// by `unmountAll()`; the directory underneath is never changed.
public final class FileOrderShuffler: SourceDirectoryPresenter, @unchecked Sendable {
    private let lock = NSLock()
    private var mounts: [String: String] = [:]
    private let executable: String

    /// Finds disorderfs and checks that FUSE is usable; the error says what to install.
    public init() throws {
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
        lock.lock()
        defer { lock.unlock() }
        if let mounted = mounts[directory] { return mounted }
        let mountPoint = directory + ".shuffled"
        try FileIO.makeDirectories(mountPoint)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // Reversal is disorderfs's default; shuffling alone is what varies between runs.
        process.arguments = ["-q", "--shuffle-dirents=yes", "--reverse-dirents=no", "--sort-dirents=no", "--pad-blocks=0",
                             "-o", "allow_other", directory, mountPoint]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ReplayError.fileOrdering("mounting over \(directory) failed: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        mounts[directory] = mountPoint
        return mountPoint
    }

    /// Unmounts everything mounted so far (lazily, so a straggling reader cannot block it).
    public func unmountAll() {
        lock.lock()
        defer { lock.unlock() }
        for mountPoint in mounts.values.sorted().reversed() {
            if umount2(mountPoint, Int32(MNT_DETACH)) == 0 { rmdir(mountPoint) }
        }
        mounts.removeAll()
    }

    deinit { unmountAll() }
}
