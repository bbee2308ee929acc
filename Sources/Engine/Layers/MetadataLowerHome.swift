#if canImport(Glibc)
import Glibc
#endif
import CFileSystem
import Foundation
import LayerArchive
import Sandbox
import Synchronization

/// Where a build makes the metadata-only lowers of its RUN steps (see `LayerCache.runLowers`): a
/// private directory on a tmpfs (`/dev/shm/reprise-lowers-PID-BUILD`) when the machine has one,
/// else the build's scratch in the journal.
///
/// Why memory: such a lower is nothing but inodes (a 240 MiB COPY of 10,000 files is 10,000
/// empty files with two attributes each), and creating an inode costs a disk filesystem far more
/// than a tmpfs: 10,000 of them took 1.1–1.8 s on this machine's ext4 and 0.09 s on /dev/shm
/// (`/tmp/mk.py` in issue 17's note). The bytes stay in the store.
///
/// What a step sees of the difference: the lower's directories are tmpfs directories (size 40 +
/// 20 per entry, no blocks, where ext4 shows 4096 and 8) and list their entries in the order they
/// were made, which `LayerMaterializer` keeps fixed (each directory's files in listing order) —
/// the same on every machine, unlike ext4's hashed order. Files show the blob's blocks.
///
/// A killed build leaves its directory behind; the next build that makes one removes those
/// whose process is gone. `REPRISE_DATA_ONLY_LOWERS=journal` keeps the lowers in the journal's
/// scratch; `=0` makes complete copies instead (no data-only lowers at all).
final class MetadataLowerHome: Sendable {
    /// Where the tmpfs directories go.
    static let sharedMemory = "/dev/shm"
    static let prefix = "reprise-lowers-"
    /// Above this many entries a layer's metadata goes to the journal: a tmpfs inode is kernel
    /// memory (about a kilobyte with its dentry and attributes).
    static let maximumEntries = 200_000

    private let name: String
    private let fallback: String
    private let state = Mutex<State>(State())

    private struct State {
        var made: String?
        var unavailable = false
    }

    /// `fallback`: the build's own scratch for these lowers (in the journal).
    init(buildID: String, fallback: String) {
        name = Self.prefix + "\(getpid())-" + buildID
        self.fallback = fallback
    }

    /// The directory for a layer of `entries` entries: the tmpfs one (made on first use), or the
    /// fallback.
    func directory(forEntries entries: Int) -> String {
        guard entries <= Self.maximumEntries, Self.mode == .memory else { return fallback }
        return state.withLock { state in
            if let made = state.made { return made }
            if state.unavailable { return fallback }
            guard let made = Self.makePrivateDirectory(named: name) else {
                state.unavailable = true
                return fallback
            }
            state.made = made
            return made
        }
    }

    /// Removes the tmpfs directory, if one was made.
    func remove() {
        let made = state.withLock { state -> String? in
            defer { state.made = nil }
            return state.made
        }
        if let made { try? FileManager.default.removeItem(atPath: made) }
    }

    enum Mode: Equatable {
        case memory, journal
    }

    static let mode: Mode = ProcessInfo.processInfo.environment["REPRISE_DATA_ONLY_LOWERS"] == "journal" ? .journal : .memory

    /// `/dev/shm/NAME`, 0700, when /dev/shm is a tmpfs; abandoned siblings are removed first.
    static func makePrivateDirectory(named name: String) -> String? {
        guard reprise_is_tmpfs(sharedMemory) == 1 else { return nil }
        reclaimAbandoned()
        let path = sharedMemory + "/" + name
        guard mkdir(path, 0o700) == 0 else { return nil }
        // /dev/shm is everyone's: the directory must be ours and closed, whatever else is there.
        var status = stat()
        guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR, status.st_uid == geteuid(),
              status.st_mode & 0o077 == 0 else { return nil }
        return path
    }

    /// Removes `reprise-lowers-PID-*` directories of processes that are gone (killed builds).
    static func reclaimAbandoned() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: sharedMemory) else { return }
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let pid = rest.split(separator: "-").first.flatMap({ pid_t($0) }), pid > 0,
                  kill(pid, 0) != 0 && errno == ESRCH else { continue }
            var status = stat()
            let path = sharedMemory + "/" + name
            guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR, status.st_uid == geteuid() else { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
