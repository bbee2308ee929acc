import ContentStore
import Foundation
import Synchronization

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
    /// One pass over every entry: headers and content digests. Contents may be offered to
    /// `keeper` as side `side` (0 for A, 1 for B) so differing ones need no second pass.
    func catalog(_ statistics: StatisticsCounter, keeper: ContentKeeper?, side: Int) throws -> EntryCatalog
    /// The content of the named regular files (another pass, stopping after the last one).
    func contents(of paths: Set<String>, spool: SpoolDirectory, statistics: StatisticsCounter) throws
        -> [String: ContentHandle]
}

/// Counts what a comparison costs; shared by concurrent layer walks.
final class StatisticsCounter: Sendable {
    private struct Counts { var layerReads = 0, bytes: Int64 = 0, entries = 0, layerPair = 0, layerPairs = 0 }
    private let counts = Mutex(Counts())
    /// Told of the layer pair being compared and the bytes read so far (large diffs on a tty).
    private let progress: WorkProgressHandler?

    init(progress: WorkProgressHandler? = nil) {
        self.progress = progress
    }

    func countLayerRead() { counts.withLock { $0.layerReads += 1 } }
    func countBytes(_ n: Int) {
        let now = counts.withLock { $0.bytes += Int64(n); return $0 }
        // Layers, tarballs and trees alike are read into the comparison; images count pairs too.
        progress?(now.layerPairs == 0 ? WorkProgress(phase: "reading", done: 0, bytes: now.bytes)
                  : WorkProgress(phase: "comparing layers", done: now.layerPair, total: now.layerPairs, bytes: now.bytes))
    }
    /// Pair `index` of `total` is being compared now.
    func startLayerPair(_ index: Int, of total: Int) {
        let now = counts.withLock { $0.layerPair = index; $0.layerPairs = total; return $0 }
        progress?(WorkProgress(phase: "comparing layers", done: index, total: total, bytes: now.bytes))
    }
    func countEntries(_ n: Int) { counts.withLock { $0.entries += n } }

    var snapshot: (layerReads: Int, bytes: Int64, entries: Int) {
        counts.withLock { ($0.layerReads, $0.bytes, $0.entries) }
    }
}

/// A private temporary directory for spooled contents and imported images, removed at the end.
final class SpoolDirectory: Sendable {
    let path: String
    private let counter = Mutex(0)

    init(parent: String) throws {
        let template = parent + "/reprise-diff-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw DifferError.unreadable(parent, reason: "cannot create a temporary directory")
        }
        path = String(cString: made)
    }

    func newFile(_ hint: String) -> String {
        let n = counter.withLock { $0 += 1; return $0 }
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
