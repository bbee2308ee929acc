/// A git URL as buildx takes a build context and BuildKit takes an `ADD` source:
/// `URL#REF:SUBDIR`, where the fragment is `#ref`, `#ref:subdir` or `#:subdir`.
///
/// The one place the grammar lives: the CLI stages a git context with it and the engine fetches
/// `ADD` sources with it, so the two cannot drift apart.
public struct GitURL: Equatable, Sendable {
    /// Where the URL is used. A build context is the user's own choice on the command line; an
    /// `ADD` source comes from a Dockerfile, which may be hostile, so it never names a local
    /// repository (`file://`) of the machine that builds it.
    public enum Use: Sendable {
        case buildContext
        case addSource
    }

    /// What git fetches from.
    public var remote: String
    /// The branch, tag or commit; nil for the remote's HEAD.
    public var ref: String?
    /// The directory of the commit that is used, as written (resolved on disk by
    /// `CheckoutSubdirectory`, which refuses one that leads outside the checkout).
    public var subdirectory: String?

    /// Nil when `text` is not a git URL for `use`: `git://…`, `ssh://…`, `git@host:path`, or an
    /// http(s) URL whose path ends in `.git` (or `.git/`); for a build context also
    /// `github.com/…` (fetched over https) and `file://…/x.git`. A remote that starts with `-`
    /// is never a URL (git would read it as an option).
    public init?(_ text: String, for use: Use) {
        var remote = text
        var fragment: String?
        if let hash = text.firstIndex(of: "#") {
            remote = String(text[..<hash])
            fragment = String(text[text.index(after: hash)...])
        }
        let path = remote.hasSuffix("/") ? String(remote.dropLast()) : remote
        var schemes = ["https://", "http://"]
        if use == .buildContext { schemes.append("file://") }
        let isGit = remote.hasPrefix("git://") || remote.hasPrefix("ssh://") || remote.hasPrefix("git@")
            || (use == .buildContext && remote.hasPrefix("github.com/"))
            || (schemes.contains { remote.hasPrefix($0) } && path.hasSuffix(".git"))
        guard isGit, !remote.hasPrefix("-") else { return nil }
        self.remote = remote.hasPrefix("github.com/") ? "https://" + remote : remote
        if let fragment, !fragment.isEmpty {
            let parts = fragment.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            ref = parts[0].isEmpty ? nil : String(parts[0])
            if parts.count == 2, !parts[1].isEmpty { subdirectory = String(parts[1]) }
        }
    }

    /// The URL as given back in records: the remote, and `#REF:SUBDIR` when either was given.
    public var description: String {
        guard ref != nil || subdirectory != nil else { return remote }
        return remote + "#" + (ref ?? "") + (subdirectory.map { ":" + $0 } ?? "")
    }
}
