import ContentStore
import Foundation

/// An OCI image layout opened for reading, from a directory or an uncompressed tar of one
/// (image-spec `image-layout.md`).
///
/// Opening reads `oci-layout` and `index.json` only; blobs are read when asked for, and every
/// blob read is checked against its digest and size.
public struct ImageLayout: Sendable {
    /// The directory or tar file, as errors name it.
    public var location: String { storage.location }
    /// The layout's `index.json`.
    public let index: ImageIndex
    let storage: LayoutStorage

    /// Opens the layout at `path` (a directory, or a tar file holding one).
    public init(at path: String) throws {
        try self.init(storage: LayoutStorage.open(path))
    }

    init(storage: LayoutStorage) throws {
        self.storage = storage
        guard let header = try storage.read("oci-layout") else {
            throw ImageError.missingFile(path: storage.describe("oci-layout"),
                                         reason: "not an OCI image layout (no oci-layout file)")
        }
        struct Header: Decodable { var imageLayoutVersion: String }
        let version = try ResolvedImage.decode(Header.self, header, path: storage.describe("oci-layout"))
        guard version.imageLayoutVersion.hasPrefix("1.") else {
            throw ImageError.unsupported(path: storage.describe("oci-layout"),
                                         reason: "image layout version \(version.imageLayoutVersion) is not 1.x")
        }
        guard let indexData = try storage.read("index.json") else {
            throw ImageError.missingFile(path: storage.describe("index.json"),
                                         reason: "an OCI image layout needs an index.json")
        }
        self.index = try ResolvedImage.decode(ImageIndex.self, indexData, path: storage.describe("index.json"))
    }

    /// The tags of the layout's images, in `index.json` order.
    public var tags: [String] { index.manifests.compactMap(\.refName) }

    /// The `index.json` entry a selector names; with no selector, the layout's only image.
    public func descriptor(for selector: ImageSelector?) throws -> Descriptor {
        switch selector {
        case nil:
            guard index.manifests.count == 1 else {
                if index.manifests.isEmpty {
                    throw ImageError.malformed(path: storage.describe("index.json"), reason: "holds no images")
                }
                throw ImageError.ambiguous(in: location,
                                           available: index.manifests.map { $0.refName ?? $0.digest.description })
            }
            return index.manifests[0]
        case .tag(let tag):
            if let match = index.manifests.first(where: { $0.refName == tag }) { return match }
            // BuildKit and containerd also record the full name; accept it, normalised or not.
            let normalized = (try? ImageReference(parsing: tag))?.description
            if let match = index.manifests.first(where: {
                let name = $0.annotations?[AnnotationKey.containerdImageName]
                return name != nil && (name == tag || name == normalized)
            }) { return match }
            throw ImageError.tagNotFound(tag: tag, in: location, available: tags)
        case .digest(let digest):
            if let match = index.manifests.first(where: { $0.digest == digest }) { return match }
            // A platform manifest inside an index is not listed in index.json but is still named.
            guard let size = storage.size(LayoutStorage.blobPath(digest)) else {
                throw ImageError.digestNotFound(digest: digest, in: location)
            }
            let data = try readBlob(Descriptor(mediaType: "", digest: digest, size: size), referencedBy: "the digest given")
            let kind = ResolvedImage.kind(of: data, declared: "")
            let mediaType = kind == .index ? MediaType.imageIndex : MediaType.imageManifest
            struct Declared: Decodable { var mediaType: String? }
            let declared = (try? CanonicalJSON.decode(Declared.self, from: data))?.mediaType
            return Descriptor(mediaType: declared ?? mediaType, digest: digest, size: size)
        }
    }

    /// The image a selector names, walked down to the manifest for `platform`.
    public func resolve(_ selector: ImageSelector?, platform: Platform = .linuxAMD64) throws -> ResolvedImage {
        let root = try descriptor(for: selector)
        return try ResolvedImage.resolve(root: root, platform: platform,
                                         referencedBy: storage.describe("index.json"),
                                         describe: storage.describe) {
            try readBlob($0, referencedBy: $1)
        }
    }

    /// A blob's whole content, checked against the descriptor; for manifests and configs.
    public func readBlob(_ descriptor: Descriptor, referencedBy: String) throws -> Data {
        let relative = LayoutStorage.blobPath(descriptor.digest)
        guard let data = try storage.read(relative) else {
            throw ImageError.missingBlob(path: storage.describe(relative), digest: descriptor.digest,
                                         referencedBy: referencedBy)
        }
        let actual = Digest(of: data)
        guard actual == descriptor.digest else {
            throw ImageError.corruptBlob(path: storage.describe(relative), expected: descriptor.digest,
                                         actual: actual.description)
        }
        guard descriptor.size == Int64(data.count) else {
            throw ImageError.corruptBlob(path: storage.describe(relative), expected: descriptor.digest,
                                         actual: "\(data.count) bytes where the descriptor says \(descriptor.size)")
        }
        return data
    }

    /// Whether the layout holds a blob.
    public func contains(_ digest: Digest) -> Bool {
        storage.size(LayoutStorage.blobPath(digest)) != nil
    }

    /// How errors name one of the layout's blobs.
    public func describeBlob(_ digest: Digest) -> String {
        storage.describe(LayoutStorage.blobPath(digest))
    }

    /// Streams a blob's content unchecked; the caller hashes it (BlobWriter does).
    func streamBlob(_ digest: Digest, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try storage.stream(LayoutStorage.blobPath(digest), body)
    }

    /// Every blob reachable from `root`, children before parents, each once. Below an index,
    /// only the manifests in `required` must be complete (partial copies of multi-platform images
    /// are normal); a foreign layer with `urls` may be absent; any other missing blob is an error
    /// naming the blob that refers to it.
    public func closure(of root: Descriptor, required: Set<Digest> = []) throws -> [Descriptor] {
        try BlobGraph.closure(of: root, referencedBy: storage.describe("index.json"), required: required,
                              describe: storage.describe, contains: contains) {
            try readBlob($0, referencedBy: $1)
        }
    }
}
