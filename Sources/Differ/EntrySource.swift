import ContentStore
import Foundation

/// Entries by path, with the order they came in.
struct EntryCatalog: Sendable {
    var entries: [String: EntryRecord] = [:]
    /// Paths in archive order (a path written twice appears at its last position).
    var order: [String] = []
    /// Paths that appeared more than once (tar allows it; the last one wins on extraction).
    var duplicates: [String] = []

    mutating func add(_ record: EntryRecord) {
        if entries[record.path] != nil {
            duplicates.append(record.path)
            order.removeAll { $0 == record.path }
        }
        entries[record.path] = record
        order.append(record.path)
    }
}

/// A file's content, handed to comparators: in memory when small, spooled to a file otherwise.
enum ContentHandle: Sendable {
    case memory(Data)
    case file(path: String, size: Int64)

    var size: Int64 {
        switch self {
        case .memory(let data): return Int64(data.count)
        case .file(_, let size): return size
        }
    }

    /// The whole content when it fits `limit`.
    func load(limit: Int) throws -> Data? {
        switch self {
        case .memory(let data): return data.count <= limit ? data : nil
        case .file(let path, let size):
            guard size <= Int64(limit) else { return nil }
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
    }
}

/// Something whose entries can be listed with digests, then fetched by path: a layer blob, a
/// directory, a nested archive.
protocol EntrySource: Sendable {
    /// How reports and errors name it.
    var label: String { get }
    /// One pass over every entry: headers and content digests.
    func catalog(_ statistics: StatisticsCounter) throws -> EntryCatalog
    /// The content of the named regular files (another pass, stopping after the last one).
    func contents(of paths: Set<String>, spool: SpoolDirectory, statistics: StatisticsCounter) throws
        -> [String: ContentHandle]
}

/// Counts what a comparison costs; shared by concurrent layer walks.
final class StatisticsCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var layerReads = 0
    private var bytes: Int64 = 0
    private var entries = 0

    func countLayerRead() { lock.withLock { layerReads += 1 } }
    func countBytes(_ n: Int) { lock.withLock { bytes += Int64(n) } }
    func countEntries(_ n: Int) { lock.withLock { entries += n } }

    var snapshot: (layerReads: Int, bytes: Int64, entries: Int) {
        lock.withLock { (layerReads, bytes, entries) }
    }
}

/// A private temporary directory for spooled contents and imported images, removed at the end.
final class SpoolDirectory: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var counter = 0

    init(parent: String) throws {
        let template = parent + "/reprise-diff-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw DifferError.unreadable(parent, reason: "cannot create a temporary directory")
        }
        path = String(cString: made)
    }

    func newFile(_ hint: String) -> String {
        let n = lock.withLock { counter += 1; return counter }
        return path + "/\(n)-" + String(hint.suffix(40).map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "_" })
    }

    func newDirectory(_ hint: String) throws -> String {
        let directory = newFile(hint)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
