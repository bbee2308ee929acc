import ContentStore
import Foundation

/// Walks the blobs an index or manifest refers to, in a layout or a store alike.
enum BlobGraph {
    /// Every blob reachable from `root`, children before parents, each once (the order in which
    /// copying them never makes a parent visible before its children).
    ///
    /// Below an index, only the manifests in `required` must be complete: containerd and others
    /// copy an index with just one platform's layers, and such partial trees are normal. Any
    /// other missing blob is an error naming the blob that refers to it.
    static func closure(of root: Descriptor, referencedBy rootReferrer: String, required: Set<Digest> = [],
                        describe: (String) -> String,
                        contains: (Digest) -> Bool,
                        fetch: (Descriptor, _ referencedBy: String) throws -> Data) throws -> [Descriptor] {
        var seen: Set<Digest> = []
        var ordered: [Descriptor] = []

        func visit(_ descriptor: Descriptor, referencedBy: String, optional: Bool) throws {
            guard !seen.contains(descriptor.digest) else { return }
            let label = LayoutStorage.blobPath(descriptor.digest)
            guard contains(descriptor.digest) else {
                if optional { return }
                throw ImageError.missingBlob(path: describe(label), digest: descriptor.digest,
                                             referencedBy: referencedBy)
            }
            seen.insert(descriptor.digest)
            let declared = descriptor.mediaType
            if MediaType.isIndex(declared) || MediaType.isManifest(declared) || declared.isEmpty {
                let data = try fetch(descriptor, referencedBy)
                switch ResolvedImage.kind(of: data, declared: declared) {
                case .index:
                    let index = try ResolvedImage.decode(ImageIndex.self, data, path: describe(label))
                    for child in index.manifests {
                        try visit(child, referencedBy: describe(label),
                                  optional: optional || !required.contains(child.digest))
                    }
                case .manifest:
                    let manifest = try ResolvedImage.decode(ImageManifest.self, data, path: describe(label))
                    try visit(manifest.config, referencedBy: describe(label), optional: optional)
                    for layer in manifest.layers {
                        let foreign = !(layer.urls ?? []).isEmpty
                        try visit(layer, referencedBy: describe(label), optional: optional || foreign)
                    }
                case .unknown:
                    break
                }
            }
            ordered.append(descriptor)
        }

        try visit(root, referencedBy: rootReferrer, optional: false)
        return ordered
    }
}
