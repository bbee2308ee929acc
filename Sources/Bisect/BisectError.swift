/// Why a bisect could not run or could not conclude.
public enum BisectError: Error, CustomStringConvertible, Sendable {
    case notBisectable(String)
    /// The endpoints do not disagree: the bad side is not bad, or the good side is not good.
    case endpointsAgree(String)
    case git(String)

    public var description: String {
        switch self {
        case .notBisectable(let reason): return "cannot bisect: \(reason)"
        case .endpointsAgree(let reason): return reason
        case .git(let message): return "git: \(message)"
        }
    }
}
