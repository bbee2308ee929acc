/// One difference between the recorded inputs of two builds: a context file, a Dockerfile hunk,
/// a build argument, a base image digest, a secret's keyed digest, a cache mount's state before
/// a step… Plain values: the differ lists them, presenters show them, and bisect applies subsets
/// of them to the first build's inputs to make hybrid builds.
public struct InputChange: Codable, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
        case dockerfile
        /// A file, directory or link in a directory context (main or named), by path.
        case contextFile = "context-file"
        /// A whole context: added, removed, or an image context pinned to another manifest.
        case context
        case buildArgument = "build-arg"
        case baseImage = "base-image"
        case secret
        case ssh
        case platform
        case target
        case sourceDateEpoch = "source-date-epoch"
        case network
        /// What a step fetched through the network recorder for one request (method, URL,
        /// range): the body digest in each build, by step.
        case networkFetch = "network-fetch"
        /// A cache mount's state before a RUN step.
        case cacheMount = "cache-mount"

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public enum Status: String, Codable, Sendable, Hashable {
        case added, removed, changed
    }

    /// A Dockerfile hunk: lines `[startA, startA+countA)` of A (0-based) become `linesB`.
    public struct Hunk: Codable, Sendable, Hashable {
        public var startA: Int
        public var countA: Int
        public var startB: Int
        public var linesB: [String]

        public init(startA: Int, countA: Int, startB: Int, linesB: [String]) {
            self.startA = startA
            self.countA = countA
            self.startB = startB
            self.linesB = linesB
        }
    }

    public var kind: Kind
    /// The context a file belongs to, or for a cache mount or a network fetch the step (`step 3`).
    public var scope: String?
    /// The path, argument name, image reference, secret or cache id; for a Dockerfile hunk its
    /// line range in A.
    public var name: String
    public var status: Status
    public var a: String?
    public var b: String?
    /// Text content diff (context files, Dockerfile hunks).
    public var detail: Detail?
    public var hunk: Hunk?
    /// The step index of a cache-mount or network-fetch change.
    public var step: Int?
    /// Whether a hybrid build can take this change from B: secret values and ssh agents are
    /// never in the journal, so those changes can be shown but not applied.
    public var applicable: Bool

    public init(kind: Kind, scope: String? = nil, name: String, status: Status, a: String? = nil, b: String? = nil,
                detail: Detail? = nil, hunk: Hunk? = nil, step: Int? = nil, applicable: Bool = true) {
        self.kind = kind
        self.scope = scope
        self.name = name
        self.status = status
        self.a = a
        self.b = b
        self.detail = detail
        self.hunk = hunk
        self.step = step
        self.applicable = applicable
    }

    /// A stable identity within one comparison: kind, scope and name.
    public var key: String {
        [kind.rawValue, scope ?? "", name].joined(separator: "\u{1f}")
    }

    /// `context-file context:src/a.txt changed`, `build-arg VERSION changed (1 → 2)`.
    public var description: String {
        var text = kind.rawValue + " " + (scope.map { $0 + ":" } ?? "") + name + " " + status.rawValue
        if kind != .contextFile && kind != .dockerfile, a != nil || b != nil {
            text += " (\(a ?? "unset") → \(b ?? "unset"))"
        }
        return text
    }
}
