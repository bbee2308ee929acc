#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// A plain rootfs tar as a one-layer image, as `docker import` makes.
extension ImageImporter {
    /// Imports an uncompressed tar as the single layer of a new image, with a minimal config
    /// (`base`'s settings, or linux/amd64 and a default PATH). `created` stays absent unless
    /// `base` gives one, so the same tar always gives the same image.
    ///
    /// A gzip-compressed tar is refused: its diff_id needs the uncompressed digest, and this module
    /// has no zlib of its own (decompress it first, or let the engine import it through
    /// LayerArchive).
    public func importRootfsTar(at path: String, base: ImageConfiguration? = nil) throws -> ResolvedImage {
        let fd = try FileIO.open(path, O_RDONLY)
        var head = [UInt8](repeating: 0, count: 512)
        let count = try head.withUnsafeMutableBytes { try FileIO.read(fd, into: $0, path: path) }
        close(fd)
        if count >= 2, head[0] == 0x1f, head[1] == 0x8b {
            throw ImageError.unsupported(path: path,
                reason: "is a gzip-compressed tar; a rootfs import needs a plain tar (gunzip it first)")
        }
        guard count == 512, TarIndex.isHeader(head) else {
            throw ImageError.malformed(path: path, reason: "is not a tar archive")
        }
        let commit = try store.ingest(fileAt: path, durability: .batched)
        var configuration = base ?? ImageConfiguration(
            config: ContainerConfig(env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]))
        configuration.rootfs = .init(diffIDs: [commit.digest])
        configuration.history = [.init(created: configuration.created, createdBy: "reprise import (rootfs tar)")]
        let configDescriptor = try storeJSON(configuration.canonicalData(), mediaType: MediaType.imageConfig)
        let layer = Descriptor(mediaType: MediaType.layer, digest: commit.digest, size: commit.size)
        let manifest = ImageManifest(config: configDescriptor, layers: [layer])
        let manifestDescriptor = try storeJSON(manifest.canonicalData(), mediaType: MediaType.imageManifest)
        try store.synchronize()
        return ResolvedImage(root: manifestDescriptor, manifestDescriptor: manifestDescriptor,
                             manifest: manifest, configuration: configuration,
                             chain: [manifestDescriptor.digest])
    }
}
