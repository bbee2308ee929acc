#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Synchronization

/// Keeps `LayerApplier` from filling the disk: counts the content bytes an apply writes and,
/// every `interval` of them, asks the filesystem how much is left (statvfs). Found by
/// scripts/reliability: a 1 GiB gzip bomb of 1 MiB was expanded in full into `layers/`, and a
/// bigger one would have filled the disk.
final class DiskReserve: Sendable {
    static let interval = 16 << 20
    static let minimum: Int64 = 256 << 20

    let path: String
    let reserve: Int64
    /// Bytes written since the last statvfs.
    private let sinceCheck = Mutex(0)

    /// `bytes` nil: 5% of the filesystem holding `path`, at least `minimum`.
    init(path: String, bytes: Int64?) throws {
        self.path = path
        if let bytes {
            reserve = bytes
        } else {
            let (_, total) = try Self.space(at: path)
            reserve = max(Self.minimum, total / 20)
        }
    }

    func account(_ count: Int, entry: String) throws {
        let due = sinceCheck.withLock { written in
            written += count
            guard written >= Self.interval else { return false }
            written = 0
            return true
        }
        guard due else { return }
        let (available, _) = try Self.space(at: path)
        if available < reserve {
            throw LayerArchiveError.wouldFillDisk(entry: entry, available: available, reserve: reserve)
        }
    }

    /// (bytes available to this user, filesystem size).
    static func space(at path: String) throws -> (Int64, Int64) {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw SystemCallError("statvfs", path: path) }
        let unit = Int64(info.f_frsize)
        return (Int64(info.f_bavail) * unit, Int64(info.f_blocks) * unit)
    }
}
