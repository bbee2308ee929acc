#if canImport(Glibc)
import Glibc
#endif
import CSandbox
import Foundation
import Sandbox
import Testing

extension RealSandboxTests {
    /// A lower layer of metadata-only files whose bytes live in ``SandboxSpec/lowerDataDirectory``
    /// (the engine's lowers for a COPY: the store's blobs are the data): the step sees each file
    /// with its own metadata and the data file's bytes, changes copy up whole, and the upper is a
    /// plain layer again.
    @Suite("Data-only lower", .enabled(if: DataOnlyLowers.isAvailable, "needs Linux 6.8 and REPRISE_DATA_ONLY_LOWERS not 0"))
    struct DataOnlyLowerTests {
        let rootfs: TestRootFilesystem
        let runner: NamespaceStepRunner

        init() throws {
            rootfs = try TestRootFilesystem()
            runner = NamespaceStepRunner(scratchDirectory: rootfs.base + "/scratch")
        }

        /// A metadata-only file at `path`: `size` bytes of hole, `mode`, `uid`, and overlayfs's
        /// metacopy and redirect (`/NAME` in the data directory) attributes, set by python3 (Swift's
        /// Glibc module does not export the xattr calls).
        static func metadataOnlyFile(_ path: String, size: Int, mode: mode_t, uid: uid_t, redirect: String) throws {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            defer { close(fd) }
            guard ftruncate(fd, off_t(size)) == 0, fchown(fd, uid, uid) == 0, fchmod(fd, mode) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", "import os, sys; os.setxattr(sys.argv[1], 'trusted.overlay.metacopy', b''); "
                                    + "os.setxattr(sys.argv[1], 'trusted.overlay.redirect', sys.argv[2].encode())",
                                 path, redirect]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
        }

        static func attribute(_ name: String, of path: String) -> Bool {
            var value = [UInt8](repeating: 0, count: 256)
            return csb_lgetxattr(path, name, &value, value.count) >= 0
        }

        @Test("shows the data file's bytes with the lower's metadata, copies up whole, resolves USER through it")
        func metadataOnlyFilesReadAndCopyUp() async throws {
            defer { rootfs.remove() }
            let data = rootfs.base + "/data"
            let metadata = rootfs.base + "/metadata"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: metadata + "/etc", withIntermediateDirectories: true)
            let config = "setting = 1\n" + String(repeating: "x", count: 70_000) + "\n"
            let passwd = TestRootFilesystem.passwd + "meta:x:4242:4242:Meta:/:/bin/sh\n"
            try config.write(toFile: data + "/0a1b", atomically: false, encoding: .utf8)
            try passwd.write(toFile: data + "/2c3d", atomically: false, encoding: .utf8)
            try Self.metadataOnlyFile(metadata + "/etc/app.conf", size: config.utf8.count, mode: 0o640, uid: 1000,
                                      redirect: "/0a1b")
            try Self.metadataOnlyFile(metadata + "/etc/passwd", size: passwd.utf8.count, mode: 0o644, uid: 0,
                                      redirect: "/2c3d")
            try Self.metadataOnlyFile(metadata + "/etc/untouched", size: config.utf8.count, mode: 0o644, uid: 0,
                                      redirect: "/0a1b")
            // A file named like a blob in a lower below (an earlier RUN can write one): overlayfs
            // would look a redirect up there before the data layer, were the lowers merged.
            try String(repeating: "planted\n", count: 9_000).write(toFile: rootfs.lower + "/0a1b", atomically: false, encoding: .utf8)
            let lowerData = LowerData(directory: data, redirectingLowers: [metadata])

            // USER is resolved before the clone, from the lowers on the host: through the redirect.
            var lookup = try rootfs.shell("data-only-user", "id -u")
            lookup.lowerDirectories = [metadata, rootfs.lower]
            lookup.lowerData = lowerData
            lookup.user = SandboxUser(user: "meta")
            let asMeta = try await runner.run(lookup)
            #expect(asMeta.status == .exited(0), "\(asMeta.stderrText)")
            #expect(asMeta.stdoutText == "4242\n", "USER meta was not resolved through the redirect")

            var asRoot = try rootfs.shell("data-only", """
                set -e
                id -u
                stat -c '%a %u %s' /etc/app.conf
                head -c 12 /etc/app.conf
                wc -c < /etc/untouched
                chmod 600 /etc/app.conf
                echo appended >> /etc/passwd
                cat /etc/untouched > /etc/untouched-copy
                cat /proc/self/mountinfo > /mountinfo
                """)
            asRoot.lowerDirectories = [metadata, rootfs.lower]
            asRoot.lowerData = lowerData
            let result = try await runner.run(asRoot)
            #expect(result.status == .exited(0), "\(result.stderrText)")
            #expect(result.stdoutText == "0\n640 1000 \(config.utf8.count)\nsetting = 1\n\(config.utf8.count)\n",
                    "\(result.stdoutText)")
            #expect(try String(contentsOfFile: asRoot.upperDirectory + "/etc/untouched-copy", encoding: .utf8) == config,
                    "a metadata-only file showed the bytes of a file named like its blob in a lower below")

            // Copied up whole: plain files with the data's bytes, no overlay metadata to carry.
            let upper = asRoot.upperDirectory
            #expect(try String(contentsOfFile: upper + "/etc/app.conf", encoding: .utf8) == config)
            #expect(try String(contentsOfFile: upper + "/etc/passwd", encoding: .utf8) == passwd + "appended\n")
            for name in ["app.conf", "passwd"] {
                #expect(!Self.attribute("trusted.overlay.metacopy", of: upper + "/etc/" + name), "\(name)")
                #expect(!Self.attribute("trusted.overlay.redirect", of: upper + "/etc/" + name), "\(name)")
            }
            var info = stat()
            #expect(stat(upper + "/etc/app.conf", &info) == 0 && info.st_mode & 0o7777 == 0o600 && info.st_uid == 1000)
            #expect(!FileManager.default.fileExists(atPath: upper + "/etc/untouched"))
            // The merge and the data directory are staged under short names like every layer.
            let mountinfo = try String(contentsOfFile: upper + "/mountinfo", encoding: .utf8)
            #expect(!mountinfo.contains(rootfs.base), "\(mountinfo)")
        }

        @Test("without a data directory a metadata-only lower is refused, not shown as zeros")
        func noDataDirectoryMeansNoRedirect() async throws {
            defer { rootfs.remove() }
            let metadata = rootfs.base + "/metadata"
            try FileManager.default.createDirectory(atPath: metadata, withIntermediateDirectories: true)
            try Self.metadataOnlyFile(metadata + "/file", size: 10, mode: 0o644, uid: 0, redirect: "/0a1b")
            var spec = try rootfs.shell("no-data", "echo started; cat /file")
            spec.lowerDirectories = [metadata, rootfs.lower]
            let result = try await runner.run(spec)
            // metacopy=off: overlayfs refuses to follow the metacopy file rather than show its hole.
            #expect(result.stdoutText == "started\n", "the step did not run, or cat printed the hole")
            #expect(result.status == .exited(1))
            #expect(result.stderrText.contains("cat:"), "\(result.stderrText)")
        }
    }
}
