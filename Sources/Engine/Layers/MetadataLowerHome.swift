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
/// (issue 17's note). The bytes stay in the store.
///
/// What a step sees of the difference: the lower's directories are tmpfs directories (size 40 +
/// 20 per entry, no blocks, where ext4 shows 4096 and 8) and list their entries in the order they
/// were made, which `LayerMaterializer` fixes (each directory's entries in listing order), where
/// ext4 lists them in an order hashed with the filesystem's own seed. Files show the blob's
/// blocks. Where the tmpfs is missing or full, the lowers are made in the journal instead, and a
/// step sees ext4's sizes and order there.
///
/// Ownership is an flock on `.owner` inside the directory, taken before it gets its final name
/// and held while the process lives (as `BuildScratch` does): whoever can take the lock knows
/// the build is gone, however it died and whatever PID namespace it ran in. A build that makes a
/// directory, and `journal gc`, remove the abandoned ones.
public final class MetadataLowerHome: Sendable {
    /// Where the tmpfs directories go.
    static let sharedMemory = "/dev/shm"
    static let prefix = "reprise-lowers-"
    static let ownerFile = ".owner"
    /// Above this many entries a layer's metadata goes to the journal: a tmpfs inode is kernel
    /// memory (about a kilobyte with its dentry and attributes).
    static let maximumEntries = 200_000

    private let name: String
    /// The build's own scratch for these lowers, in the journal.
    let fallback: String
    private let state = Mutex<State>(State())

    private struct State {
        /// The directory and the descriptor holding its owner lock.
        var made: (path: String, owner: Int32)?
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
        guard entries <= Self.maximumEntries, DataOnlyLowers.mode == .memory else { return fallback }
        if let known = state.withLock({ $0.unavailable ? fallback : $0.made?.path }) { return known }
        Self.reclaimAbandoned()
        return state.withLock { state in
            if let made = state.made { return made.path }
            if state.unavailable { return fallback }
            guard let made = Self.makeOwnedDirectory(named: name) else {
                state.unavailable = true
                return fallback
            }
            state.made = made
            return made.path
        }
    }

    /// From now on every layer goes to the fallback (the tmpfs is full, or refuses attributes).
    func markUnavailable() {
        state.withLock { $0.unavailable = true }
    }

    /// Removes the tmpfs directory, if one was made, and lets its lock go.
    func remove() {
        let made = state.withLock { state -> (path: String, owner: Int32)? in
            defer { state.made = nil }
            return state.made
        }
        guard let made else { return }
        try? FileManager.default.removeItem(atPath: made.path)
        close(made.owner)
    }

    /// `/dev/shm/NAME`, 0700, owned by this process, when /dev/shm is a tmpfs.
    static func makeOwnedDirectory(named name: String) -> (path: String, owner: Int32)? {
        guard reprise_is_tmpfs(sharedMemory) == 1 else { return nil }
        let path = sharedMemory + "/" + name
        let staging = path + ".claim"
        guard mkdir(staging, 0o700) == 0 else { return nil }
        // /dev/shm is everyone's: the directory must be ours and closed, whatever else is there.
        var status = stat()
        guard lstat(staging, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR, status.st_uid == geteuid(),
              status.st_mode & 0o077 == 0 else { return nil }
        let owner = open(staging + "/" + ownerFile, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard owner >= 0 else {
            try? FileManager.default.removeItem(atPath: staging)
            return nil
        }
        guard flock(owner, LOCK_EX | LOCK_NB) == 0, rename(staging, path) == 0 else {
            close(owner)
            try? FileManager.default.removeItem(atPath: staging)
            return nil
        }
        return (path, owner)
    }

    /// Removes the `reprise-lowers-*` directories whose owner lock nobody holds (killed builds),
    /// and claims older than a minute that never got a lock. Returns how many went.
    @discardableResult
    public static func reclaimAbandoned() -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: sharedMemory) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix(prefix) {
            let path = sharedMemory + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR, status.st_uid == geteuid() else { continue }
            let owner = open(path + "/" + ownerFile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            if owner >= 0 {
                defer { close(owner) }
                guard flock(owner, LOCK_EX | LOCK_NB) == 0 else { continue }  // its build is running
            } else if Date().timeIntervalSince1970 - TimeInterval(status.st_mtim.tv_sec) < 60 {
                continue  // being claimed right now, or just failed to be
            }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed += 1 }
        }
        return removed
    }
}
