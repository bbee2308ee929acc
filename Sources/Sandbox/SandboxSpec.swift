/// Everything that defines one run of a command in the sandbox (a Dockerfile `RUN` step).
///
/// A value: the engine builds it, records it, and a replay builds the same one again, varying
/// only what it means to vary (hostname, umask, environment, CPU affinity, ASLR).
///
/// The root filesystem is an overlay of `lowerDirectories` (top-most first, in overlayfs's own
/// format: whiteouts as 0/0 character devices, opaque directories by xattr) under a fresh
/// `upperDirectory`. After the run, the upper holds exactly the step's changes and nothing the
/// sandbox made for itself (see ``MountPointScaffold``), ready to become a layer.
public struct SandboxSpec: Sendable, Hashable {
    /// Extracted layers of the parent image, top-most first. May be empty (`FROM scratch`).
    public var lowerDirectories: [String]
    /// Where the bytes of metadata-only lowers among `lowerDirectories` are; nil: there are none.
    public var lowerData: LowerData?
    /// An empty directory that receives the step's changes. It and `workDirectory` must be on the
    /// same filesystem, which must not itself be overlayfs.
    public var upperDirectory: String
    /// An empty directory overlayfs needs for its own bookkeeping; not part of the result.
    public var workDirectory: String

    /// The command and its arguments; `arguments[0]` is searched in the `PATH` of `environment`
    /// (or ``defaultSearchPath``) inside the root when it contains no slash.
    public var arguments: [String]
    /// `KEY=value` strings, passed as given. `HOME` is added from the user's passwd entry when
    /// missing, as runc does.
    public var environment: [String]
    /// Absolute path inside the root; must exist (the engine creates it at `WORKDIR` time).
    public var workingDirectory: String
    public var user: SandboxUser
    public var hostname: String
    /// NIS domain name (`domainname`); nil leaves the new UTS namespace's default "(none)".
    public var domainName: String?
    public var network: SandboxNetwork
    /// A network namespace made beforehand (`/run/netns/NAME`) that the step joins instead of
    /// getting an empty one of its own: the recording network's, whose loopback holds the
    /// recorder. Only with `network == .none`.
    public var networkNamespacePath: String?
    /// File mode creation mask of the command.
    public var umask: UInt32
    /// CPUs the command may run on (and what `nproc` reports); nil inherits the caller's.
    public var cpuAffinity: [Int]?
    /// Runs the command with `personality(ADDR_NO_RANDOMIZE)`: no address-space randomisation.
    public var disableASLR: Bool
    /// Capabilities the command keeps; see ``LinuxCapabilities/buildDefault``.
    public var capabilities: LinuxCapabilities
    /// Whether the command runs under ``SeccompFilter`` (like Docker's default profile: no
    /// namespaces, keyring, BPF, perf events, modules, mounts…). On by default; off only for
    /// tests that compare with and without it.
    public var seccomp = true
    /// Extra mounts, applied in order after `/proc`, `/sys`, `/dev`, `/etc/hosts` and
    /// `/etc/hostname`.
    public var mounts: [SandboxMount]
    /// Bytes the step sees at the end of files the image has, never in its layer (the recording
    /// network's CA in the image's trust bundles); see ``FileAppendix``.
    public var fileAppendices: [FileAppendix] = []
    /// Text of `/etc/hosts`; nil generates one mapping `localhost` and `hostname` to loopback.
    public var hostsFile: String?
    /// pids and memory (a cgroup per step), `--ulimit`s and the size of `/dev/shm`.
    public var limits = ResourceLimits()

    /// `PATH` used to find the command when the environment sets none (BuildKit's default).
    public static let defaultSearchPath =
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    public init(
        lowerDirectories: [String],
        upperDirectory: String,
        workDirectory: String,
        arguments: [String],
        environment: [String] = ["PATH=\(SandboxSpec.defaultSearchPath)"],
        workingDirectory: String = "/",
        user: SandboxUser = .root,
        hostname: String = "reprise",
        domainName: String? = nil,
        network: SandboxNetwork = .none,
        umask: UInt32 = 0o022,
        cpuAffinity: [Int]? = nil,
        disableASLR: Bool = false,
        capabilities: LinuxCapabilities = .buildDefault,
        mounts: [SandboxMount] = [],
        hostsFile: String? = nil
    ) {
        self.lowerDirectories = lowerDirectories
        self.upperDirectory = upperDirectory
        self.workDirectory = workDirectory
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.user = user
        self.hostname = hostname
        self.domainName = domainName
        self.network = network
        self.umask = umask
        self.cpuAffinity = cpuAffinity
        self.disableASLR = disableASLR
        self.capabilities = capabilities
        self.mounts = mounts
        self.hostsFile = hostsFile
    }

    /// The `/etc/hosts` the step sees.
    public var effectiveHostsFile: String {
        hostsFile ?? "127.0.0.1\tlocalhost \(hostname)\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    }

    /// The directories searched for `arguments[0]`: the environment's `PATH` if set.
    public var searchPath: String {
        environment.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
            ?? Self.defaultSearchPath
    }

    /// The environment after adding `HOME` for `user` when missing.
    public func environment(for user: ResolvedUser) -> [String] {
        if environment.contains(where: { $0.hasPrefix("HOME=") }) { return environment }
        return environment + ["HOME=\(user.home)"]
    }
}

/// Whether a step has a network.
public enum SandboxNetwork: String, Sendable, Hashable, CaseIterable {
    /// A private network namespace with only the loopback interface, up. The default, as
    /// BuildKit's `--network=none`.
    case none
    /// The host's network namespace (`--network=host`). Add a bind of the host's
    /// `/etc/resolv.conf` (``SandboxMount/hostResolvConf``) so names resolve.
    case host
}
