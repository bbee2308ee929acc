#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// Mutable names over immutable blobs, one small file each (as git's loose refs are), replaced
/// atomically. They are the roots the garbage collector keeps and the index is rebuilt from.
struct RefDirectory: Sendable {
    enum Namespace: String, CaseIterable {
        case builds, tags
    }

    let root: String
    /// Whether each change is fsynced (else the journal syncs at the end of a unit of work).
    let durable: Bool

    init(root: String, durable: Bool) throws {
        self.root = root
        self.durable = durable
        for namespace in Namespace.allCases {
            try FileIO.makeDirectories(root + "/" + namespace.rawValue)
        }
    }

    func set(_ name: String, in namespace: Namespace, to digest: Digest) throws {
        try FileIO.writeFileAtomically(path(name, namespace), Data((digest.description + "\n").utf8),
                                       durable: durable)
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
