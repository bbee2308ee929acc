/// The resource limits a build's RUN steps ran under, so a replay runs them under the same
/// (a step's `ulimit -n` or the size of its /dev/shm can be in its output). Ulimits as
/// `NAME=SOFT:HARD`; nil fields were not limited.
public struct LimitsRecord: Codable, Sendable, Hashable {
    public var pids: Int?
    public var memoryBytes: UInt64?
    public var ulimits: [String]
    public var shmSizeBytes: UInt64?

    public init(pids: Int?, memoryBytes: UInt64?, ulimits: [String], shmSizeBytes: UInt64?) {
        self.pids = pids
        self.memoryBytes = memoryBytes
        self.ulimits = ulimits
        self.shmSizeBytes = shmSizeBytes
    }
}
