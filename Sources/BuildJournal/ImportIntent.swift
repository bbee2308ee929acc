#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// What an import in progress is about to change, written before it sets any ref, so that an
/// import killed between two refs (SIGKILL cannot be caught) is undone by the next process that
/// opens the journal: each bundle is adopted all or nothing even across a kill.
///
/// The file `tmp/import-<pid>-<random>.intent` lists each build id with the digest its ref held
/// before (or none). Its writer holds an flock on it for as long as it lives, as
/// ``BuildScratch`` does: whoever can take the lock knows the writer is gone, restores the listed
/// refs and removes the file. A finished import removes it itself.
struct ImportIntent {
    struct Entry: Codable {
        var id: String
        var previous: Digest?
    }

    let path: String
    private let fd: Int32

    /// Writes and locks the intent for `entries` in `directory`.
    init(directory: String, entries: [Entry]) throws {
        let name = "import-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).intent"
        let staging = directory + "/." + name
        path = directory + "/" + name
        fd = try FileIO.open(staging, O_RDWR | O_CREAT | O_EXCL, mode: 0o600)
        do {
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw SystemCallError("flock", path: staging) }
            try CanonicalJSON.encode(entries).withUnsafeBytes { try FileIO.writeAll(fd, $0, path: staging) }
            guard fsync(fd) == 0 else { throw SystemCallError("fsync", path: staging) }
            // Visible under its real name only once complete and locked.
            guard rename(staging, path) == 0 else { throw SystemCallError("rename", path: path) }
        } catch {
            close(fd)
            unlink(staging)
            throw error
        }
    }

    /// The import finished (or was rolled back by its own process): nothing to undo.
    func finish() {
        unlink(path)
        close(fd)
    }

    /// Intents of imports whose process is gone, with what they list. Reading one takes its lock,
    /// which the returned closure releases after the caller undid it and removed the file.
    static func abandoned(in directory: String) -> [(path: String, entries: [Entry], release: () -> Void)] {
        guard let names = try? FileIO.listDirectory(directory) else { return [] }
        var result: [(String, [Entry], () -> Void)] = []
        // An intent still being written (`.import-<pid>-…`, renamed once complete) changed no
        // ref yet: when its writer is dead it is only litter (found by scripts/reliability, a
        // kill during `journal import`), removed here.
        for name in names where name.hasPrefix(".import-") && name.hasSuffix(".intent") {
            let fields = name.dropFirst(".import-".count).split(separator: "-", maxSplits: 1)
            guard let first = fields.first, let pid = pid_t(first), pid > 0, pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(directory + "/" + name)
        }
        for name in names where name.hasPrefix("import-") && name.hasSuffix(".intent") {
            let path = directory + "/" + name
            let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0,
                  let data = try? FileIO.readFile(path),
                  let entries = try? CanonicalJSON.decode([Entry].self, from: data) else {
                close(fd)
                continue
            }
            result.append((path, entries, { close(fd) }))
        }
        return result
    }
}
