#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The cgroup(s) of one step: made before the sandbox starts, joined by its pid 1 before
/// anything else runs (through the open `cgroup.procs` descriptors, see csb_config), read for
/// limit events after the step, and removed.
///
/// With cgroup v2 that is one directory holding both limits; with v1 one directory per
/// hierarchy (pids, memory).
final class StepControlGroup {
    private struct Member {
        var directory: String
        var descriptor: Int32
    }

    private let host: ControlGroupHost
    private let limits: ResourceLimits
    private var members: [Member] = []
    private var pidsDirectory: String?
    private var memoryDirectory: String?

    private static let sequence = Atomic<Int>(0)

    /// Write-only `cgroup.procs` descriptors for the child.
    var descriptors: [Int32] { members.map(\.descriptor) }

    /// Creates the step's cgroups for what `host` can enforce of `limits`; nil when there is
    /// nothing to enforce.
    static func create(limits: ResourceLimits, host: ControlGroupHost) throws -> StepControlGroup? {
        guard limits.needsControlGroup else { return nil }
        let wantsPids = limits.pids != nil && host.pidsParent != nil
        let wantsMemory = limits.memoryBytes != nil && host.memoryParent != nil
        guard wantsPids || wantsMemory else { return nil }
        let group = StepControlGroup(host: host, limits: limits)
        let name = "\(getpid())-\(sequence.add(1, ordering: .relaxed).newValue)"
        do {
            switch host {
            case .unified(let parent):
                let directory = try group.make(parent + "/" + name)
                if let pids = limits.pids { try group.set("pids.max", String(pids), in: directory) }
                if let memory = limits.memoryBytes {
                    try group.set("memory.max", String(memory), in: directory)
                    // No swapping past the limit: the limit is what the step gets.
                    if FileManager.default.fileExists(atPath: directory + "/memory.swap.max") {
                        try group.set("memory.swap.max", "0", in: directory)
                    }
                }
                group.pidsDirectory = directory
                group.memoryDirectory = directory
            case .legacy(let pidsParent, let memoryParent):
                if wantsPids, let pidsParent, let pids = limits.pids {
                    let directory = try group.make(pidsParent + "/" + name)
                    try group.set("pids.max", String(pids), in: directory)
                    group.pidsDirectory = directory
                }
                if wantsMemory, let memoryParent, let memory = limits.memoryBytes {
                    let directory = try group.make(memoryParent + "/" + name)
                    try group.set("memory.limit_in_bytes", String(memory), in: directory)
                    if FileManager.default.fileExists(atPath: directory + "/memory.memsw.limit_in_bytes") {
                        try group.set("memory.memsw.limit_in_bytes", String(memory), in: directory)
                    }
                    group.memoryDirectory = directory
                }
            case .unavailable:
                return nil
            }
        } catch {
            group.remove()
            throw error
        }
        return group
    }

    private init(host: ControlGroupHost, limits: ResourceLimits) {
        self.host = host
        self.limits = limits
    }

    deinit {
        for member in members where member.descriptor >= 0 { close(member.descriptor) }
    }

    private func make(_ directory: String) throws -> String {
        guard mkdir(directory, 0o755) == 0 else {
            throw SandboxError.controlGroup(path: directory, errno: errno)
        }
        let descriptor = open(directory + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
        members.append(Member(directory: directory, descriptor: descriptor))
        guard descriptor >= 0 else {
            throw SandboxError.controlGroup(path: directory + "/cgroup.procs", errno: errno)
        }
        return directory
    }

    private func set(_ file: String, _ value: String, in directory: String) throws {
        guard ControlGroupHost.write(value, to: directory + "/" + file) else {
            throw SandboxError.controlGroup(path: directory + "/" + file, errno: errno)
        }
    }

    /// The limit the step ran into, memory first (an OOM kill is what ended it; failed forks
    /// may follow from it).
    func limitHit() -> ResourceLimitHit? {
        if let directory = memoryDirectory, let memory = limits.memoryBytes {
            let file = host.isUnified ? "memory.events" : "memory.oom_control"
            if (Self.counter(named: "oom_kill", in: directory + "/" + file) ?? 0) > 0 {
                return .memory(limitBytes: memory)
            }
        }
        if let directory = pidsDirectory, let pids = limits.pids,
           (Self.counter(named: "max", in: directory + "/pids.events") ?? 0) > 0
        {
            return .pids(limit: pids)
        }
        return nil
    }

    /// `NAME VALUE` lines, as the cgroup event files hold them.
    static func counter(named name: String, in file: String) -> Int? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == name { return Int(fields[1]) }
        }
        return nil
    }

    /// Removes the cgroups. By now the sandbox's pid 1 is reaped, so the kernel has killed the
    /// rest of its pid namespace, but they may still be exiting: kill any left (they can only be
    /// the step's) and retry for a while.
    func remove() {
        for index in members.indices where members[index].descriptor >= 0 {
            close(members[index].descriptor)
            members[index].descriptor = -1
        }
        for member in members.reversed() {
            for attempt in 0..<500 {
                if rmdir(member.directory) == 0 || errno == ENOENT { break }
                guard errno == EBUSY else { break }
                let procs = (try? String(contentsOfFile: member.directory + "/cgroup.procs", encoding: .utf8)) ?? ""
                for pid in procs.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
                usleep(attempt < 10 ? 1_000 : 10_000)
            }
        }
        members.removeAll()
    }
}
