import ContentStore
import Foundation
import OCIImage

/// Pushing an image from a store: blobs first (in parallel; each checked with HEAD so nothing is
/// sent twice, mounted from another repository of the same registry when one is known to hold
/// it, else uploaded in one PUT or in chunks), then manifests children first, the root last under
/// its tag. The bytes pushed are the store's own, so the pushed digest is the built digest.
extension RegistryClient {
    /// Pushes the image or index `root` and everything it reaches; returns the root's descriptor.
    /// `mountFrom` names repositories (`host/path`) that may hold some of the blobs already.
    @discardableResult
    public func push(_ root: Descriptor, from store: BlobStore, to reference: ImageReference,
                     mountFrom: [String] = []) async throws -> Descriptor {
        let closure = try store.imageClosure(of: root)
        var documents: [Descriptor] = []
        var blobs: [Descriptor] = []
        for descriptor in closure {
            if MediaType.isIndex(descriptor.mediaType) || MediaType.isManifest(descriptor.mediaType)
                || descriptor.digest == root.digest {
                documents.append(descriptor)
            } else {
                blobs.append(descriptor)
            }
        }
        try await pushBlobs(blobs, from: store, to: reference, mountFrom: mountFrom)
        var pushed = root
        for document in documents {
            let data = try store.read(document.digest)
            let mediaType = document.mediaType.isEmpty ? try store.imageDescriptor(for: document.digest).mediaType
                                                       : document.mediaType
            let isRoot = document.digest == root.digest
            let tag = isRoot ? (reference.digest == nil ? reference.tag : nil) : nil
            let (descriptor, _) = try await pushManifest(data, mediaType: mediaType, to: reference, tag: tag)
            if isRoot { pushed = descriptor }
        }
        return pushed
    }

    /// Pushes blobs the registry lacks, `parallelTransfers` at a time.
    public func pushBlobs(_ blobs: [Descriptor], from store: BlobStore, to repository: ImageReference,
                          mountFrom: [String] = []) async throws {
        var seen = Set<Digest>()
        let unique = blobs.filter { seen.insert($0.digest).inserted }
        try await forEach(unique, limit: configuration.parallelTransfers) { descriptor in
            try await self.pushBlob(descriptor, from: store, to: repository, mountFrom: mountFrom)
        }
    }

    /// Whether the repository holds the blob (HEAD).
    public func hasBlob(_ digest: Digest, in repository: ImageReference) async throws -> Bool {
        let (head, body, url) = try await send("HEAD", "/v2/\(repository.path)/blobs/\(digest)",
                                               in: repository, actions: "pull")
        await body.discard()
        switch head.status {
        case 200: return true
        case 404: return false
        default: throw RegistryError.status(head.status, method: "HEAD", url: url, detail: "")
        }
    }

    func pushBlob(_ descriptor: Descriptor, from store: BlobStore, to repository: ImageReference,
                  mountFrom: [String]) async throws {
        let digest = descriptor.digest
        if try await hasBlob(digest, in: repository) {
            count { $0.blobsAlreadyPresent += 1 }
            noteLocation(digest, in: repository)
            return
        }
        let size = try store.size(of: digest)
        for attempt in 1...configuration.attempts {
            do {
                let candidates = (mountFrom + knownLocations(of: digest, host: repository.domain))
                    .filter { $0 != repository.name && $0.hasPrefix(repository.domain + "/") }
                guard var location = try await startUpload(digest, in: repository, mountCandidates: candidates) else {
                    count { $0.blobsMounted += 1 }
                    noteLocation(digest, in: repository)
                    return
                }
                let path = try store.readablePath(for: digest)
                if size > configuration.chunkSize {
                    var offset: Int64 = 0
                    while offset < size {
                        let length = min(configuration.chunkSize, size - offset)
                        let (head, body, url) = try await send(
                            "PATCH", "", in: repository, actions: "pull,push",
                            headers: [("Content-Type", "application/octet-stream"),
                                      ("Content-Range", "\(offset)-\(offset + length - 1)")],
                            body: .file(path: path, offset: offset, length: length), absoluteURL: location)
                        guard head.status == 202 else { throw await Self.failure(head, body, method: "PATCH", url: url) }
                        await body.discard()
                        location = try resolveLocation(head, base: url)
                        offset += length
                        count { $0.chunksUploaded += 1 }
                    }
                    try await finishUpload(location, digest: digest, in: repository, body: .empty)
                } else {
                    try await finishUpload(location, digest: digest, in: repository,
                                           body: .file(path: path, offset: 0, length: size))
                }
                count {
                    $0.blobsUploaded += 1
                    $0.bytesUploaded += size
                }
                noteLocation(digest, in: repository)
                return
            } catch let error as RegistryError where error.isRetryable && attempt < configuration.attempts {
                // A broken upload session is not resumed: a new one starts from the first byte.
                try await backoff(attempt: attempt, retryAfter: nil)
            }
        }
    }

    /// Opens an upload session, or mounts the blob from a candidate repository. Returns the
    /// session's URL, or nil when the blob was mounted.
    private func startUpload(_ digest: Digest, in repository: ImageReference,
                             mountCandidates: [String]) async throws -> String? {
        for candidate in mountCandidates {
            let from = String(candidate.dropFirst(repository.domain.count + 1))
            let (head, body, url) = try await send(
                "POST", "/v2/\(repository.path)/blobs/uploads/?mount=\(digest)&from=\(from)",
                in: repository, actions: "pull,push")
            await body.discard()
            if head.status == 201 { return nil }
            // 202: the registry would not mount and opened an ordinary session instead.
            if head.status == 202 { return try resolveLocation(head, base: url) }
        }
        let (head, body, url) = try await send("POST", "/v2/\(repository.path)/blobs/uploads/",
                                               in: repository, actions: "pull,push")
        guard head.status == 202 else { throw await Self.failure(head, body, method: "POST", url: url) }
        await body.discard()
        return try resolveLocation(head, base: url)
    }

    private func finishUpload(_ location: String, digest: Digest, in repository: ImageReference,
                              body: HTTPTransport.Body) async throws {
        let separator = location.contains("?") ? "&" : "?"
        let headers = [("Content-Type", "application/octet-stream")]
        let (head, responseBody, url) = try await send(
            "PUT", "", in: repository, actions: "pull,push", headers: headers, body: body,
            absoluteURL: location + separator + "digest=" + digest.description)
        guard head.status == 201 || head.status == 204 else {
            throw await Self.failure(head, responseBody, method: "PUT", url: url)
        }
        await responseBody.discard()
    }

    /// The `Location` of an upload session, made absolute.
    private func resolveLocation(_ head: HTTPTransport.Head, base: String) throws -> String {
        guard let location = head.header("Location"), !location.isEmpty else {
            throw RegistryError.invalidResponse(url: base, reason: "upload response without a Location header")
        }
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        guard let resolved = URL(string: location, relativeTo: URL(string: base))?.absoluteString else {
            throw RegistryError.invalidResponse(url: base, reason: "bad Location \(location)")
        }
        return resolved
    }
}
