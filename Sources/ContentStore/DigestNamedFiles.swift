#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A directory of small files named by blob digest (`recipes/sha256/`, `deltas/sha256/`): each
/// written to a temporary name and renamed into place, so a kill leaves none or a whole one, and
/// durable at once or at the store's next `synchronize()`.
struct DigestNamedFiles: Sendable {
    let directory: String
    let durable: Bool
    /// Under a deferred sync policy: notes a file for the store's next `synchronize()`.
    let deferSync: @Sendable (String) -> Void

    func path(for digest: Digest) -> String {
        directory + "/" + digest.hex
    }

    func contains(_ digest: Digest) -> Bool {
        FileIO.exists(path(for: digest))
    }

    /// Makes the directory and its parent if they are missing, with their own entries durable
    /// (once per journal), so that a power loss cannot take the directory a durable file is in.
    func makeDirectory() throws {
        guard !FileIO.isDirectory(directory) else { return }
        let parent = (directory as NSString).deletingLastPathComponent
        try PrivateDirectory.make(parent)
        try PrivateDirectory.make(directory)
        try FileIO.syncDirectory(parent)
        try FileIO.syncDirectory((parent as NSString).deletingLastPathComponent)
    }

    func write(_ data: Data, for digest: Digest) throws {
        try makeDirectory()
        try FileIO.writeFileAtomically(path(for: digest), data, mode: 0o600, durable: durable)
        if !durable { deferSync(path(for: digest)) }
    }

    /// Every digest that has a file. Temporary files of interrupted writes are not digests.
    func list() throws -> [Digest] {
        guard FileIO.isDirectory(directory) else { return [] }
        return try FileIO.listDirectory(directory).compactMap { Digest(hex: $0) }.sorted()
    }

    func remove(_ digest: Digest) throws {
        guard unlink(path(for: digest)) == 0 || errno == ENOENT else {
            throw SystemCallError("unlink", path: path(for: digest))
        }
    }

    /// Removes the temporary files (`<hex>.tmp-<pid>-<n>`) left by interrupted writes of
    /// processes no longer running.
    func removeStaleTemporaries() {
        guard let names = try? FileIO.listDirectory(directory) else { return }
        for name in names where Digest(hex: name) == nil {
            if let pid = name.split(separator: "-").dropFirst().first.flatMap({ pid_t($0) }),
               kill(pid, 0) != 0, errno == ESRCH {
                unlink(directory + "/" + name)
            }
        }
    }
}
