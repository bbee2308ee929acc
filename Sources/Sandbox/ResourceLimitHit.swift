/// A cgroup limit a step ran into, learnt from the cgroup's event counters after the step:
/// `oom_kill` (memory.events in v2, memory.oom_control in v1) and `max` (pids.events).
public enum ResourceLimitHit: Sendable, Hashable, CustomStringConvertible {
    /// The kernel's OOM killer killed a process of the step at its memory limit.
    case memory(limitBytes: UInt64)
    /// A fork or clone failed because the step had as many processes as its pids limit.
    case pids(limit: Int)

    public var description: String {
        switch self {
        case .memory(let limit): "RUN killed: memory limit \(ByteSize.describe(limit)) reached"
        case .pids(let limit): "fork failed: pids limit \(limit) reached"
        }
    }
}
