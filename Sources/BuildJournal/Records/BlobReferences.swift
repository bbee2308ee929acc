import ContentStore
import Foundation

/// The digests a record names that must be blobs in the store (unlike diff ids, which name
/// uncompressed layers that are never stored). `fsck` checks these exist.
public protocol BlobReferencing {
    var blobReferences: Set<Digest> { get }
}

extension BuildRecord: BlobReferencing {
    public var blobReferences: Set<Digest> {
        var result = Set(steps)
        result.formUnion([dockerfile, manifest, config].compactMap { $0 })
        result.formUnion(contexts.flatMap { [$0.tree, $0.image].compactMap { $0 } })
        result.formUnion(baseImages.values)
        return result
    }
}

extension StepRecord: BlobReferencing {
    public var blobReferences: Set<Digest> {
        var result = Set([parentConfig, resultConfig, sources, stdout, stderr, layer?.digest].compactMap { $0 })
        result.formUnion(mounts.flatMap { [$0.treeBefore, $0.treeAfter].compactMap { $0 } })
        // Fetched bodies are kept with the build: a replay serves them from the store.
        result.formUnion((fetches ?? []).flatMap { [$0.body, $0.requestBody].compactMap { $0 } })
        return result
    }
}

/// The blobs an OCI manifest or index names through descriptors (config, layers, manifests,
/// subject). Read with JSONSerialization so the journal need not know the OCI module's types.
public enum DescriptorReferences {
    public static func digests(inManifestOrIndex data: Data) -> Set<Digest>? {
        guard let parsed = try? JSONSerialization.jsonObject(with: data),
              let object = parsed as? [String: Any],
              (object["schemaVersion"] as? NSNumber)?.intValue == 2 else { return nil }
        var descriptors: [[String: Any]] = []
        if let config = object["config"] as? [String: Any] { descriptors.append(config) }
        if let subject = object["subject"] as? [String: Any] { descriptors.append(subject) }
        descriptors += (object["layers"] as? [[String: Any]]) ?? []
        descriptors += (object["manifests"] as? [[String: Any]]) ?? []
        guard !descriptors.isEmpty else { return nil }
        return Set(descriptors.compactMap { descriptor -> Digest? in
            guard let text = descriptor["digest"] as? String else { return nil }
            return Digest(text)
        })
    }
}
