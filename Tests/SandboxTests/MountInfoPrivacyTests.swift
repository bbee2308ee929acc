import Foundation
import Sandbox
import Testing

extension RealSandboxTests {
    /// What a step's /proc/self/mountinfo tells it about the host: no layer, upper, work or
    /// scratch path in any mount's options or source, and host paths only in the root field of
    /// explicit binds (as under runc).
    @Suite("Mountinfo privacy")
    struct MountInfoPrivacyTests {
        let rootfs: TestRootFilesystem
        let runner: NamespaceStepRunner

        init() throws {
            rootfs = try TestRootFilesystem()
            runner = NamespaceStepRunner(scratchDirectory: rootfs.base + "/scratch")
        }

        /// One mountinfo line: the fields before " - " and after.
        struct Line {
            var root: String
            var mountPoint: String
            var filesystem: String
            var source: String
            var options: String

            init?(_ text: Substring) {
                let halves = text.components(separatedBy: " - ")
                guard halves.count == 2 else { return nil }
                let fields = halves[0].split(separator: " ")
                let tail = halves[1].split(separator: " ")
                guard fields.count >= 6, tail.count >= 3 else { return nil }
                root = String(fields[3])
                mountPoint = String(fields[4])
                filesystem = String(tail[0])
                source = String(tail[1])
                options = String(tail[2])
            }
        }

        @Test("a plain step's mountinfo names no host path at all")
        func plainStep() async throws {
            defer { rootfs.remove() }
            let result = try await runner.run(rootfs.shell("mi", "cat /proc/self/mountinfo"))
            #expect(result.status.succeeded, "\(result.stderrText)")
            #expect(!result.stdoutText.contains(rootfs.base), "\(result.stdoutText)")
            #expect(!result.stdoutText.contains("/tmp/"), "\(result.stdoutText)")
            let lines = result.stdoutText.split(separator: "\n").compactMap(Line.init)
            let root = try #require(lines.first { $0.mountPoint == "/" })
            #expect(root.filesystem == "overlay")
            // The layers are named as staged (l0, l1, … and u/ for the upper's directory).
            #expect(root.options.contains("lowerdir+=l0"), "\(root.options)")
            #expect(root.options.contains("upperdir=u/"), "\(root.options)")
            let hosts = try #require(lines.first { $0.mountPoint == "/etc/hosts" })
            #expect(hosts.filesystem == "tmpfs" && hosts.root == "/data", "\(hosts)")
        }

        @Test("binds show their host path only in the root field; rw binds not even there")
        func binds() async throws {
            defer { rootfs.remove() }
            let shared = rootfs.base + "/shared"
            try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
            var spec = try rootfs.shell("mibind", "cat /proc/self/mountinfo")
            spec.mounts = [.bind(shared, to: "/tmp", readOnly: true),
                           .bindDiscardingWrites(shared, to: "/home/app")]
            let result = try await runner.run(spec)
            #expect(result.status.succeeded, "\(result.stderrText)")
            let lines = result.stdoutText.split(separator: "\n").compactMap(Line.init)
            let bind = try #require(lines.first { $0.mountPoint == "/tmp" })
            #expect(bind.root.hasSuffix("/shared"), "\(bind)")
            let discarding = try #require(lines.first { $0.mountPoint == "/home/app" })
            #expect(discarding.filesystem == "overlay")
            #expect(!discarding.options.contains(rootfs.base), "\(discarding.options)")
            for line in lines where line.mountPoint != "/tmp" {
                #expect(!line.root.contains(rootfs.base) && !line.options.contains(rootfs.base)
                            && !line.source.contains(rootfs.base), "\(line)")
            }
        }
    }
}
