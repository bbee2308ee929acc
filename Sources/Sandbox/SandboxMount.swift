import Foundation

/// An extra mount inside the sandbox (Dockerfile `RUN --mount=…`, secrets, resolv.conf).
///
/// Targets that do not exist in the image are created only for the run, outside the upper
/// directory, so they never end up in the step's layer.
public struct SandboxMount: Sendable, Hashable {
    /// What is mounted.
    public enum Kind: Sendable, Hashable {
        /// A host file or directory, read-only or read-write. Writes through a read-write bind
        /// reach the host source, never the upper directory.
        case bind(source: String, readOnly: Bool)
        /// A host directory made writable through a private overlay whose upper lives on tmpfs:
        /// the step can write, and every write vanishes with the sandbox (BuildKit `rw` binds,
        /// whose writes are thrown away).
        case bindDiscardingWrites(source: String)
        /// An empty tmpfs. `sizeBytes` nil takes the kernel default (half of RAM).
        case tmpfs(sizeBytes: UInt64?, mode: UInt32)
        /// A file with the given bytes on a private tmpfs (never written to disk), for secrets.
        case file(contents: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32, readOnly: Bool)
    }

    /// Absolute path inside the sandbox.
    public var target: String
    public var kind: Kind

    public init(target: String, kind: Kind) {
        self.target = target
        self.kind = kind
    }

    /// A bind of a host path.
    public static func bind(_ source: String, to target: String, readOnly: Bool = true)
        -> SandboxMount
    {
        SandboxMount(target: target, kind: .bind(source: source, readOnly: readOnly))
    }

    /// A writable view of a host directory whose writes are discarded.
    public static func bindDiscardingWrites(_ source: String, to target: String) -> SandboxMount {
        SandboxMount(target: target, kind: .bindDiscardingWrites(source: source))
    }

    /// An empty tmpfs.
    public static func tmpfs(at target: String, sizeBytes: UInt64? = nil, mode: UInt32 = 0o1777)
        -> SandboxMount
    {
        SandboxMount(target: target, kind: .tmpfs(sizeBytes: sizeBytes, mode: mode))
    }

    /// A secret file (BuildKit's default target is `/run/secrets/ID`, mode 0400, root).
    public static func secret(_ contents: [UInt8], at target: String, mode: UInt32 = 0o400,
                              uid: UInt32 = 0, gid: UInt32 = 0) -> SandboxMount
    {
        SandboxMount(target: target,
                     kind: .file(contents: contents, mode: mode, uid: uid, gid: gid,
                                 readOnly: true))
    }

    /// The host's `/etc/resolv.conf`, read-only, for steps on the host network.
    public static let hostResolvConf = SandboxMount.bind("/etc/resolv.conf",
                                                         to: "/etc/resolv.conf")

    /// Whether the mount point must be a file rather than a directory; for binds, decided by the
    /// source on the host.
    var targetIsFile: Bool {
        switch kind {
        case .bind(let source, _):
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory)
            return !exists || !isDirectory.boolValue
        case .bindDiscardingWrites, .tmpfs: return false
        case .file: return true
        }
    }
}
