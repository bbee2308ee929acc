import ContentStore
import Foundation

/// Reading images held in a store: the same walks a layout gets, over the store's blobs.
extension BlobStore {
    /// The descriptor of a manifest or index already in the store, its media type read from the
    /// blob itself (what an exporter needs when all it was handed is a digest).
    public func imageDescriptor(for digest: Digest) throws -> Descriptor {
        let data = try read(digest)
        struct Declared: Decodable { var mediaType: String? }
        var mediaType = (try? CanonicalJSON.decode(Declared.self, from: data))?.mediaType ?? ""
        if mediaType.isEmpty {
            switch ResolvedImage.kind(of: data, declared: "") {
            case .index: mediaType = MediaType.imageIndex
            case .manifest: mediaType = MediaType.imageManifest
            case .unknown(let reason): throw ImageError.unsupported(path: path(for: digest), reason: reason)
            }
        }
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count))
    }

    /// The image `root` names, walked down to the manifest for `platform`; blobs are verified.
    public func resolveImage(_ root: Descriptor, platform: Platform = .linuxAMD64) throws -> ResolvedImage {
        try ResolvedImage.resolve(root: root, platform: platform, referencedBy: "the image reference",
                                  describe: describeImageBlob) {
            try readVerified($0, referencedBy: $1)
        }
    }

    /// Every blob reachable from `root`, children first (see `ImageLayout.closure(of:required:)`).
    public func imageClosure(of root: Descriptor, required: Set<Digest> = []) throws -> [Descriptor] {
        try BlobGraph.closure(of: root, referencedBy: "the image reference", required: required,
                              describe: describeImageBlob, contains: contains) {
            try readVerified($0, referencedBy: $1)
        }
    }

    /// A small blob, checked against its descriptor.
    func readVerified(_ descriptor: Descriptor, referencedBy: String) throws -> Data {
        guard contains(descriptor.digest) else {
            throw ImageError.missingBlob(path: path(for: descriptor.digest), digest: descriptor.digest,
                                         referencedBy: referencedBy)
        }
        let data = try read(descriptor.digest)
        let actual = Digest(of: data)
        guard actual == descriptor.digest, Int64(data.count) == descriptor.size else {
            throw ImageError.corruptBlob(path: path(for: descriptor.digest), expected: descriptor.digest,
                                         actual: "\(actual) (\(data.count) bytes)")
        }
        return data
    }

    /// Maps a layout-relative blob path to the store's own file, for errors.
    private func describeImageBlob(_ relative: String) -> String {
        guard relative.hasPrefix("blobs/sha256/"), let digest = Digest(hex: String(relative.dropFirst(13))) else {
            return root + "/" + relative
        }
        return path(for: digest)
    }
}
