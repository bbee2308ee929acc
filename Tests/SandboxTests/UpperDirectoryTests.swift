#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Sandbox
import Testing

extension RealSandboxTests {
    /// The upper directory after a run holds the step's changes and nothing the sandbox made.
    @Suite("Upper directory")
    struct UpperDirectoryTests {
        let rootfs: TestRootFilesystem
        let runner: NamespaceStepRunner

        init() throws {
            rootfs = try TestRootFilesystem()
            runner = NamespaceStepRunner(scratchDirectory: rootfs.base + "/scratch")
        }

        @Test("holds exactly the step's writes, with a whiteout for a removed file")
        func exactChanges() async throws {
            defer { rootfs.remove() }
            let spec = try rootfs.shell("changes", "touch /a; mkdir -p /b/c; rm /etc/x")
            let result = try await runner.run(spec)
            #expect(result.status == .exited(0))
            #expect(TestRootFilesystem.tree(spec.upperDirectory)
                == ["a", "b", "b/c", "etc", "etc/x (whiteout)"])
        }

        @Test("an empty image (FROM scratch) runs as uid 0 with only the sandbox's mount points")
        func emptyImage() async throws {
            defer { rootfs.remove() }
            var spec = try rootfs.spec("scratch", ["/busybox", "sh", "-c",
                                                   "/busybox id -u; /busybox ls /; /busybox touch /made"])
            spec.lowerDirectories = []
            spec.mounts = [.bind("/bin/busybox", to: "/busybox")]
            let result = try await runner.run(spec)
            #expect(result.status == .exited(0), "\(result.stderrText)")
            #expect(result.stdoutText == "0\nbusybox\ndev\netc\nproc\nsys\n")
            #expect(TestRootFilesystem.tree(spec.upperDirectory) == ["made"])
        }

        @Test("mounts at targets missing from the image leave no trace")
        func noMountPointArtefacts() async throws {
            defer { rootfs.remove() }
            let source = rootfs.base + "/bind-source"
            try FileManager.default.createDirectory(atPath: source + "/inner",
                                                    withIntermediateDirectories: true)
            try "data".write(toFile: rootfs.base + "/single-file", atomically: false,
                             encoding: .utf8)
            var spec = try rootfs.shell("artefacts", """
                set -e
                test -d /mnt/src/deep/inner
                test -f /opt/config/file.txt
                test -d /scratch/tmp
                test -d /scratch/tmp/nested
                test "$(cat /run/secrets/token)" = s3cret
                test -d /lib/modules
                test "$(readlink /lib)" = usr/lib
                test -d /dev/extra
                touch /a
                """)
            spec.mounts = [
                .bind(source, to: "/mnt/src/deep"),
                .bind(rootfs.base + "/single-file", to: "/opt/config/file.txt"),
                .tmpfs(at: "/scratch/tmp"),
                .tmpfs(at: "/scratch/tmp/nested"),
                .secret(Array("s3cret".utf8), at: "/run/secrets/token"),
                .tmpfs(at: "/lib/modules"),
                .tmpfs(at: "/dev/extra"),
            ]
            let result = try await runner.run(spec)
            #expect(result.status == .exited(0), "\(result.stderrText)")
            #expect(TestRootFilesystem.tree(spec.upperDirectory) == ["a"])
        }

        @Test("a directory the scaffold shadows keeps its attributes when copied up")
        func shadowedDirectoryAttributes() async throws {
            defer { rootfs.remove() }
            chmod(rootfs.lower + "/etc", 0o750)
            chown(rootfs.lower + "/etc", 0, 3000)
            var spec = try rootfs.shell("attrs", "stat -c '%a %g' /etc; touch /etc/new")
            spec.mounts = [.tmpfs(at: "/etc/generated")]  // forces etc/ into the scaffold
            let result = try await runner.run(spec)
            #expect(result.stdoutText == "750 3000\n")
            var info = stat()
            #expect(stat(spec.upperDirectory + "/etc", &info) == 0)
            #expect(info.st_mode & 0o7777 == 0o750)
            #expect(info.st_gid == 3000)
            #expect(TestRootFilesystem.tree(spec.upperDirectory) == ["etc", "etc/new"])
        }

        @Test("tmpfs writes vanish and rw bind writes reach the source, never the upper")
        func writesOutsideTheLayer() async throws {
            defer { rootfs.remove() }
            let shared = rootfs.base + "/shared"
            let kept = rootfs.base + "/kept"
            for directory in [shared, kept] {
                try FileManager.default.createDirectory(atPath: directory,
                                                        withIntermediateDirectories: true)
            }
            try "original".write(toFile: kept + "/file", atomically: false, encoding: .utf8)
            var spec = try rootfs.shell("writes", """
                echo t > /tmp/t/file && echo rw > /rw/file && echo k > /kept/file && echo k > /kept/new
                """)
            spec.mounts = [
                .tmpfs(at: "/tmp/t"),
                .bind(shared, to: "/rw", readOnly: false),
                .bindDiscardingWrites(kept, to: "/kept"),
            ]
            let result = try await runner.run(spec)
            #expect(result.status == .exited(0), "\(result.stderrText)")
            #expect(TestRootFilesystem.tree(spec.upperDirectory).isEmpty)
            #expect(try String(contentsOfFile: shared + "/file", encoding: .utf8) == "rw\n")
            #expect(try String(contentsOfFile: kept + "/file", encoding: .utf8) == "original")
            #expect(!FileManager.default.fileExists(atPath: kept + "/new"))

            var again = try rootfs.shell("again", "ls -A /tmp/t")
            again.mounts = [.tmpfs(at: "/tmp/t")]
            #expect(try await runner.run(again).stdoutText.isEmpty)
        }

        @Test("a read-only bind cannot be written")
        func readOnlyBind() async throws {
            defer { rootfs.remove() }
            let source = rootfs.base + "/ro"
            try FileManager.default.createDirectory(atPath: source,
                                                    withIntermediateDirectories: true)
            var spec = try rootfs.shell("ro", "touch /ro/file")
            spec.mounts = [.bind(source, to: "/ro")]
            let result = try await runner.run(spec)
            #expect(result.status == .exited(1))
            #expect(result.stderrText.contains("Read-only file system"))
            #expect(!FileManager.default.fileExists(atPath: source + "/file"))
        }
    }
}
