/// Why a replay could not be run (exit status 2), as opposed to a replay that ran and differed.
public enum ReplayError: Error, CustomStringConvertible, Sendable, Equatable {
    case badVariation(String, known: String)
    case notReplayable(id: String, reason: String)
    case secretMismatch(id: String)
    case missingSecret(id: String, step: Int, line: String)
    case noSuchStep(Int, count: Int)
    case fileOrdering(String)
    case badBundle(path: String, reason: String)

    public var description: String {
        switch self {
        case .badVariation(let name, let known):
            return "unknown variation '\(name)' (known: \(known), all, none)"
        case .notReplayable(let id, let reason):
            return "build \(id) cannot be replayed: \(reason)"
        case .secretMismatch(let id):
            return "secret '\(id)' is not the value the build was given (its keyed digest differs from the record); nothing was run"
        case .missingSecret(let id, let step, let line):
            return "secret '\(id)' is required by step \(step) (\(line)); pass --secret id=\(id),src=FILE|env=VAR"
        case .noSuchStep(let index, let count):
            return "no step \(index): the build recorded steps 0–\(count - 1)"
        case .fileOrdering(let reason):
            return "the fileordering variation needs disorderfs: \(reason)"
        case .badBundle(let path, let reason):
            return "\(path): not a Reprise build bundle: \(reason)"
        }
    }
}
