#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Synchronization

/// Mutable names over immutable blobs, one small file each (as git's loose refs are), replaced
/// atomically. They are the roots the garbage collector keeps and the index is rebuilt from.
struct RefDirectory: Sendable {
    enum Namespace: String, CaseIterable {
        case builds, tags

        /// How a person names one entry: "build ID", "tag NAME".
        var singular: String { self == .builds ? "build" : "tag" }
    }

    /// A ref file that does not hold a digest.
    struct DamagedRef {
        var name: String
        var reason: String
    }

    let root: String
    /// Whether each change is fsynced (else the journal syncs at the end of a unit of work).
    let durable: Bool
    /// When not `durable`: the namespaces changed since the last `synchronize()`, with the ref
    /// files written in them.
    private let unsynced = UnsyncedRefs()

    final class UnsyncedRefs: Sendable {
        let changes = Mutex<[String: Set<String>]>([:])
    }

    init(root: String, durable: Bool) throws {
        self.root = root
        self.durable = durable
        try PrivateDirectory.make(root)
        for namespace in Namespace.allCases {
            try PrivateDirectory.make(root + "/" + namespace.rawValue)
        }
    }

    func set(_ name: String, in namespace: Namespace, to digest: Digest) throws {
        try FileIO.writeFileAtomically(path(name, namespace), Data((digest.description + "\n").utf8),
                                       durable: durable)
        if !durable { note(namespace, file: path(name, namespace)) }
    }

    func get(_ name: String, in namespace: Namespace) throws -> Digest? {
        let file = path(name, namespace)
        guard FileIO.exists(file) else { return nil }
        let text = String(decoding: try FileIO.readFile(file), as: UTF8.self)
        return Digest(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func remove(_ name: String, in namespace: Namespace) throws {
        let file = path(name, namespace)
        guard unlink(file) == 0 || errno == ENOENT else { throw SystemCallError("unlink", path: file) }
        if durable { try FileIO.syncDirectory(root + "/" + namespace.rawValue) } else { note(namespace, file: nil) }
    }

    /// Makes every ref written or removed since the last call durable: the files and the
    /// directories that name them, with `others` (the index's log), in one round of parallel
    /// fsyncs. Under the deferred policy a build's ref is written without fsync; without this a
    /// power loss after the build said it was done could take its record, even though every
    /// blob it names is on the disk.
    func synchronize(alongWith others: [String] = []) throws {
        let changes = unsynced.changes.withLock { changes in
            defer { changes.removeAll() }
            return changes
        }
        // Each fsync commits the filesystem's journal, and on a busy disk each costs
        // milliseconds: files and directories go together, since only all of them together
        // are the durable state.
        try FileIO.syncFiles(changes.values.flatMap { $0 }.sorted()
            + changes.keys.sorted().map { root + "/" + $0 } + others)
    }

    /// Refs written or removed since the last `synchronize()` (for tests of the durability protocol).
    var unsyncedCount: Int { unsynced.changes.withLock { $0.values.reduce(0) { $0 + max($1.count, 1) } } }

    private func note(_ namespace: Namespace, file: String?) {
        unsynced.changes.withLock { changes in
            changes[namespace.rawValue, default: []].formUnion(file.map { [$0] } ?? [])
        }
    }

    /// Every name in a namespace with the digest it points at; unreadable refs are reported apart.
    func all(in namespace: Namespace) throws -> [(name: String, digest: Digest)] {
        try FileIO.listDirectory(root + "/" + namespace.rawValue)
            .filter { !$0.contains(".tmp-") }
            .compactMap { escaped in
                let name = RefDirectory.unescape(escaped)
                return try get(name, in: namespace).map { (name, $0) }
            }
            .sorted { $0.name < $1.name }
    }

    /// Every ref in a namespace whose file is unreadable or holds no digest (emptied, truncated
    /// or overwritten), which `all(in:)` skips.
    func damaged(in namespace: Namespace) throws -> [DamagedRef] {
        var result: [DamagedRef] = []
        for escaped in try FileIO.listDirectory(root + "/" + namespace.rawValue) where !escaped.contains(".tmp-") {
            let name = RefDirectory.unescape(escaped)
            let file = path(name, namespace)
            let data: Data
            do {
                data = try FileIO.readFile(file)
            } catch {
                result.append(DamagedRef(name: name, reason: "\(file) cannot be read: \(error)"))
                continue
            }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if Digest(text) == nil {
                let reason = data.isEmpty ? "\(file) is empty"
                    : "\(file) does not hold a digest (\(data.count) bytes, truncated or overwritten)"
                result.append(DamagedRef(name: name, reason: reason))
            }
        }
        return result.sorted { $0.name < $1.name }
    }

    private func path(_ name: String, _ namespace: Namespace) -> String {
        root + "/" + namespace.rawValue + "/" + RefDirectory.escape(name)
    }

    /// Image names contain `/` and `:`; a file name may not contain `/`, so escape it (and `%`).
    static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }

    static func unescape(_ name: String) -> String {
        name.replacingOccurrences(of: "%2F", with: "/").replacingOccurrences(of: "%25", with: "%")
    }
}
