import DifferenceModel
import Foundation

/// Compares two sets of entries (two layers, two directories, two nested archives): headers
/// field by field, contents only where digests differ, order last.
struct EntryComparer {
    struct Outcome {
        var children: [DifferenceNode]
        var omitted: Int
        /// Differing entries, reported or not.
        var differing: Int
        /// Differing entries left out because their path is ignored.
        var ignored: Int
    }

    let context: ContentContext

    /// `concurrently`: catalog and fetch both sides on two threads (for layers on disk).
    func compare(_ a: any EntrySource, _ b: any EntrySource, concurrently: Bool) throws -> Outcome {
        let keeper = ContentKeeper()
        let (catalogA, catalogB) = try both(concurrently) {
            try ($0 == 0 ? a : b).catalog(context.statistics, keeper: keeper, side: $0)
        }
        var nodes: [String: DifferenceNode] = [:]
        var contentPaths = Set<String>()
        let allPaths = Set(catalogA.entries.keys).union(catalogB.entries.keys)
        let paths = allPaths.filter { !context.options.isIgnored(path: $0) }
        let ignored = allPaths.subtracting(paths).filter { path in
            var recordA = catalogA.entries[path]
            var recordB = catalogB.entries[path]
            recordA?.ordinal = 0
            recordB?.ordinal = 0
            return recordA != recordB
        }.count
        for path in paths {
            switch (catalogA.entries[path], catalogB.entries[path]) {
            case (let ra?, nil):
                nodes[path] = DifferenceNode(kind: .entry, name: display(path), status: .removed, a: ra.shortDescription)
            case (nil, let rb?):
                nodes[path] = DifferenceNode(kind: .entry, name: display(path), status: .added, b: rb.shortDescription)
            case (let ra?, let rb?):
                let fields = headerFields(ra, rb)
                let contentDiffers = ra.type == .file && rb.type == .file && ra.contentDigest != rb.contentDigest
                if contentDiffers { contentPaths.insert(path) }
                if !fields.isEmpty || contentDiffers {
                    nodes[path] = DifferenceNode(kind: .entry, name: display(path), children: fields)
                }
            case (nil, nil):
                break
            }
        }
        let differing = nodes.count
        var ordered = nodes.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let limit = context.options.maxEntriesPerLayer
        let omitted = max(0, ordered.count - limit)
        ordered = Array(ordered.prefix(limit))
        let wanted = contentPaths.intersection(ordered)
        if !wanted.isEmpty {
            // What the catalog passes kept; only the rest is read again.
            let (contentsA, contentsB) = try both(concurrently) { side in
                var found: [String: ContentHandle] = [:]
                for path in wanted {
                    if let data = keeper.content(side: side, path: path) { found[path] = .memory(data) }
                }
                let missing = wanted.subtracting(found.keys)
                if !missing.isEmpty {
                    let fetched = try (side == 0 ? a : b).contents(of: missing, spool: context.spool,
                                                                   statistics: context.statistics)
                    found.merge(fetched) { kept, _ in kept }
                }
                return found
            }
            for path in wanted {
                guard let handleA = contentsA[path], let handleB = contentsB[path] else { continue }
                nodes[path]?.children.append(try compareContent(path, handleA, handleB))
            }
        }
        var children = ordered.compactMap { nodes[$0] }
        if let order = orderNode(catalogA, catalogB, ignoring: paths.count < catalogA.order.count + catalogB.order.count) {
            children.insert(order, at: 0)
        }
        return Outcome(children: children, omitted: omitted, differing: differing, ignored: ignored)
    }

    private func compareContent(_ path: String, _ a: ContentHandle, _ b: ContentHandle) throws -> DifferenceNode {
        let limit = context.options.maxContentBytes
        if let dataA = try a.load(limit: limit), let dataB = try b.load(limit: limit) {
            return context.registry.compare(ContentPair(path: path, a: dataA, b: dataB), context: context)
        }
        return try context.registry.compareLarge(a, b, path: path)
    }

    /// One field node per differing header field, each with its cause.
    func headerFields(_ a: EntryRecord, _ b: EntryRecord) -> [DifferenceNode] {
        var fields: [DifferenceNode] = []
        let classifier = context.classifier
        func add(_ name: String, _ valueA: String, _ valueB: String, _ cause: Cause?) {
            var node = DifferenceNode(kind: .field, name: name, a: valueA, b: valueB)
            if let cause { node.addCause(cause) }
            fields.append(node)
        }
        // A directory that became a symlink (or any change of type) is that change: the modes of
        // two kinds of entry (0755 for a directory, 0777 for a link) say nothing of a umask.
        let typeChanged = a.type != b.type
        if typeChanged { add("type", a.type.rawValue, b.type.rawValue, nil) }
        if a.mode != b.mode && !typeChanged {
            add("mode", a.modeText, b.modeText, classifier.modeCause(a.mode, b.mode))
        }
        if a.uid != b.uid { add("uid", "\(a.uid)", "\(b.uid)", Cause(.uidGid, .certain, evidence: "owner \(a.uid) vs \(b.uid)")) }
        if a.gid != b.gid { add("gid", "\(a.gid)", "\(b.gid)", Cause(.uidGid, .certain, evidence: "group \(a.gid) vs \(b.gid)")) }
        if (a.userName ?? "") != (b.userName ?? "") {
            add("user name", a.userName ?? "", b.userName ?? "",
                Cause(.uidGid, .certain, evidence: "tar user name '\(a.userName ?? "")' vs '\(b.userName ?? "")'"))
        }
        if (a.groupName ?? "") != (b.groupName ?? "") {
            add("group name", a.groupName ?? "", b.groupName ?? "",
                Cause(.uidGid, .certain, evidence: "tar group name '\(a.groupName ?? "")' vs '\(b.groupName ?? "")'"))
        }
        if a.mtime != b.mtime || a.mtimeNanoseconds != b.mtimeNanoseconds {
            add("mtime", Self.time(a), Self.time(b), classifier.timestampCause(a.mtime, b.mtime, what: "mtime"))
        }
        if a.linkTarget != b.linkTarget {
            var node = DifferenceNode(kind: .field, name: "link target", a: a.linkTarget ?? "", b: b.linkTarget ?? "")
            for cause in classifier.classifyContent(Data((a.linkTarget ?? "").utf8), Data((b.linkTarget ?? "").utf8)) {
                node.addCause(cause)
            }
            fields.append(node)
        }
        if a.device != b.device { add("device", a.device ?? "", b.device ?? "", nil) }
        for key in Set(a.xattrs.keys).union(b.xattrs.keys).sorted() where a.xattrs[key] != b.xattrs[key] {
            add("xattr " + key, a.xattrs[key] ?? "(none)", b.xattrs[key] ?? "(none)", nil)
        }
        for key in Set(a.paxRecords.keys).union(b.paxRecords.keys).sorted() where a.paxRecords[key] != b.paxRecords[key] {
            let isTime = key == "atime" || key == "ctime" || key.hasSuffix(".atime") || key.hasSuffix(".ctime")
            add("pax " + key, a.paxRecords[key] ?? "(none)", b.paxRecords[key] ?? "(none)",
                isTime ? Cause(.timestamp, .certain, evidence: "pax \(key) \(a.paxRecords[key] ?? "none") vs \(b.paxRecords[key] ?? "none")") : nil)
        }
        if a.type == .file && b.type == .file && a.contentDigest == b.contentDigest && a.size != b.size {
            add("size", "\(a.size)", "\(b.size)", nil)
        }
        return fields
    }

    /// A node when the entries both sides share come in another order.
    private func orderNode(_ a: EntryCatalog, _ b: EntryCatalog, ignoring: Bool) -> DifferenceNode? {
        let common = Set(a.entries.keys).intersection(b.entries.keys)
        let orderA = a.order.filter { common.contains($0) && !context.options.isIgnored(path: $0) }
        let orderB = b.order.filter { common.contains($0) && !context.options.isIgnored(path: $0) }
        guard orderA != orderB else { return nil }
        let firstMismatch = orderA.indices.first { orderA[$0] != orderB[$0] } ?? 0
        var node = DifferenceNode(kind: .field, name: "entry order",
                                  a: "… \(orderA[firstMismatch]) at position \(firstMismatch)",
                                  b: "… \(orderB[firstMismatch]) at position \(firstMismatch)")
        node.addCause(Cause(.ordering, .certain,
                            evidence: "\(orderA.count) shared entries, in another order from position \(firstMismatch)"))
        var lines: [Detail.Line] = []
        for index in firstMismatch..<min(orderA.count, firstMismatch + 8) {
            lines.append(Detail.Line(.removed, orderA[index]))
            lines.append(Detail.Line(.added, orderB[index]))
        }
        node.detail = Detail(format: .text, lines: lines)
        return node
    }

    private func display(_ path: String) -> String {
        context.depth == 0 ? "/" + (path == "." ? "" : path) : path
    }

    static func time(_ record: EntryRecord) -> String {
        var text = "\(record.mtime)"
        if record.mtimeNanoseconds != 0 { text += "." + String(record.mtimeNanoseconds).leftPadded(to: 9) }
        return text + " (" + CauseClassifier.iso8601(record.mtime) + ")"
    }

    /// Runs `body` for side 0 and side 1, on two threads when asked.
    private func both<T>(_ concurrently: Bool, _ body: @Sendable (Int) throws -> T) throws -> (T, T) {
        guard concurrently else { return (try body(0), try body(1)) }
        let results = ResultPair<T>()
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            results.set(side, Swift.Result { try body(side) })
        }
        return try results.get()
    }
}

/// Two results written from two threads.
private final class ResultPair<T>: @unchecked Sendable {
    // A lock rather than a Mutex: T need not be Sendable, and each value crosses threads once,
    // written by its side and read after both sides have finished (concurrentPerform returns).
    private let lock = NSLock()
    private var values: [Int: Result<T, any Error>] = [:]

    func set(_ side: Int, _ value: Result<T, any Error>) { lock.withLock { values[side] = value } }

    func get() throws -> (T, T) {
        try lock.withLock { (try values[0]!.get(), try values[1]!.get()) }
    }
}
