/// A class of nondeterminism the differ can name (design notes §7).
///
/// The raw values are the stable names used in JSON, on the command line (`--ignore CLASS`) and
/// in presenters, so they never change once published.
public enum CauseKind: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
    /// File times, `created` fields, or content that is a date near the build time.
    case timestamp
    /// High-entropy content of the same length, random tokens, UUIDs.
    case randomness
    /// The build host's name leaked into a file.
    case hostname
    /// A process id leaked into a file.
    case pid
    /// The directory the build ran in leaked into a file.
    case buildPath = "build-path"
    /// The same lines or entries in another order.
    case ordering
    /// Numeric owner or group differs.
    case uidGid = "uid-gid"
    /// Mode bits differ (often by umask bits only).
    case permissions
    /// Locale or time zone dependent output.
    case locale
    /// A cache mount showed the step different contents.
    case cacheMount = "cache-mount"
    /// The base image changed between the two builds.
    case baseImage = "base-image"
    /// A build input changed: a context tree, a build argument, the Dockerfile.
    case input
    /// The step ran with network access, so what it fetched may differ.
    case network
    /// The step fetched other bytes for the same URL than in the other build (the network
    /// recorder's record says which URL and both digests).
    case networkDrift = "network-drift"
    /// The same content compressed differently (layer blobs, nested gzip headers).
    case compression
    /// A deliberate variation of a replay or verify run (hostname, umask, time…) changed it.
    case variation

    public static func < (lhs: CauseKind, rhs: CauseKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// A short human label: "uid/gid", "build path".
    public var label: String {
        switch self {
        case .buildPath: return "build path"
        case .uidGid: return "uid/gid"
        case .cacheMount: return "cache mount"
        case .baseImage: return "base image"
        case .permissions: return "permissions/umask"
        case .locale: return "locale/timezone"
        case .input: return "input drift"
        case .networkDrift: return "network drift"
        default: return rawValue
        }
    }

    /// Accepts the raw value and a few spellings people type (`timestamps`, `uid`, `umask`, `tz`).
    public init?(userInput text: String) {
        let word = text.lowercased()
        if let kind = CauseKind(rawValue: word) { self = kind; return }
        switch word {
        case "timestamps", "time", "mtime", "mtimes", "date", "dates": self = .timestamp
        case "random": self = .randomness
        case "host": self = .hostname
        case "pids": self = .pid
        case "path", "buildpath", "build_path": self = .buildPath
        case "order", "sort": self = .ordering
        case "uid", "gid", "owner", "ownership", "uid/gid": self = .uidGid
        case "mode", "modes", "umask", "permission": self = .permissions
        case "tz", "timezone", "locales": self = .locale
        case "cache", "cache-mounts": self = .cacheMount
        case "base", "base-image-drift", "base-drift": self = .baseImage
        case "input-drift", "inputs", "args": self = .input
        case "net": self = .network
        case "network drift", "networkdrift", "fetches", "fetch": self = .networkDrift
        case "gzip": self = .compression
        case "variations", "vary": self = .variation
        default: return nil
        }
    }
}

/// How sure a classifier is.
public enum Confidence: String, Codable, Sendable, Hashable, Comparable {
    /// The difference can only be this (an mtime-only change, a recorded hostname).
    case certain
    /// Strong evidence (a date near the build time, a recorded cache-mount change).
    case likely
    /// Circumstantial (the step had network access).
    case possible

    private var rank: Int {
        switch self {
        case .certain: return 0
        case .likely: return 1
        case .possible: return 2
        }
    }

    public static func < (lhs: Confidence, rhs: Confidence) -> Bool { lhs.rank < rhs.rank }
}

/// A named cause with the evidence that led to it.
public struct Cause: Codable, Sendable, Hashable {
    public var kind: CauseKind
    public var confidence: Confidence
    /// What was seen, for people: "mtime 1700000000 vs 1700000042 (SOURCE_DATE_EPOCH is 1700000000)".
    public var evidence: String

    public init(_ kind: CauseKind, _ confidence: Confidence = .likely, evidence: String) {
        self.kind = kind
        self.confidence = confidence
        self.evidence = evidence
    }
}
