import BuildJournal
import ContentStore
import DifferenceModel
import Differ
import Foundation
import LayerArchive

/// The inputs of one bisect probe: the good build's recorded inputs with a chosen subset of the
/// input changes that lead to the bad build applied. Assembled from the journal alone.
struct HybridInputs {
    var dockerfile: Data
    var dockerfileName: String
    /// Directory contexts by name → tree; `context` is the main one.
    var trees: [String: TreeSnapshot]
    /// Image contexts by name → manifest digest.
    var imageContexts: [String: Digest]
    var buildArguments: [String: String]
    var baseImages: [String: Digest]
    /// Cache-mount states before each step: step index → cache id → tree.
    var cacheStates: [Int: [String: Digest]]
    var platform: String
    var target: String?
    var sourceDateEpoch: Int64?
    var network: String
    /// What each step's requests are answered with (step index → exchanges in order): good's
    /// record, with the responses of chosen network-fetch changes taken from bad's.
    var recordedFetches: [Int: [FetchRecord]]

    /// Applies `changes` (a subset of what ``InputComparer`` listed from `good` to `bad`).
    init(good: RecordedBuild, bad: RecordedBuild, applying changes: [InputChange], store: BlobStore) throws {
        // Dockerfile: hunks replaced from the bottom up, so earlier line numbers stay valid.
        let lines = Self.apply(changes.compactMap(\.hunk), to: good.dockerfileLines)
        dockerfile = Data((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8)
        dockerfileName = (good.record.dockerfilePath as NSString).lastPathComponent

        func changed(_ kind: InputChange.Kind) -> [InputChange] { changes.filter { $0.kind == kind } }

        // Contexts: whole-context changes first, then file changes inside directory contexts.
        var contexts: [String: BuildRecord.Context] = [:]
        for context in good.record.contexts { contexts[context.name] = context }
        for change in changed(.context) {
            contexts[change.name] = bad.record.contexts.first { $0.name == change.name }
        }
        trees = [:]
        imageContexts = [:]
        let fileChanges = Dictionary(grouping: changed(.contextFile), by: { $0.scope ?? "context" })
        for (name, context) in contexts {
            if let image = context.image { imageContexts[name] = image; continue }
            guard let digest = context.tree else { continue }
            var tree = try TreeSnapshot.load(digest, from: store)
            if let files = fileChanges[name], let badDigest = bad.record.contexts.first(where: { $0.name == name })?.tree {
                tree = Self.hybridTree(good: tree, bad: try TreeSnapshot.load(badDigest, from: store),
                                       paths: Set(files.map(\.name)))
            }
            trees[name] = tree
        }

        buildArguments = good.record.buildArguments
        for change in changed(.buildArgument) { buildArguments[change.name] = bad.record.buildArguments[change.name] }
        baseImages = good.record.baseImages
        for change in changed(.baseImage) { baseImages[change.name] = bad.record.baseImages[change.name] }

        cacheStates = RecordedBuild.cacheStates(good.steps)
        for change in changed(.cacheMount) {
            guard let step = change.step else { continue }
            cacheStates[step, default: [:]][change.name] = change.b.flatMap({ Digest($0) })
        }
        platform = changed(.platform).isEmpty ? good.record.platform : bad.record.platform
        target = changed(.target).isEmpty ? good.record.target : bad.record.target
        sourceDateEpoch = changed(.sourceDateEpoch).isEmpty ? good.record.sourceDateEpoch : bad.record.sourceDateEpoch
        network = changed(.network).isEmpty ? good.record.network : bad.record.network

        recordedFetches = Self.hybridFetches(good: good.steps, bad: bad.steps, applying: changed(.networkFetch))
    }

    /// Good's recorded exchanges per step, with the exchanges named by `changes` (network-fetch
    /// changes) taken from bad's record instead (or dropped where bad made no such request).
    static func hybridFetches(good: [StepRecord], bad: [StepRecord], applying changes: [InputChange]) -> [Int: [FetchRecord]] {
        func fetches(of steps: [StepRecord]) -> [Int: [FetchRecord]] {
            var result: [Int: [FetchRecord]] = [:]
            for step in steps { if let fetches = step.fetches, !fetches.isEmpty { result[step.index] = fetches } }
            return result
        }
        var result = fetches(of: good)
        let badFetches = fetches(of: bad)
        for change in changes where change.kind == .networkFetch {
            guard let step = change.step else { continue }
            var exchanges = (result[step] ?? []).filter { InputComparer.fetchName($0) != change.name }
            exchanges += (badFetches[step] ?? []).filter { InputComparer.fetchName($0) == change.name }
            result[step] = exchanges
        }
        return result
    }

    /// Dockerfile hunks (non-overlapping, in A's line numbers) applied bottom up, so that
    /// earlier line numbers stay valid.
    static func apply(_ hunks: [InputChange.Hunk], to lines: [String]) -> [String] {
        var lines = lines
        for hunk in hunks.sorted(by: { $0.startA > $1.startA }) {
            lines.replaceSubrange(hunk.startA..<(hunk.startA + hunk.countA), with: hunk.linesB)
        }
        return lines
    }

    /// Good's tree with the entries at `paths` taken from bad (or removed where bad has none).
    /// A parent directory that the result needs is taken from bad, else from good; the root
    /// (path ".") counts as a path of its own.
    static func hybridTree(good: TreeSnapshot, bad: TreeSnapshot, paths: Set<String>) -> TreeSnapshot {
        var entries: [String: TreeEntry] = [:]
        for entry in good.entries { entries[entry.path] = entry }
        var badEntries: [String: TreeEntry] = [:]
        for entry in bad.entries { badEntries[entry.path] = entry }
        let goodEntries = entries
        for path in paths where path != "." { entries[path] = badEntries[path] }
        // Every entry needs its parent directory.
        func ensureDirectory(_ path: String) -> Bool {
            if path.isEmpty { return true }
            if let existing = entries[path] { return existing.kind == .directory }
            guard let parent = badEntries[path].flatMap({ $0.kind == .directory ? $0 : nil })
                    ?? goodEntries[path].flatMap({ $0.kind == .directory ? $0 : nil }),
                  ensureDirectory(parent.parentPath) else { return false }
            entries[path] = parent
            return true
        }
        for entry in Array(entries.values) where !ensureDirectory(entry.parentPath) {
            entries[entry.path] = nil
        }
        // A hardlink to a name no longer there cannot be made.
        for entry in Array(entries.values) where entry.kind == .hardlink {
            if let target = entry.linkTarget, entries[target] == nil { entries[entry.path] = nil }
        }
        return TreeSnapshot(root: paths.contains(".") ? bad.root : good.root, entries: Array(entries.values))
    }
}
