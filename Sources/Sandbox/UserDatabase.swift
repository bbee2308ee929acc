/// `/etc/passwd` and `/etc/group` of a step's root filesystem, read through a
/// ``LayeredRootView`` so that the image's users count, not the host's.
///
/// Follows runc/Docker: a name must exist in passwd; a numeric uid need not (gid 0, home `/`);
/// supplementary groups are the groups in `/etc/group` that list the user by name, plus an
/// explicitly requested group.
public struct UserDatabase: Sendable {
    struct PasswdEntry: Sendable {
        var name: String
        var uid: UInt32
        var gid: UInt32
        var home: String
    }

    struct GroupEntry: Sendable {
        var name: String
        var gid: UInt32
        var members: [String]
    }

    let users: [PasswdEntry]
    let groups: [GroupEntry]

    /// Why a user could not be resolved.
    public enum LookupError: Error, Equatable, CustomStringConvertible {
        case unknownUser(String)
        case unknownGroup(String)

        public var description: String {
            switch self {
            case .unknownUser(let name): "no user \"\(name)\" in the image's /etc/passwd"
            case .unknownGroup(let name): "no group \"\(name)\" in the image's /etc/group"
            }
        }
    }

    /// Reads both files from `view`; a missing file counts as empty.
    public init(view: LayeredRootView) {
        let passwd = view.contents(of: "/etc/passwd").map { String(decoding: $0, as: UTF8.self) }
        let group = view.contents(of: "/etc/group").map { String(decoding: $0, as: UTF8.self) }
        self.init(passwd: passwd ?? "", group: group ?? "")
    }

    /// Parses the text of `/etc/passwd` and `/etc/group`.
    public init(passwd: String, group: String) {
        users = Self.records(passwd).compactMap { fields in
            guard fields.count >= 6, let uid = UInt32(fields[2]), let gid = UInt32(fields[3])
            else { return nil }
            return PasswdEntry(name: fields[0], uid: uid, gid: gid, home: fields[5])
        }
        groups = Self.records(group).compactMap { fields in
            guard fields.count >= 3, let gid = UInt32(fields[2]) else { return nil }
            let members = fields.count > 3
                ? fields[3].split(separator: ",").map(String.init) : []
            return GroupEntry(name: fields[0], gid: gid, members: members)
        }
    }

    /// Resolves `user` to numeric credentials.
    public func resolve(_ user: SandboxUser) throws -> ResolvedUser {
        let entry: PasswdEntry?
        if let uid = UInt32(user.user) {
            entry = users.first { $0.uid == uid }
        } else {
            guard let named = users.first(where: { $0.name == user.user }) else {
                throw LookupError.unknownUser(user.user)
            }
            entry = named
        }
        let uid = entry?.uid ?? UInt32(user.user) ?? 0
        var gid = entry?.gid ?? 0
        var supplementary: [UInt32] = []
        if let name = entry?.name {
            supplementary = groups.filter { $0.members.contains(name) }.map(\.gid)
        }
        if let group = user.group {
            if let numeric = UInt32(group) {
                gid = numeric
            } else if let named = groups.first(where: { $0.name == group }) {
                gid = named.gid
            } else {
                throw LookupError.unknownGroup(group)
            }
            supplementary.append(gid)
        }
        var seen = Set<UInt32>()
        supplementary = supplementary.filter { seen.insert($0).inserted }
        let home = entry.map { $0.home.isEmpty ? "/" : $0.home } ?? "/"
        return ResolvedUser(uid: uid, gid: gid, supplementaryGroups: supplementary, home: home)
    }

    static func records(_ text: String) -> [[String]] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
            return line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
