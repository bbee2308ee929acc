import ContentStore

/// What went wrong talking to a registry, in words that name the registry, the repository and
/// the object.
public enum RegistryError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The registry answered with an error status (after retries, where retrying made sense).
    case status(Int, method: String, url: String, detail: String)
    /// The connection failed or broke (after retries).
    case transport(url: String, reason: String)
    /// The registry wants credentials we do not have, or refused the ones we sent.
    case unauthorized(host: String, detail: String)
    /// What the registry sent is not what was asked for.
    case contentMismatch(url: String, expected: Digest, actual: Digest, size: Int64)
    case sizeMismatch(url: String, expected: Int64, actual: Int64)
    /// A manifest or tag that does not exist.
    case notFound(reference: String)
    /// A response we cannot use (bad JSON, no Location header, …).
    case invalidResponse(url: String, reason: String)
    /// A credential helper or store named in config.json; those are not run.
    case credentialHelper(host: String, helper: String, configPath: String)

    public var description: String {
        switch self {
        case .status(let code, let method, let url, let detail):
            return "registry answered \(code) to \(method) \(url)\(detail.isEmpty ? "" : ": " + detail)"
        case .transport(let url, let reason):
            return "cannot reach \(url): \(reason)"
        case .unauthorized(let host, let detail):
            return "\(host): not authorized (\(detail)); put credentials in ~/.docker/config.json (auths)"
        case .contentMismatch(let url, let expected, let actual, let size):
            return "\(url): the registry sent \(size) bytes with digest \(actual), not \(expected); nothing was stored"
        case .sizeMismatch(let url, let expected, let actual):
            return "\(url): the registry sent \(actual) bytes, not the \(expected) the descriptor says; nothing was stored"
        case .notFound(let reference):
            return "\(reference): not found in the registry"
        case .invalidResponse(let url, let reason):
            return "\(url): \(reason)"
        case .credentialHelper(let host, let helper, let configPath):
            return "\(host): \(configPath) names the credential helper docker-credential-\(helper), which Reprise "
                + "does not run; add an \"auths\" entry for \(host) instead"
        }
    }

    /// Whether trying the same thing again may succeed.
    var isRetryable: Bool {
        switch self {
        case .status(let code, _, _, _): return code == 429 || code == 408 || (500...599).contains(code)
        case .transport, .contentMismatch, .sizeMismatch: return true
        default: return false
        }
    }
}
