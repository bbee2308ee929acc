import Foundation
import Sandbox
import Testing

extension RealSandboxTests {
    /// What a step cannot see or leave behind: the host's network and files, mounts, processes
    /// and scratch, also when it fails or is cancelled.
    @Suite("Sandbox isolation")
    struct SandboxIsolationTests {
        let rootfs: TestRootFilesystem
        let runner: NamespaceStepRunner

        init() throws {
            rootfs = try TestRootFilesystem()
            runner = NamespaceStepRunner(scratchDirectory: rootfs.base + "/scratch")
        }

        var scratchEntries: [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: runner.scratchDirectory)) ?? []
        }

        @Test("without network, the host's loopback is unreachable and only lo exists")
        func noNetwork() async throws {
            defer { rootfs.remove() }
            let server = try LoopbackHTTPServer()
            defer { server.stop() }
            let url = "http://127.0.0.1:\(server.port)/"
            let blocked = try await runner.run(rootfs.shell("wget", "wget -q -O - \(url)"))
            // Connection refused by the sandbox's own loopback, not a crash or a timeout.
        #expect(blocked.status == .exited(1))
        #expect(blocked.stderrText.contains("refused"), "\(blocked.stderrText)")
            #expect(server.connectionCount == 0)

            let interfaces = try await runner.run(
                rootfs.shell("ifaces", "ls /sys/class/net; ip link show lo"))
            let lines = interfaces.stdoutText.split(separator: "\n")
            #expect(lines.first == "lo")
            #expect(lines.count > 1 && lines[1].contains("UP"))

            // The control: the same command on the host network reaches the server.
            var host = try rootfs.shell("wget-host", "wget -q -O - \(url)")
            host.network = .host
            let reached = try await runner.run(host)
            #expect(reached.status == .exited(0))
            #expect(reached.stdoutText == "hello")
            #expect(server.connectionCount == 1)
        }

        @Test("host paths outside the rootfs are invisible")
        func hostFilesInvisible() async throws {
            defer { rootfs.remove() }
            let secret = "/tmp/reprise-host-only-\(UUID().uuidString)"
            try "host".write(toFile: secret, atomically: false, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: secret) }
            let result = try await runner.run(rootfs.shell("peek", "cat \(secret)"))
            #expect(result.status == .exited(1))
            #expect(result.stdoutText.isEmpty)
            let root = try await runner.run(rootfs.shell("ls", "ls /"))
            #expect(!root.stdoutText.contains("scratch"))
            #expect(Set(root.stdoutText.split(separator: "\n"))
                == ["bin", "dev", "etc", "home", "lib", "proc", "root", "sys", "tmp", "usr"])
        }

        @Test("nothing stays mounted, running or in scratch after success, failure and setup failure")
        func nothingLeftBehind() async throws {
            defer { rootfs.remove() }
            let before = HostSnapshot.take()
            _ = try await runner.run(rootfs.shell("ok", "sleep 0.1 & echo done"))
            _ = try await runner.run(rootfs.shell("fail", "exit 7"))
            var broken = try rootfs.shell("broken", "true")
            broken.mounts = [.bind("/nonexistent-source-\(UUID().uuidString)", to: "/mnt")]
            await #expect(throws: SandboxError.self) { try await runner.run(broken) }
            #expect(HostSnapshot.take() == before)
            #expect(scratchEntries.isEmpty)
        }

        @Test("cancelling a running step returns promptly and leaves nothing")
        func cancellation() async throws {
            defer { rootfs.remove() }
            let before = HostSnapshot.take()
            let spec = try rootfs.spec("sleep", ["sleep", "4242"])
            let runner = self.runner
            let task = Task { try await runner.run(spec) }
            var waited = 0
            while HostSnapshot.processes(containing: "sleep 4242").isEmpty && waited < 100 {
                try await Task.sleep(for: .milliseconds(30))
                waited += 1
            }
            #expect(!HostSnapshot.processes(containing: "sleep 4242").isEmpty)
            let clock = ContinuousClock()
            let start = clock.now
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            // Not a speed bound (the machine may be loaded): unkilled, `sleep 4242` would run for
            // 70 minutes, so anything far below that shows the cancellation killed it.
            #expect(clock.now - start < .seconds(60))
            #expect(HostSnapshot.processes(containing: "sleep 4242").isEmpty)
            #expect(HostSnapshot.take() == before)
            #expect(scratchEntries.isEmpty)
        }

        @Test("background processes die with the step")
        func backgroundProcessesKilled() async throws {
            defer { rootfs.remove() }
            let result = try await runner.run(rootfs.shell("bg", "sleep 4343 & echo started"))
            #expect(result.stdoutText == "started\n")
            #expect(HostSnapshot.processes(containing: "sleep 4343").isEmpty)
        }

        @Test("root inside has Docker's capabilities without mknod, and global /proc knobs are read-only")
        func privileges() async throws {
            defer { rootfs.remove() }
            let root = try await runner.run(rootfs.shell("caps", """
                grep -E '^Cap(Eff|Bnd)' /proc/self/status
                mkdir /m && mount -t tmpfs none /m && echo mounted
                mknod /node c 1 3 && echo made-node
                echo 3 > /proc/sys/vm/drop_caches && echo wrote-sysctl
                cat /proc/kcore | wc -c
                """))
            let expected = String(LinuxCapabilities.buildDefault.rawValue, radix: 16)
            let padded = String(repeating: "0", count: 16 - expected.count) + expected
            #expect(root.stdoutText.hasPrefix("CapEff:\t\(padded)\nCapBnd:\t\(padded)\n"))
            #expect(!root.stdoutText.contains("mounted"))
            #expect(!root.stdoutText.contains("made-node"))
            #expect(!root.stdoutText.contains("wrote-sysctl"))
            #expect(root.stdoutText.hasSuffix("\n0\n"))
            // Refused for the right reasons, not for a missing applet.
            #expect(root.stderrText.contains("mount: permission denied"), "\(root.stderrText)")
            #expect(root.stderrText.contains("mknod: /node: Operation not permitted"))
            #expect(root.stderrText.contains("drop_caches: Read-only file system"))

            var user = try rootfs.shell("caps-user", "grep '^CapEff' /proc/self/status")
            user.user = "app"
            #expect(try await runner.run(user).stdoutText == "CapEff:\t0000000000000000\n")
        }

        @Test("scratch of a dead process is swept")
        func sweepAbandoned() throws {
            defer { rootfs.remove() }
            let stale = runner.scratchDirectory + "/run-999999999-abcdef"
            try FileManager.default.createDirectory(atPath: stale + "/scaffold/proc",
                                                    withIntermediateDirectories: true)
            #expect(runner.removeAbandonedScratch() == [stale])
            #expect(scratchEntries.isEmpty)
        }
    }
}
