import BuildJournal
import ContentStore
import DifferenceModel
import Foundation
import LayerArchive

/// Lists how the recorded inputs of build B differ from build A's, one ``InputChange`` per
/// independent change: each context file by path (with a line diff for text), each Dockerfile
/// hunk, each build argument, base image, secret, and each cache mount's state before a step.
///
/// Only the journal is read: the directories the builds were made from are never consulted.
public struct InputComparer: Sendable {
    public let store: BlobStore
    /// Lines of content diff per changed text file (0: none, as bisect needs none).
    public var maxDetailLines: Int
    /// Text files larger than this get no line diff.
    public var maxTextBytes = 1 << 20

    public init(store: BlobStore, maxDetailLines: Int = 40) {
        self.store = store
        self.maxDetailLines = maxDetailLines
    }

    public func compare(_ a: BuildRecord, _ stepsA: [StepRecord], _ b: BuildRecord,
                        _ stepsB: [StepRecord]) throws -> [InputChange] {
        var changes: [InputChange] = []
        changes += try dockerfileChanges(a, b)
        changes += try contextChanges(a, b)
        changes += Self.mapChanges(.buildArgument, a.buildArguments, b.buildArguments)
        changes += Self.mapChanges(.baseImage, a.baseImages.mapValues(\.description), b.baseImages.mapValues(\.description))
        changes += Self.mapChanges(.secret, Self.secretDigests(a), Self.secretDigests(b), applicable: false)
        changes += Self.mapChanges(.ssh, Dictionary(a.ssh.map { ($0, "given") }) { first, _ in first },
                                   Dictionary(b.ssh.map { ($0, "given") }) { first, _ in first }, applicable: false)
        func scalar(_ kind: InputChange.Kind, _ name: String, _ valueA: String?, _ valueB: String?) {
            guard valueA != valueB else { return }
            changes.append(InputChange(kind: kind, name: name, status: valueA == nil ? .added : valueB == nil ? .removed : .changed,
                                       a: valueA, b: valueB))
        }
        scalar(.platform, "platform", a.platform, b.platform)
        scalar(.target, "target", a.target, b.target)
        scalar(.sourceDateEpoch, "SOURCE_DATE_EPOCH", a.sourceDateEpoch.map(String.init), b.sourceDateEpoch.map(String.init))
        scalar(.network, "network", a.network, b.network)
        changes += Self.cacheMountChanges(stepsA, stepsB)
        changes += Self.networkFetchChanges(stepsA, stepsB)
        return changes
    }

    /// The Dockerfile as hunks of consecutive changed lines (no context lines), so each can be
    /// applied on its own.
    func dockerfileChanges(_ a: BuildRecord, _ b: BuildRecord) throws -> [InputChange] {
        guard a.dockerfile != b.dockerfile else { return [] }
        return Self.hunks(try dockerfileLines(a), try dockerfileLines(b),
                          fileName: (a.dockerfilePath as NSString).lastPathComponent)
    }

    /// The line edits from A to B as hunks of consecutive changed lines, each applicable alone.
    public static func hunks(_ linesA: [Substring], _ linesB: [Substring], fileName: String) -> [InputChange] {
        var changes: [InputChange] = []
        var iA = 0
        var iB = 0
        var pending: (startA: Int, startB: Int, removed: [Substring], added: [Substring])?
        func flush() {
            guard let hunk = pending else { return }
            pending = nil
            var lines = hunk.removed.map { Detail.Line(.removed, Printable.line($0)) }
            lines += hunk.added.map { Detail.Line(.added, Printable.line($0)) }
            let name = hunk.removed.isEmpty ? "after line \(hunk.startA)"
                : hunk.removed.count == 1 ? "line \(hunk.startA + 1)" : "lines \(hunk.startA + 1)-\(hunk.startA + hunk.removed.count)"
            changes.append(InputChange(
                kind: .dockerfile, scope: fileName, name: name,
                status: hunk.removed.isEmpty ? .added : hunk.added.isEmpty ? .removed : .changed,
                a: hunk.removed.isEmpty ? nil : hunk.removed.joined(separator: "\n"),
                b: hunk.added.isEmpty ? nil : hunk.added.joined(separator: "\n"),
                detail: Detail(format: .unifiedDiff, lines: lines),
                hunk: .init(startA: hunk.startA, countA: hunk.removed.count, startB: hunk.startB,
                            linesB: hunk.added.map(String.init))))
        }
        for edit in LineDiff.edits(linesA, linesB) {
            switch edit {
            case .same:
                flush(); iA += 1; iB += 1
            case .removed(let i):
                if pending == nil { pending = (iA, iB, [], []) }
                pending?.removed.append(linesA[i]); iA += 1
            case .added(let j):
                if pending == nil { pending = (iA, iB, [], []) }
                pending?.added.append(linesB[j]); iB += 1
            }
        }
        flush()
        return changes
    }

    /// The Dockerfile's lines as recorded (a final newline ends the last line).
    public func dockerfileLines(_ build: BuildRecord) throws -> [Substring] {
        guard let digest = build.dockerfile else { return [] }
        let text = String(decoding: try store.read(digest), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    func contextChanges(_ a: BuildRecord, _ b: BuildRecord) throws -> [InputChange] {
        var changes: [InputChange] = []
        let names = Set(a.contexts.map(\.name)).union(b.contexts.map(\.name)).sorted()
        for name in names {
            let contextA = a.contexts.first { $0.name == name }
            let contextB = b.contexts.first { $0.name == name }
            if let treeA = contextA?.tree, let treeB = contextB?.tree {
                guard treeA != treeB else { continue }
                changes += try treeChanges(scope: name, TreeSnapshot.load(treeA, from: store),
                                           TreeSnapshot.load(treeB, from: store))
            } else if contextA?.tree != contextB?.tree || contextA?.image != contextB?.image {
                let valueA = (contextA?.tree ?? contextA?.image)?.description
                let valueB = (contextB?.tree ?? contextB?.image)?.description
                changes.append(InputChange(kind: .context, name: name,
                                           status: contextA == nil ? .added : contextB == nil ? .removed : .changed,
                                           a: valueA, b: valueB))
            }
        }
        return changes
    }

    /// Entries added, removed or changed (content, mode, owner, link target, time) by path.
    public func treeChanges(scope: String, _ a: TreeSnapshot, _ b: TreeSnapshot) throws -> [InputChange] {
        var changes: [InputChange] = []
        var entriesB: [String: TreeEntry] = [:]
        for entry in b.entries { entriesB[entry.path] = entry }
        if a.root != b.root {
            changes.append(InputChange(kind: .contextFile, scope: scope, name: ".", status: .changed,
                                       a: Self.describe(a.root), b: Self.describe(b.root)))
        }
        for entryA in a.entries {
            guard let entryB = entriesB.removeValue(forKey: entryA.path) else {
                changes.append(InputChange(kind: .contextFile, scope: scope, name: entryA.path, status: .removed,
                                           a: Self.describe(entryA)))
                continue
            }
            guard entryA != entryB else { continue }
            changes.append(InputChange(kind: .contextFile, scope: scope, name: entryA.path, status: .changed,
                                       a: Self.describe(entryA), b: Self.describe(entryB),
                                       detail: try textDiff(entryA, entryB)))
        }
        for entryB in b.entries where entriesB[entryB.path] != nil {
            changes.append(InputChange(kind: .contextFile, scope: scope, name: entryB.path, status: .added,
                                       b: Self.describe(entryB)))
        }
        return changes.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    private func textDiff(_ a: TreeEntry, _ b: TreeEntry) throws -> Detail? {
        guard maxDetailLines > 0, let digestA = a.digest, let digestB = b.digest, digestA != digestB,
              a.size <= maxTextBytes, b.size <= maxTextBytes,
              store.contains(digestA), store.contains(digestB) else { return nil }
        let dataA = try store.read(digestA)
        let dataB = try store.read(digestB)
        guard Sniff.isText(dataA), Sniff.isText(dataB) else { return nil }
        var linesA = String(decoding: dataA, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        var linesB = String(decoding: dataB, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if linesA.last == "" && linesB.last == "" && linesA.count > 1 && linesB.count > 1 {
            linesA.removeLast()
            linesB.removeLast()
        }
        return LineDiff.unified(linesA, linesB, limit: maxDetailLines)
    }

    /// `file 0644 0:0 12 bytes sha256:…`, `symlink → target`.
    static func describe(_ entry: TreeEntry) -> String {
        var text = "\(entry.kind.rawValue) \(String(entry.mode, radix: 8)) \(entry.uid):\(entry.gid)"
        if entry.hasContent { text += " \(entry.size) bytes" }
        if let digest = entry.digest { text += " " + digest.short }
        if let target = entry.linkTarget { text += " → " + target }
        text += " mtime \(entry.mtime / 1_000_000_000)"
        return text
    }

    static func mapChanges(_ kind: InputChange.Kind, _ a: [String: String], _ b: [String: String],
                           applicable: Bool = true) -> [InputChange] {
        Set(a.keys).union(b.keys).sorted().compactMap { key in
            guard a[key] != b[key] else { return nil }
            return InputChange(kind: kind, name: key, status: a[key] == nil ? .added : b[key] == nil ? .removed : .changed,
                               a: a[key], b: b[key], applicable: applicable)
        }
    }

    static func secretDigests(_ build: BuildRecord) -> [String: String] {
        Dictionary(build.secrets.map { ($0.id, $0.digest ?? "given") }) { first, _ in first }
    }

    /// Each cache mount's state before each RUN step, paired by step index and cache id.
    static func cacheMountChanges(_ a: [StepRecord], _ b: [StepRecord]) -> [InputChange] {
        var changes: [InputChange] = []
        let stepsB = Dictionary(b.map { ($0.index, $0) }) { first, _ in first }
        for stepA in a {
            guard let stepB = stepsB[stepA.index] else { continue }
            for mountA in stepA.mounts where mountA.kind == .cache {
                guard let mountB = stepB.mounts.first(where: { $0.kind == .cache && $0.id == mountA.id && $0.target == mountA.target })
                        ?? stepB.mounts.first(where: { $0.kind == .cache && $0.target == mountA.target }),
                      mountA.treeBefore != mountB.treeBefore else { continue }
                let id = mountA.id ?? mountA.target
                changes.append(InputChange(
                    kind: .cacheMount, scope: "step \(stepA.index)", name: id,
                    status: mountA.treeBefore == nil ? .added : mountB.treeBefore == nil ? .removed : .changed,
                    a: mountA.treeBefore?.description, b: mountB.treeBefore?.description, step: stepA.index))
            }
        }
        return changes
    }

    /// What each step fetched through the network recorder, paired by step index and request
    /// (``fetchName(_:)``: method, URL, range): a body fetched in one build only, or with other
    /// bytes. Tunnels, DNS answers and refusals carry no body and are not inputs.
    static func networkFetchChanges(_ a: [StepRecord], _ b: [StepRecord]) -> [InputChange] {
        func bodies(_ step: StepRecord?) -> [String: Digest?] {
            var result: [String: Digest?] = [:]
            // The last response wins, as a replay serves a repeated request the same bytes.
            for fetch in step?.fetches ?? [] where fetch.isRequest { result[fetchName(fetch)] = fetch.body }
            return result
        }
        let stepsA = Dictionary(a.map { ($0.index, $0) }) { first, _ in first }
        let stepsB = Dictionary(b.map { ($0.index, $0) }) { first, _ in first }
        var changes: [InputChange] = []
        for index in Set(stepsA.keys).union(stepsB.keys).sorted() {
            let fetchesA = bodies(stepsA[index])
            let fetchesB = bodies(stepsB[index])
            for name in Set(fetchesA.keys).union(fetchesB.keys).sorted() {
                let bodyA = fetchesA[name]
                let bodyB = fetchesB[name]
                guard bodyA != bodyB else { continue }
                changes.append(InputChange(
                    kind: .networkFetch, scope: "step \(index)", name: name,
                    status: bodyA == nil ? .added : bodyB == nil ? .removed : .changed,
                    a: bodyA.map { $0?.description ?? "no body" }, b: bodyB.map { $0?.description ?? "no body" },
                    step: index))
            }
        }
        return changes
    }

    /// How a fetch is named in a network-fetch change (and found again by bisect's hybrids):
    /// `GET http://host/path`, with ` range=…` when the request asked for a byte range.
    public static func fetchName(_ fetch: FetchRecord) -> String {
        fetch.method + " " + fetch.url + (fetch.requestHeaders["range"].map { " range=" + $0 } ?? "")
    }
}

private extension FetchRecord {
    /// An HTTP exchange (plain or intercepted), as opposed to a tunnel, a DNS answer or a refusal.
    var isRequest: Bool { kind == .http || kind == .https }
}
