import Foundation
import Sandbox
import Testing

extension RealSandboxTests {
    /// The settings a replay may vary take effect inside the sandbox.
    @Suite("Sandbox settings")
    struct SandboxSettingsTests {
        let rootfs: TestRootFilesystem
        let runner: NamespaceStepRunner

        init() throws {
            rootfs = try TestRootFilesystem()
            runner = NamespaceStepRunner(scratchDirectory: rootfs.base + "/scratch")
        }

        func output(_ spec: SandboxSpec) async throws -> String {
            let result = try await runner.run(spec)
            #expect(result.status == .exited(0), "\(result.stderrText)")
            return result.stdoutText
        }

        @Test("hostname, domain name, /etc/hostname and /etc/hosts")
        func names() async throws {
            defer { rootfs.remove() }
            var spec = try rootfs.shell("names", "hostname; cat /proc/sys/kernel/domainname /etc/hostname /etc/hosts")
            spec.hostname = "replay-host"
            spec.domainName = "example.test"
            let text = try await output(spec)
            #expect(text.hasPrefix("replay-host\nexample.test\nreplay-host\n127.0.0.1\tlocalhost replay-host\n"))
        }

        @Test("localhost resolves and loopback works inside")
        func localhostInside() async throws {
            defer { rootfs.remove() }
            let spec = try rootfs.shell("lo", """
                mkdir /www && echo inside > /www/index.html && httpd -p 127.0.0.1:8080 -h /www && sleep 0.3 && wget -q -O - http://localhost:8080/index.html
                """)
            #expect(try await output(spec) == "inside\n")
        }

        @Test("umask, environment and working directory")
        func processSettings() async throws {
            defer { rootfs.remove() }
            var spec = try rootfs.shell("proc", "umask; echo \"$GREETING\"; pwd; echo $HOME")
            spec.umask = 0o027
            spec.environment = ["PATH=/bin", "GREETING=hello there"]
            spec.workingDirectory = "/home/app"
            #expect(try await output(spec) == "0027\nhello there\n/home/app\n/root\n")
        }

        @Test("user by name, by uid:gid, by name:group, and nobody")
        func users() async throws {
            defer { rootfs.remove() }
            let script = "id -u; id -g; id -G; echo $HOME"
            var byName = try rootfs.shell("name", script)
            byName.user = "app"
            #expect(try await output(byName) == "1000\n1000\n1000 2000 3000\n/home/app\n")

            var byNumbers = try rootfs.shell("numbers", script)
            byNumbers.user = "1234:4321"
            #expect(try await output(byNumbers) == "1234\n4321\n4321\n/\n")

            var withGroup = try rootfs.shell("group", script)
            withGroup.user = "app:tools"
            let grouped = try await output(withGroup)
            #expect(grouped == "1000\n3000\n3000 2000\n/home/app\n")

            var nobody = try rootfs.shell("nobody", "id -un; touch /root/x")
            nobody.user = "nobody"
            let result = try await runner.run(nobody)
            #expect(result.stdoutText == "nobody\n")
            #expect(result.status == .exited(1))

            var unknown = try rootfs.shell("unknown", "true")
            unknown.user = "ghost"
            await #expect(throws: SandboxError.unknownUser(
                "no user \"ghost\" in the image's /etc/passwd")) { try await runner.run(unknown) }
        }

        @Test("ASLR off and CPU affinity")
        func personalityAndAffinity() async throws {
            defer { rootfs.remove() }
            var spec = try rootfs.shell("aslr", "cat /proc/self/personality; nproc")
            spec.disableASLR = true
            spec.cpuAffinity = [0]
            #expect(try await output(spec) == "00040000\n1\n")
            let normal = try await output(rootfs.shell("aslr-on", "cat /proc/self/personality"))
            #expect(normal == "00000000\n")
        }

        @Test("a secret file is readable with its mode and owner")
        func secretFile() async throws {
            defer { rootfs.remove() }
            var spec = try rootfs.shell("secret", "stat -c '%a %u' /run/secrets/id; cat /run/secrets/id; echo x > /run/secrets/id")
            spec.mounts = [.secret(Array("value".utf8), at: "/run/secrets/id", mode: 0o440, uid: 1000)]
            let result = try await runner.run(spec)
            #expect(result.stdoutText == "440 1000\nvalue")
            #expect(result.status == .exited(1))
            #expect(TestRootFilesystem.tree(spec.upperDirectory).isEmpty)
        }
    }
}
