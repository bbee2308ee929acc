import Foundation
import TestSupport

/// The Corpus base image (busybox-static), made once per test process by the repository's own
/// script, as a newcomer's machine would make it.
enum CorpusBaseImage {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Path of an OCI layout holding `busybox:latest`.
    static let layout: Result<String, any Error> = {
        Result {
            let directory = NSTemporaryDirectory() + "reprise-busybox-\(getpid())"
            if !FileManager.default.fileExists(atPath: directory + "/index.json") {
                try Tool.check([repositoryRoot + "/Corpus/base/make-busybox-image", directory])
            }
            return directory
        }
    }()

    static func path() throws -> String { try layout.get() }
}
