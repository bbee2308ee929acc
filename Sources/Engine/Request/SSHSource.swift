import Foundation

/// An `--ssh` flag as buildx reads it: `default` or `ID`, optionally `=SOCKET` or `=KEY[,KEY…]`;
/// without a path the agent at `$SSH_AUTH_SOCK` is forwarded.
public struct SSHSource: Sendable, Hashable {
    public var id: String
    public var paths: [String]

    public init(id: String, paths: [String]) {
        self.id = id
        self.paths = paths
    }

    public init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard let id = parts.first, !id.isEmpty else { throw RequestError.badFlag("--ssh", text, "an id is required") }
        self.id = id
        self.paths = parts.count == 2 ? parts[1].split(separator: ",").map(String.init) : []
    }

    /// What a step's agent socket relays to.
    public enum Upstream: Sendable, Hashable {
        /// A running agent's socket.
        case socket(String)
        /// Private key files, to load into a private agent.
        case keys([String])
    }

    /// Where this source's agent is: the given socket, the given key files, or `$SSH_AUTH_SOCK`.
    /// Checked before any step runs, so a bad `--ssh` stops the build early.
    public func upstream(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Upstream {
        if paths.isEmpty {
            guard let socket = environment["SSH_AUTH_SOCK"], !socket.isEmpty else {
                throw RequestError.sshUnavailable(id: id, reason: "SSH_AUTH_SOCK is not set and no socket or key was given")
            }
            return .socket(try Self.checkSocket(socket, id: id))
        }
        if paths.count == 1, Self.fileType(paths[0]) == S_IFSOCK { return .socket(paths[0]) }
        for path in paths {
            guard let type = Self.fileType(path) else {
                throw RequestError.sshUnavailable(id: id, reason: "\(path) does not exist")
            }
            guard type == S_IFREG else {
                throw RequestError.sshUnavailable(id: id, reason: "\(path) is neither an agent socket nor a key file")
            }
        }
        return .keys(paths)
    }

    /// The agent socket to forward, for callers that need a socket (key files are refused).
    public func agentSocket(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        guard case .socket(let socket) = try upstream(environment: environment) else {
            throw RequestError.sshUnavailable(id: id, reason: "key files are served through a private agent")
        }
        return socket
    }

    private static func checkSocket(_ path: String, id: String) throws -> String {
        guard let type = fileType(path) else { throw RequestError.sshUnavailable(id: id, reason: "\(path) does not exist") }
        guard type == S_IFSOCK else { throw RequestError.sshUnavailable(id: id, reason: "\(path) is not a socket") }
        return path
    }

    private static func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }
}
