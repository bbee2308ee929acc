import Foundation
import Sandbox
import Testing

extension RealSandboxTests {
    /// Limits a step runs under: a pids and a memory cgroup per step (v2, or v1 on hybrid hosts
    /// like the CI machine), `--ulimit` through setrlimit, `/dev/shm` of `--shm-size`.
    @Suite("Resource limits")
    struct ResourceLimitTests {
        let rootfs: TestRootFilesystem
        let runner: NamespaceStepRunner

        init() throws {
            rootfs = try TestRootFilesystem()
            runner = NamespaceStepRunner(scratchDirectory: rootfs.base + "/scratch")
        }

        /// Step cgroups are named PID-N below the host's `reprise` parent(s); none may outlive
        /// its step.
        func leftoverControlGroups() -> [String] {
            let host = ControlGroupHost.current
            let parents: [String]
            switch host {
            case .unified(let parent): parents = [parent]
            case .legacy(let pids, let memory): parents = [pids, memory].compactMap { $0 }
            case .unavailable: parents = []
            }
            return parents.flatMap { parent in
                ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [])
                    .filter { $0.hasPrefix("\(getpid())-") }.map { parent + "/" + $0 }
            }
        }

        func requireControlGroups() throws {
            if case .unavailable(let reason) = ControlGroupHost.current {
                Issue.record("this host offers no cgroups to test with: \(reason)")
                throw CancellationError()
            }
        }

        @Test("a step that forks past its pids limit fails, naming the limit")
        func pidsLimit() async throws {
            defer { rootfs.remove() }
            try requireControlGroups()
            var spec = try rootfs.shell("forks", "for i in $(seq 1 200); do sleep 30 & done; wait")
            spec.limits.pids = 32
            let clock = ContinuousClock()
            let started = clock.now
            let result = try await runner.run(spec)
            // The shell gives up at its first failed fork; pid 1 leaving kills the sleeps.
            #expect(clock.now - started < .seconds(20))
            #expect(!result.status.succeeded, "\(result.stderrText)")
            #expect(result.stderrText.contains("fork"), "\(result.stderrText)")
            #expect(result.limitReached == .pids(limit: 32))
            #expect(result.failureDescription.hasPrefix("fork failed: pids limit 32 reached"))
            #expect(leftoverControlGroups().isEmpty, "\(leftoverControlGroups())")

            // The control: the same limit with room to spare hits nothing.
            var calm = try rootfs.shell("calm", "for i in $(seq 1 10); do sleep 0.1 & done; wait")
            calm.limits.pids = 32
            let fine = try await runner.run(calm)
            #expect(fine.status.succeeded, "\(fine.stderrText)")
            #expect(fine.limitReached == nil)
        }

        @Test("a classic fork bomb is contained and ends with its step")
        func forkBomb() async throws {
            defer { rootfs.remove() }
            try requireControlGroups()
            // Each call pipes two more into the background; without a limit this takes the
            // host's pid space. The step itself waits a moment and leaves.
            var spec = try rootfs.shell("bomb", "bomb() { bomb | bomb & }; bomb; sleep 2; exit 3")
            spec.limits.pids = 64
            let clock = ContinuousClock()
            let started = clock.now
            let result = try await runner.run(spec)
            #expect(clock.now - started < .seconds(30))
            #expect(result.status == .exited(3) || result.limitReached != nil, "\(result.status)")
            #expect(result.limitReached == .pids(limit: 64))
            #expect(result.failureDescription.contains("fork failed: pids limit 64 reached"))
            #expect(leftoverControlGroups().isEmpty, "\(leftoverControlGroups())")
        }

        @Test("a step that allocates past its memory limit is OOM-killed, naming the limit")
        func memoryLimit() async throws {
            defer { rootfs.remove() }
            try requireControlGroups()
            // dd allocates its block and fills it from /dev/zero: 96 MiB touched in one go.
            var spec = try rootfs.shell("hog", "dd if=/dev/zero of=/dev/null bs=96M count=1")
            spec.limits.memoryBytes = 32 << 20
            let result = try await runner.run(spec)
            #expect(!result.status.succeeded, "\(result.status) \(result.stderrText)")
            #expect(result.limitReached == .memory(limitBytes: 32 << 20))
            #expect(result.failureDescription.hasPrefix("RUN killed: memory limit 32 MiB reached"))
            #expect(leftoverControlGroups().isEmpty, "\(leftoverControlGroups())")

            // The control: with room for the block the same command succeeds.
            var roomy = try rootfs.shell("roomy", "dd if=/dev/zero of=/dev/null bs=96M count=1")
            roomy.limits.memoryBytes = 256 << 20
            let fine = try await runner.run(roomy)
            #expect(fine.status.succeeded, "\(fine.stderrText)")
            #expect(fine.limitReached == nil)
        }

        @Test("files on /dev/shm count against the memory limit")
        func shmCountsAgainstMemory() async throws {
            defer { rootfs.remove() }
            try requireControlGroups()
            var spec = try rootfs.shell("shmhog", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=100")
            spec.limits.memoryBytes = 32 << 20
            spec.limits.shmSizeBytes = 256 << 20
            let result = try await runner.run(spec)
            #expect(!result.status.succeeded, "\(result.stderrText)")
            #expect(result.limitReached == .memory(limitBytes: 32 << 20))
        }

        @Test("--ulimit values are what the command sees; the default is inherited")
        func ulimits() async throws {
            defer { rootfs.remove() }
            var spec = try rootfs.shell("ulimit", "ulimit -Sn; ulimit -Hn; ulimit -c")
            spec.limits.ulimits = [try Ulimit(parsing: "nofile=1024:2048"), try Ulimit(parsing: "core=0")]
            let result = try await runner.run(spec)
            #expect(result.status.succeeded, "\(result.stderrText)")
            #expect(result.stdoutText == "1024\n2048\n0\n")

            // Raising the hard limit above the host's needs CAP_SYS_RESOURCE (set before the
            // capabilities are dropped); where this process lacks it, the step fails naming it.
            var raised = try rootfs.shell("raised", "ulimit -Hn")
            var host = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &host)
            let above = UInt64(host.rlim_max) + 1
            raised.limits.ulimits = [Ulimit(resource: .nofile, soft: 64, hard: above)]
            if Self.hasCapability(24) {  // CAP_SYS_RESOURCE
                let higher = try await runner.run(raised)
                #expect(higher.stdoutText == "\(above)\n", "\(higher.stderrText)")
            } else {
                await #expect(throws: SandboxError.setupFailed(step: "set resource limit nofile=64:\(above)",
                                                               errno: EPERM, mountTarget: nil)) {
                    try await runner.run(raised)
                }
            }

            let plain = try await runner.run(rootfs.shell("plain", "ulimit -Hn"))
            #expect(plain.stdoutText == "\(host.rlim_max)\n")
        }

        /// Whether this process holds capability `number` (effective set).
        static func hasCapability(_ number: Int) -> Bool {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") } ?? ""
            let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) ?? 0
            return mask & (1 << UInt64(number)) != 0
        }

        @Test("/dev/shm exists, 64 MiB by default, and takes --shm-size")
        func shmSize() async throws {
            defer { rootfs.remove() }
            let standard = try await runner.run(rootfs.shell("shm", "df -k /dev/shm | tail -n 1"))
            #expect(standard.stdoutText.split(separator: " ").dropFirst().first == "65536",
                    "\(standard.stdoutText)")
            var spec = try rootfs.shell("shm128", "df -k /dev/shm | tail -n 1; stat -c %a /dev/shm")
            spec.limits.shmSizeBytes = 128 << 20
            let sized = try await runner.run(spec)
            let lines = sized.stdoutText.split(separator: "\n")
            #expect(lines.first?.split(separator: " ").dropFirst().first == "131072", "\(sized.stdoutText)")
            #expect(lines.last == "1777")
        }

        @Test("without usable cgroups the step runs unlimited and the runner says so once")
        func withoutControlGroups() async throws {
            defer { rootfs.remove() }
            let plain = NamespaceStepRunner(scratchDirectory: rootfs.base + "/scratch",
                                            controlGroupHost: .unavailable(reason: "tested without"))
            var spec = try rootfs.shell("nocg", "for i in $(seq 1 40); do sleep 0.2 & done; wait; echo done")
            spec.limits.pids = 16
            let first = try await plain.run(spec)
            #expect(first.status.succeeded, "\(first.stderrText)")
            #expect(first.stdoutText == "done\n")
            #expect(first.limitsNotice == "RUN steps run without pids limit 16: tested without")
            let second = try await plain.run(spec)
            #expect(second.limitsNotice == nil)
        }

        @Test("the step's /proc/self/cgroup shows its own cgroup namespace, not the host's hierarchy")
        func cgroupNamespace() async throws {
            defer { rootfs.remove() }
            try requireControlGroups()
            let result = try await runner.run(rootfs.shell("cg", "cat /proc/self/cgroup"))
            #expect(result.status.succeeded)
            let paths = result.stdoutText.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2).last ?? "" }
            #expect(!paths.isEmpty)
            #expect(!result.stdoutText.contains("reprise"), "\(result.stdoutText)")
        }
    }
}
