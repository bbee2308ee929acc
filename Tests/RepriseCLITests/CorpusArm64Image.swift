import Foundation
import TestSupport
import Testing

/// The arm64 Corpus base image (Debian's busybox-static for arm64), made once per test process
/// by `Corpus/base/make-busybox-arm64`, which verifies the .deb against the archive's signed
/// index and caches it in /var/cache/reprise.
enum CorpusArm64Image {
    /// Whether QEMU user emulation for arm64 is installed: the tests that build arm64 images
    /// need it (scripts/install-deps installs qemu-user-static).
    static var emulationAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-aarch64-static")
    }

    static let skipReason: Comment = "qemu-user-static is not installed (scripts/install-deps installs it): arm64 builds skipped"

    /// Path of an OCI layout holding the arm64 `busybox:latest`.
    static let layout: Result<String, any Error> = {
        Result {
            let directory = NSTemporaryDirectory() + "reprise-busybox-arm64-\(getpid())"
            if !FileManager.default.fileExists(atPath: directory + "/index.json") {
                try Tool.check([CorpusBaseImage.repositoryRoot + "/Corpus/base/make-busybox-arm64", directory])
            }
            return directory
        }
    }()

    static func path() throws -> String { try layout.get() }
}
