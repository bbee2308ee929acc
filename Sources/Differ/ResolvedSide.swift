import BuildJournal
import ContentStore
import DifferenceModel
import Foundation
import OCIImage

/// An image ready to compare: its manifest and config bytes, and where its layer blobs are.
struct ImageSide: Sendable {
    var side: DiffReport.Side
    var manifestDigest: Digest
    var manifestData: Data
    var manifest: ImageManifest
    var configData: Data
    var configuration: ImageConfiguration
    /// The file holding a blob (layouts and stores keep blobs as plain files).
    /// Where a layer blob's bytes are (made from its recipe first when the store keeps one).
    var blobPath: @Sendable (Digest) throws -> String
    /// The journal's records, when the image is a recorded build.
    var build: BuildFacts?
}

/// A journal build and its steps.
struct BuildFacts: Sendable {
    var record: BuildRecord
    var steps: [StepRecord]
    /// The journal's store, where the record's Dockerfile and context trees are.
    var store: BlobStore? = nil

    /// The step that produced a layer, by compressed digest or diff id.
    func step(forLayer digest: Digest, diffID: Digest?) -> StepRecord? {
        steps.last { step in
            guard let layer = step.layer else { return false }
            return layer.digest == digest || (diffID != nil && layer.diffID == diffID)
        }
    }
}

enum ResolvedSide: Sendable {
    case image(ImageSide)
    case layer(path: String, side: DiffReport.Side)
    case directory(path: String, side: DiffReport.Side)

    var side: DiffReport.Side {
        switch self {
        case .image(let image): return image.side
        case .layer(_, let side), .directory(_, let side): return side
        }
    }

    /// Resolves an input; archives that are not plain directories are imported into `spool`.
    static func resolve(_ input: DiffInput, options: DiffOptions, spool: SpoolDirectory) throws -> ResolvedSide {
        let platform = Self.platform(options.platform)
        switch input {
        case .build(let journal, let reference):
            let id = try journal.resolveBuild(reference)
            let record = try journal.build(id: id)
            guard let manifest = record.manifest else { throw DifferError.buildWithoutImage(id) }
            let store = journal.store
            let resolved = try store.resolveImage(store.imageDescriptor(for: manifest), platform: platform)
            var image = try fromStore(store, resolved, side: DiffReport.Side(
                kind: .build, label: reference, digest: resolved.manifestDescriptor.digest.description, buildID: id))
            image.build = BuildFacts(record: record, steps: try journal.steps(of: record), store: store)
            return .image(image)
        case .ociLayout(let reference):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: reference.path, isDirectory: &isDirectory) else {
                throw DifferError.unknownInput(reference.description, reason: "no such layout")
            }
            let label = reference.description
            if isDirectory.boolValue {
                let layout = try ImageLayout(at: reference.path)
                let resolved = try layout.resolve(reference.selector, platform: platform)
                let root = reference.path
                return .image(ImageSide(
                    side: DiffReport.Side(kind: .ociLayout, label: label, digest: resolved.manifestDescriptor.digest.description),
                    manifestDigest: resolved.manifestDescriptor.digest,
                    manifestData: try layout.readBlob(resolved.manifestDescriptor, referencedBy: label),
                    manifest: resolved.manifest,
                    configData: try layout.readBlob(resolved.manifest.config, referencedBy: label),
                    configuration: resolved.configuration,
                    blobPath: { root + "/blobs/sha256/" + $0.hex }))
            }
            // A tar layout's blobs are members of the tar: import them so layers are plain files.
            let store = try BlobStore(root: spool.newFile("layout-store"))
            let resolved = try ImageImporter(store: store, platform: platform)
                .importLayout(at: reference.path, selector: reference.selector)
            return .image(try fromStore(store, resolved, side: DiffReport.Side(
                kind: .ociLayout, label: label, digest: resolved.manifestDescriptor.digest.description)))
        case .dockerArchive(let path, let selector):
            let store = try BlobStore(root: spool.newFile("archive-store"))
            let resolved = try ImageImporter(store: store, platform: platform).importDockerArchive(at: path, selector: selector)
            return .image(try fromStore(store, resolved, side: DiffReport.Side(
                kind: .dockerArchive, label: path, digest: resolved.configDescriptor.digest.description)))
        case .layer(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw DifferError.unknownInput(path, reason: "no such file")
            }
            return .layer(path: path, side: DiffReport.Side(kind: .layer, label: path))
        case .directory(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw DifferError.unknownInput(path, reason: "no such directory")
            }
            return .directory(path: path, side: DiffReport.Side(kind: .directory, label: path))
        }
    }

    private static func fromStore(_ store: BlobStore, _ resolved: ResolvedImage, side: DiffReport.Side) throws -> ImageSide {
        ImageSide(side: side, manifestDigest: resolved.manifestDescriptor.digest,
                  manifestData: try store.read(resolved.manifestDescriptor.digest), manifest: resolved.manifest,
                  configData: try store.read(resolved.manifest.config.digest), configuration: resolved.configuration,
                  blobPath: { try store.readablePath(for: $0) })
    }

    static func platform(_ text: String) -> Platform {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count >= 2 else { return .linuxAMD64 }
        return Platform(architecture: parts[1], os: parts[0], variant: parts.count > 2 ? parts[2] : nil)
    }
}
