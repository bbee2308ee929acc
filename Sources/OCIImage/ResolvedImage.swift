import ContentStore
import Foundation

/// One image found by tag or digest and walked down to the manifest for a platform.
public struct ResolvedImage: Hashable, Sendable {
    /// What the tag or digest named: a manifest, or an index whose tree holds `manifest`.
    /// Exporting this descriptor again reproduces the original digest.
    public var root: Descriptor
    /// The platform's manifest (the same as `root` when the root is a manifest).
    public var manifestDescriptor: Descriptor
    public var manifest: ImageManifest
    public var configuration: ImageConfiguration
    /// The digests walked from `root` down to the manifest (both included).
    public var chain: [Digest]

    /// The descriptor of the configuration blob.
    public var configDescriptor: Descriptor { manifest.config }

    /// Resolves `root` to a platform manifest, fetching blobs through `fetch` (which verifies
    /// them). `describe` names a blob path in errors (`DIR/blobs/sha256/…`).
    static func resolve(root: Descriptor, platform: Platform, referencedBy: String,
                        describe: (String) -> String,
                        fetch: (Descriptor, _ referencedBy: String) throws -> Data) throws -> ResolvedImage {
        var descriptor = root
        var parent = referencedBy
        var chain: [Digest] = []
        for _ in 0..<8 {
            let data = try fetch(descriptor, parent)
            chain.append(descriptor.digest)
            let label = LayoutStorage.blobPath(descriptor.digest)
            switch kind(of: data, declared: descriptor.mediaType) {
            case .index:
                let index = try decode(ImageIndex.self, data, path: describe(label))
                descriptor = try selectManifest(in: index, platform: platform, location: describe(label))
                parent = describe(label)
            case .manifest:
                let manifest = try decode(ImageManifest.self, data, path: describe(label))
                let configData = try fetch(manifest.config, describe(label))
                let configuration = try decode(
                    ImageConfiguration.self, configData,
                    path: describe(LayoutStorage.blobPath(manifest.config.digest)))
                var manifestDescriptor = descriptor
                if manifestDescriptor.mediaType.isEmpty {
                    manifestDescriptor.mediaType = manifest.mediaType ?? MediaType.imageManifest
                }
                return ResolvedImage(root: root, manifestDescriptor: manifestDescriptor,
                                     manifest: manifest, configuration: configuration, chain: chain)
            case .unknown(let reason):
                throw ImageError.unsupported(path: describe(label), reason: reason)
            }
        }
        throw ImageError.malformed(path: describe(LayoutStorage.blobPath(root.digest)),
                                   reason: "indexes nested more than 8 deep")
    }

    /// The manifest of an index that serves `platform`: an exact match, else the only image.
    /// Attestation manifests (BuildKit's provenance, platform `unknown/unknown`) never count.
    static func selectManifest(in index: ImageIndex, platform: Platform, location: String) throws -> Descriptor {
        let images = index.manifests.filter {
            $0.annotations?["vnd.docker.reference.type"] != "attestation-manifest"
        }
        if let match = images.first(where: { $0.platform?.matches(platform) ?? false }) { return match }
        if images.count == 1 { return images[0] }
        throw ImageError.platformNotFound(
            wanted: platform, in: location,
            available: images.map { $0.platform?.description ?? "unspecified (\($0.digest.short))" })
    }

    enum Kind: Equatable {
        case index, manifest
        case unknown(String)
    }

    /// What a blob is: by its descriptor's media type when that says, by its own `mediaType`
    /// field or shape otherwise (OCI allows both to be absent from older manifests).
    static func kind(of data: Data, declared: String) -> Kind {
        if MediaType.isIndex(declared) { return .index }
        if MediaType.isManifest(declared) { return .manifest }
        struct Shape: Decodable {
            var schemaVersion: Int?
            var mediaType: String?
            var manifests: [Descriptor]?
            var config: Descriptor?
        }
        guard let shape = try? CanonicalJSON.decode(Shape.self, from: data) else {
            return .unknown("is not a manifest or index (media type \(declared))")
        }
        if shape.schemaVersion == 1 { return .unknown("Docker schema 1 manifests are not supported") }
        if MediaType.isIndex(shape.mediaType) || shape.manifests != nil { return .index }
        if MediaType.isManifest(shape.mediaType) || shape.config != nil { return .manifest }
        return .unknown("is not a manifest or index (media type \(shape.mediaType ?? declared))")
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, path: String) throws -> T {
        do {
            return try CanonicalJSON.decode(type, from: data)
        } catch {
            throw ImageError.malformed(path: path, reason: "not a valid \(T.self): \(Self.explain(error))")
        }
    }

    /// A decoding error in one line, naming the JSON path.
    static func explain(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
