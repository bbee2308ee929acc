#if canImport(Glibc)
import Glibc
#endif
import CSandbox

/// The seccomp filter every RUN step's command runs under: built once per process by
/// libseccomp (in `CSandbox/seccomp.c`, which lists what it refuses and why) and handed to the
/// child as a finished BPF program, since the child may not allocate.
enum SeccompFilter {
    /// The program's bytes (`struct sock_filter` records), or why it could not be built.
    static let program: Result<[UInt8], SandboxError> = {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        let result = csb_seccomp_build(&buffer, &length)
        guard result == 0, let buffer else {
            return .failure(.setupFailed(step: "build seccomp filter", errno: -result, mountTarget: nil))
        }
        defer { free(buffer) }
        return .success(Array(UnsafeRawBufferPointer(start: buffer, count: length)))
    }()
}
