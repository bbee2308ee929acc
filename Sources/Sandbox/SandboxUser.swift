/// The user a step runs as, written as Dockerfile's `USER`: `name`, `uid`, `name:group`,
/// `uid:gid` (names and numbers mix freely). Names are resolved inside the step's root filesystem,
/// never on the host; see ``UserDatabase``.
public struct SandboxUser: Sendable, Hashable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// A user name or a decimal uid.
    public var user: String
    /// A group name or a decimal gid; nil takes the user's primary group.
    public var group: String?

    /// uid 0 by number, so that images without `/etc/passwd` (`FROM scratch`) work, as Docker's
    /// default user does.
    public static let root = SandboxUser(user: "0")

    public init(user: String, group: String? = nil) {
        self.user = user
        self.group = group
    }

    /// Parses Dockerfile `USER` syntax; an empty user means uid 0.
    public init(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let user = parts.first.map(String.init) ?? ""
        self.user = user.isEmpty ? "0" : user
        self.group = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public var description: String {
        group.map { "\(user):\($0)" } ?? user
    }
}

/// Numeric credentials ready for setresuid/setresgid/setgroups, plus the home directory that
/// fills in `HOME` when the step's environment lacks it.
public struct ResolvedUser: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    public var supplementaryGroups: [UInt32]
    public var home: String

    public init(uid: UInt32, gid: UInt32, supplementaryGroups: [UInt32] = [], home: String = "/") {
        self.uid = uid
        self.gid = gid
        self.supplementaryGroups = supplementaryGroups
        self.home = home
    }
}
