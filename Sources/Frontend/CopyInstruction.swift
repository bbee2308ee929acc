/// A source of `COPY` or `ADD`: a path (or URL, for `ADD`) or an inline heredoc.
public enum CopySource: Sendable, Hashable {
    case path(String)
    case heredoc(Heredoc)
}

/// `COPY [--from] [--chown] [--chmod] [--link] [--parents] [--exclude]... SRC... DEST`.
public struct CopyInstruction: Sendable, Hashable {
    public var sources: [CopySource]
    public var destination: String
    /// A stage name, stage index, image reference or named context.
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var parents: Bool
    public var excludes: [String]
}

/// `ADD [--chown] [--chmod] [--checksum] [--keep-git-dir] [--link] [--exclude]... SRC... DEST`.
public struct AddInstruction: Sendable, Hashable {
    public var sources: [CopySource]
    public var destination: String
    public var chown: String?
    public var chmod: String?
    /// Expected digest of a remote source (`sha256:...`).
    public var checksum: String?
    public var keepGitDir: Bool
    public var link: Bool
    /// `--unpack`: nil leaves the default (archives from the context are unpacked).
    public var unpack: Bool?
    public var excludes: [String]
}

extension CopyInstruction {
    /// `--chmod` parsed; nil when absent. In a planned (expanded) instruction the value has
    /// been validated, so nil there means "keep the source modes".
    public var chmodExpression: FileModeExpression? { chmod.flatMap { try? FileModeExpression.parse($0) } }
}

extension AddInstruction {
    /// `--chmod` parsed; see ``CopyInstruction/chmodExpression``.
    public var chmodExpression: FileModeExpression? { chmod.flatMap { try? FileModeExpression.parse($0) } }
}
