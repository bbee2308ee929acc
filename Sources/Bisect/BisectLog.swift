import BuildJournal
import ContentStore
import Foundation

/// The bisect log: the report as it stands, rewritten atomically after every probe under
/// `JOURNAL/bisects/<id>.json`.
public struct BisectLog: Sendable {
    public let journal: Journal

    public init(journal: Journal) {
        self.journal = journal
    }

    public var directory: String { journal.root + "/bisects" }

    public func save(_ report: BisectReport) throws {
        try FileIO.makeDirectories(directory)
        try FileIO.writeFileAtomically(directory + "/\(report.id).json", report.json())
    }

    /// A logged bisect by id, or the newest one for nil.
    public func load(_ id: String?) throws -> BisectReport {
        let name: String
        if let id {
            name = id
        } else {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let newest = files.filter { $0.hasSuffix(".json") }.max { a, b in
                modified(directory + "/" + a) < modified(directory + "/" + b)
            }
            guard let newest else { throw BisectError.notBisectable("no bisect log in \(directory)") }
            name = String(newest.dropLast(5))
        }
        let path = directory + "/\(name).json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BisectError.notBisectable("no bisect log \(path)")
        }
        return try JSONDecoder().decode(BisectReport.self, from: data)
    }

    private func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }
}
