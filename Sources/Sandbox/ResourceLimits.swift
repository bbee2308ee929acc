/// What one step may use: a cgroup per step for processes and memory, setrlimit for the
/// `--ulimit`s, and the size of `/dev/shm`.
///
/// Defaults: at most ``defaultPidsLimit`` processes and threads (a fork bomb fails instead of
/// taking the host down); memory unlimited unless asked for (`--memory`, as `docker build`
/// spells it: buildx has no such flag and BuildKit sets no limit); `/dev/shm` 64 MiB as Docker.
public struct ResourceLimits: Sendable, Hashable {
    /// Generous for compilers and test suites (v1's pids controller counts threads too), yet far
    /// below what exhausts a host (`kernel.pid_max` is at least 32768).
    public static let defaultPidsLimit = 4096
    /// Docker's default `--shm-size`.
    public static let defaultShmSizeBytes: UInt64 = 64 << 20
    /// Docker refuses less than this for `--memory`; below it not even a shell starts reliably.
    public static let minimumMemoryBytes: UInt64 = 6 << 20

    /// Processes and threads the step may have at once (pids cgroup); nil = unlimited.
    public var pids: Int?
    /// Memory the step may use, page cache and tmpfs included (memory cgroup, no swap beyond
    /// it); nil = unlimited.
    public var memoryBytes: UInt64?
    /// setrlimit(2) values for the command, applied in order.
    public var ulimits: [Ulimit]
    /// Size of `/dev/shm`; nil = ``defaultShmSizeBytes``.
    public var shmSizeBytes: UInt64?

    public init(pids: Int? = ResourceLimits.defaultPidsLimit, memoryBytes: UInt64? = nil,
                ulimits: [Ulimit] = [], shmSizeBytes: UInt64? = nil)
    {
        self.pids = pids
        self.memoryBytes = memoryBytes
        self.ulimits = ulimits
        self.shmSizeBytes = shmSizeBytes
    }

    /// No cgroup limit at all (ulimits and /dev/shm as given).
    public var needsControlGroup: Bool { pids != nil || memoryBytes != nil }
}
