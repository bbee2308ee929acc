import Foundation
import Sandbox
import Synchronization
import Testing

extension RealSandboxTests {
    /// Running commands: output, statuses, setup failures, streaming, concurrency.
    @Suite("NamespaceStepRunner")
    struct NamespaceStepRunnerTests {
        let rootfs: TestRootFilesystem
        let runner: NamespaceStepRunner

        init() throws {
            rootfs = try TestRootFilesystem()
            runner = NamespaceStepRunner(scratchDirectory: rootfs.base + "/scratch")
        }

        @Test("stdout, stderr and the exit code come back")
        func outputAndExitCode() async throws {
            defer { rootfs.remove() }
            let result = try await runner.run(
                rootfs.shell("out", "echo to-stdout; echo to-stderr >&2; exit 3"))
            #expect(result.status == .exited(3))
            #expect(result.stdoutText == "to-stdout\n")
            #expect(result.stderrText == "to-stderr\n")
            #expect(result.duration > .zero)
        }

        @Test("a failing command and a signal-killed command report their status")
        func failureAndSignal() async throws {
            defer { rootfs.remove() }
            #expect(try await runner.run(rootfs.spec("false", ["false"])).status == .exited(1))
            let killed = try await runner.run(rootfs.shell("kill", "kill -9 $$"))
            #expect(killed.status == .signaled(9))
        }

        @Test("a missing command is a setup failure naming execve and ENOENT")
        func missingCommand() async throws {
            defer { rootfs.remove() }
            await #expect(throws: SandboxError.setupFailed(step: "execute command", errno: ENOENT,
                                                           mountTarget: nil)) {
                try await runner.run(rootfs.spec("missing", ["no-such-command"]))
            }
        }

        @Test("a missing working directory fails clearly")
        func missingWorkingDirectory() async throws {
            defer { rootfs.remove() }
            var spec = try rootfs.spec("cwd", ["true"])
            spec.workingDirectory = "/does/not/exist"
            await #expect(throws: SandboxError.setupFailed(step: "change to working directory",
                                                           errno: ENOENT, mountTarget: nil)) {
                try await runner.run(spec)
            }
        }

        @Test("output is streamed to the handler as it comes")
        func streaming() async throws {
            defer { rootfs.remove() }
            let chunks = ChunkRecorder()
            let result = try await runner.run(
                rootfs.shell("stream", "echo one; sleep 0.2; echo two >&2"),
                output: { chunks.append($0) })
            #expect(result.status == .exited(0))
            #expect(chunks.all.map(\.stream) == [.stdout, .stderr])
            #expect(chunks.all.flatMap(\.bytes) == Array("one\ntwo\n".utf8))
        }

        @Test("concurrent sandboxes do not hold each other's pipes open")
        func concurrentRuns() async throws {
            defer { rootfs.remove() }
            let runner = self.runner
            // Not a timing bound (the machine may be loaded): a sandbox that held the other's
            // pipes open would make the short run wait for the long one to finish.
            let long = try rootfs.shell("long", "sleep 8; echo long")
            let short = try rootfs.shell("short", "echo short")
            let slowDone = Mutex(false)
            async let slow: StepResult = {
                let result = try await runner.run(long)
                slowDone.withLock { $0 = true }
                return result
            }()
            try await Task.sleep(for: .milliseconds(200))
            let quick = try await runner.run(short)
            #expect(slowDone.withLock { $0 } == false, "the short run returned only after the long one ended")
            #expect(quick.stdoutText == "short\n")
            #expect(try await slow.stdoutText == "long\n")
        }
    }
}

/// Collects streamed chunks from the runner's thread.
final class ChunkRecorder: Sendable {
    private let chunks = Mutex<[StepOutputChunk]>([])
    func append(_ chunk: StepOutputChunk) { chunks.withLock { $0.append(chunk) } }
    var all: [StepOutputChunk] { chunks.withLock { $0 } }
}
