#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// How this host lets Reprise give each step its own cgroup, found once per process.
///
/// - ``unified``: cgroup v2 with the `pids` and `memory` controllers available to this process's
///   cgroup. Step cgroups go in a `reprise` child of it, with both controllers enabled on the way
///   down (v2's "no internal processes" rule means this only works when our own cgroup is the
///   root or holds no processes, as under a systemd scope with `Delegate=yes`).
/// - ``legacy``: cgroup v1 hierarchies for `pids` and/or `memory` (also hybrid hosts, whose
///   cgroup2 mount at /sys/fs/cgroup/unified has these controllers bound to v1). Step cgroups go
///   in a `reprise` child of our cgroup in each hierarchy.
/// - ``unavailable``: neither; steps run without pids or memory limits, and the build says so.
///
/// `REPRISE_CGROUPS=off` in the environment forces ``unavailable`` (for hosts where creating
/// cgroups is not wanted, and to test that path).
public enum ControlGroupHost: Sendable, Hashable, CustomStringConvertible {
    case unified(parent: String)
    case legacy(pids: String?, memory: String?)
    case unavailable(reason: String)

    /// Found at first use; sweeps step cgroups that processes killed with SIGKILL left behind.
    public static let current: ControlGroupHost = {
        let host = detect(environment: ProcessInfo.processInfo.environment)
        host.sweepAbandoned()
        return host
    }()

    public var description: String {
        switch self {
        case .unified(let parent): "cgroup v2 (\(parent))"
        case .legacy(let pids, let memory):
            "cgroup v1 (" + [pids.map { "pids: \($0)" }, memory.map { "memory: \($0)" }]
                .compactMap { $0 }.joined(separator: ", ") + ")"
        case .unavailable(let reason): "no cgroups: \(reason)"
        }
    }

    /// Directory steps' pids cgroups go in, if any.
    var pidsParent: String? {
        switch self {
        case .unified(let parent): parent
        case .legacy(let pids, _): pids
        case .unavailable: nil
        }
    }

    /// Directory steps' memory cgroups go in, if any.
    var memoryParent: String? {
        switch self {
        case .unified(let parent): parent
        case .legacy(_, let memory): memory
        case .unavailable: nil
        }
    }

    /// What of `limits` this host cannot enforce, as one sentence for a warning; nil when all is.
    public func unenforced(_ limits: ResourceLimits) -> String? {
        var missing: [String] = []
        if let pids = limits.pids, pidsParent == nil { missing.append("pids limit \(pids)") }
        if let memory = limits.memoryBytes, memoryParent == nil {
            missing.append("memory limit \(ByteSize.describe(memory))")
        }
        guard !missing.isEmpty else { return nil }
        let why: String
        switch self {
        case .unavailable(let reason): why = reason
        case .legacy: why = "this host's cgroup v1 lacks the controller"
        case .unified: why = "this host's cgroup v2 lacks the controller"
        }
        return "RUN steps run without \(missing.joined(separator: " and ")): \(why)"
    }

    static func detect(environment: [String: String]) -> ControlGroupHost {
        if environment["REPRISE_CGROUPS"] == "off" {
            return .unavailable(reason: "REPRISE_CGROUPS=off")
        }
        guard geteuid() == 0 else { return .unavailable(reason: "not running as root") }
        guard let mountinfo = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8),
              let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        else { return .unavailable(reason: "cannot read /proc/self/mountinfo or /proc/self/cgroup") }
        let mounts = CgroupMount.parse(mountinfo)
        let memberships = CgroupMembership.parse(membership)
        var v2Problem: String?
        if let mount = mounts.first(where: { $0.isUnified }),
           let own = memberships.first(where: { $0.hierarchyID == 0 }),
           let directory = mount.directory(for: own.path)
        {
            switch prepareUnified(directory) {
            case .success(let parent): return .unified(parent: parent)
            case .failure(let problem): v2Problem = problem.reason
            }
        }
        var pids: String?
        var memory: String?
        for mount in mounts where !mount.isUnified {
            for controller in ["pids", "memory"] where mount.controllers.contains(controller) {
                guard let own = memberships.first(where: { $0.controllers.contains(controller) }),
                      let directory = mount.directory(for: own.path)
                else { continue }
                let parent = directory + "/reprise"
                guard makeDirectory(parent) else { continue }
                if controller == "pids" { pids = parent } else { memory = parent }
            }
        }
        if pids != nil || memory != nil { return .legacy(pids: pids, memory: memory) }
        return .unavailable(reason: v2Problem ?? "no cgroup v2 with pids and memory controllers, and no "
            + "writable cgroup v1 pids or memory hierarchy")
    }

    private struct Problem: Error { var reason: String }

    /// Enables pids and memory for `own/reprise` and its children.
    private static func prepareUnified(_ own: String) -> Result<String, Problem> {
        let available = (try? String(contentsOfFile: own + "/cgroup.controllers", encoding: .utf8)) ?? ""
        let controllers = Set(available.split(whereSeparator: \.isWhitespace).map(String.init))
        guard controllers.isSuperset(of: ["pids", "memory"]) else {
            return .failure(Problem(reason: "cgroup v2 at \(own) offers only [\(available.trimmingCharacters(in: .whitespacesAndNewlines))], "
                + "not pids and memory"))
        }
        let parent = own + "/reprise"
        guard write("+pids +memory", to: own + "/cgroup.subtree_control") else {
            return .failure(Problem(reason: "cannot enable pids and memory below \(own) (\(Self.lastError)); "
                + "run reprise in a cgroup of its own, e.g. systemd-run --scope -p Delegate=yes"))
        }
        guard makeDirectory(parent), write("+pids +memory", to: parent + "/cgroup.subtree_control") else {
            return .failure(Problem(reason: "cannot prepare \(parent) (\(Self.lastError))"))
        }
        return .success(parent)
    }

    /// Removes step cgroups whose creating process is gone (named `PID-N`; rmdir fails harmlessly
    /// while one still has processes).
    func sweepAbandoned() {
        for parent in Set([pidsParent, memoryParent].compactMap { $0 }) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { continue }
            for name in names {
                guard let pid = pid_t(name.prefix { $0 != "-" }), pid != getpid() else { continue }
                if kill(pid, 0) == 0 || errno == EPERM { continue }
                rmdir(parent + "/" + name)
            }
        }
    }

    private static var lastError: String { String(cString: strerror(errno)) }

    static func makeDirectory(_ path: String) -> Bool {
        mkdir(path, 0o755) == 0 || errno == EEXIST
    }

    /// One write(2) of the whole text, as cgroup files want.
    static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }
}

extension ControlGroupHost {
    var isUnified: Bool {
        if case .unified = self { return true }
        return false
    }
}
