/// The result of comparing A with B: the tree, a verdict and a summary.
public struct DiffReport: Codable, Sendable, Hashable {
    /// The version of this JSON shape (`Docs/diff-schema.json`).
    public static let currentSchemaVersion = 1

    public enum Verdict: String, Codable, Sendable, Hashable {
        /// Bit for bit the same.
        case identical
        /// Different bytes, but every difference is of a class the caller asked to ignore.
        case equivalent
        case different

        /// The process exit status a command-line tool should use: 0 same, 1 different
        /// (`cmp`/`diff` convention; 2 is left for errors).
        public var exitStatus: Int32 { self == .different ? 1 : 0 }
    }

    public var schemaVersion: Int
    public var a: Side
    public var b: Side
    public var verdict: Verdict
    public var summary: DiffSummary
    /// Every layer pair, in order, identical ones included: the layer table.
    public var layers: [LayerInfo]
    public var root: DifferenceNode
    public var statistics: Statistics
    /// The classes and paths the caller asked to ignore.
    public var ignoredClasses: [CauseKind]
    public var ignoredPaths: [String]

    public init(a: Side, b: Side, verdict: Verdict, summary: DiffSummary, layers: [LayerInfo],
                root: DifferenceNode, statistics: Statistics, ignoredClasses: [CauseKind] = [],
                ignoredPaths: [String] = []) {
        self.schemaVersion = Self.currentSchemaVersion
        self.a = a
        self.b = b
        self.verdict = verdict
        self.summary = summary
        self.layers = layers
        self.root = root
        self.statistics = statistics
        self.ignoredClasses = ignoredClasses
        self.ignoredPaths = ignoredPaths
    }

    /// What one side was.
    public struct Side: Codable, Sendable, Hashable {
        public enum Kind: String, Codable, Sendable, Hashable {
            case build
            case ociLayout = "oci-layout"
            case dockerArchive = "docker-archive"
            case layer
            case directory
        }

        public var kind: Kind
        /// As the user named it.
        public var label: String
        /// The manifest digest (images), blob digest (layers); nil for directories.
        public var digest: String?
        public var buildID: String?

        public init(kind: Kind, label: String, digest: String? = nil, buildID: String? = nil) {
            self.kind = kind
            self.label = label
            self.digest = digest
            self.buildID = buildID
        }
    }

    /// What the comparison cost.
    public struct Statistics: Codable, Sendable, Hashable {
        /// Layer blobs opened (a full read, or a re-read to fetch differing entries).
        public var layerReads: Int
        /// Uncompressed bytes streamed through the differ.
        public var bytesRead: Int64
        /// Entries hashed and compared.
        public var entriesCompared: Int
        public var seconds: Double

        public init(layerReads: Int = 0, bytesRead: Int64 = 0, entriesCompared: Int = 0, seconds: Double = 0) {
            self.layerReads = layerReads
            self.bytesRead = bytesRead
            self.entriesCompared = entriesCompared
            self.seconds = seconds
        }
    }
}
