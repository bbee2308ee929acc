import ContentStore
import Foundation

/// Carries out an `--output` spec for an image in the store: `type=oci` as a layout tar or
/// directory, `type=docker` as a `docker load`-able tar (an OCI layout plus `manifest.json`).
///
/// Blobs are written as they are in the store, so the exported manifest digest is the stored
/// one. `type=local` and `type=tar` unpack layers and are the engine's (LayerArchive's) job;
/// `type=image` needs a registry client. Both are refused here with a clear error.
public struct ImageExporter: Sendable {
    /// What was written.
    public struct Result: Hashable, Sendable {
        /// The manifest or index exported (its digest is the image's digest).
        public var descriptor: Descriptor
        /// The file or directory written, `-` for standard output.
        public var destination: String
        /// Whether a tar (rather than a directory) was written.
        public var isArchive: Bool
    }

    public let store: BlobStore
    /// A fixed mtime for tar members (SOURCE_DATE_EPOCH when the build has one).
    public var archiveTimestamp: Int64

    public init(store: BlobStore, archiveTimestamp: Int64 = 0) {
        self.store = store
        self.archiveTimestamp = archiveTimestamp
    }

    /// Exports the manifest or index `digest` from the store as `spec` says. `names` (parsed
    /// from `spec.names` when nil) name the image in `index.json`: the first one's tag becomes
    /// `org.opencontainers.image.ref.name`; `refName` overrides that tag.
    @discardableResult
    public func export(_ digest: Digest, to spec: OutputSpec, refName: String? = nil,
                       descriptorAnnotations: [String: String] = [:]) throws -> Result {
        var descriptor = try store.imageDescriptor(for: digest)
        if !descriptorAnnotations.isEmpty { descriptor.annotations = descriptorAnnotations }
        let references = try spec.names.map { try ImageReference(parsing: $0) }
        var entry = references.first.map { LayoutEntry(descriptor: descriptor, reference: $0) }
            ?? LayoutEntry(descriptor: descriptor)
        if let refName { entry.refName = refName }

        guard spec.type == .oci || spec.type == .docker else {
            throw ImageError.unsupported(path: spec.destination ?? "-",
                reason: "type=\(spec.type.rawValue) output is not an image layout; the engine writes it")
        }
        guard let destination = spec.destination, !destination.isEmpty else {
            throw ImageError.unsupported(path: "-",
                reason: "type=\(spec.type.rawValue) needs dest=PATH: there is no Docker daemon to load into")
        }
        var extraFiles: [String: Data] = [:]
        if spec.type == .docker {
            extraFiles["manifest.json"] = try dockerManifest(for: descriptor, tags: references)
        }
        let writer = ImageLayoutWriter(store: store)
        if !spec.tar {
            try writer.writeDirectory(at: destination, entries: [entry])
            if let manifest = extraFiles["manifest.json"] {
                try FileIO.writeFileAtomically(destination + "/manifest.json", manifest)
            }
        } else if destination == "-" {
            try writer.writeTar(toFileDescriptor: 1, named: "standard output", entries: [entry],
                                mtime: archiveTimestamp, extraFiles: extraFiles)
        } else {
            try writer.writeTar(at: destination, entries: [entry], mtime: archiveTimestamp,
                                extraFiles: extraFiles)
        }
        return Result(descriptor: descriptor, destination: destination, isArchive: spec.tar)
    }

    /// The `manifest.json` of `docker save`, pointing into the layout's blobs (as Docker 25+
    /// and BuildKit's docker exporter write it), so `docker load` accepts the tar.
    func dockerManifest(for descriptor: Descriptor, tags: [ImageReference]) throws -> Data {
        let image = try store.resolveImage(descriptor)
        struct Entry: Encodable {
            var Config: String
            var RepoTags: [String]?
            var Layers: [String]
        }
        let entry = Entry(Config: LayoutStorage.blobPath(image.manifest.config.digest),
                          RepoTags: tags.isEmpty ? nil : tags.map(\.familiarDescription),
                          Layers: image.manifest.layers.map { LayoutStorage.blobPath($0.digest) })
        return try CanonicalJSON.encode([entry])
    }
}
