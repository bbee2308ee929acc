import BuildJournal
import Foundation
import OCIImage
import Registry
import Replay

/// `--cache-to` and `--cache-from`: the journal's step cache is the cache. Exporting writes the
/// build as a bundle (its record, step records and layers, as `journal export` does): into DIR as
/// an OCI layout tar for `type=local`, or to a registry as the OCI artifact `journal push` makes
/// (tagged with the cache reference's tag) for `type=registry`. Importing brings the bundle into
/// this journal (every blob verified), so steps whose keys match become CACHED here exactly as
/// after a local build.
enum StepCacheTransfer {
    static let bundleName = "reprise-cache.tar"

    /// `platform` (`linux_arm64`) names the bundle of one platform's build of several: beside the
    /// first platform's, `reprise-cache-linux_arm64.tar` in a directory, `TAG-linux_arm64` in a registry.
    static func exportCache(of buildID: String, from journal: Journal, to location: StepCacheLocation,
                            platform: String? = nil, registry: RegistryConfiguration) async throws {
        switch location {
        case .local(let directory):
            try exportCache(of: buildID, from: journal, to: directory, platform: platform)
        case .registry(let reference):
            let target = platformReference(reference, platform: platform)
            do {
                let pushed = try await RegistryClient.using(registry) { client in
                    try await BundleRegistry(journal: journal, client: client).push(buildID, to: target)
                }
                Terminal.progress("exported the step cache to \(target.name)@\(pushed.bundle.digest)")
            } catch {
                throw CacheTransferError("--cache-to \(target): \(error)")
            }
        }
    }

    static func importCaches(from locations: [StepCacheLocation], into journal: Journal,
                             platforms: [String] = [], registry: RegistryConfiguration) async throws {
        for location in locations {
            switch location {
            case .local(let directory):
                try importCaches(from: directory, into: journal)
            case .registry(let reference):
                for platform in [nil] + platforms.dropFirst().map(Optional.some) {
                    try await importCache(from: platformReference(reference, platform: platform),
                                          into: journal, registry: registry)
                }
            }
        }
    }

    private static func importCache(from reference: ImageReference, into journal: Journal,
                                    registry: RegistryConfiguration) async throws {
        do {
            let id = try await RegistryClient.using(registry) { client in
                try await BundleRegistry(journal: journal, client: client).pull(reference)
            }
            Terminal.progress("imported the step cache of build \(id) from \(reference)")
        } catch RegistryError.notFound(let missing) where missing == reference.description {
            // As buildx: a cache that is not there yet is a warning, and the build goes on.
            Terminal.warning("--cache-from \(reference): no cache there yet")
        } catch {
            // BuildKit does not fail a build over a cache it cannot import (unreachable, refused,
            // damaged): the cache only saves time. Nothing of it was adopted: a bundle is
            // adopted only whole and verified.
            Terminal.warning("--cache-from \(reference): not imported: \(error)")
        }
    }

    private static func platformReference(_ reference: ImageReference, platform: String?) -> ImageReference {
        guard let platform else { return reference }
        var named = reference
        named.digest = nil
        named.tag = (reference.tag ?? "latest") + "-" + platform
        return named
    }

    private static func exportCache(of buildID: String, from journal: Journal, to directory: String,
                                    platform: String?) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + (platform.map { "reprise-cache-\($0).tar" } ?? bundleName)
        let temporary = path + ".tmp-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        try BuildBundle.export(buildID, from: journal, to: temporary)
        guard rename(temporary, path) == 0 else {
            throw CacheTransferError("--cache-to: cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func importCaches(from directory: String, into journal: Journal) throws {
        let path = directory + "/" + bundleName
        guard FileManager.default.fileExists(atPath: path) else {
            // As buildx: a cache that is not there yet is a warning, and the build goes on.
            Terminal.warning("--cache-from \(directory): no cache there yet (\(bundleName) is missing)")
            return
        }
        _ = try BundleImporter(journal: journal).importBundle(at: path)
        // The other platforms' bundles of a multi-platform build, if any.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() where name.hasPrefix("reprise-cache-") && name.hasSuffix(".tar") {
            _ = try BundleImporter(journal: journal).importBundle(at: directory + "/" + name)
        }
    }
}

struct CacheTransferError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
