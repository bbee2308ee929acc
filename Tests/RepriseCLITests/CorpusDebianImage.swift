import Foundation
import TestSupport

/// A minimal Debian image (debootstrap), made once by `Corpus/base/make-debian-image`, which
/// caches it under /var/cache/reprise; nil when it is not cached and the archive is unreachable.
enum CorpusDebianImage {
    static let layout: String? = {
        let directory = NSTemporaryDirectory() + "reprise-debian-\(getpid())"
        if FileManager.default.fileExists(atPath: directory + "/index.json") { return directory }
        let made = try? Tool.run([CorpusBaseImage.repositoryRoot + "/Corpus/base/make-debian-image", directory])
        if made?.succeeded == true { return directory }
        print("CorpusDebianImage: no Debian image: \(made?.stderr ?? "make-debian-image did not run")")
        return nil
    }()
}
