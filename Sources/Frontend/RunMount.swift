/// One `RUN --mount=...` with BuildKit's defaults filled in.
public enum RunMount: Sendable, Hashable {
    case bind(BindMount)
    case cache(CacheMount)
    case tmpfs(TmpfsMount)
    case secret(SecretMount)
    case ssh(SSHMount)

    /// The `type=` name.
    public var typeName: String {
        switch self {
        case .bind: "bind"
        case .cache: "cache"
        case .tmpfs: "tmpfs"
        case .secret: "secret"
        case .ssh: "ssh"
        }
    }

    /// The stage, image or named context the mount reads from, if any.
    public var from: String? {
        switch self {
        case .bind(let mount): mount.from
        case .cache(let mount): mount.from
        case .tmpfs, .secret, .ssh: nil
        }
    }
}

/// `type=bind`: a read-only (unless `rw`) view of a context, stage or image.
public struct BindMount: Sendable, Hashable {
    /// Mount point; relative paths (and "") are resolved against the working directory.
    public var target: String
    /// Path inside `from`; nil means its root.
    public var source: String?
    /// Stage, image or named context; nil means the main build context.
    public var from: String?
    /// `rw`/`readwrite`: writes are allowed but thrown away. Default false.
    public var readWrite: Bool
}

/// `sharing=` of a cache mount.
public enum CacheSharing: String, Sendable, Hashable, CaseIterable {
    case shared, `private`, locked
}

/// `type=cache`: a directory that persists between builds.
public struct CacheMount: Sendable, Hashable {
    public var target: String
    /// Cache identity; defaults to the target path.
    public var id: String
    public var sharing: CacheSharing
    /// Permissions of a new cache directory; default 0755.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Stage or image whose content seeds the cache.
    public var from: String?
    public var source: String?
    public var readOnly: Bool
}

/// `type=tmpfs`: an empty in-memory filesystem.
public struct TmpfsMount: Sendable, Hashable {
    public var target: String
    /// Size limit in bytes; nil means unlimited.
    public var sizeBytes: Int64?
}

/// `type=secret`: a build secret as a file (default `/run/secrets/ID`) or an environment variable.
public struct SecretMount: Sendable, Hashable {
    /// Secret identity; defaults to the base name of the target.
    public var id: String
    /// Where the file appears; nil with `env` set means "no file".
    public var target: String?
    /// Environment variable to expose the secret as.
    public var env: String?
    /// Fail the step when the secret was not provided. Default false.
    public var required: Bool
    /// File permissions; default 0400.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32

    /// The file path the secret appears at, if any.
    public var effectiveTarget: String? {
        if let target { return target }
        return env == nil ? "/run/secrets/\(id)" : nil
    }
}

/// `type=ssh`: a forwarded SSH agent socket.
public struct SSHMount: Sendable, Hashable {
    /// Agent identity; default `default`.
    public var id: String
    /// Socket path; nil means `/run/buildkit/ssh_agent.N` for the Nth ssh mount.
    public var target: String?
    public var required: Bool
    /// Socket permissions; default 0600.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
}
