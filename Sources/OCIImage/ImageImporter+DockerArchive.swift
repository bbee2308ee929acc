import ContentStore
import Foundation

/// `docker save` archives: `manifest.json` lists each image's config file and layer tars.
extension ImageImporter {
    /// One entry of a `docker save` `manifest.json`.
    struct DockerArchiveEntry: Decodable {
        var config: String
        var repoTags: [String]?
        var layers: [String]

        enum CodingKeys: String, CodingKey {
            case config = "Config"
            case repoTags = "RepoTags"
            case layers = "Layers"
        }
    }

    /// Imports one image of a `docker save` tar (or a directory extracted from one) as an OCI
    /// image: the config blob is kept byte for byte; layers keep their bytes and become
    /// `application/vnd.oci.image.layer.v1.tar` (or `+gzip` when an archive holds compressed
    /// ones). Uncompressed layers are checked against the config's `diff_ids`.
    public func importDockerArchive(at path: String, selector: ImageSelector? = nil) throws -> ResolvedImage {
        let storage = try LayoutStorage.open(path)
        guard let manifestData = try storage.read("manifest.json") else {
            throw ImageError.missingFile(path: storage.describe("manifest.json"),
                                         reason: "a docker archive needs a manifest.json")
        }
        let entries = try ResolvedImage.decode([DockerArchiveEntry].self, manifestData,
                                               path: storage.describe("manifest.json"))
        let entry = try select(from: entries, selector: selector, location: storage.location)

        guard let configSize = storage.size(entry.config) else {
            throw ImageError.missingFile(path: storage.describe(entry.config),
                                         reason: "the image config \(storage.describe("manifest.json")) names")
        }
        let configCommit = try copyBlob(Self.digestNamed(by: entry.config).map {
            Descriptor(mediaType: MediaType.imageConfig, digest: $0, size: configSize)
        }, describe: storage.describe(entry.config)) { try storage.stream(entry.config, $0) }
        let configData = try store.read(configCommit.digest)
        let configuration = try ResolvedImage.decode(ImageConfiguration.self, configData,
                                                     path: storage.describe(entry.config))
        let diffIDs = configuration.rootfs.diffIDs
        guard diffIDs.count == entry.layers.count else {
            throw ImageError.malformed(path: storage.describe(entry.config),
                reason: "rootfs.diff_ids lists \(diffIDs.count) layers but manifest.json lists \(entry.layers.count)")
        }

        var layers: [Descriptor] = []
        for (layerPath, diffID) in zip(entry.layers, diffIDs) {
            guard storage.exists(layerPath) else {
                throw ImageError.missingBlob(path: storage.describe(layerPath), digest: diffID,
                                             referencedBy: storage.describe("manifest.json"))
            }
            var head: [UInt8] = []
            let commit = try copyBlob(nil, describe: storage.describe(layerPath)) { sink in
                try storage.stream(layerPath) { chunk in
                    if head.count < 2 { head.append(contentsOf: chunk.prefix(2 - head.count)) }
                    try sink(chunk)
                }
            }
            let gzipped = head == [0x1f, 0x8b]
            // A compressed layer's diff_id is the digest of its uncompressed content, which this
            // module does not decompress; only uncompressed layers can be checked here.
            if !gzipped && commit.digest != diffID {
                throw ImageError.corruptBlob(path: storage.describe(layerPath), expected: diffID,
                                             actual: "\(commit.digest) (the config's diff_id does not match the layer)")
            }
            layers.append(Descriptor(mediaType: gzipped ? MediaType.layerGzip : MediaType.layer,
                                     digest: commit.digest, size: commit.size))
        }

        let configDescriptor = Descriptor(mediaType: MediaType.imageConfig, digest: configCommit.digest,
                                          size: configCommit.size)
        let manifest = ImageManifest(config: configDescriptor, layers: layers)
        let manifestDescriptor = try storeJSON(manifest.canonicalData(), mediaType: MediaType.imageManifest)
        try store.synchronize()
        return ResolvedImage(root: manifestDescriptor, manifestDescriptor: manifestDescriptor,
                             manifest: manifest, configuration: configuration,
                             chain: [manifestDescriptor.digest])
    }

    private func select(from entries: [DockerArchiveEntry], selector: ImageSelector?,
                        location: String) throws -> DockerArchiveEntry {
        let names = entries.map { $0.repoTags?.first ?? $0.config }
        switch selector {
        case nil:
            guard entries.count == 1 else {
                if entries.isEmpty {
                    throw ImageError.malformed(path: location + ":manifest.json", reason: "lists no images")
                }
                throw ImageError.ambiguous(in: location, available: names)
            }
            return entries[0]
        case .tag(let tag):
            let wanted = (try? ImageReference(parsing: tag))?.description
            if let match = entries.first(where: { entry in
                (entry.repoTags ?? []).contains { $0 == tag || (try? ImageReference(parsing: $0))?.description == wanted }
            }) { return match }
            throw ImageError.tagNotFound(tag: tag, in: location, available: entries.flatMap { $0.repoTags ?? [] })
        case .digest(let digest):
            if let match = entries.first(where: { Self.digestNamed(by: $0.config) == digest }) { return match }
            throw ImageError.digestNotFound(digest: digest, in: location)
        }
    }

    /// The digest a docker archive's file name claims: `blobs/sha256/<hex>` or `<hex>.json`.
    static func digestNamed(by path: String) -> Digest? {
        let name = (path as NSString).lastPathComponent
        return Digest(hex: name.hasSuffix(".json") ? String(name.dropLast(5)) : name)
    }
}
