import ContentStore
import Foundation

/// A tar layer (gzip or plain) read from a file, or a nested archive held in memory.
struct ArchiveSource: EntrySource {
    enum Origin: Sendable {
        case file(String)
        case memory(Data)
    }

    let origin: Origin
    let label: String
    /// Contents up to this size are handed over in memory; larger ones are spooled to a file.
    let inlineLimit: Int
    /// Whether reads count as layer reads in the statistics (nested archives do not).
    let isLayer: Bool

    init(path: String, label: String? = nil, inlineLimit: Int = 4 << 20) {
        origin = .file(path)
        self.label = label ?? path
        self.inlineLimit = inlineLimit
        isLayer = true
    }

    init(data: Data, label: String, inlineLimit: Int = 4 << 20) {
        origin = .memory(data)
        self.label = label
        self.inlineLimit = inlineLimit
        isLayer = false
    }

    private func open(_ statistics: StatisticsCounter) throws -> EntryStream {
        if isLayer { statistics.countLayerRead() }
        switch origin {
        case .file(let path): return try EntryStream(layerAt: path)
        case .memory(let data): return try EntryStream(data: data, label: label)
        }
    }

    func catalog(_ statistics: StatisticsCounter) throws -> EntryCatalog {
        let reader = try open(statistics)
        var catalog = EntryCatalog()
        var ordinal = 0
        var streamed = 0
        while let header = try reader.next() {
            var digest: Digest?
            if header.type == .file {
                var hasher = DigestHasher()
                try reader.readContent { chunk in
                    hasher.update(chunk)
                    streamed += chunk.count
                    if streamed >= 1 << 24 { statistics.countBytes(streamed); streamed = 0 }
                }
                digest = hasher.finalize()
            }
            catalog.add(EntryRecord(
                path: EntryRecord.normalize(header.path), ordinal: ordinal, type: header.type, mode: header.mode,
                uid: header.uid, gid: header.gid, userName: header.userName, groupName: header.groupName,
                size: header.type == .file ? header.size : 0, mtime: header.mtime,
                mtimeNanoseconds: header.mtimeNanoseconds, linkTarget: header.linkTarget, device: header.device,
                xattrs: header.xattrs, paxRecords: header.paxRecords, contentDigest: digest))
            ordinal += 1
        }
        statistics.countBytes(streamed)
        statistics.countEntries(ordinal)
        return catalog
    }

    func contents(of paths: Set<String>, spool: SpoolDirectory, statistics: StatisticsCounter) throws
        -> [String: ContentHandle] {
        guard !paths.isEmpty else { return [:] }
        let reader = try open(statistics)
        var result: [String: ContentHandle] = [:]
        // Stop once every wanted path is read; a path written twice keeps its first copy here,
        // which only matters for malformed layers (the catalog notes duplicates).
        var remaining = paths
        while !remaining.isEmpty, let header = try reader.next() {
            let path = EntryRecord.normalize(header.path)
            guard header.type == .file, remaining.contains(path) else { continue }
            result[path] = try take(reader, size: header.size, hint: path, spool: spool, statistics: statistics)
            remaining.remove(path)
        }
        return result
    }

    private func take(_ reader: EntryStream, size: Int64, hint: String, spool: SpoolDirectory,
                      statistics: StatisticsCounter) throws -> ContentHandle {
        if size <= Int64(inlineLimit) {
            var data = Data()
            data.reserveCapacity(Int(size))
            try reader.readContent { data.append(contentsOf: $0) }
            statistics.countBytes(data.count)
            return .memory(data)
        }
        let path = spool.newFile(hint)
        guard let handle = FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil else {
            throw DifferError.unreadable(path, reason: "cannot create a spool file")
        }
        defer { try? handle.close() }
        var written: Int64 = 0
        try reader.readContent { chunk in
            try handle.write(contentsOf: Data(chunk))
            written += Int64(chunk.count)
        }
        statistics.countBytes(Int(written))
        return .file(path: path, size: written)
    }
}
