import BuildJournal
import Foundation
import Replay

/// `--cache-to type=local,dest=DIR` and `--cache-from type=local,src=DIR`: the journal's step
/// cache is the cache. Exporting writes the build as a bundle (an OCI layout tar holding its
/// record, step records and layers, as `journal export` does) into DIR; importing brings the
/// bundle into this journal (every blob verified), so steps whose keys match become CACHED
/// here exactly as after a local build.
enum StepCacheTransfer {
    static let bundleName = "reprise-cache.tar"

    /// `platform` (`linux_arm64`) names the bundle of one platform's build of several:
    /// `reprise-cache-linux_arm64.tar` beside the first platform's `reprise-cache.tar`.
    static func exportCache(of buildID: String, from journal: Journal, to directory: String,
                            platform: String? = nil) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + (platform.map { "reprise-cache-\($0).tar" } ?? bundleName)
        let temporary = path + ".tmp-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        try BuildBundle.export(buildID, from: journal, to: temporary)
        guard rename(temporary, path) == 0 else {
            throw CacheTransferError("--cache-to: cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func importCaches(from directories: [String], into journal: Journal) throws {
        for directory in directories {
            let path = directory + "/" + bundleName
            guard FileManager.default.fileExists(atPath: path) else {
                // As buildx: a cache that is not there yet is a warning, and the build goes on.
                Terminal.warning("--cache-from \(directory): no cache there yet (\(bundleName) is missing)")
                continue
            }
            _ = try BundleImporter(journal: journal).importBundle(at: path)
            // The other platforms' bundles of a multi-platform build, if any.
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() where name.hasPrefix("reprise-cache-") && name.hasSuffix(".tar") {
                _ = try BundleImporter(journal: journal).importBundle(at: directory + "/" + name)
            }
        }
    }
}

struct CacheTransferError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
