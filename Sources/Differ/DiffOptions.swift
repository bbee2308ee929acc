import DifferenceModel
import Foundation

/// What to compare and what to leave out.
public struct DiffOptions: Sendable, Hashable {
    /// Classes of difference to leave out of the verdict and the tree (`--ignore CLASS`): a
    /// difference whose every cause is ignored disappears; one with another cause stays.
    public var ignoredClasses: Set<CauseKind>
    /// Paths (globs, `fnmatch` rules; `*` also crosses `/`) to leave out of entry comparisons
    /// (`--ignore-path GLOB`). Matched against the path without a leading `/`.
    public var ignoredPaths: [String]
    /// Contents up to this size are compared in memory by the structured comparators; larger
    /// ones only as streamed bytes.
    public var maxContentBytes: Int
    /// Entries reported per layer; beyond it they are counted only.
    public var maxEntriesPerLayer: Int
    /// Lines of unified diff (or hexdump) kept per content node.
    public var maxDetailLines: Int
    /// How many archives deep nested content is opened.
    public var maxNestingDepth: Int
    /// Where spooled contents and imported archives go; the system temporary directory if nil.
    public var temporaryDirectory: String?
    /// The platform chosen in multi-platform images (`os/arch`).
    public var platform: String

    public init(ignoredClasses: Set<CauseKind> = [], ignoredPaths: [String] = [],
                maxContentBytes: Int = 16 << 20, maxEntriesPerLayer: Int = 5000, maxDetailLines: Int = 400,
                maxNestingDepth: Int = 4, temporaryDirectory: String? = nil, platform: String = "linux/amd64") {
        self.ignoredClasses = ignoredClasses
        self.ignoredPaths = ignoredPaths
        self.maxContentBytes = maxContentBytes
        self.maxEntriesPerLayer = maxEntriesPerLayer
        self.maxDetailLines = maxDetailLines
        self.maxNestingDepth = maxNestingDepth
        self.temporaryDirectory = temporaryDirectory
        self.platform = platform
    }

    /// Whether a path is excluded by `ignoredPaths`.
    func isIgnored(path: String) -> Bool {
        guard !ignoredPaths.isEmpty else { return false }
        let bare = EntryRecord.normalize(path)
        return ignoredPaths.contains { pattern in
            let trimmed = pattern.hasPrefix("/") ? String(pattern.drop { $0 == "/" }) : pattern
            return fnmatch(trimmed, bare, 0) == 0
                || (trimmed.hasSuffix("/**") && (bare == String(trimmed.dropLast(3))
                    || fnmatch(String(trimmed.dropLast(1)), bare, 0) == 0))
        }
    }
}
