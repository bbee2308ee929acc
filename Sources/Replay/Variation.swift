import BuildJournal
import Engine
import Foundation

/// One way of changing the environment a build runs in, to expose a dependency on it
/// (reprotest's variations, as far as they make sense inside a container build).
///
/// Not offered: `user_group`. A container step runs as the Dockerfile's `USER`, and the files it
/// writes are owned by that user in the layer; running it as another uid would change every
/// layer for a reason the Dockerfile states, not one it hides, so the variation would only
/// ever report differences that are not nondeterminism. `kernel` and `exec_path` are left out
/// for the same kind of reason (the sandbox fixes PATH from the image; the kernel is the host's).
public enum Variation: String, CaseIterable, Codable, Sendable, Comparable {
    /// A later wall clock: the replay starts at least a second after the recorded steps ran.
    case time
    /// Another hostname and NIS domain name in the UTS namespace.
    case hostname
    /// Extra environment variables.
    case environment
    /// umask 0002 instead of 0022.
    case umask
    /// Directory entries in shuffled order in contexts and bind mounts (disorderfs).
    case fileordering
    /// Contexts and scratch directories at other, deeper paths.
    case buildpath
    /// Another timezone (TZ).
    case timezone
    /// Another locale (LANG, LC_ALL).
    case locale
    /// One CPU (affinity) instead of all.
    case cpus
    /// Address space layout randomisation off (personality ADDR_NO_RANDOMIZE).
    case aslr

    public static func < (lhs: Variation, rhs: Variation) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The variations chosen for a replay (`--vary time,hostname` or `--vary all`).
public struct VariationSet: Sendable, Hashable {
    public var members: Set<Variation>

    public init(_ members: Set<Variation> = []) {
        self.members = members
    }

    /// Reads `--vary` values: comma-separated names, `all`, or `none`; repeatable.
    public init(parsing values: [String]) throws {
        var members = Set<Variation>()
        for value in values {
            for name in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
                switch name {
                case "", "none": continue
                case "all": members.formUnion(Variation.allCases)
                case "domain", "domain_host", "domainname": members.insert(.hostname)
                case "env": members.insert(.environment)
                case "build_path", "build-path": members.insert(.buildpath)
                case "num_cpus", "cpu": members.insert(.cpus)
                case "locales": members.insert(.locale)
                default:
                    guard let variation = Variation(rawValue: name) else {
                        let known = Variation.allCases.map(\.rawValue).joined(separator: ", ")
                        throw ReplayError.badVariation(name, known: known)
                    }
                    members.insert(variation)
                }
            }
        }
        self.members = members
    }

    public func contains(_ variation: Variation) -> Bool { members.contains(variation) }

    public var isEmpty: Bool { members.isEmpty }

    public var names: [String] { members.sorted().map(\.rawValue) }

    /// The engine's share of the variations, and a note of every one applied for the record.
    public var engineVariations: Variations {
        var variations = Variations()
        if contains(.hostname) {
            variations.hostname = "reprise-varied"
            variations.domainName = "varied.invalid"
        }
        if contains(.environment) {
            variations.extraEnvironment = ["REPRISE_VARIED": "1", "CAPTURE_ENVIRONMENT": "varied"]
        }
        if contains(.umask) { variations.umask = 0o002 }
        if contains(.timezone) { variations.timezone = "REP-14" }
        if contains(.locale) { variations.locale = "fr_FR.UTF-8" }
        if contains(.cpus) { variations.cpuCount = 1 }
        if contains(.aslr) { variations.disableASLR = true }
        if contains(.time) { variations.applied[.time] = "later" }
        if contains(.fileordering) { variations.applied[.fileOrdering] = "shuffled" }
        // The replay records the directory it used (see Replayer), which the differ masks.
        if contains(.buildpath) { variations.applied[.buildPath] = "other" }
        return variations
    }
}
