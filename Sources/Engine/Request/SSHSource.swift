import Foundation

/// An `--ssh` flag: `default` or `ID`, optionally `=SOCKET` or `=KEY[,KEY…]`; without a path the
/// agent at `$SSH_AUTH_SOCK` is forwarded.
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

    /// The agent socket to forward: the given path when it is a socket, else `$SSH_AUTH_SOCK`.
    public func agentSocket(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let first = paths.first {
            var info = stat()
            guard stat(first, &info) == 0 else {
                throw RequestError.sshUnavailable(id: id, reason: "\(first) does not exist")
            }
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                throw RequestError.sshUnavailable(
                    id: id, reason: "\(first) is not an agent socket (forwarding key files needs an agent: run ssh-agent and ssh-add)")
            }
            return first
        }
        guard let socket = environment["SSH_AUTH_SOCK"], !socket.isEmpty else {
            throw RequestError.sshUnavailable(id: id, reason: "SSH_AUTH_SOCK is not set and no socket was given")
        }
        return socket
    }
}
