/// Problems with what the user asked for, found before anything runs.
public enum RequestError: Error, CustomStringConvertible, Sendable, Equatable {
    case badFlag(String, String, String)
    case secretUnavailable(id: String, reason: String)
    case sshUnavailable(id: String, reason: String)
    case missingContext(String)
    case missingDockerfile(String)

    public var description: String {
        switch self {
        case .badFlag(let flag, let value, let reason):
            return "invalid \(flag) '\(value)': \(reason)"
        case .secretUnavailable(let id, let reason):
            return "secret '\(id)': \(reason)"
        case .sshUnavailable(let id, let reason):
            return "ssh '\(id)': \(reason)"
        case .missingContext(let path):
            return "build context \(path) does not exist or is not a directory"
        case .missingDockerfile(let path):
            return "\(path): no such Dockerfile"
        }
    }
}
