/// What makes a probe "bad".
public enum BisectPredicate: Sendable, Codable, Hashable, CustomStringConvertible {
    /// The image digest differs from the good build's (the default).
    case differs
    /// The build fails; at step `atStep` when given.
    case fails(atStep: Int?)
    /// The file at this path in the image differs from the good build's (content, mode or
    /// owner; a file present on one side only differs too).
    case file(String)
    /// A command run inside the built image (no network) exits non-zero.
    case run(String)
    /// A replay of the probe does not reproduce it.
    case unreproducible

    public var description: String {
        switch self {
        case .differs: return "the image differs from the good build's"
        case .fails(let step): return step.map { "the build fails at step \($0)" } ?? "the build fails"
        case .file(let path): return "\(path) differs from the good build's"
        case .run(let command): return "'\(command)' exits non-zero in the image"
        case .unreproducible: return "a replay does not reproduce the build"
        }
    }

    /// Whether the predicate needs the good build's image as a reference.
    var comparesWithGood: Bool {
        switch self {
        case .differs, .file: return true
        default: return false
        }
    }
}

/// A probe's judgement, as `git bisect` has them.
public enum ProbeVerdict: String, Sendable, Codable, Hashable {
    case good, bad
    /// Cannot be judged (a build that fails where the predicate needs an image): git's 125.
    case skip
}
