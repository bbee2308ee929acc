import ContentStore
import Foundation
import Synchronization

/// Remembers the content digest of files by their stat identity, so that re-snapshotting an
/// unchanged tree reads no file contents.
///
/// The key is (device, inode, size, mtime ns, ctime ns): ctime cannot be set by users, so a file
/// rewritten and then given back its old mtime still misses. Files changed within
/// `racyWindowNanoseconds` before they were read are not remembered, because the kernel's coarse
/// timestamps could give a second change the same times (git's "racily clean" problem).
///
/// The file format is a magic line, then fixed 72-byte records (five little-endian 64-bit
/// integers and the 32 raw digest bytes): loading 100k entries is one read and no parsing.
/// Use one cache file per tree (the engine keeps them in the journal directory); `save` writes
/// only entries used or added since loading, so stale inodes do not accumulate.
public final class StatCache: Sendable {
    public struct Key: Hashable, Sendable {
        public let device: UInt64
        public let inode: UInt64
        public let size: Int64
        public let mtime: Int64
        public let ctime: Int64
    }

    static let magic = Data("reprise-statcache-1\n".utf8)
    static let recordSize = 72
    /// Longer than any kernel timestamp tick (at most 10 ms with HZ=100).
    public static let racyWindowNanoseconds: Int64 = 50_000_000

    private struct State {
        var digests: [Key: Digest] = [:]
        var used: Set<Key> = []
        /// How many entries the file held when loaded.
        var loaded = 0
        /// Whether an entry was added since loading.
        var added = false
    }

    private let state: Mutex<State>

    /// An empty cache.
    public init() { state = Mutex(State()) }

    /// Loads the cache at `path`; a missing or unreadable file gives an empty cache (it is only
    /// ever an optimisation, never a source of truth).
    public init(contentsOf path: String) {
        let digests = Self.load(path)
        state = Mutex(State(digests: digests, loaded: digests.count))
    }

    private static func load(_ path: String) -> [Key: Digest] {
        var digests: [Key: Digest] = [:]
        guard let data = try? FileIO.readFile(path), data.starts(with: StatCache.magic) else { return digests }
        let body = data.dropFirst(StatCache.magic.count)
        let count = body.count / StatCache.recordSize
        digests.reserveCapacity(count)
        body.withUnsafeBytes { raw in
            for index in 0..<count {
                let record = UnsafeRawBufferPointer(rebasing: raw[(index * StatCache.recordSize)...]
                    .prefix(StatCache.recordSize))
                func integer(_ field: Int) -> UInt64 {
                    UInt64(littleEndian: record.loadUnaligned(fromByteOffset: field * 8, as: UInt64.self))
                }
                let key = Key(device: integer(0), inode: integer(1), size: Int64(bitPattern: integer(2)),
                              mtime: Int64(bitPattern: integer(3)), ctime: Int64(bitPattern: integer(4)))
                if let digest = Digest(rawBytes: UnsafeRawBufferPointer(rebasing: record[40..<72])) {
                    digests[key] = digest
                }
            }
        }
        return digests
    }

    /// The number of remembered files.
    public var count: Int { state.withLock { $0.digests.count } }

    func digest(for key: Key) -> Digest? {
        state.withLock { state in
            guard let digest = state.digests[key] else { return nil }
            state.used.insert(key)
            return digest
        }
    }

    func remember(_ digest: Digest, for key: Key, readStartedAt start: Int64) {
        guard max(key.mtime, key.ctime) < start - StatCache.racyWindowNanoseconds else { return }
        state.withLock { state in
            if state.digests.updateValue(digest, forKey: key) != digest { state.added = true }
            state.used.insert(key)
        }
    }

    /// Whether ``save(to:)`` would write something other than what was loaded: an entry was
    /// added, or one loaded was not used (and would be dropped).
    public var hasChanges: Bool {
        state.withLock { $0.added || $0.used.count != $0.loaded }
    }

    /// Writes the entries used or added since loading, atomically. When that is exactly what
    /// was loaded (a rebuild of an unchanged tree), nothing is written: the file already holds
    /// it, and a fully cached build should not pay a write, an fsync and a rename for it.
    public func save(to path: String) throws {
        guard hasChanges || !FileIO.exists(path) else { return }
        let data = state.withLock { state -> Data in
            var data = StatCache.magic
            data.reserveCapacity(data.count + state.used.count * StatCache.recordSize)
            for key in state.used {
                guard let digest = state.digests[key] else { continue }
                for value in [key.device, key.inode, UInt64(bitPattern: key.size),
                              UInt64(bitPattern: key.mtime), UInt64(bitPattern: key.ctime)] {
                    withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
                }
                data.append(contentsOf: digest.rawBytes)
            }
            return data
        }
        // Not fsynced: a cache. After a power loss the file is the old one, the new one or none
        // (renamed into place whole), and each record it holds is still true of the stat it names.
        try FileIO.writeFileAtomically(path, data, durable: false)
    }
}
