import ContentStore
import Foundation

/// Brings images from outside into a BlobStore: OCI layouts (directory or tar), `docker save`
/// archives and plain rootfs tars.
///
/// Blobs are content: an OCI layout's blobs are copied byte for byte, so exporting an imported
/// image gives back the same manifest digest. Every blob is hashed while it streams into the
/// store and refused if it does not match its descriptor; nothing is held in memory but JSON.
public struct ImageImporter: Sendable {
    /// What a file or directory holds, as `detectFormat` sees it.
    public enum SourceFormat: Sendable, Hashable {
        case ociLayout
        case dockerArchive
        case rootfsTar
    }

    public let store: BlobStore
    /// The platform picked when an image is an index of several.
    public var platform: Platform
    /// Told of each blob copied (with the bytes so far) and each layer verified.
    public var progress: WorkProgressHandler?

    public init(store: BlobStore, platform: Platform = .linuxAMD64) {
        self.store = store
        self.platform = platform
    }

    /// Imports whatever `path` holds, detecting its format. `selector` picks an image in a
    /// layout or archive of several (a docker archive matches tags against `RepoTags`).
    /// Every layer is decompressed and its diff id checked (see `verifyLayers`), so a build
    /// never meets a broken base image.
    public func importImage(at path: String, selector: ImageSelector? = nil) throws -> ResolvedImage {
        switch try Self.detectFormat(at: path) {
        case .ociLayout: return try verifyLayers(of: importLayout(at: path, selector: selector), from: path)
        case .dockerArchive: return try verifyLayers(of: importDockerArchive(at: path, selector: selector), from: path)
        case .rootfsTar: return try importRootfsTar(at: path)
        }
    }

    /// Imports `oci-layout://PATH[:TAG|@DIGEST]`, layers verified as by `importImage(at:)`.
    public func importImage(from reference: LayoutReference) throws -> ResolvedImage {
        try verifyLayers(of: importLayout(at: reference.path, selector: reference.selector), from: reference.path)
    }

    /// A directory is a layout; a tar is a layout when it has `oci-layout` (even one written by
    /// `docker save` 25+, which also writes `manifest.json`: the layout keeps its digests), a
    /// docker archive when it has `manifest.json`, and a rootfs otherwise.
    public static func detectFormat(at path: String) throws -> SourceFormat {
        let storage = try LayoutStorage.open(path)
        switch storage {
        case .directory:
            if storage.exists("oci-layout") || storage.exists("index.json") { return .ociLayout }
            if storage.exists("manifest.json") { return .dockerArchive }
            throw ImageError.missingFile(path: storage.describe("index.json"),
                                         reason: "not an OCI image layout (no oci-layout or index.json)")
        case .archive:
            if storage.exists("oci-layout") { return .ociLayout }
            if storage.exists("manifest.json") { return .dockerArchive }
            return .rootfsTar
        }
    }

    /// Imports the image a selector names from the layout at `path`, with its whole tree.
    public func importLayout(at path: String, selector: ImageSelector? = nil) throws -> ResolvedImage {
        try importLayout(ImageLayout(at: path), selector: selector)
    }

    /// Imports from an opened layout. The platform's manifest must be complete; other platforms'
    /// manifests of an index are imported as far as the layout holds them.
    public func importLayout(_ layout: ImageLayout, selector: ImageSelector? = nil) throws -> ResolvedImage {
        let resolved = try layout.resolve(selector, platform: platform)
        let required = Set(resolved.chain)
        let missing = try layout.closure(of: resolved.root, required: required).filter { !store.isStored($0.digest) }
        var bytes: Int64 = 0
        for (index, descriptor) in missing.enumerated() {
            progress?(WorkProgress(phase: "copying blobs", done: index, total: missing.count, bytes: bytes))
            try copyBlob(descriptor, describe: layout.describeBlob(descriptor.digest)) { sink in
                try layout.streamBlob(descriptor.digest, sink)
            }
            bytes += descriptor.size
        }
        progress?(WorkProgress(phase: "copying blobs", done: missing.count, total: missing.count, bytes: bytes))
        try store.synchronize()
        return resolved
    }

    /// Streams one blob into the store, checked against its descriptor. `describe` names the
    /// source in errors.
    @discardableResult
    func copyBlob(_ descriptor: Descriptor?, describe: String,
                  produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> BlobStore.CommitResult {
        let writer = try store.makeWriter()
        do {
            try produce { try writer.write($0) }
            return try writer.commit(expected: descriptor?.digest, expectedSize: descriptor?.size,
                                     durability: .batched)
        } catch StoreError.digestMismatch(let expected, let actual) {
            throw ImageError.corruptBlob(path: describe, expected: expected, actual: actual.description)
        } catch StoreError.sizeMismatch(let expected, let actual) {
            throw ImageError.corruptBlob(path: describe, expected: descriptor!.digest,
                                         actual: "\(actual) bytes where the descriptor says \(expected)")
        }
    }

    /// Stores a JSON document Reprise wrote itself.
    func storeJSON(_ data: Data, mediaType: String) throws -> Descriptor {
        let result = try store.ingest(data, durability: .batched)
        return Descriptor(mediaType: mediaType, digest: result.digest, size: result.size)
    }
}
