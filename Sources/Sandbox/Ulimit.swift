#if canImport(Glibc)
import Glibc
#endif

/// One `--ulimit` as `docker buildx build` spells it: `NAME=SOFT[:HARD]`, e.g. `nofile=1024:2048`.
/// The payload sets it on itself with setrlimit before execve (see csb_rlimit).
public struct Ulimit: Sendable, Hashable, CustomStringConvertible {
    /// The resources Docker's `--ulimit` knows, by Docker's names.
    public enum Resource: String, Sendable, Hashable, CaseIterable {
        case core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio
        case rttime, sigpending, stack

        /// The RLIMIT_* number (the generic Linux ABI, shared by x86-64 and arm64).
        public var number: Int32 {
            switch self {
            case .cpu: 0
            case .fsize: 1
            case .data: 2
            case .stack: 3
            case .core: 4
            case .rss: 5
            case .nproc: 6
            case .nofile: 7
            case .memlock: 8
            case .locks: 10
            case .sigpending: 11
            case .msgqueue: 12
            case .nice: 13
            case .rtprio: 14
            case .rttime: 15
            }
        }
    }

    /// Why a `--ulimit` value was refused.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Written as `RLIM_INFINITY`: Docker accepts `-1` for "unlimited".
    public static let unlimited = UInt64.max

    public var resource: Resource
    public var soft: UInt64
    public var hard: UInt64

    public init(resource: Resource, soft: UInt64, hard: UInt64) {
        self.resource = resource
        self.soft = soft
        self.hard = hard
    }

    /// Parses `NAME=SOFT[:HARD]`; a lone value sets both, as Docker does.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ParseError(description: "invalid ulimit '\(text)': expected NAME=SOFT[:HARD]")
        }
        guard let resource = Resource(rawValue: String(parts[0])) else {
            throw ParseError(description: "invalid ulimit '\(text)': unknown type '\(parts[0])' (one of "
                + Resource.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        let values = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard values.count <= 2, let soft = Self.value(values[0]),
              let hard = values.count == 2 ? Self.value(values[1]) : soft
        else {
            throw ParseError(description: "invalid ulimit '\(text)': values must be numbers or -1 (unlimited)")
        }
        guard soft <= hard else {
            throw ParseError(description: "invalid ulimit '\(text)': soft limit \(parts[1].split(separator: ":")[0]) "
                + "is greater than the hard limit")
        }
        self.init(resource: resource, soft: soft, hard: hard)
    }

    private static func value(_ text: Substring) -> UInt64? {
        text == "-1" ? unlimited : UInt64(text)
    }

    /// Docker's spelling, for messages and records.
    public var description: String {
        func show(_ value: UInt64) -> String { value == Self.unlimited ? "-1" : String(value) }
        return "\(resource.rawValue)=\(show(soft)):\(show(hard))"
    }
}
