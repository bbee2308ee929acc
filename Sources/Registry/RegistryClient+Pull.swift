import ContentStore
import Foundation
import OCIImage

/// Pulling an image into a store: the manifest (and index) the reference names, then the
/// platform's config and layers in parallel, each streamed into the store's ingest area, hashed
/// on the way and committed only when digest and size match. An interrupted pull leaves no
/// visible partial blob; running it again fetches only what is missing.
extension RegistryClient {
    public struct PulledImage: Sendable {
        /// The reference as asked, with the digest it resolved to.
        public var reference: ImageReference
        /// What the tag or digest named (an index or a manifest).
        public var root: Descriptor
        public var image: ResolvedImage
    }

    /// With `verifyLayers`, every layer is also decompressed and read to its end, and must be
    /// the tar the config's `diff_ids` name (as `image import` checks), several layers at once:
    /// what a build would otherwise find out at its first RUN, and a registry may lie about.
    public func pull(_ reference: ImageReference, platform: Platform = .linuxAMD64,
                     into store: BlobStore, verifyLayers: Bool = false) async throws -> PulledImage {
        let fetched = try await fetchManifest(reference)
        try store.ingest(fetched.data, expected: fetched.descriptor.digest, durability: .batched)
        var descriptor = fetched.descriptor
        var data = fetched.data
        var blobs: [Descriptor] = []
        for _ in 0..<8 {
            let location = "\(reference.name)@\(descriptor.digest)"
            switch try ResolvedImage.document(data, declared: descriptor.mediaType, location: location) {
            case .index(let index):
                let child = try ResolvedImage.platformManifest(in: index, platform: platform, location: location)
                var childReference = reference
                childReference.tag = nil
                childReference.digest = child.digest
                let childManifest = try await fetchManifest(childReference)
                try store.ingest(childManifest.data, expected: child.digest, durability: .batched)
                descriptor = child
                data = childManifest.data
                continue
            case .manifest(let manifest):
                blobs = [manifest.config] + manifest.layers.filter { ($0.urls ?? []).isEmpty }
            }
            break
        }
        try await fetchBlobs(blobs, from: reference, into: store)
        try store.synchronize()
        var pinned = reference
        pinned.digest = fetched.descriptor.digest
        let image = try store.resolveImage(fetched.descriptor, platform: platform)
        if verifyLayers {
            let layers = image.manifest.layers
            let diffIDs = image.configuration.rootfs.diffIDs
            guard layers.count == diffIDs.count else {
                throw ImageError.malformed(path: pinned.description, reason:
                    "the manifest lists \(layers.count) layer(s) but the config's rootfs.diff_ids lists \(diffIDs.count)")
            }
            let importer = ImageImporter(store: store, platform: platform)
            let source = pinned.description
            try await forEach(Array(zip(layers.indices, diffIDs)), limit: min(configuration.parallelTransfers, 4)) { pair in
                try importer.verifyLayer(image, at: pair.0, from: source)
            }
        }
        return PulledImage(reference: pinned, root: fetched.descriptor, image: image)
    }

    /// Fetches every blob the store lacks, `parallelTransfers` at a time.
    public func fetchBlobs(_ descriptors: [Descriptor], from repository: ImageReference,
                           into store: BlobStore) async throws {
        var seen = Set<Digest>()
        let missing = descriptors.filter { descriptor in
            guard seen.insert(descriptor.digest).inserted else { return false }
            // Stored bytes only: a layer kept as a recipe is pulled anyway (the recipe may not
            // make these exact bytes on this machine).
            if store.isStored(descriptor.digest) {
                count { $0.blobsAlreadyLocal += 1 }
                noteLocation(descriptor.digest, in: repository)
                return false
            }
            return true
        }
        try await forEach(missing, limit: configuration.parallelTransfers) { descriptor in
            try await self.fetchBlob(descriptor, from: repository, into: store)
        }
    }

    /// One blob, verified while it streams into the store; retried from the start when the
    /// connection breaks or the content is not what the descriptor says.
    public func fetchBlob(_ descriptor: Descriptor, from repository: ImageReference, into store: BlobStore) async throws {
        for attempt in 1...configuration.attempts {
            let (head, body, url) = try await send("GET", "/v2/\(repository.path)/blobs/\(descriptor.digest)",
                                                   in: repository, actions: "pull")
            if head.status == 404 {
                await body.discard()
                throw RegistryError.notFound(reference: "\(repository.name)@\(descriptor.digest) (blob)")
            }
            guard head.status == 200 else { throw await Self.failure(head, body, method: "GET", url: url) }
            let writer = try store.makeWriter()
            do {
                try await body.forEachChunk { chunk in
                    try writer.write(chunk)
                    if writer.count > descriptor.size {
                        throw RegistryError.sizeMismatch(url: url, expected: descriptor.size, actual: writer.count)
                    }
                }
                do {
                    try writer.commit(expected: descriptor.digest, expectedSize: descriptor.size, durability: .batched)
                } catch StoreError.sizeMismatch(let expected, let actual) {
                    throw RegistryError.sizeMismatch(url: url, expected: expected, actual: actual)
                } catch StoreError.digestMismatch(let expected, let actual) {
                    throw RegistryError.contentMismatch(url: url, expected: expected, actual: actual, size: descriptor.size)
                }
                // Made durable now, while other blobs still stream in, rather than all at the end.
                try store.synchronize()
                count {
                    $0.blobsDownloaded += 1
                    $0.bytesDownloaded += descriptor.size
                }
                noteLocation(descriptor.digest, in: repository)
                return
            } catch {
                writer.abort()
                let wrapped = HTTPTransport.transportError(error, url: url)
                guard attempt < configuration.attempts, (wrapped as? RegistryError)?.isRetryable == true else {
                    throw wrapped
                }
                try await backoff(attempt: attempt, retryAfter: nil)
            }
        }
    }

    /// Runs `work` on each element, at most `limit` at once; the first error cancels the rest.
    func forEach<Element: Sendable>(_ elements: [Element], limit: Int,
                                    _ work: @escaping @Sendable (Element) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var iterator = elements.makeIterator()
            for _ in 0..<limit {
                guard let element = iterator.next() else { break }
                group.addTask { try await work(element) }
            }
            while try await group.next() != nil {
                if let element = iterator.next() { group.addTask { try await work(element) } }
            }
        }
    }
}
