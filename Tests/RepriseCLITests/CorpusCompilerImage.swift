import Foundation
import TestSupport

/// The Corpus compiler image (Debian's gcc), made once per test process by
/// `Corpus/base/make-compiler-image`, which caches it under /var/cache/reprise by package versions.
enum CorpusCompilerImage {
    static let layout: Result<String, any Error> = {
        Result {
            let directory = NSTemporaryDirectory() + "reprise-compiler-\(getpid())"
            if !FileManager.default.fileExists(atPath: directory + "/index.json") {
                try Tool.check([CorpusBaseImage.repositoryRoot + "/Corpus/base/make-compiler-image", directory])
            }
            return directory
        }
    }()

    static func path() throws -> String { try layout.get() }
}
