#if canImport(Glibc)
import Glibc
#endif

/// Why a step could not be run. A step that ran and failed is not an error: it is a
/// ``StepResult`` with a non-zero ``ExitStatus``.
public enum SandboxError: Error, Equatable, CustomStringConvertible {
    /// The spec cannot be run as given (empty command, relative paths, …).
    case invalidSpec(String)
    /// A mount target cannot be set up inside the image.
    case invalidMountTarget(target: String, reason: String)
    /// `USER` could not be resolved in the image.
    case unknownUser(String)
    /// Host-side scratch (scaffold, hosts file) could not be prepared.
    case scratch(path: String, errno: Int32)
    /// clone3 or a pipe failed before the sandbox existed.
    case spawnFailed(errno: Int32)
    /// The sandbox reported a failed setup step before the command started; `mountTarget` names
    /// the mount when the step was one of the extra mounts.
    case setupFailed(step: String, errno: Int32, mountTarget: String?)
    /// A step's cgroup could not be made or configured.
    case controlGroup(path: String, errno: Int32)
    /// The sandbox's init died without reporting the command's status (killed from outside).
    case sandboxKilled(signal: Int32)

    public var description: String {
        switch self {
        case .invalidSpec(let reason):
            return "invalid sandbox spec: \(reason)"
        case .invalidMountTarget(let target, let reason):
            return "cannot mount at \(target): \(reason)"
        case .unknownUser(let reason):
            return "cannot resolve user: \(reason)"
        case .scratch(let path, let code):
            return "cannot prepare sandbox scratch \(path): \(Self.message(code))"
        case .spawnFailed(let code):
            return "cannot start sandbox: \(Self.message(code))"
        case .setupFailed(let step, let code, let target):
            let what = target.map { "\(step) \($0)" } ?? step
            return "sandbox setup failed at \(what): \(Self.message(code))"
        case .controlGroup(let path, let code):
            return "cannot set up the step's cgroup \(path): \(Self.message(code))"
        case .sandboxKilled(let signal):
            return "sandbox init was killed by signal \(signal) before the command finished"
        }
    }

    static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
