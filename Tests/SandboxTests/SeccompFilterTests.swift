import Foundation
import Sandbox
import TestSupport
import Testing

extension RealSandboxTests {
    /// The seccomp filter (issue 11): inside a RUN step, root cannot make namespaces (a user
    /// namespace would give it every capability there), nor reach the keyring, BPF, perf
    /// events, module loading, mounts, the clock or io_uring; ordinary work, fork and setuid
    /// still work. A static C probe makes each system call directly and prints its errno.
    @Suite("Seccomp filter")
    struct SeccompFilterTests {
        let rootfs: TestRootFilesystem
        let runner: NamespaceStepRunner

        init() throws {
            rootfs = try TestRootFilesystem()
            runner = NamespaceStepRunner(scratchDirectory: rootfs.base + "/scratch")
            try Tool.check(["gcc", "-static", "-O1", "-o", rootfs.lower + "/probe", "-x", "c", "-"],
                           input: Data(Self.probe.utf8))
        }

        /// Each line: `NAME RESULT`, RESULT being `ok` or the errno's number.
        static let probe = #"""
        #define _GNU_SOURCE
        #include <errno.h>
        #include <sched.h>
        #include <signal.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/mount.h>
        #include <sys/syscall.h>
        #include <sys/wait.h>
        #include <unistd.h>
        #include <linux/perf_event.h>
        static void report(const char *name, long result) {
            if (result < 0) printf("%s %d\n", name, errno); else printf("%s ok\n", name);
        }
        int main(void) {
            setvbuf(stdout, NULL, _IONBF, 0);
            report("unshare-user", unshare(CLONE_NEWUSER));
            report("unshare-uts", unshare(CLONE_NEWUTS));
            long child = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
            if (child == 0) _exit(0);
            if (child > 0) waitpid((pid_t)child, NULL, 0);
            report("clone-newuser", child);
            char args[88] = {0};
            report("clone3", syscall(SYS_clone3, args, sizeof args));
            report("keyctl", syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, "reprise-probe"));
            report("add_key", syscall(SYS_add_key, "user", "reprise", "x", 1, -3));
            char attr[128] = {0};
            report("bpf", syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof attr));
            struct perf_event_attr perf; memset(&perf, 0, sizeof perf);
            perf.type = PERF_TYPE_SOFTWARE; perf.size = sizeof perf; perf.config = PERF_COUNT_SW_CPU_CLOCK;
            perf.exclude_kernel = 1;
            report("perf_event_open", syscall(SYS_perf_event_open, &perf, 0, -1, -1, 0));
            report("init_module", syscall(SYS_init_module, "", 0, ""));
            report("finit_module", syscall(SYS_finit_module, -1, "", 0));
            report("mount", mount("none", "/tmp", "tmpfs", 0, NULL));
            report("io_uring_setup", syscall(SYS_io_uring_setup, 1, attr));
            report("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, attr, 0));
            pid_t forked = fork();
            if (forked == 0) _exit(7);
            int status = 0;
            waitpid(forked, &status, 0);
            report("fork", forked > 0 && WEXITSTATUS(status) == 7 ? 0 : -1);
            report("getpid", getpid() > 0 ? 0 : -1);
            return 0;
        }
        """#

        func results(_ spec: SandboxSpec) async throws -> [String: String] {
            let result = try await runner.run(spec)
            #expect(result.status.succeeded, "\(result.stderrText)")
            var lines: [String: String] = [:]
            for line in result.stdoutText.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2 { lines[String(parts[0])] = String(parts[1]) }
            }
            return lines
        }

        @Test("namespaces, keyring, bpf, perf, modules, mounts and io_uring are refused; fork works")
        func refusesWhatDockerRefuses() async throws {
            defer { rootfs.remove() }
            let refused = try await results(rootfs.spec("seccomp", ["/probe"]))
            let eperm = "\(EPERM)"
            for name in ["unshare-user", "unshare-uts", "clone-newuser", "keyctl", "add_key", "bpf",
                         "perf_event_open", "init_module", "finit_module", "mount", "io_uring_setup",
                         "open_by_handle_at"] {
                #expect(refused[name] == eperm, "\(name): \(refused[name] ?? "not run")")
            }
            #expect(refused["clone3"] == "\(ENOSYS)", "clone3: \(refused["clone3"] ?? "not run")")
            #expect(refused["fork"] == "ok")
            #expect(refused["getpid"] == "ok")
        }

        /// Without the filter the same probe gets further: the refusals above are the filter's,
        /// not accidents of the capability set or the kernel's configuration.
        @Test("without the filter, a user namespace and the keyring are reachable")
        func withoutTheFilterTheSameCallsGetThrough() async throws {
            defer { rootfs.remove() }
            var spec = try rootfs.spec("no-seccomp", ["/probe"])
            spec.seccomp = false
            let open = try await results(spec)
            #expect(open["unshare-user"] == "ok", "\(open)")
            #expect(open["keyctl"] == "ok", "\(open)")
        }

        /// A setuid-root binary still runs as root for a non-root user under the filter: it is
        /// installed without no_new_privs, as Docker's is.
        @Test("setuid binaries keep working for a non-root user")
        func setuidStillWorks() async throws {
            defer { rootfs.remove() }
            let euid = rootfs.lower + "/euid"
            try Tool.check(["gcc", "-static", "-o", euid, "-x", "c", "-"], input: Data("""
                #include <stdio.h>
                #include <unistd.h>
                int main(void) { printf("%d %d\\n", (int)getuid(), (int)geteuid()); return 0; }
                """.utf8))
            chmod(euid, 0o4755)
            var spec = try rootfs.spec("suid", ["/euid"])
            spec.user = SandboxUser("app")
            let result = try await runner.run(spec)
            #expect(result.status.succeeded, "\(result.stderrText)")
            #expect(result.stdoutText == "1000 0\n", "\(result.stdoutText)")
        }
    }
}
